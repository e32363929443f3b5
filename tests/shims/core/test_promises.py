"""Runtime-owned promises (shims/core/16_promises.js): what the conformance cases do not show.

The cases (evaluator/conformance/cases/rejections.json) hold the rules as a user meets them;
these tests hold the mechanism's edges: a flood of rejections, a promise frozen or stripped by
user code, `then` borrowed onto another promise, and an Error.prepareStackTrace hook that must
not be handed rejection reasons the user never held.
"""

from __future__ import annotations

from evaluator import Evaluator
from tests.support import call, value

UNCAUGHT = (
    "Uncaught (in promise) ActionValidationError: "
    "showAlert expected STRING for 'message' argument but received NUMBER"
)


def test_a_flood_of_unhandled_rejections_is_logged_up_to_the_cap(evaluator: Evaluator) -> None:
    result = call(evaluator, "for (let i = 0; i < 3000; i++) showAlert(i);\nreturn 'went on'",
                  timeout_ms=10000)
    assert result.ok, result.error
    assert result.result == "went on"
    assert len(result.logs) == 1000 and result.logs_truncated
    assert {entry.level for entry in result.logs} == {"error"}
    assert result.logs[0].text.endswith("received NUMBER")


def test_then_borrowed_onto_another_promise_is_the_intrinsic_then(evaluator: Evaluator) -> None:
    code = """
    const borrowed = showAlert('x').then;
    const plain = Promise.resolve(5);
    const derived = borrowed.call(plain, (v) => v * 2);
    let threw;
    try { borrowed.call({}, () => 1) } catch (e) { threw = e.name }
    return [await derived, Object.getOwnPropertyNames(derived).length, threw, borrowed.name, borrowed.length]
    """
    assert value(evaluator, code) == [10, 0, "TypeError", "then", 2]


def test_non_callable_handlers_pass_the_outcome_through(evaluator: Evaluator) -> None:
    code = "const v = await showAlert('x').then(5, 'no');\nshowAlert(1).then(undefined, 7);\nreturn v"
    result = call(evaluator, code)
    assert result.ok and result.result == []
    assert [entry.text for entry in result.logs] == [UNCAUGHT]


def test_a_frozen_promise_is_still_tracked(evaluator: Evaluator) -> None:
    code = """
    const a = Object.freeze(showAlert(1));
    const b = Object.freeze(showAlert(2));
    await b.catch(() => {});
    return Object.isFrozen(a)
    """
    result = call(evaluator, code)
    assert result.ok and result.result is True
    assert [entry.text for entry in result.logs] == [UNCAUGHT]


def test_a_replaced_then_loses_only_the_chain_report(evaluator: Evaluator) -> None:
    """`then` is as assignable as the inherited one it shadows; the promise itself is still
    marked handled through `constructor`, which cannot be replaced."""
    code = """
    const p = showAlert(1);
    p.then = Promise.prototype.then;
    const caught = await p.catch((e) => e.name);
    const q = showAlert(2);
    delete q.then;
    let strict;
    try { (() => { 'use strict'; q.constructor = Object })() } catch (e) { strict = e.name }
    await q.then(null, () => {});
    return [caught, strict, q.constructor === Promise]
    """
    result = call(evaluator, code)
    assert result.ok, result.error
    assert result.result == ["ActionValidationError", "TypeError", True]
    assert result.logs == []


def test_prepare_stack_trace_never_sees_a_reason_nobody_held(evaluator: Evaluator) -> None:
    """Reporting an unhandled rejection reads the reason's name and message, not its stack: a
    user Error.prepareStackTrace is not handed the runtime's error."""
    code = """
    const handed = [];
    Error.prepareStackTrace = (error, frames) => { handed.push(error.message); return 'formatted'; };
    showAlert(1);
    await new Promise((r) => setTimeout(r, 5));
    return handed
    """
    result = call(evaluator, code)
    assert result.ok, result.error
    assert result.result == []
    assert [entry.text for entry in result.logs] == [UNCAUGHT]
