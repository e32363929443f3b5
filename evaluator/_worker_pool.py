"""`WorkerPool`: evaluations in worker processes, watched by a supervisor in the API process.

Why processes: a V8 fatal error, a segfault or memory past every limit ends a process, and the
API must survive all three (even a crash of V8 itself answers one request). Each worker
(`evaluator/_worker.py`) keeps its own warm pool and runs up to `worker_concurrency`
evaluations on threads; this module admits, queues, dispatches and answers for them.

- **Admission.** Up to `max_queue` evaluations may wait; past that `ServiceBusy`. A batch is
  admitted whole or refused whole. Starting or draining: `ServiceUnavailable`.
- **Dispatch.** One FIFO queue; the head goes to the worker with the fewest evaluations running
  (ties: more warm sandboxes, then the least recently used), whenever any worker has a free slot.
  Nothing waits while a slot is free.
- **Containment.** A worker is killed (SIGKILL) and replaced when it dies by itself, when its
  RSS passes `worker_max_rss_mb` (read from /proc every 25 ms), or when an evaluation outlives
  its budget plus `hard_deadline_grace_ms` (that one answers `timeout`). The in-process deadline
  normally ends an evaluation long before: the hard deadline is for JavaScript stuck where V8
  cannot terminate it (one long builtin call). An idle worker whose RSS stays past
  `worker_idle_rss_mb` once its evaluations ended (memory V8 or ICU did not give back) is
  replaced too. Replacements of a slot whose workers keep dying wait longer each time
  (`_worker_deaths.py`), and each death is one log line and one count in the metrics.
- **Innocent neighbours.** A worker that dies takes every evaluation on it, but only one ran the
  fatal code. A V8 abort says neither which isolate nor which thread, so the supervisor finds
  out by running again, each alone on an otherwise idle worker ("quarantine"), the evaluations
  that made no outbound request (`OUTBOUND` frame: those could repeat a POST): the culprit kills
  its worker again, alone, and answers `internal` (or `memory`, for the RSS limit); the others
  answer as if nothing had happened. None runs more than twice, and one alone on a worker that
  died by itself runs again too (the cause may have been outside it: a kill, the host's OOM
  killer); one alone on a worker killed past its RSS limit is the culprit at once. Evaluations
  beside one killed for its hard deadline are known innocent and simply run again. Why not a
  per-job progress marker instead: with `worker_concurrency` isolates running JavaScript at the
  same instant, "which job was running" has several answers; only running alone has one.
- **Cancellation.** Cancelling the task awaiting `evaluate()` (the API does when its client
  disconnects) cancels the job's future: a queued job is dropped; a running one gets a CANCEL
  frame, and its worker's slot is free when the worker answers (at once: the sandbox is
  stopped), or the worker is replaced if it does not within `hard_deadline_grace_ms`. A
  cancelled job is never run again.
- **Wire.** One Unix socket per worker, length-prefixed frames (`_wire.py`) read by an asyncio
  protocol: no reader thread, no pickles. The request goes as its JSON, the result comes back as
  the JSON the worker's engine produced.

- **Libraries.** `set_libraries()` sends the installed libraries (sources included) to every
  worker, and each new worker gets them before it reports ready; `check_library()` runs a
  bundle's install check in a worker like an evaluation (queued, watched, answered for). The
  API process never runs JavaScript, and workers never open the data store.

All state lives on the event loop's thread: no locks. `start()`, `evaluate()`, `aclose()`,
`check_library()` and `set_libraries()` (once started) must be called on the same loop.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import itertools
import logging
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Coroutine, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import orjson

from evaluator import _wire
from evaluator._result import failed_result
from evaluator._service import ServiceStats
from evaluator._worker_deaths import DeathReason, WorkerDeaths, exit_description
from evaluator.capabilities.libraries import (
    InstalledLibrary,
    LibraryRefused,
    is_library_global,
    validate_library_input,
)
from evaluator.errors import (
    EvaluationFailed,
    EvaluationTimeout,
    MemoryLimitExceeded,
    SandboxFailure,
    ServiceBusy,
    ServiceUnavailable,
)
from evaluator.models import EvaluationRequest, EvaluationResult
from evaluator.settings import Settings

__all__ = ["WorkerPool"]

logger = logging.getLogger("jseval.supervisor")

_MIB = 1024 * 1024
_RSS_CHECK_S = 0.025
_START_TIMEOUT_S = 60.0
_STOP_TIMEOUT_S = 3.0
# An idle worker past `worker_idle_rss_mb` this long (RSS checks in a row) is replaced.
_IDLE_HIGH_CHECKS = 40
_PAGE_SIZE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
_PACKAGE_ROOT = str(Path(__file__).resolve().parent.parent)

Reason = Literal["crash", "memory", "timeout", "shutdown", "recycle"]
# Runs of one evaluation at most: its own, and once more when its worker died under it.
_MAX_RUNS = 2


class _Job:
    """One admitted evaluation (or library check): its request bytes, its future (the answer
    JSON), its timings."""

    __slots__ = (
        "deadline",
        "dispatched_at",
        "future",
        "id",
        "kind",
        "outbound",
        "overdue",
        "payload",
        "queued_at",
        "runs",
        "timeout_s",
        "worker",
    )

    def __init__(
        self,
        job_id: int,
        payload: bytes,
        timeout_s: float,
        future: asyncio.Future[bytes],
        now: float,
        kind: int = _wire.EVAL,
    ) -> None:
        self.id = job_id
        self.kind = kind
        self.payload = payload
        self.timeout_s = timeout_s
        self.future = future
        self.queued_at = now
        self.dispatched_at = now
        self.worker: _Worker | None = None
        self.deadline: asyncio.TimerHandle | None = None
        self.overdue = False
        self.outbound = False  # it asked a host capability for something: never run again
        self.runs = 0

    def answer(self, payload: bytes) -> None:
        if self.deadline is not None:
            self.deadline.cancel()
        self.payload = b""
        if not self.future.done():
            self.future.set_result(payload)


class _Protocol(asyncio.Protocol):
    """Cuts the worker's byte stream into frames and hands them to the supervisor."""

    def __init__(self, pool: WorkerPool, worker: _Worker) -> None:
        self._pool = pool
        self._worker = worker
        self._buffer = bytearray()

    def data_received(self, data: bytes) -> None:
        buffer = self._buffer
        buffer += data
        header_size = _wire.HEADER.size
        while len(buffer) >= header_size:
            length, kind, job_id, _number, count = _wire.HEADER.unpack_from(buffer)
            end = header_size + length
            if len(buffer) < end:
                return
            payload = bytes(buffer[header_size:end])
            del buffer[:end]
            self._pool._on_frame(self._worker, kind, job_id, count, payload)

    def connection_lost(self, exc: Exception | None) -> None:
        self._pool._on_lost(self._worker)


