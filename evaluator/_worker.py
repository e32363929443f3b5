"""A worker process: its own warm pool and engine, evaluations on threads, frames on one socket.

Started by the supervisor (`evaluator/_worker_pool.py`) as `python -m evaluator._worker --fd N`
(fork + exec, never a bare fork of a process where V8 may already run). Why a process at all:
nothing a sandbox does, a V8 fatal error, a segfault, memory past the process limit, can then
take the API down; the supervisor kills and replaces a worker and answers for its evaluations.

What the worker does to be a good citizen of the supervisor:
- it dies with the supervisor: `PR_SET_PDEATHSIG` (SIGKILL), and end-of-file on its socket makes
  it exit at once (the socket is the only thing it listens to);
- it ignores SIGINT, so Ctrl-C in a terminal reaches the supervisor only, which drains;
- once warm, it caps its data segment (`RLIMIT_DATA`: its warm size plus `worker_max_rss_mb`,
  see `data_limit_bytes`): mini-racer's heap limit does not see ArrayBuffer backing stores, and
  with the cap an allocation past it fails inside JavaScript (a catchable RangeError) instead
  of the kernel's OOM killer picking a process. The supervisor's RSS watch is the other layer.

Protocol (see `_wire.py`): the first frame is SETTINGS (the settings as JSON), the second
LIBRARIES (the installed libraries); the worker warms its pool and answers READY; then EVAL
frames, each answered by one RESULT (and, before its first request to a host capability, one
OUTBOUND); CANCEL stops an evaluation (its RESULT then comes at once); LIBRARIES again whenever
the set changes (applied at once, in frame order: evaluations that arrive after it see it);
CHECK, the install check of a bundle, answered by one RESULT; SHUTDOWN lets the running
evaluations finish, closes the pool and exits 0. The supervisor sends at most
`worker_concurrency` evaluations and checks at once, so the thread pool never queues. The worker
never opens the data store: the supervisor reads it and hands over the libraries' sources.
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import logging
import os
import resource
import signal
import socket
import sys
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import orjson

from evaluator import _wire
from evaluator._cancellation import Cancellation
from evaluator._engine import Engine
from evaluator._result import failed_result
from evaluator.capabilities import default_capabilities
from evaluator.capabilities.libraries import InstalledLibrary, LibraryRefused, check_library
from evaluator.errors import SandboxFailure
from evaluator.settings import Settings

__all__ = ["Worker", "data_limit_bytes", "main"]

logger = logging.getLogger("jseval.worker")

_PR_SET_PDEATHSIG = 1
_WARM_TIMEOUT_S = 30.0
_STATUS_INTERVAL_S = 0.2
_MIB = 1024 * 1024


def _find_malloc_trim() -> Any:
    """glibc's malloc_trim, or None (another libc, or none found)."""
    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return trim


_malloc_trim = _find_malloc_trim()


def data_limit_bytes(settings: Settings, baseline_bytes: int) -> int:
    """The worker's RLIMIT_DATA: what it maps once warm, plus the RSS limit.

    The data segment counts address space that V8 and the threads map but never touch (V8's
    reservations alone are ~0.5 GiB of it in a fresh process), while RSS counts only what is
    resident, so a cap of `worker_max_rss_mb` alone would stop V8 from starting. Measured from the
    warm baseline, the cap lets the worker grow by at most the RSS limit: the RSS watch sees a
    gradual bomb first, and the cap turns one huge allocation into a RangeError in JavaScript.
    """
    return baseline_bytes + settings.worker_max_rss_mb * _MIB


