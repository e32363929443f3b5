"""`Evaluator`: the in-process entry point for test harnesses and embedding applications."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from types import TracebackType
from typing import Any

from pydantic import ValidationError

from evaluator._cancellation import Cancellation
from evaluator._engine import Engine
from evaluator.capabilities import default_capabilities
from evaluator.errors import RequestRejected
from evaluator.models import EvaluationRequest, EvaluationResult, check_request
from evaluator.settings import Settings

__all__ = ["Evaluator"]


class Evaluator:
    """Evaluate JavaScript in fresh V8 sandboxes, in this process.

    Usage:
        with Evaluator() as evaluator:
            result = evaluator.evaluate(EvaluationRequest(code="1 + 1"))
            assert result.result == 2

    `evaluate()` blocks the calling thread for at most the request's `timeout_ms` (plus a few
    milliseconds); `aevaluate()` runs it on a worker thread, so an asyncio loop is never blocked
    by a sandbox. Both return a result for every evaluation that was carried out, whether the
    JavaScript succeeded or not; they raise only `RequestRejected` for an invalid request.
    Thread-safe: concurrent calls each get their own sandbox.

    Args:
        settings: limits and fetch policy; `Settings()` (the environment) by default.
        pool_size: sandboxes kept prepared; `settings.pool_size` by default.
    """

    def __init__(self, settings: Settings | None = None, *, pool_size: int | None = None) -> None:
        self.settings = settings or Settings()
        self._engine = Engine(
            self.settings, default_capabilities(self.settings), pool_size=pool_size
        )
        self._engine.start()

    def validate(self, request: EvaluationRequest | Mapping[str, Any]) -> EvaluationRequest:
        """The request as a checked `EvaluationRequest`; `RequestRejected` if it is invalid."""
        try:
            checked = (
                request
                if isinstance(request, EvaluationRequest)
                else EvaluationRequest.model_validate(request)
            )
        except ValidationError as exc:
            raise RequestRejected(
                [
                    {"type": e["type"], "loc": ["body", *e["loc"]], "msg": e["msg"]}
                    for e in exc.errors(include_url=False, include_input=False)
                ]
            ) from None
        check_request(checked, self.settings)
        return checked

    def evaluate(self, request: EvaluationRequest | Mapping[str, Any]) -> EvaluationResult:
        """Run one evaluation and return its result (never raises for JavaScript failures)."""
        checked = self.validate(request)
        return self._engine.run(checked)

    async def aevaluate(self, request: EvaluationRequest | Mapping[str, Any]) -> EvaluationResult:
        """`evaluate()` on a worker thread, for asyncio callers. Cancelling the awaiting task
        stops the evaluation's sandbox at once."""
        checked = self.validate(request)
        queued = time.monotonic()
        cancellation = Cancellation()
        try:
            return await asyncio.to_thread(self._run_queued, checked, queued, cancellation)
        except asyncio.CancelledError:
            cancellation.cancel()
            raise

    def _run_queued(
        self, request: EvaluationRequest, queued: float, cancellation: Cancellation
    ) -> EvaluationResult:
        return self._engine.run(request, (time.monotonic() - queued) * 1000, cancellation)

    def close(self) -> None:
        """Close the warm pool's sandboxes."""
        self._engine.close()

    def __enter__(self) -> Evaluator:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<Evaluator pool_size={self._engine.pool.size}>"