# What a worker may see of the API process's environment. Workers get their settings over the
# socket (SETTINGS frame), so they need no JSEVAL_* variable; everything else (API keys, cloud
# credentials, database URLs) stays out of reach of code that escapes V8 and reads
# /proc/self/environ.
_WORKER_ENV_NAMES = frozenset(
    {"PATH", "LANG", "LANGUAGE", "TZ", "TMPDIR", "HOME", "VIRTUAL_ENV", "SSL_CERT_FILE",
     "SSL_CERT_DIR", "PYTHONHASHSEED", "PYTHONUTF8", "PYTHONIOENCODING"}
)


def worker_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """The allow-listed environment a worker starts with (plus PYTHONPATH to find jseval)."""
    env = {
        name: value
        for name, value in environ.items()
        if name in _WORKER_ENV_NAMES or name.startswith("LC_")
    }
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (_PACKAGE_ROOT, environ.get("PYTHONPATH", "")) if p
    )
    return env


class _Worker:
    """The supervisor's view of one worker process."""

    def __init__(self, slot: int, proc: subprocess.Popen[bytes]) -> None:
        self.slot = slot
        self.proc = proc
        self.pid = proc.pid
        self.transport: asyncio.Transport | None = None
        self.state: Literal["starting", "ready", "recycling", "stopping", "retired"] = "starting"
        self.inflight: dict[int, _Job] = {}
        self.warm = 0
        self.last_used = 0
        self.kill_reason: Reason | None = None
        self.kill_detail = ""
        self.ready = asyncio.get_running_loop().create_future()
        self.spawned_at = asyncio.get_running_loop().time()
        self.exclusive = False  # running one evaluation in quarantine: nothing else is sent
        self.reserved = False  # left to drain, so that it can run one in quarantine
        self.evaluated = 0  # evaluations answered since it started
        self.idle_high = 0  # RSS checks in a row that found it idle past worker_idle_rss_mb

    def send(self, data: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(data)

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)


