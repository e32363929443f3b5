"""429 when the evaluation queue is full, 503 while the service starts or drains.

Admission is the service's decision (`EvaluationService.evaluate` raises `ServiceBusy` or
`ServiceUnavailable`), taken after the request was validated, which gives the documented order
(422 before 429 before 503) without this middleware knowing anything about requests. This
middleware is the one place those two exceptions become HTTP answers, for every endpoint.
"""

from __future__ import annotations

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from evaluator import ServiceBusy, ServiceUnavailable

__all__ = ["BackpressureMiddleware"]


class BackpressureMiddleware:
    """Answer `ServiceBusy` with 429 + `Retry-After`, `ServiceUnavailable` with 503."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except ServiceBusy as exc:
            if started:
                raise
            response = JSONResponse(
                {"detail": "Too many evaluations waiting; retry later"},
                status_code=429,
                headers={"Retry-After": str(max(1, exc.retry_after_s))},
            )
            await response(scope, receive, send)
        except ServiceUnavailable:
            if started:
                raise
            response = JSONResponse(
                {"detail": "Service unavailable: starting or shutting down"},
                status_code=503,
                headers={"Retry-After": "1"},
            )
            await response(scope, receive, send)
