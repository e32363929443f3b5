"""The service seam: what the HTTP API (or any long-running host) needs from the engine.

`EvaluationService` is the interface `api/` programs against. Two implementations:

- `LocalService`: evaluations on threads of this process (the in-process engine, its warm pool);
  for development, tests and `JSEVAL_WORKERS=0`. A V8 crash here takes the process down.
- `WorkerPool` (evaluator/_worker_pool.py): worker processes under a supervisor, so nothing a
  sandbox does can take the service down. The default for `jseval serve`.

Both bound the number of evaluations waiting (`ServiceBusy` past `max_queue`), refuse work while
starting or draining (`ServiceUnavailable`), and never raise for a JavaScript failure.

Cancellation is asyncio's: cancelling the task that awaits `evaluate()` or `evaluate_batch()`
(the API does when its HTTP client disconnects, SPEC section 6) cancels the evaluations. One
still queued is dropped; one running has its sandbox stopped at once, and its slot is free as
soon as the sandbox is. Both count in `ServiceStats.cancelled`.

Installed libraries (SPEC section 9) are pushed to a service, never pulled by it: whoever holds
the data store (the API process) calls `set_libraries()` with what it holds, and
`check_library()` to run a bundle's install check where evaluations run (a worker process for
`WorkerPool`): the service itself holds no database connection or credential.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from evaluator._cancellation import Cancellation
from evaluator._engine import Engine
from evaluator.capabilities import HostCapability, default_capabilities
from evaluator.capabilities.libraries import InstalledLibrary, check_library
from evaluator.errors import ServiceBusy, ServiceUnavailable
from evaluator.models import EvaluationRequest, EvaluationResult
from evaluator.settings import Settings

__all__ = ["EvaluationService", "LocalService", "ServiceStats"]


@dataclass(frozen=True, slots=True)
class ServiceStats:
    """A snapshot for /readyz and /metrics."""

    queued: int
    running: int
    capacity: int
    warm_sandboxes: int
    workers_alive: int
    workers_total: int
    cancelled: int = 0  # evaluations cancelled since start (their caller went away)
    # (reason, signal, count) per kind of worker death since start (WorkerPool only).
    worker_crashes: tuple[tuple[str, str, int], ...] = ()
    # Evaluations run again after their worker died under them.
    evaluations_rerun: int = 0


@runtime_checkable
class EvaluationService(Protocol):
    """What the API needs: start, evaluate with backpressure, report, drain."""

    async def start(self) -> None:
        """Prepare (warm sandboxes, start workers); returns once `ready()` may be true."""

    def ready(self) -> bool:
        """Every worker has its warm pool and the service is not draining."""

    def stats(self) -> ServiceStats: ...

    async def evaluate(self, request: EvaluationRequest) -> EvaluationResult:
        """Run one checked request. Raises ServiceBusy (queue full) or ServiceUnavailable.

        Cancelling the awaiting task cancels the evaluation (queued: dropped; running: its
        sandbox stopped and its slot freed)."""

    async def evaluate_batch(self, requests: Sequence[EvaluationRequest]) -> list[EvaluationResult]:
        """Run several, concurrently where possible; results in order. Admitted as one unit.

        Cancelling the awaiting task cancels every evaluation of the batch not yet finished."""

    async def aclose(self, grace_s: float = 10.0) -> None:
        """Stop taking work, let in-flight evaluations finish (up to `grace_s`), release all."""

    def set_libraries(self, libraries: Sequence[InstalledLibrary]) -> None:
        """Offer exactly these installed libraries to evaluations that start from now on."""

    async def check_library(
        self, name: str, source: str, version: str | None = None
    ) -> InstalledLibrary:
        """Run the install check of a bundle (SPEC section 9) against the libraries set now,
        where evaluations run; the library to store, or LibraryRefused with the reason."""


class LocalService:
    """Evaluations on a bounded set of threads in this process.

    `capacity` evaluations run at once (default: `settings.workers * settings.worker_concurrency`);
    up to `settings.max_queue` more wait, FIFO; past that, `ServiceBusy`.
    """

    def __init__(
        self,
        settings: Settings,
        capabilities: Sequence[HostCapability] | None = None,
        capacity: int | None = None,
    ) -> None:
        self.settings = settings
        if capabilities is None:  # the same as Evaluator's and the workers' (fetch)
            capabilities = default_capabilities(settings)
        self._engine = Engine(settings, capabilities)
        self._capacity = capacity or max(1, settings.workers * settings.worker_concurrency)
        self._slots: asyncio.Semaphore | None = None
        self._waiting = 0
        self._running = 0
        self._cancelled = 0
        self._executor = ThreadPoolExecutor(self._capacity, thread_name_prefix="jseval-eval")
        self._started = False
        self._draining = False

    async def start(self) -> None:
        self._slots = asyncio.Semaphore(self._capacity)
        self._engine.start()
        await asyncio.to_thread(self._engine.pool.wait_warm, 10.0)
        self._started = True

    def ready(self) -> bool:
        return self._started and not self._draining

    def stats(self) -> ServiceStats:
        return ServiceStats(
            queued=self._waiting,
            running=self._running,
            capacity=self._capacity,
            warm_sandboxes=self._engine.pool.warm,
            workers_alive=1 if self._started else 0,
            workers_total=1,
            cancelled=self._cancelled,
        )

    def _admit(self, count: int) -> None:
        if not self._started or self._draining or self._slots is None:
            raise ServiceUnavailable()
        free = self._capacity - self._running
        if self._waiting + count - max(0, free) > self.settings.max_queue:
            raise ServiceBusy(retry_after_s=1)

    async def _run(self, request: EvaluationRequest) -> EvaluationResult:
        slots = self._slots
        assert slots is not None
        queued_at = time.monotonic()
        self._waiting += 1
        try:
            await slots.acquire()
        except asyncio.CancelledError:  # dropped while it waited: it never took a slot
            self._cancelled += 1
            raise
        finally:
            self._waiting -= 1
        self._running += 1

        def release(finished: asyncio.Future[EvaluationResult] | None = None) -> None:
            if finished is not None and not finished.cancelled():
                finished.exception()  # retrieved here: its caller is gone
            self._running -= 1
            slots.release()

        cancellation = Cancellation()
        queue_ms = (time.monotonic() - queued_at) * 1000
        loop = asyncio.get_running_loop()
        running = loop.run_in_executor(
            self._executor, self._engine.run, request, queue_ms, cancellation
        )
        try:
            # Shielded: a cancelled caller must not cancel the thread's future, whose end is
            # the moment the slot is really free again.
            result = await asyncio.shield(running)
        except asyncio.CancelledError:
            if running.done():
                release()
            else:
                cancellation.cancel()
                self._cancelled += 1
                running.add_done_callback(release)
            raise
        except BaseException:
            release()
            raise
        release()
        return result

    async def evaluate(self, request: EvaluationRequest) -> EvaluationResult:
        self._admit(1)
        return await self._run(request)

    async def evaluate_batch(self, requests: Sequence[EvaluationRequest]) -> list[EvaluationResult]:
        self._admit(len(requests))
        return list(await asyncio.gather(*(self._run(r) for r in requests)))

    def set_libraries(self, libraries: Sequence[InstalledLibrary]) -> None:
        self._engine.libraries.set_installed(libraries)

    async def check_library(
        self, name: str, source: str, version: str | None = None
    ) -> InstalledLibrary:
        # In this process, like its evaluations (LocalService is for development).
        return await asyncio.to_thread(
            check_library,
            name,
            source,
            self.settings,
            version=version,
            installed=self._engine.libraries.installed(),
        )

    async def aclose(self, grace_s: float = 10.0) -> None:
        self._draining = True
        deadline = time.monotonic() + grace_s
        while (self._running or self._waiting) and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        await asyncio.to_thread(self._engine.close)
        self._executor.shutdown(wait=False)
