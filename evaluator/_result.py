"""An evaluation's result (`EvaluationResult`), shaped from what the sandbox reported.

`assemble()` validates the driver's `RunOutcome` into an `EvaluationResult` held to the output
caps (`_output_cap.py`); `failed_result()` builds the answer for an evaluation that never produced
an outcome (no sandbox, a dead worker). Both are pure functions of their inputs: no sandbox.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from evaluator._json import well_formed
from evaluator._output_cap import OutputLimits, encoded_size, fit_answer
from evaluator._sandbox import RunOutcome
from evaluator.errors import EvaluationFailed, OutputLimitExceeded, SandboxFailure
from evaluator.models import EvaluationRequest, EvaluationResult

__all__ = ["apply_store_ops", "assemble", "error_info", "failed_result"]


def apply_store_ops(initial: dict[str, Any], ops: list[dict[str, Any]]) -> dict[str, Any]:
    """The final store: the initial one with every recorded change applied, in order."""
    store = dict(initial)
    for op in ops:
        kind = op.get("op")
        if kind == "set":
            store[op["key"]] = op.get("value")
        elif kind == "remove":
            store.pop(op["key"], None)
        elif kind == "clear":
            store.clear()
    return store


def error_info(failure: EvaluationFailed) -> dict[str, Any]:
    return {
        "kind": failure.kind,
        "name": failure.name,
        "message": failure.message,
        "line": failure.line,
        "column": failure.column,
        "stack": failure.stack,
    }


def assemble(
    request: EvaluationRequest,
    outcome: RunOutcome,
    wall_ms: float,
    queue_ms: float,
    limits: OutputLimits,
) -> EvaluationResult:
    """Validate what the sandbox reported and shape it as an `EvaluationResult`, within the
    output caps."""
    ok = outcome.ok and outcome.failure is None
    if ok and encoded_size(outcome.result) > limits.max_result_bytes:
        # The sandbox's encoder counts UTF-16 units; SPEC's cap is in bytes of the answer, which
        # are more for non-ASCII text (up to 3 per unit). The encoder refused every result past
        # the cap in units; this refuses the rest.
        ok = False
        outcome.failure = OutputLimitExceeded(
            f"the result is larger than {limits.max_result_bytes} bytes", name="RangeError"
        )
    initial_store = well_formed(request.store)
    data: dict[str, Any] = {
        # The capabilities' records first (`fetches`, ...): the fields below always win.
        **outcome.records,
        "ok": ok,
        "result": outcome.result if ok else None,
        "result_type": outcome.result_type if ok else None,
        "error": None if ok or outcome.failure is None else error_info(outcome.failure),
        "logs": outcome.logs,
        "logs_truncated": outcome.logs_truncated,
        "actions": outcome.actions,
        "store": apply_store_ops(initial_store, outcome.store_ops),
        "store_ops": outcome.store_ops,
        "timers": {"pending": outcome.timers},
        "stats": {"wall_ms": round(wall_ms, 3), "queue_ms": round(queue_ms, 3)},
    }
    if not ok and outcome.failure is None:
        data["error"] = error_info(SandboxFailure("the sandbox ended without a result"))
    try:
        return EvaluationResult.model_validate(
            fit_answer(data, limits.max_output_bytes, initial_store)
        )
    except (ValidationError, KeyError, TypeError):
        # The sandbox's report did not have the promised shape: never expected, never a 500.
        malformed = SandboxFailure("the sandbox sent a malformed report")
        return failed_result(malformed, wall_ms, queue_ms)


def failed_result(failure: EvaluationFailed, wall_ms: float, queue_ms: float) -> EvaluationResult:
    return EvaluationResult(
        ok=False,
        error=error_info(failure),  # type: ignore[arg-type]
        stats={"wall_ms": round(wall_ms, 3), "queue_ms": round(queue_ms, 3)},  # type: ignore[arg-type]
    )
