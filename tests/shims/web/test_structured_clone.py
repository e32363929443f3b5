"""shims/web/46_structured_clone.js: structuredClone."""

from __future__ import annotations

import pytest

from tests.support import value


def test_graphs_and_built_ins_are_copied(evaluator) -> None:
    got = value(
        evaluator,
        "const o = {d: new Date(5), r: /x/g, m: new Map([[1, {}]]), s: new Set([1]),"
        " b: new Uint8Array([1, 2]), e: new RangeError('m'), n: [1, , 3]}; o.self = o;"
        "const c = structuredClone(o);"
        "return [c !== o, c.self === c, c.d.getTime(), c.r.flags, c.m.get(1) !== o.m.get(1),"
        " c.s.has(1), [...c.b], c.e instanceof RangeError, c.e.message, 1 in c.n]",
    )
    assert got == [True, True, 5, "g", True, True, [1, 2], True, "m", False]


@pytest.mark.parametrize("code", ["() => 1", "Symbol()", "Promise.resolve()", "new WeakMap()"])
def test_what_cannot_be_cloned_throws_data_clone_error(evaluator, code: str) -> None:
    got = value(evaluator, f"try {{ structuredClone({code}) }} catch (e) {{ return e.name }}")
    assert got == "DataCloneError"


def test_transfer_detaches_the_buffer(evaluator) -> None:
    got = value(
        evaluator,
        "const b = new Uint8Array([1, 2]).buffer; const c = structuredClone(b, {transfer: [b]});"
        "return [b.byteLength, c.byteLength]",
    )
    assert got == [0, 2]
