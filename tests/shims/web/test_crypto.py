"""shims/web/48_crypto.js: getRandomValues and randomUUID over a ChaCha20 keystream."""

from __future__ import annotations

import re

from tests.support import call, value


def test_uuids_are_version_4_and_values_fill_integer_arrays(evaluator) -> None:
    got = value(
        evaluator,
        "const a = crypto.getRandomValues(new Uint32Array(64));"
        "return [crypto.randomUUID(), crypto.randomUUID(), new Set(a).size > 60]",
    )
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", got[0])
    assert got[0] != got[1] and got[2]


def test_a_seed_makes_the_stream_reproducible(evaluator) -> None:
    code = "return [crypto.randomUUID(), [...crypto.getRandomValues(new Uint8Array(8))]]"
    first = call(evaluator, code, random_seed=7).result
    assert first == call(evaluator, code, random_seed=7).result
    assert first != call(evaluator, code, random_seed=8).result


def test_bad_arrays_are_refused_with_the_standard_errors(evaluator) -> None:
    got = value(
        evaluator,
        "const names = [];"
        "try { crypto.getRandomValues(new Float64Array(1)) } catch (e) { names.push(e.name) }"
        "try { crypto.getRandomValues(new Uint8Array(65537)) } catch (e) { names.push(e.name) }"
        "return names",
    )
    assert got == ["TypeMismatchError", "QuotaExceededError"]
