"""One evaluation, request to result, in this process: the part every front end shares.

`Engine.run()` takes a validated request, a sandbox from the pool and the host capabilities,
drives the sandbox and turns what it reported into an `EvaluationResult`. The in-process
`Evaluator` calls it directly; worker processes call it for the service.
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
from collections.abc import Callable, Sequence
from typing import Any

from evaluator._cancellation import Cancellation
from evaluator._first_use import announce_first_use
from evaluator._output_cap import OutputLimits
from evaluator._result import assemble, failed_result
from evaluator._sandbox import RunOutcome, SandboxConfig
from evaluator._sandbox_pool import SandboxPool
from evaluator.capabilities import HostCapability
from evaluator.capabilities.libraries import LibraryCatalog
from evaluator.errors import SandboxFailure
from evaluator.models import EvaluationRequest, EvaluationResult
from evaluator.settings import Settings

__all__ = ["Engine"]

logger = logging.getLogger("jseval.engine")

_MIB = 1024 * 1024
_CANCELLED = SandboxFailure("the evaluation was cancelled")


def crypto_key(random_seed: int | None) -> str:
    """The 256-bit key of the sandbox's crypto: from the seed when set, else from the OS."""
    if random_seed is None:
        return os.urandom(32).hex()
    return hashlib.sha256(b"jseval crypto seed\0" + str(random_seed).encode()).hexdigest()


def start_message(
    request: EvaluationRequest,
    settings: Settings,
    memory_bytes: int,
    libraries: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    return {
        "op": "start",
        "code": request.code,
        "mode": request.mode,
        "args": request.args,
        "globals": request.globals,
        "store": request.store,
        "appsmith": {k: v for k, v in request.appsmith.items() if k != "store"},
        "wait_for_timers": request.wait_for_timers,
        "clock": request.clock,
        "now_ms": request.now_ms,
        "random_seed": None if request.random_seed is None else str(request.random_seed),
        "fetch": request.fetch,
        "crypto_key": crypto_key(request.random_seed),
        "libraries": libraries or [],
        "limits": {
            "max_result_bytes": settings.max_result_bytes,
            "max_output_bytes": settings.max_output_bytes,
            "max_log_entries": settings.max_log_entries,
            "max_log_bytes": settings.max_log_bytes,
            "max_timers": settings.max_timers,
            "memory_bytes": memory_bytes,
            "fetch_max_requests": settings.fetch_max_requests,
        },
    }


class Engine:
    """Runs evaluations in this process, on sandboxes from its own warm pool."""

    def __init__(
        self,
        settings: Settings,
        capabilities: Sequence[HostCapability] = (),
        pool_size: int | None = None,
        libraries: LibraryCatalog | None = None,
    ) -> None:
        self.settings = settings
        self.capabilities = tuple(capabilities)
        self.libraries = libraries or LibraryCatalog()
        self.libraries.warm()
        self.output_limits = OutputLimits(settings.max_result_bytes, settings.max_output_bytes)
        self.pool = SandboxPool(
            settings.pool_size if pool_size is None else pool_size,
            SandboxConfig(
                allow_wasm=settings.allow_wasm, libraries=LibraryCatalog.builtin_specs()
            ),
        )

    def start(self) -> None:
        self.pool.start()

    def close(self) -> None:
        self.pool.close()

    def run(
        self,
        request: EvaluationRequest,
        queue_ms: float = 0.0,
        cancellation: Cancellation | None = None,
        on_outbound: Callable[[], None] | None = None,
    ) -> EvaluationResult:
        """Evaluate `request` (already checked against the settings) and return its result.

        `cancellation`, when cancelled (from any thread), stops the evaluation at once; the
        result is then a failure for nobody (see evaluator/_cancellation.py). `on_outbound` is
        called once, before the evaluation's first request reaches a host capability (a worker
        tells its supervisor: such an evaluation is never run twice).
        """
        settings = self.settings
        started = time.monotonic()
        timeout_ms = request.timeout_ms or settings.default_timeout_ms
        memory_bytes = (request.memory_mb or settings.default_memory_mb) * _MIB
        deadline = started + timeout_ms / 1000.0
        if cancellation is not None and cancellation.cancelled:
            return failed_result(_CANCELLED, 0.0, queue_ms)
        try:
            sandbox = self.pool.acquire()
        except Exception as exc:
            logger.error("could not prepare a sandbox: %s", type(exc).__name__)
            return failed_result(
                SandboxFailure("could not prepare a sandbox"),
                (time.monotonic() - started) * 1000,
                queue_ms,
            )
        if cancellation is not None and not cancellation.attach(sandbox):
            self.pool.discard(sandbox)
            return failed_result(_CANCELLED, (time.monotonic() - started) * 1000, queue_ms)
        offer = self.libraries.offer()  # this evaluation's libraries, whatever changes next
        capabilities: Sequence[HostCapability] = self.capabilities
        if on_outbound is not None:
            capabilities = announce_first_use(capabilities, on_outbound)
        try:
            outcome = sandbox.run(
                start_message(request, settings, memory_bytes, offer.installed_specs()),
                deadline,
                memory_bytes,
                capabilities,
                texts=offer,
            )
        except Exception as exc:
            # The type only: a message could quote user data.
            logger.error("sandbox driver failed: %s", type(exc).__name__)
            outcome = RunOutcome(failure=SandboxFailure("the sandbox failed"))
        finally:
            if cancellation is not None:
                cancellation.detach()
            self.pool.discard(sandbox)
        wall_ms = (time.monotonic() - started) * 1000
        return assemble(request, outcome, wall_ms, queue_ms, self.output_limits)