def _data_bytes() -> int:
    """This process's data segment (VmData) in bytes; 0 if /proc does not say."""
    try:
        with open("/proc/self/status", "rb") as handle:
            for line in handle:
                if line.startswith(b"VmData:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _die_with_parent(parent_pid: int) -> None:
    """Ask the kernel for SIGKILL when the supervisor goes; exit now if it already went."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # not Linux: end-of-file on the socket still ends us
        pass
    if os.getppid() != parent_pid:
        os._exit(0)


def _limit_data(limit_bytes: int) -> None:
    try:
        _soft, hard = resource.getrlimit(resource.RLIMIT_DATA)
        if hard != resource.RLIM_INFINITY:
            limit_bytes = min(limit_bytes, hard)
        resource.setrlimit(resource.RLIMIT_DATA, (limit_bytes, hard))
    except (ValueError, OSError):  # an unprivileged lower hard limit: keep what we have
        logger.warning("could not set RLIMIT_DATA")


def _recv_exactly(sock: socket.socket, size: int) -> bytes | None:
    """`size` bytes, or None at end-of-file."""
    buffer = bytearray(size)
    view = memoryview(buffer)
    got = 0
    while got < size:
        n = sock.recv_into(view[got:], size - got)
        if n == 0:
            return None
        got += n
    return bytes(buffer)


class Worker:
    """The worker's state: engine, threads, the socket and a lock for writing frames."""

    def __init__(
        self,
        sock: socket.socket,
        settings: Settings,
        libraries: Sequence[InstalledLibrary] = (),
    ) -> None:
        self._sock = sock
        self._settings = settings
        self._send_lock = threading.Lock()
        self._engine = Engine(settings, default_capabilities(settings))
        self._engine.libraries.set_installed(libraries)
        self._threads = ThreadPoolExecutor(
            settings.worker_concurrency, thread_name_prefix="jseval-eval"
        )
        self._stopping = threading.Event()
        self._last_warm = -1
        # job id -> its cancel switch, from its EVAL frame until its RESULT is sent
        self._cancellations: dict[int, Cancellation] = {}
        self._busy_lock = threading.Lock()
        self._running = 0
        self._freed_since_trim = False

    def send(self, kind: int, job_id: int = 0, payload: bytes = b"", count: int = 0) -> None:
        data = _wire.frame(kind, job_id, payload, 0.0, count)
        with self._send_lock:
            self._sock.sendall(data)

    def start(self) -> None:
        """Warm the pool, then tell the supervisor we are ready."""
        self._engine.start()
        self._engine.pool.wait_warm(_WARM_TIMEOUT_S)
        # Objects alive now (modules, the runtime bundle) live as long as the process: keep the
        # cyclic GC from walking them on every collection of the request path.
        gc.collect()
        gc.freeze()
        baseline = _data_bytes()
        if baseline:
            _limit_data(data_limit_bytes(self._settings, baseline))
        warm = self._engine.pool.warm
        self._last_warm = warm
        self.send(_wire.READY, payload=b'{"pid":%d}' % os.getpid(), count=warm)
        threading.Thread(target=self._report_status, name="jseval-status", daemon=True).start()

    def _report_status(self) -> None:
        """Tell the supervisor how many sandboxes are warm when that changes (for /readyz), and
        ask to be replaced if a discarded isolate will not stop (it would burn a core)."""
        stuck_limit_s = self._settings.hard_deadline_grace_ms / 1000
        recycling = False
        while not self._stopping.wait(_STATUS_INTERVAL_S):
            if not recycling and self._engine.pool.stuck_closing_s() > stuck_limit_s:
                recycling = True
                try:
                    self.send(_wire.RECYCLE, count=self._engine.pool.warm)
                except OSError:
                    return
            warm = self._engine.pool.warm
            if warm != self._last_warm:
                self._last_warm = warm
                try:
                    self.send(_wire.STATUS, count=warm)
                except OSError:
                    return
            self._trim_when_idle()

    def _trim_when_idle(self) -> None:
        """Once idle after work, hand freed heap back to the OS: glibc keeps what isolates and
        ICU freed in its arenas, and the supervisor replaces an idle worker whose RSS stays
        high (`worker_idle_rss_mb`); this is what keeps a healthy one under it.

        Then the data-segment cap is measured again from here. The address space a worker has
        mapped only grows (arenas stay mapped when trimmed, V8 keeps its reservations), so a
        cap measured once at start left an old worker less and less room: an ArrayBuffer bomb
        then failed on the cap (a RangeError, kind `runtime`) before the RSS watch could see
        it, instead of the worker's RSS limit deciding."""
        with self._busy_lock:
            if self._running or not self._freed_since_trim:
                return
            self._freed_since_trim = False
        if _malloc_trim is not None:
            _malloc_trim(0)
        current = _data_bytes()
        if current:
            _limit_data(data_limit_bytes(self._settings, current))

    def _evaluate(
        self, job_id: int, payload: bytes, queue_ms: float, cancellation: Cancellation
    ) -> None:
        with self._busy_lock:
            self._running += 1
        try:
            self._evaluate_one(job_id, payload, queue_ms, cancellation)
        finally:
            with self._busy_lock:
                self._running -= 1
                self._freed_since_trim = True

    def _evaluate_one(
        self, job_id: int, payload: bytes, queue_ms: float, cancellation: Cancellation
    ) -> None:
        started = time.monotonic()
        try:
            request = _wire.decode_request(payload)
            result = self._engine.run(
                request, queue_ms, cancellation,
                on_outbound=lambda: self._announce_outbound(job_id),
            )
            data = result.__pydantic_serializer__.to_json(result)
        except Exception as exc:  # top-level boundary: kind internal, never a crash
            # The type only: a message (a pydantic error, say) may quote the request.
            logger.error("job %d: evaluation failed in the worker: %s", job_id, type(exc).__name__)
            result = failed_result(
                SandboxFailure("the sandbox failed"), (time.monotonic() - started) * 1000, queue_ms
            )
            data = result.__pydantic_serializer__.to_json(result)
        self._cancellations.pop(job_id, None)
        warm = self._engine.pool.warm
        self._last_warm = warm
        try:
            self.send(_wire.RESULT, job_id, data, count=warm)
        except OSError:  # the supervisor is gone; the reader loop ends the process
            return

    def _check(self, job_id: int, payload: bytes) -> None:
        """The install check of a bundle, against the libraries offered now."""
        try:
            body = orjson.loads(payload)
            version = body.get("version")
            library = check_library(
                str(body["name"]),
                str(body["source"]),
                self._settings,
                version=version if isinstance(version, str) else None,
                installed=self._engine.libraries.installed(),
            )
            answer: dict[str, object] = {
                "library": {"version": library.version, "globals": list(library.globals)}
            }
        except LibraryRefused as exc:
            answer = {"refused": exc.reason}
        except Exception as exc:  # top-level boundary: a refusal, never a crash
            logger.error("job %d: library check failed in the worker: %s", job_id,
                         type(exc).__name__)
            answer = {"refused": "the check failed inside the service (an internal error)"}
        try:
            self.send(_wire.RESULT, job_id, orjson.dumps(answer), count=self._engine.pool.warm)
        except OSError:
            return

    def set_libraries(self, payload: bytes) -> None:
        """Offer the libraries of a LIBRARIES frame to evaluations from now on."""
        try:
            libraries = _wire.decode_libraries(payload)
        except (ValueError, KeyError, TypeError) as exc:
            logger.error("a LIBRARIES frame was not valid: %s", type(exc).__name__)
            return
        self._engine.libraries.set_installed(libraries)

    def _announce_outbound(self, job_id: int) -> None:
        # Sent (sendall, under the send lock) before the capability gets the request: the
        # supervisor has the frame before anything can leave, even if we die right after.
        self.send(_wire.OUTBOUND, job_id)

    def serve(self) -> None:
        """Read frames until SHUTDOWN or end-of-file."""
        header_size = _wire.HEADER.size
        while True:
            header = _recv_exactly(self._sock, header_size)
            if header is None:
                # The supervisor died or dropped us: nobody can use our results.
                os._exit(0)
            length, kind, job_id, number, _count = _wire.HEADER.unpack(header)
            payload = _recv_exactly(self._sock, length) if length else b""
            if payload is None:
                os._exit(0)
            if kind == _wire.EVAL:
                cancellation = self._cancellations[job_id] = Cancellation()
                self._threads.submit(self._evaluate, job_id, payload, number, cancellation)
            elif kind == _wire.CANCEL:
                found = self._cancellations.get(job_id)
                if found is not None:
                    found.cancel()
            elif kind == _wire.LIBRARIES:
                self.set_libraries(payload)  # here, so every later EVAL sees the new set
            elif kind == _wire.CHECK:
                self._threads.submit(self._check, job_id, payload)
            elif kind == _wire.SHUTDOWN:
                self.shutdown()
                return

    def shutdown(self) -> None:
        self._stopping.set()
        self._threads.shutdown(wait=True)
        self._engine.close()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evaluator._worker")
    parser.add_argument("--fd", type=int, required=True, help="the socket to the supervisor")
    parser.add_argument("--parent", type=int, required=True, help="the supervisor's pid")
    args = parser.parse_args(argv)

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _die_with_parent(args.parent)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(message)s")

    sock = socket.socket(fileno=args.fd)
    sock.setblocking(True)
    header = _recv_exactly(sock, _wire.HEADER.size)
    if header is None:
        return 0
    length, kind, _job, _number, _count = _wire.HEADER.unpack(header)
    payload = _recv_exactly(sock, length)
    if kind != _wire.SETTINGS or payload is None:
        return 2
    settings = Settings.from_worker_json(payload)  # never the .env file
    header = _recv_exactly(sock, _wire.HEADER.size)
    if header is None:
        return 0
    length, kind, _job, _number, _count = _wire.HEADER.unpack(header)
    payload = _recv_exactly(sock, length) if length else b""
    if kind != _wire.LIBRARIES or payload is None:
        return 2
    libraries = _wire.decode_libraries(payload)

    worker = Worker(sock, settings, libraries)
    worker.start()
    worker.serve()
    return 0


if __name__ == "__main__":
    sys.exit(main())
