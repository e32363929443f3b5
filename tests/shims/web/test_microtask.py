"""shims/web/47_microtask.js: queueMicrotask."""

from __future__ import annotations

from tests.support import call, value


def test_callbacks_run_in_order_after_the_current_job(evaluator) -> None:
    got = value(
        evaluator,
        "const seen = []; queueMicrotask(() => seen.push(1)); Promise.resolve().then(() => seen.push(2));"
        "queueMicrotask(() => seen.push(3)); seen.push(0); await null; await null; return seen",
    )
    assert got == [0, 1, 2, 3]


def test_a_throwing_callback_is_reported_and_the_evaluation_goes_on(evaluator) -> None:
    result = call(evaluator, "queueMicrotask(() => { throw new Error('boom') }); await null; return 1")
    assert result.ok and result.result == 1
    assert [entry.text for entry in result.logs] == ["Uncaught Error: boom"]


def test_a_callback_is_required(evaluator) -> None:
    assert value(evaluator, "try { queueMicrotask(1) } catch (e) { return e.name }") == "TypeError"