def _read_rss(pid: int) -> int | None:
    """Resident set size of `pid` in bytes, from /proc; None if it is gone."""
    try:
        with open(f"/proc/{pid}/statm", "rb") as handle:
            return int(handle.read().split()[1]) * _PAGE_SIZE
    except (OSError, ValueError, IndexError):
        return None


def _failure_json(failure: EvaluationFailed, job: _Job, now: float) -> bytes:
    """The result of an evaluation its worker could not finish, as the worker would send it."""
    result = failed_result(
        failure,
        (now - job.dispatched_at) * 1000,
        (job.dispatched_at - job.queued_at) * 1000,
    )
    return result.__pydantic_serializer__.to_json(result)


_CRASHED = SandboxFailure("the worker process running the evaluation stopped unexpectedly")
_CULPRIT = SandboxFailure(
    "the evaluation stopped the worker process running it, again when run alone"
)
_COLLATERAL = SandboxFailure("the worker process running the evaluation was restarted")
_SHUT_DOWN = SandboxFailure("the service shut down before the evaluation ended")
_RSS_EXCEEDED = MemoryLimitExceeded(
    "the worker process went past its memory limit", name="RangeError"
)
_HARD_TIMEOUT = EvaluationTimeout("the evaluation ran past its time budget")

# What a library check answers when its worker could not finish it (by retirement reason).
_CHECK_FAILURES: dict[Reason, str] = {
    "crash": "the worker process checking the bundle stopped unexpectedly",
    "memory": "the bundle went past the worker process's memory limit when it ran",
    "timeout": "the bundle did not finish within the check's time budget",
}
_CHECK_INTERRUPTED = "the check was interrupted (its worker process was restarted): try again"


def _check_failure_json(reason: Reason, overdue: bool) -> bytes:
    if reason in ("shutdown", "recycle") or (reason == "timeout" and not overdue):
        return orjson.dumps({"unavailable": _CHECK_INTERRUPTED})
    return orjson.dumps({"refused": _CHECK_FAILURES.get(reason, _CHECK_FAILURES["crash"])})


def _checked_library(
    name: str, source: str, version: str | None, answer: object
) -> InstalledLibrary:
    """The library a worker's CHECK answer describes, validated again here: the answer comes
    from a process that ran the bundle."""
    if isinstance(answer, dict) and isinstance(answer.get("refused"), str):
        raise LibraryRefused(answer["refused"][:1000])
    if isinstance(answer, dict) and isinstance(answer.get("unavailable"), str):
        raise ServiceUnavailable(answer["unavailable"])
    found = answer.get("library") if isinstance(answer, dict) else None
    globals_ = found.get("globals") if isinstance(found, dict) else None
    checked_version = found.get("version") if isinstance(found, dict) else None
    if (
        not isinstance(globals_, list)
        or not globals_
        or not isinstance(checked_version, str)
        or (version is not None and checked_version != version)
        or not all(isinstance(g, str) and is_library_global(g) for g in globals_)
    ):
        raise LibraryRefused("the check's answer was not valid")
    library = InstalledLibrary(name, checked_version, tuple(globals_), source)
    validate_library_input(name, source, checked_version)
    return library


