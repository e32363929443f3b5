"""Result assembly on its own (`_result.py`): pure functions of what the sandbox reported."""

from __future__ import annotations

from evaluator._output_cap import OutputLimits
from evaluator._result import apply_store_ops, assemble, failed_result
from evaluator._sandbox import RunOutcome
from evaluator.errors import EvaluationTimeout, SandboxFailure
from evaluator.models import EvaluationRequest

LIMITS = OutputLimits(max_result_bytes=1 << 20, max_output_bytes=2 << 20)


def test_store_ops_apply_in_order_to_a_copy() -> None:
    initial = {"a": 1, "b": 2}
    ops = [
        {"op": "set", "key": "c", "value": 3},
        {"op": "remove", "key": "a"},
        {"op": "clear"},
        {"op": "set", "key": "d", "value": None},
    ]
    assert apply_store_ops(initial, ops) == {"d": None}
    assert initial == {"a": 1, "b": 2}


def test_a_successful_outcome_becomes_a_result() -> None:
    request = EvaluationRequest(code="x", store={"k": 1})
    outcome = RunOutcome(ok=True, result={"v": 1}, result_type="object")
    outcome.store_ops.append({"op": "set", "key": "n", "value": 2, "persist": True})
    result = assemble(request, outcome, wall_ms=1.23456, queue_ms=0.5, limits=LIMITS)
    assert result.ok and result.result == {"v": 1} and result.error is None
    assert result.store == {"k": 1, "n": 2}
    assert result.stats.wall_ms == 1.235 and result.stats.queue_ms == 0.5


def test_a_failure_carries_its_kind_and_no_result() -> None:
    outcome = RunOutcome(ok=True, result=1, failure=EvaluationTimeout("too slow"))
    result = assemble(EvaluationRequest(code="x"), outcome, 1.0, 0.0, LIMITS)
    assert not result.ok and result.result is None
    assert result.error is not None and result.error.kind == "timeout"


def test_capability_records_go_to_their_field_and_never_over_a_core_one() -> None:
    record = {"method": "GET", "url": "http://a/", "status": 200, "duration_ms": 1.0, "error": None}
    outcome = RunOutcome(ok=True, result=1, records={"fetches": [record], "ok": [False]})
    result = assemble(EvaluationRequest(code="x"), outcome, 1.0, 0.0, LIMITS)
    assert result.ok
    assert [r.url for r in result.fetches] == ["http://a/"]


def test_a_report_of_the_wrong_shape_is_a_sandbox_failure_not_an_exception() -> None:
    outcome = RunOutcome(ok=True, result=1, records={"fetches": [{"method": 7}]})
    result = assemble(EvaluationRequest(code="x"), outcome, 1.0, 0.0, LIMITS)
    assert not result.ok and result.error is not None
    assert result.error.kind == SandboxFailure.kind
    assert "malformed" in result.error.message


def test_an_outcome_without_a_result_or_failure_is_a_sandbox_failure() -> None:
    result = assemble(EvaluationRequest(code="x"), RunOutcome(), 1.0, 0.0, LIMITS)
    assert not result.ok and result.error is not None and result.error.kind == SandboxFailure.kind


def test_the_result_cap_counts_utf8_bytes() -> None:
    """The sandbox's encoder counts UTF-16 units; a non-ASCII result under the cap in units but
    past it in bytes is refused here (limits of bytes, as the answer spends them)."""
    limits = OutputLimits(max_result_bytes=1000, max_output_bytes=512 * 1024)
    fits = assemble(EvaluationRequest(code="x"), RunOutcome(ok=True, result="é" * 498), 1.0, 0.0,
                    limits)
    assert fits.ok
    outcome = RunOutcome(ok=True, result="é" * 600)  # 600 units, 1202 bytes as JSON
    result = assemble(EvaluationRequest(code="x"), outcome, 1.0, 0.0, limits)
    assert not result.ok and result.error is not None and result.error.kind == "limit"
    assert result.error.message == "the result is larger than 1000 bytes"


def test_the_echoed_store_is_well_formed() -> None:
    request = EvaluationRequest(code="x", store={"k": "a\udc00"})
    result = assemble(request, RunOutcome(ok=True, result=1), 1.0, 0.0, LIMITS)
    assert result.store == {"k": "a\ufffd"}


def test_failed_result_needs_no_sandbox() -> None:
    result = failed_result(SandboxFailure("no sandbox"), 2.0, 1.0)
    assert not result.ok and result.error is not None and result.error.message == "no sandbox"
    assert result.logs == [] and result.fetches == []
