"""POST /v1/evaluate and POST /v1/evaluate/batch: one request, one result (docs/API.md).

The request and result models are the evaluator's own (one definition). pydantic checks the
request's shape (422 from FastAPI), `check_request` its settings-dependent bounds (422 through the
`RequestRejected` handler in api/app.py); the service then admits it or raises `ServiceBusy` /
`ServiceUnavailable` (429 / 503, api/middleware/backpressure.py). Every evaluation carried out is a
200, `ok: false` included.

Results are serialized by pydantic-core straight to JSON bytes (`model_dump_json`) and returned as
a plain `Response`, skipping FastAPI's second validation and `jsonable_encoder` pass.

When the client disconnects before its answer, its evaluations are cancelled (api/disconnect.py)
and the route answers 499 (nginx's "client closed request") to nobody: that status and the kind
`cancelled` are what the access log and `jseval_http_responses` record of it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Body, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from api.dependencies import MetricsDep, ServiceDep, SettingsDep
from api.disconnect import unless_disconnected
from api.metrics import ApiMetrics
from api.middleware.access_log import access_record
from api.openapi import BATCH_EXAMPLES, ERROR_RESPONSES, EVALUATE_EXAMPLES, RESULT_EXAMPLE
from evaluator import (
    ErrorInfo,
    EvaluationFailed,
    EvaluationRequest,
    EvaluationResult,
    RequestRejected,
    ServiceBusy,
    ServiceUnavailable,
    Settings,
    Stats,
    check_request,
)

__all__ = ["BatchRequest", "BatchResult", "router"]

logger = logging.getLogger("jseval.api")

router = APIRouter(prefix="/v1", tags=["evaluate"])


class BatchRequest(BaseModel):
    """Several evaluations, each in its own fresh sandbox (at most `JSEVAL_MAX_BATCH`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    evaluations: list[EvaluationRequest] = Field(
        description="The evaluations, in order (at most `JSEVAL_MAX_BATCH`)."
    )


class BatchResult(BaseModel):
    """The results, in the order of the request's `evaluations`."""

    results: list[EvaluationResult] = Field(
        description="One result per evaluation, in the request's order."
    )


# The status of an answer nobody reads: the client closed the connection first (nginx's 499).
CLIENT_CLOSED_REQUEST = 499


def _json(body: bytes) -> Response:
    return Response(content=body, media_type="application/json")


def _cancelled(request: Request, count: int) -> Response:
    record = access_record(request.scope)
    if record is not None:
        for _ in range(count):
            record.add("cancelled", 0.0, 0.0)
    return Response(status_code=CLIENT_CLOSED_REQUEST)


def _failed(exc: Exception) -> EvaluationResult:
    """The result of an evaluation the service failed to carry out: never a 500."""
    if isinstance(exc, EvaluationFailed):  # the service should have made this a result itself
        error = ErrorInfo(kind=exc.kind, name=exc.name, message=exc.message)
    else:
        logger.error("service failed on an evaluation: %s", type(exc).__name__)
        error = ErrorInfo(kind="internal", name="InternalError", message="the sandbox failed")
    return EvaluationResult(ok=False, error=error, stats=Stats())


def _observe(request: Request, metrics: ApiMetrics, results: Sequence[EvaluationResult]) -> None:
    metrics.observe(results)
    record = access_record(request.scope)
    if record is not None:
        for result in results:
            kind = "ok" if result.ok or result.error is None else result.error.kind
            record.add(kind, result.stats.wall_ms, result.stats.queue_ms)


@router.post(
    "/evaluate",
    response_model=EvaluationResult,
    responses={
        200: {
            "description": "The evaluation was carried out, whether the JavaScript succeeded "
            "(`ok: true`) or failed (`ok: false` with `error`).",
            "content": {"application/json": {"example": RESULT_EXAMPLE}},
        },
        **ERROR_RESPONSES,
    },
    summary="Evaluate JavaScript in a fresh sandbox",
)
async def evaluate(
    body: Annotated[EvaluationRequest, Body(openapi_examples=EVALUATE_EXAMPLES)],
    request: Request,
    settings: SettingsDep,
    service: ServiceDep,
    metrics: MetricsDep,
) -> Response:
    """Run one evaluation. 200 whenever it was carried out, whether the JavaScript succeeded."""
    check_request(body, settings)
    try:
        answered, result = await unless_disconnected(request.receive, service.evaluate(body))
    except (ServiceBusy, ServiceUnavailable, RequestRejected):
        raise
    except Exception as exc:  # a sandbox failure is a result, never a 500
        answered, result = True, _failed(exc)
    if not answered or result is None:
        return _cancelled(request, 1)
    _observe(request, metrics, (result,))
    return _json(result.model_dump_json().encode())


@router.post(
    "/evaluate/batch",
    response_model=BatchResult,
    responses={
        200: {"description": "Every evaluation was carried out; results in order."},
        **ERROR_RESPONSES,
    },
    summary="Evaluate several requests concurrently, each in its own sandbox",
)
async def evaluate_batch(
    body: Annotated[BatchRequest, Body(openapi_examples=BATCH_EXAMPLES)],
    request: Request,
    settings: SettingsDep,
    service: ServiceDep,
    metrics: MetricsDep,
) -> Response:
    """Run every evaluation of the batch; results in the same order. Admitted as one unit."""
    _check_batch(body, settings)
    try:
        answered, given = await unless_disconnected(
            request.receive, service.evaluate_batch(body.evaluations)
        )
    except (ServiceBusy, ServiceUnavailable, RequestRejected):
        raise
    except Exception as exc:  # as in evaluate(): results, never a 500
        answered, given = True, [_failed(exc)] * len(body.evaluations)
    if not answered or given is None:
        return _cancelled(request, len(body.evaluations))
    results = given
    _observe(request, metrics, results)
    return _json(_batch_body(results))


def _batch_body(results: list[EvaluationResult]) -> bytes:
    """The batch answer's JSON. Each result is let go once written, so the process holds about
    one copy of the answer (at most max_batch x JSEVAL_MAX_OUTPUT_BYTES), not three."""
    body = bytearray(b'{"results":[')
    for index in range(len(results)):
        if index:
            body += b","
        body += results[index].__pydantic_serializer__.to_json(results[index])
        results[index] = None  # type: ignore[call-overload]
    body += b"]}"
    return bytes(body)


def _check_batch(body: BatchRequest, settings: Settings) -> None:
    """The batch size and every item's settings-dependent bounds, all errors at once."""
    errors: list[dict[str, Any]] = []
    count = len(body.evaluations)
    if count > settings.max_batch:
        errors.append(
            {
                "type": "too_long",
                "loc": ["body", "evaluations"],
                "msg": f"List should have at most {settings.max_batch} items, not {count}",
            }
        )
    for index, item in enumerate(body.evaluations):
        try:
            check_request(item, settings)
        except RequestRejected as exc:
            for error in exc.errors:
                loc = list(error.get("loc", ()))
                rest = loc[1:] if loc[:1] == ["body"] else loc
                errors.append({**error, "loc": ["body", "evaluations", index, *rest]})
    if errors:
        raise RequestRejected(errors)
