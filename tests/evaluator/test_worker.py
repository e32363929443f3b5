"""The worker process on its own: its wire protocol, its limits, and how it dies.

A real `python -m evaluator._worker` is started here, as the supervisor starts it, and spoken to
over a socketpair with the frames of `evaluator/_wire.py`.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator

import orjson
import pytest

from evaluator import EvaluationRequest, EvaluationResult, Settings, _wire

pytestmark = pytest.mark.timeout(60)


class WorkerProc:
    """A worker process and our end of its socket."""

    def __init__(self, settings: Settings) -> None:
        ours, theirs = socket.socketpair()
        self.proc = subprocess.Popen(
            [
                sys.executable, "-m", "evaluator._worker",
                "--fd", str(theirs.fileno()), "--parent", str(os.getpid()),
            ],
            pass_fds=(theirs.fileno(),),
        )
        theirs.close()
        self.sock = ours
        self.sock.settimeout(30)
        self.send(_wire.SETTINGS, payload=settings.model_dump_json(exclude={"api_keys"}).encode())
        self.send(_wire.LIBRARIES, payload=b"[]")  # the second frame: the installed libraries

    def send(self, kind: int, job_id: int = 0, payload: bytes = b"", number: float = 0.0) -> None:
        self.sock.sendall(_wire.frame(kind, job_id, payload, number))

    def recv(self) -> tuple[int, int, int, bytes]:
        header = self._exactly(_wire.HEADER.size)
        length, kind, job_id, _number, count = _wire.HEADER.unpack(header)
        return kind, job_id, count, self._exactly(length)

    def _exactly(self, size: int) -> bytes:
        data = b""
        while len(data) < size:
            chunk = self.sock.recv(size - len(data))
            assert chunk, "worker closed its socket"
            data += chunk
        return data

    def evaluate(
        self, job_id: int, code: str, queue_ms: float = 0.0, **fields: object
    ) -> EvaluationResult:
        request = EvaluationRequest(code=code, **fields)  # type: ignore[arg-type]
        self.send(_wire.EVAL, job_id, request.model_dump_json().encode(), queue_ms)
        while True:
            kind, got_id, _count, payload = self.recv()
            if kind == _wire.RESULT:
                assert got_id == job_id
                return EvaluationResult.model_validate_json(payload)


def start_worker(**overrides: object) -> WorkerProc:
    proc = WorkerProc(Settings(**{"pool_size": 1, "worker_concurrency": 2, **overrides}))
    kind, _job, count, payload = proc.recv()
    assert kind == _wire.READY and count == 1
    assert orjson.loads(payload) == {"pid": proc.proc.pid}
    return proc


@pytest.fixture
def worker() -> Iterator[WorkerProc]:
    proc = start_worker(worker_max_rss_mb=512)
    yield proc
    proc.proc.kill()
    proc.proc.wait()
    proc.sock.close()


def test_evaluates_frames_in_and_out(worker: WorkerProc) -> None:
    result = worker.evaluate(7, "[1, 2].map((x) => x * 2)", queue_ms=3.5)
    assert (result.ok, result.result) == (True, [2, 4])
    assert result.stats.queue_ms == 3.5  # the supervisor's queue time is part of the result


def check(worker: WorkerProc, job_id: int, name: str, source: str, version: str | None = None) -> dict:
    body = {"name": name, "source": source, "version": version}
    worker.send(_wire.CHECK, job_id, orjson.dumps(body))
    while True:
        kind, got_id, _count, payload = worker.recv()
        if kind == _wire.RESULT:
            assert got_id == job_id
            return orjson.loads(payload)


def test_a_libraries_frame_reaches_the_next_evaluation_and_the_check(worker: WorkerProc) -> None:
    """SPEC section 9: installed libraries arrive as a frame (the worker never opens the data
    store); an EVAL sent after it sees them, a CHECK is run against them."""
    assert worker.evaluate(1, "typeof Tally").result == "undefined"
    library = {"name": "tally", "version": "2.0.0", "globals": ["Tally"],
               "source": "var Tally = { count: function (xs) { return xs.length; } };"}
    worker.send(_wire.LIBRARIES, payload=orjson.dumps([library]))
    assert worker.evaluate(2, "Tally.count([1, 2, 3])").result == 3
    # The check sees the installed set: another name may not take Tally.
    refused = check(worker, 3, "copy", "var Tally = 1;")
    assert refused == {"refused": "the bundle replaces 'Tally', a global of another library"}
    accepted = check(worker, 4, "other", "var Other = { VERSION: '0.3.1' };")
    assert accepted == {"library": {"version": "0.3.1", "globals": ["Other"]}}
    assert worker.evaluate(5, "typeof Other").result == "undefined"  # checked, not installed
    worker.send(_wire.LIBRARIES, payload=b"[]")
    assert worker.evaluate(6, "typeof Tally").result == "undefined"


def test_a_check_of_a_hostile_bundle_is_a_refusal_and_the_worker_lives_on(worker: WorkerProc) -> None:
    assert check(worker, 1, "spin", "while (true) {}")["refused"].startswith(
        "the bundle did not finish when it ran")
    assert "TypeError: nope" in check(worker, 2, "thrower", "throw new TypeError('nope')")["refused"]
    assert worker.evaluate(3, "'alive'").result == "alive"


def test_caps_its_data_segment_and_ignores_sigint(worker: WorkerProc) -> None:
    with open(f"/proc/{worker.proc.pid}/limits") as handle:
        [line] = [row for row in handle if row.startswith("Max data size")]
    soft = int(line.split()[3])
    with open(f"/proc/{worker.proc.pid}/status") as handle:
        vm_data = next(int(row.split()[1]) * 1024 for row in handle if row.startswith("VmData:"))
    assert vm_data < soft <= vm_data + 2 * 512 * 1024 * 1024
    os.kill(worker.proc.pid, signal.SIGINT)
    assert worker.evaluate(1, "'alive'").result == "alive"


def test_arraybuffer_past_the_data_cap_is_a_catchable_range_error() -> None:
    # The request's budget (memory_mb 512) allows 256 MiB of ArrayBuffer; the worker's cap
    # (warm size + 64 MiB, worker_max_rss_mb=64) does not: the allocation fails inside
    # JavaScript, as a RangeError the code can catch, and the worker lives on.
    worker = start_worker(worker_max_rss_mb=64, max_memory_mb=512)
    try:
        code = textwrap.dedent(
            """
            let caught = null;
            try { new ArrayBuffer(256 * 1024 * 1024); } catch (e) { caught = e.name; }
            caught
            """
        )
        result = worker.evaluate(2, code, memory_mb=512)
        assert result.ok and result.result == "RangeError"
        assert worker.evaluate(3, "40 + 2").result == 42
    finally:
        worker.proc.kill()
        worker.proc.wait()
        worker.sock.close()


def test_shutdown_frame_ends_it_cleanly(worker: WorkerProc) -> None:
    worker.send(_wire.SHUTDOWN)
    assert worker.proc.wait(10) == 0


def test_exits_when_its_socket_closes(worker: WorkerProc) -> None:
    worker.sock.close()
    assert worker.proc.wait(10) == 0


def test_dies_with_its_supervisor(tmp_path) -> None:
    # A supervisor process with a WorkerPool; SIGKILL it and its worker must go too.
    script = textwrap.dedent(
        """
        import asyncio, sys
        from evaluator import Settings, WorkerPool

        async def main():
            pool = WorkerPool(Settings(workers=1, pool_size=0))
            await pool.start()
            print(pool.worker_pids()[0], flush=True)
            await asyncio.sleep(60)

        asyncio.run(main())
        """
    )
    supervisor = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, text=True
    )
    try:
        assert supervisor.stdout is not None
        worker_pid = int(supervisor.stdout.readline())
        os.kill(supervisor.pid, signal.SIGKILL)
        supervisor.wait(10)
        deadline = time.monotonic() + 10
        while os.path.exists(f"/proc/{worker_pid}") and _state(worker_pid) != "Z":
            assert time.monotonic() < deadline, "the worker outlived its supervisor"
            time.sleep(0.02)
    finally:
        supervisor.kill()
        supervisor.wait()


def _state(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "gone"
