"""The service's life in the app: starting in the background, ready, draining, stopped.

Why a separate object: the lifespan (app startup/shutdown) and the server's signal handling
(api/server.py) both need to drain the same service exactly once. `begin_drain()` is idempotent
and returns the one drain task, so whichever comes first starts it and the other awaits it.

The service starts in the background rather than inside the lifespan's startup, so the server
accepts connections at once: `/healthz` answers while sandboxes warm, `/readyz` says 503
("starting") until they are, and evaluations get 503 meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Literal

from evaluator import EvaluationService

__all__ = ["Phase", "ServiceLifecycle"]

logger = logging.getLogger("jseval.api")

Phase = Literal["starting", "ready", "draining", "stopped", "failed"]


class ServiceLifecycle:
    """Starts and drains one `EvaluationService`; reports the phase for `/readyz`."""

    def __init__(self, service: EvaluationService, grace_s: float) -> None:
        self.service = service
        self.grace_s = grace_s
        self._start_task: asyncio.Task[None] | None = None
        self._drain_task: asyncio.Task[None] | None = None
        self._failed = False

    def start(self) -> None:
        """Start the service in the background (idempotent); call from the app's event loop."""
        if self._start_task is None:
            self._start_task = asyncio.create_task(self._start(), name="jseval-start")

    async def _start(self) -> None:
        try:
            await self.service.start()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # reported by /healthz; the type is enough to log
            self._failed = True
            logger.error("service failed to start: %s", type(exc).__name__)
            return
        logger.info("service ready")

    @property
    def phase(self) -> Phase:
        if self._drain_task is not None:
            return "stopped" if self._drain_task.done() else "draining"
        if self._failed:
            return "failed"
        return "ready" if self.service.ready() else "starting"

    def begin_drain(self) -> asyncio.Task[None]:
        """Refuse new evaluations from now on, let in-flight ones finish; the one drain task."""
        if self._drain_task is None:
            self._drain_task = asyncio.create_task(self._drain(), name="jseval-drain")
        return self._drain_task

    async def _drain(self) -> None:
        logger.info("draining: in-flight evaluations get up to %.1f s", self.grace_s)
        if self._start_task is not None and not self._start_task.done():
            self._start_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._start_task
        try:
            await self.service.aclose(self.grace_s)
        except Exception as exc:  # the server stops anyway; a message could quote request data
            logger.error("service failed to close: %s", type(exc).__name__)
            return
        logger.info("drained")

    async def shutdown(self) -> None:
        """Drain (if nobody started to yet) and wait for it to end."""
        await self.begin_drain()
