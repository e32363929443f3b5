"""shims/web/06_utf8.js: the runtime's one UTF-8 codec, as TextEncoder/TextDecoder and fetch
bodies use it. Malformed input decodes as the Encoding standard says (one U+FFFD per maximal
subpart), the same way through every door."""

from __future__ import annotations

import json

import pytest

from tests.support import value

# bytes -> text, by the Encoding standard's decoder (what browsers and Python's "replace" agree on).
CASES = [
    [0x68, 0x69],
    [0xC3, 0xA9, 0xE2, 0x82, 0xAC, 0xF0, 0x9F, 0x98, 0x80],
    [0xFF, 0x41],
    [0xC0, 0x80],  # overlong
    [0xED, 0xA0, 0x80, 0x41],  # a surrogate
    [0xE2, 0x82],  # truncated at the end
    [0xE2, 0x41, 0x82],
    [0xF0, 0x9F, 0x98],
    [0xF4, 0x90, 0x80, 0x80],  # past U+10FFFF
    [0x80, 0xBF],
    [0xEF, 0xBB, 0xBF, 0x68],  # a BOM, dropped by both
]


@pytest.mark.parametrize("data", CASES, ids=lambda d: bytes(d).hex())
def test_every_door_decodes_as_the_standard_does(evaluator, data: list[int]) -> None:
    expected = bytes(data).decode("utf-8", "replace").removeprefix("\ufeff")
    got = value(
        evaluator,
        f"const b = new Uint8Array({json.dumps(data)});"
        "return [new TextDecoder().decode(b), await new Response(b).text()]",
    )
    assert got == [expected, expected]


def test_fatal_mode_refuses_what_replacement_mode_repairs(evaluator) -> None:
    got = value(
        evaluator,
        "const d = new TextDecoder('utf-8', {fatal: true});"
        "let e; try { d.decode(new Uint8Array([0xc0, 0x80])) } catch (x) { e = x.name }"
        "return [e, d.decode(new Uint8Array([0xc3, 0xa9]))]",
    )
    assert got == ["TypeError", "\u00e9"]


def test_streaming_holds_an_incomplete_sequence_for_the_next_chunk(evaluator) -> None:
    got = value(
        evaluator,
        "const d = new TextDecoder(); const e = [0xf0, 0x9f, 0x98, 0x80];"
        "return [d.decode(new Uint8Array(e.slice(0, 2)), {stream: true}),"
        " d.decode(new Uint8Array(e.slice(2)), {stream: true}), d.decode()]",
    )
    assert got == ["", "\U0001F600", ""]


def test_encoding_turns_lone_surrogates_into_replacement_characters(evaluator) -> None:
    got = value(
        evaluator,
        "return [...new TextEncoder().encode('a\\ud800b\\udc00')]",
    )
    assert bytes(got) == "a\ufffdb\ufffd".encode()


def test_long_text_round_trips(evaluator) -> None:
    got = value(
        evaluator,
        "const s = 'é€😀x'.repeat(50000); const b = new TextEncoder().encode(s);"
        "return [b.length, new TextDecoder().decode(b) === s, (await new Response(b).text()) === s]",
    )
    assert got == [len("é€😀x".encode()) * 50000, True, True]
