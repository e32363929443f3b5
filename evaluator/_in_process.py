"""`Evaluator`: the in-process entry point for test harnesses and embedding applications."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping
from types import TracebackType
from typing import Any

from pydantic import ValidationError

from evaluator._cancellation import Cancellation
from evaluator._engine import Engine
from evaluator.capabilities import default_capabilities
from evaluator.capabilities.libraries import LibraryStore
from evaluator.errors import JsevalError, RequestRejected
from evaluator.models import EvaluationRequest, EvaluationResult, check_request
from evaluator.settings import Settings

__all__ = ["Evaluator"]

logger = logging.getLogger("jseval.evaluator")


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

    Installed libraries (SPEC section 9) are offered only from a store given here: the
    service's (`evaluator.libraries.SqlLibraryStore.open(settings)`, the same database as
    `jseval serve`) or a `MemoryLibraryStore`. Without one, an Evaluator offers the built-in
    libraries only and reads no data directory: what code gives does not depend on where
    the process runs. With one, the store's version is checked before each evaluation (one
    small query), so an install is seen by the next evaluation; if the store cannot answer,
    the libraries offered last stay (logged).

    Args:
        settings: limits and fetch policy; `Settings()` (the environment) by default.
        pool_size: sandboxes kept prepared; `settings.pool_size` by default.
        libraries: where installed libraries come from; none by default.
    """

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        pool_size: int | None = None,
        libraries: LibraryStore | None = None,
    ) -> None:
        self.settings = settings or Settings()
        self._engine = Engine(
            self.settings, default_capabilities(self.settings), pool_size=pool_size
        )
        self._libraries = libraries
        self._sync_libraries()
        self._engine.start()

    def _sync_libraries(self) -> None:
        if self._libraries is None:
            return
        try:
            self._engine.libraries.sync(self._libraries)
        except JsevalError as exc:  # the store is down: keep what was offered
            logger.warning("installed libraries not refreshed: %s", type(exc).__name__)

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
        self._sync_libraries()
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
        self._sync_libraries()
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