class WorkerPool:
    """Worker processes under a supervisor: the default `EvaluationService` of `jseval serve`.

    `settings.workers` processes (default: one per core), each with `settings.pool_size` warm
    sandboxes and `settings.worker_concurrency` evaluations at once. See the module docstring
    for admission, dispatch and containment.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._slots: list[_Worker | None] = [None] * settings.workers
        self._queue: collections.deque[_Job] = collections.deque()
        # Evaluations to run again, each alone on a worker, after theirs died under them.
        self._quarantine: collections.deque[_Job] = collections.deque()
        self._ids = itertools.count(1)
        self._uses = itertools.count(1)
        self._started = False
        self._draining = False
        self._closed = False
        self._deaths = WorkerDeaths(settings.workers)
        self._tasks: set[asyncio.Task[Any]] = set()
        self._monitor: asyncio.Task[None] | None = None
        self._settings_json = settings.for_workers()  # no key, no master key, no database
        self._libraries_frame = _wire.frame(_wire.LIBRARIES, payload=_wire.encode_libraries(()))
        self._grace_s = settings.hard_deadline_grace_ms / 1000
        self._idle_rss_limit = settings.idle_rss_limit_mb * _MIB
        self.restarts = 0
        self.reruns = 0
        self.cancelled = 0
        # For tests: the wait chosen before each replacement, in order.
        self.respawn_waits: list[float] = []

    # -- the EvaluationService protocol -----------------------------------------------------

    async def start(self) -> None:
        """Start every worker and wait until each reports its pool warm."""
        if self._started or self._closed:
            return
        for slot in range(len(self._slots)):
            await self._spawn(slot)
        self._monitor = asyncio.get_running_loop().create_task(self._watch(), name="jseval-rss")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + _START_TIMEOUT_S
        while not all(w is not None and w.state == "ready" for w in self._slots):
            pending = [w.ready for w in self._slots if w is not None and not w.ready.done()]
            remaining = deadline - loop.time()
            if remaining <= 0 or self._closed:
                raise ServiceUnavailable("the worker processes did not start")
            if pending:
                await asyncio.wait(pending, timeout=remaining)
            else:  # a slot is between a death and its respawn
                await asyncio.sleep(0.01)
        self._started = True

    def ready(self) -> bool:
        """Every worker reported its pool warm once, one is alive now, and we are not draining."""
        return (
            self._started
            and not self._draining
            and any(w is not None and w.state == "ready" for w in self._slots)
        )

    def stats(self) -> ServiceStats:
        live = [w for w in self._slots if w is not None and w.state == "ready"]
        return ServiceStats(
            queued=sum(1 for job in self._queue if not job.future.done())
            + sum(1 for job in self._quarantine if not job.future.done()),
            running=sum(len(w.inflight) for w in self._slots if w is not None),
            capacity=len(self._slots) * self.settings.worker_concurrency,
            warm_sandboxes=sum(w.warm for w in live),
            workers_alive=len(live),
            workers_total=len(self._slots),
            cancelled=self.cancelled,
            worker_crashes=tuple(
                (reason, sig, n) for (reason, sig), n in sorted(self._deaths.counts.items())
            ),
            evaluations_rerun=self.reruns,
        )

    async def evaluate(self, request: EvaluationRequest) -> EvaluationResult:
        """Run one checked request in a worker; ServiceBusy / ServiceUnavailable if not admitted."""
        self._admit(1)
        raw = await self._submit(request)
        return EvaluationResult.model_validate_json(raw)

    async def evaluate_batch(self, requests: Sequence[EvaluationRequest]) -> list[EvaluationResult]:
        """Run several, spread over the workers; results in order. Admitted whole or refused."""
        self._admit(len(requests))
        raws = await asyncio.gather(*(self._submit(request) for request in requests))
        results = []
        for index in range(len(raws)):  # each raw answer let go once parsed (up to the cap each)
            results.append(EvaluationResult.model_validate_json(raws[index]))
            raws[index] = b""
        return results

    async def aclose(self, grace_s: float = 10.0) -> None:
        """Refuse new work, let admitted evaluations finish (up to `grace_s`), stop the workers."""
        if self._closed:
            return
        self._draining = True
        loop = asyncio.get_running_loop()
        deadline = loop.time() + grace_s
        while self._busy() and loop.time() < deadline:
            await asyncio.sleep(0.01)
        self._closed = True
        now = loop.time()
        while self._quarantine:  # admitted and run once already: answered, not refused
            job = self._quarantine.popleft()
            job.answer(_failure_json(_SHUT_DOWN, job, now))
        while self._queue:
            job = self._queue.popleft()
            if not job.future.done():
                job.future.set_exception(ServiceUnavailable("shutting down"))
        if self._monitor is not None:
            self._monitor.cancel()
        workers = [w for w in self._slots if w is not None]
        for worker in workers:
            if worker.inflight or worker.state != "ready":
                self._retire(worker, "shutdown")
            else:
                worker.state = "stopping"
                worker.send(_wire.frame(_wire.SHUTDOWN))
        for worker in workers:
            if not await self._reap(worker, _STOP_TIMEOUT_S):
                worker.kill()
                await self._reap(worker, _STOP_TIMEOUT_S)
            if worker.transport is not None:
                worker.transport.close()
        for task in list(self._tasks):
            task.cancel()

    # -- libraries (SPEC section 9) ------------------------------------------------------------

    def set_libraries(self, libraries: Sequence[InstalledLibrary]) -> None:
        """Offer exactly these installed libraries to every evaluation dispatched from now on.

        Sends them, sources included, to every worker now (a frame the worker applies before
        it reads the next EVAL) and to every worker started later, before it is ready.
        """
        self._libraries_frame = _wire.frame(
            _wire.LIBRARIES, payload=_wire.encode_libraries(libraries)
        )
        for worker in self._slots:
            if worker is not None and worker.state != "retired":
                worker.send(self._libraries_frame)

    async def check_library(
        self, name: str, source: str, version: str | None = None
    ) -> InstalledLibrary:
        """Run the install check of `source` as library `name` in a worker, against the
        libraries set now; the library to store, or LibraryRefused with the reason.

        Not subject to the evaluation queue's bound (an admin's rare request), but queued
        behind the evaluations waiting, and watched like one: a check that crashes or bloats
        its worker, or outlives its budget, is a refusal; ServiceUnavailable while starting,
        draining, or if the check was cut short by another evaluation's worker restart.
        """
        validate_library_input(name, source, version)
        if not self._started or self._draining or self._closed:
            raise ServiceUnavailable()
        loop = asyncio.get_running_loop()
        # Two runs under the default budget (discovery, then through the loader), each in a
        # sandbox made for it.
        budget_s = 2 * self.settings.default_timeout_ms / 1000 + 1.0
        job = _Job(
            next(self._ids),
            orjson.dumps({"name": name, "source": source, "version": version}),
            budget_s,
            loop.create_future(),
            loop.time(),
            kind=_wire.CHECK,
        )
        self._queue.append(job)
        self._pump()
        answer = orjson.loads(await job.future)
        return _checked_library(name, source, version, answer)

    # -- for tests and the benchmark --------------------------------------------------------

    def worker_pids(self, *, running: bool = False) -> list[int]:
        """The pids of the live workers in slot order; `running`: only those evaluating now.

        For tests (they kill or stop workers for real) and the benchmark (it reads their RSS).
        """
        return [
            w.pid
            for w in self._slots
            if w is not None and w.state != "retired" and (w.inflight or not running)
        ]

    def quarantine_pids(self) -> list[int]:
        """The pids of the workers running an evaluation alone, in quarantine (for tests)."""
        return [
            w.pid
            for w in self._slots
            if w is not None and w.state != "retired" and w.exclusive and w.inflight
        ]

    # -- admission and dispatch -------------------------------------------------------------

    def _busy(self) -> bool:
        return (
            bool(self._queue)
            or bool(self._quarantine)
            or any(w is not None and w.inflight for w in self._slots)
        )

    def _open_for_work(self, worker: _Worker) -> bool:
        return (
            worker.state == "ready"
            and not worker.exclusive
            and not worker.reserved
        )

    def _free_slots(self) -> int:
        concurrency = self.settings.worker_concurrency
        return sum(
            concurrency - len(w.inflight)
            for w in self._slots
            if w is not None and self._open_for_work(w)
        )

    def _admit(self, count: int) -> None:
        if not self._started or self._draining:
            raise ServiceUnavailable()
        max_queue = self.settings.max_queue
        # A batch larger than the whole queue is admitted only when nothing waits: otherwise a
        # full-size batch (max_batch > max_queue by default) could never run.
        if len(self._queue) + min(count, max(1, max_queue)) - self._free_slots() > max_queue:
            raise ServiceBusy(retry_after_s=1)

    def _submit(self, request: EvaluationRequest) -> asyncio.Future[bytes]:
        loop = asyncio.get_running_loop()
        timeout_ms = request.timeout_ms or self.settings.default_timeout_ms
        job = _Job(
            next(self._ids),
            _wire.encode_request(request),
            timeout_ms / 1000,
            loop.create_future(),
            loop.time(),
        )
        job.future.add_done_callback(
            lambda future: self._on_cancelled(job) if future.cancelled() else None
        )
        self._queue.append(job)
        self._pump()
        return job.future

    def _on_cancelled(self, job: _Job) -> None:
        """The caller went away: drop the job if queued, else stop it in its worker."""
        self.cancelled += 1
        worker = job.worker
        if worker is None:
            with contextlib.suppress(ValueError):
                self._queue.remove(job)
            return
        if worker.state == "retired" or worker.inflight.get(job.id) is not job:
            return  # waiting to run again: the queues skip a job whose future is done
        worker.send(_wire.frame(_wire.CANCEL, job.id))
        # Its slot is free once the worker answers; a worker that cannot stop it is replaced.
        if job.deadline is not None:
            job.deadline.cancel()
        job.deadline = asyncio.get_running_loop().call_later(
            self._grace_s, self._on_deadline, job
        )

    def _pump(self) -> None:
        """Hand evaluations to workers: quarantined ones first, each to an idle worker alone,
        then the queue, oldest first, to workers with a free slot."""
        self._pump_quarantine()
        queue = self._queue
        while queue:
            job = queue[0]
            if job.future.done():  # the caller went away while it waited
                queue.popleft()
                continue
            worker = self._pick()
            if worker is None:
                return
            queue.popleft()
            self._dispatch(worker, job)

    def _pump_quarantine(self) -> None:
        quarantine = self._quarantine
        while quarantine:
            job = quarantine[0]
            if job.future.done():
                quarantine.popleft()
                continue
            idle = [
                w for w in self._slots
                if w is not None and w.state == "ready" and not w.exclusive and not w.inflight
            ]
            if not idle:
                # Stop sending new work to the least busy worker, so that it drains.
                candidates = [w for w in self._slots if w is not None and self._open_for_work(w)]
                if candidates and not any(w is not None and w.reserved for w in self._slots):
                    min(candidates, key=lambda w: len(w.inflight)).reserved = True
                return
            worker = max(idle, key=lambda w: (w.reserved, w.spawned_at))
            quarantine.popleft()
            worker.reserved = False
            worker.exclusive = True
            self._dispatch(worker, job)

    def _pick(self) -> _Worker | None:
        best: _Worker | None = None
        best_key: tuple[int, int, int] | None = None
        concurrency = self.settings.worker_concurrency
        for worker in self._slots:
            if worker is None or not self._open_for_work(worker):
                continue
            if len(worker.inflight) >= concurrency:
                continue
            key = (len(worker.inflight), -worker.warm, worker.last_used)
            if best_key is None or key < best_key:
                best, best_key = worker, key
        return best

    def _dispatch(self, worker: _Worker, job: _Job) -> None:
        loop = asyncio.get_running_loop()
        now = loop.time()
        job.worker = worker
        job.dispatched_at = now
        job.runs += 1
        worker.inflight[job.id] = job
        worker.last_used = next(self._uses)
        if worker.warm > 0:
            worker.warm -= 1  # it takes one now; its next report corrects the count
        queue_ms = (now - job.queued_at) * 1000
        # The payload stays with the job until it is answered: it may have to run again.
        worker.send(_wire.frame(job.kind, job.id, job.payload, queue_ms))
        job.deadline = loop.call_at(now + job.timeout_s + self._grace_s, self._on_deadline, job)

    # -- frames from workers -----------------------------------------------------------------

    def _on_frame(
        self, worker: _Worker, kind: int, job_id: int, count: int, payload: bytes
    ) -> None:
        if worker.state == "retired":
            return
        worker.warm = count
        if kind == _wire.RESULT:
            job = worker.inflight.pop(job_id, None)
            worker.evaluated += 1
            if job is not None:
                job.answer(payload)
            if worker.exclusive and not worker.inflight:
                worker.exclusive = False  # the quarantined evaluation is innocent
            if worker.state == "recycling" and not worker.inflight:
                self._retire(worker, "recycle")
            self._pump()
        elif kind == _wire.OUTBOUND:
            job = worker.inflight.get(job_id)
            if job is not None:
                job.outbound = True
        elif kind == _wire.RECYCLE:
            # An isolate it discarded will not stop: no new work; replaced once it is idle.
            worker.kill_detail = "a discarded isolate would not stop"
            if worker.state == "ready":
                worker.state = "recycling"
            if not worker.inflight:
                self._retire(worker, "recycle")
        elif kind == _wire.READY:
            worker.state = "ready"
            if not worker.ready.done():
                worker.ready.set_result(None)
            logger.info(
                "worker %d (pid %d) ready, %d sandboxes warm", worker.slot, worker.pid, count
            )
            self._pump()

    def _on_lost(self, worker: _Worker) -> None:
        if worker.state == "stopping":
            worker.state = "retired"
            return
        self._retire(worker, worker.kill_reason or "crash")

    # -- containment ---------------------------------------------------------------------------

    def _on_deadline(self, job: _Job) -> None:
        worker = job.worker
        if worker is None or worker.state == "retired" or worker.inflight.get(job.id) is not job:
            return  # answered already (a cancelled job stays in flight until its worker answers)
        job.overdue = True
        worker.kill_detail = (
            f"job {job.id} ran {self._grace_s * 1000:.0f} ms past its budget without a result"
        )
        self._retire(worker, "timeout")

    def _retire(self, worker: _Worker, reason: Reason) -> None:
        """Kill a worker (once), answer for or run again its evaluations, start its replacement."""
        if worker.state == "retired":
            return
        was_ready = worker.state in ("ready", "recycling")
        worker.state = "retired"
        worker.kill_reason = reason
        worker.kill()
        if worker.transport is not None:
            worker.transport.close()
        if not worker.ready.done():
            worker.ready.set_result(None)
        loop = asyncio.get_running_loop()
        now = loop.time()
        jobs = sorted(worker.inflight.values(), key=lambda job: job.id)
        worker.inflight.clear()
        for job in jobs:
            if job.deadline is not None:
                job.deadline.cancel()
        live = [job for job in jobs if not job.future.done()]
        evaluations = sum(1 for job in jobs if job.kind == _wire.EVAL)
        rerun = self._answer_for(worker, reason, live, alone=evaluations == 1, now=now)
        self.reruns += rerun
        self._background(self._reap(worker, _STOP_TIMEOUT_S))
        if reason == "shutdown":
            return
        death: DeathReason | None = None
        if reason in ("crash", "memory", "timeout"):
            death = "start" if reason == "crash" and not was_ready else reason  # type: ignore[assignment]
        wait = 0.0
        if death is not None:
            streak, wait = self._deaths.died(worker.slot, now - worker.spawned_at)
            self._background(
                self._report_death(worker, death, streak, len(live) - rerun, rerun, wait)
            )
        else:
            logger.info(
                "worker %d (pid %d) replaced: %s", worker.slot, worker.pid, worker.kill_detail
            )
        if not self._closed:
            self.restarts += 1
            self.respawn_waits.append(wait)
            self._background(self._respawn(worker.slot, wait))
        self._pump()

    def _answer_for(
        self, worker: _Worker, reason: Reason, live: list[_Job], *, alone: bool, now: float
    ) -> int:
        """Answer the evaluations a retired worker took with it, or queue them to run again;
        return how many will run again. `alone`: one evaluation was running there. A library
        check is never run again: a bundle that takes its worker down is refused."""
        rerun = 0
        checks = [job for job in live if job.kind == _wire.CHECK]
        for job in checks:
            job.answer(_check_failure_json(reason, job.overdue))
        live = [job for job in live if job.kind != _wire.CHECK]
        if reason in ("crash", "memory"):
            failure: EvaluationFailed = _RSS_EXCEEDED if reason == "memory" else _CRASHED
            if worker.exclusive:  # it ran alone, in quarantine, and did it again
                for job in live:
                    job.answer(_failure_json(
                        _RSS_EXCEEDED if reason == "memory" else _CULPRIT, job, now
                    ))
                return 0
            # Alone on a worker that died by itself, it runs again: the cause may have been
            # outside it (a kill, the host's OOM killer); a culprit pays with a second death,
            # which the replacement backoff bounds. Alone on a worker the RSS watch killed, it
            # is the culprit: the supervisor measured it growing alone.
            suspects = [] if alone and reason == "memory" else [
                j for j in live if not j.outbound and j.runs < _MAX_RUNS
            ]
            for job in live:
                if job in suspects:
                    self._quarantine.append(job)
                    rerun += 1
                else:
                    job.answer(_failure_json(failure, job, now))
        elif reason == "timeout":
            innocent = [
                j for j in live if not j.overdue and not j.outbound and j.runs < _MAX_RUNS
            ]
            for job in reversed(innocent):  # known innocent: back to the head of the queue
                self._queue.appendleft(job)
                rerun += 1
            for job in live:
                if job not in innocent:
                    job.answer(
                        _failure_json(_HARD_TIMEOUT if job.overdue else _COLLATERAL, job, now)
                    )
        else:
            failure = _SHUT_DOWN if reason == "shutdown" else _COLLATERAL
            for job in live:
                job.answer(_failure_json(failure, job, now))
        return rerun

    async def _report_death(
        self,
        worker: _Worker,
        death: DeathReason,
        streak: int,
        answered: int,
        rerun: int,
        wait: float,
    ) -> None:
        """Once its exit status is known: one log line and one count in the metrics."""
        await self._reap(worker, _STOP_TIMEOUT_S)
        returncode = worker.proc.returncode
        self._deaths.count(death, returncode)
        how = worker.kill_detail or exit_description(returncode)
        if death == "start" and not worker.kill_detail:
            how += " before it was ready"
        logger.warning(
            "worker %d (pid %d) %s: %s; %d deaths in a row, %d in all; %d evaluations to run "
            "again, %d answered for it; replacement in %.2f s",
            worker.slot, worker.pid, "died" if death in ("crash", "start") else "killed", how,
            streak, self._deaths.total, rerun, answered, wait,
        )

    async def _respawn(self, slot: int, wait: float) -> None:
        if wait > 0:
            await asyncio.sleep(wait)
        if not self._closed:
            await self._spawn(slot)

    async def _watch(self) -> None:
        """Kill workers whose RSS passes the limit (a bomb that escaped the in-isolate limits),
        replace idle ones whose RSS stays high, and retry replacements that never report
        ready (as a death before start: the next one waits longer)."""
        limit = self.settings.worker_max_rss_mb * _MIB
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(_RSS_CHECK_S)
            for worker in self._slots:
                if worker is None or worker.state == "retired":
                    continue
                starting_s = loop.time() - worker.spawned_at
                if worker.state == "starting" and starting_s > _START_TIMEOUT_S:
                    worker.kill_detail = f"did not start in {_START_TIMEOUT_S:.0f} s"
                    self._retire(worker, "crash")
                    continue
                rss = _read_rss(worker.pid)
                if rss is None:
                    continue
                if rss > limit:
                    worker.kill_detail = (
                        f"RSS {rss // _MIB} MiB past the limit of {limit // _MIB} MiB"
                    )
                    self._retire(worker, "memory")
                    continue
                self._check_idle(worker, rss)

    def _check_idle(self, worker: _Worker, rss: int) -> None:
        """Replace a worker whose RSS stays past the idle limit once its evaluations ended
        (memory V8 or ICU kept after the isolates closed). A fresh worker, whose warm size is
        its own, is never replaced for it."""
        if worker.state != "ready" or worker.inflight or not worker.evaluated:
            worker.idle_high = 0
            return
        if rss <= self._idle_rss_limit:
            worker.idle_high = 0
            return
        worker.idle_high += 1
        if worker.idle_high >= _IDLE_HIGH_CHECKS:
            worker.kill_detail = (
                f"RSS {rss // _MIB} MiB while idle, past {self._idle_rss_limit // _MIB} MiB"
            )
            self._retire(worker, "recycle")

    # -- processes ---------------------------------------------------------------------------

    async def _spawn(self, slot: int) -> None:
        """Start a worker for `slot`: fork + exec of a fresh interpreter, never a bare fork."""
        parent_sock, child_sock = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        env = worker_environment(os.environ)
        try:
            proc = subprocess.Popen(
                [
                    sys.executable, "-m", "evaluator._worker",
                    "--fd", str(child_sock.fileno()), "--parent", str(os.getpid()),
                ],
                pass_fds=(child_sock.fileno(),),
                stdin=subprocess.DEVNULL,
                env=env,
            )
        finally:
            child_sock.close()
        worker = _Worker(slot, proc)
        self._slots[slot] = worker
        loop = asyncio.get_running_loop()
        transport, _ = await loop.connect_accepted_socket(
            lambda: _Protocol(self, worker), parent_sock
        )
        worker.transport = transport  # type: ignore[assignment]
        worker.send(_wire.frame(_wire.SETTINGS, payload=self._settings_json))
        worker.send(self._libraries_frame)
        if worker.state == "retired":  # died before we were connected
            transport.close()

    async def _reap(self, worker: _Worker, timeout_s: float) -> bool:
        """Wait (polling) for the process to exit and collect it; whether it did."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while worker.proc.poll() is None:
            if loop.time() >= deadline:
                return False
            await asyncio.sleep(0.005)
        return True

    def _background(self, coro: Coroutine[Any, Any, Any]) -> None:
        task: asyncio.Task[Any] = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def __repr__(self) -> str:
        alive = sum(1 for w in self._slots if w is not None and w.state == "ready")
        return f"<WorkerPool workers={alive}/{len(self._slots)} queued={len(self._queue)}>"
