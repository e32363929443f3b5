"""GET /healthz and /readyz: open, fast while every sandbox is busy, 503 while starting or while
no worker process is up."""

from __future__ import annotations

import asyncio
import os
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import httpx

from evaluator import LocalService, Settings, WorkerPool


def test_probes_answer(api_client: httpx.Client) -> None:
    assert api_client.get("/healthz").json() == {"status": "ready"}
    ready = api_client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["status"] == "ready" and ready.json()["warm_sandboxes"] >= 0


def test_probes_answer_while_every_sandbox_spins(serve_api: Callable[..., object]) -> None:
    # One slot, one queued: every sandbox busy with while(true){} and the queue non-empty.
    settings = Settings(workers=1, worker_concurrency=1, max_queue=1, pool_size=1)
    live = serve_api(settings)
    spin = {"code": "while (true) {}", "timeout_ms": 1200}
    with live.client() as client, ThreadPoolExecutor(2) as pool:  # type: ignore[attr-defined]
        busy = [pool.submit(client.post, "/v1/evaluate", json=spin) for _ in range(2)]
        for _ in range(300):
            metrics = client.get("/metrics").text
            if "jseval_evaluations_running 1.0" in metrics and "jseval_queue_depth 1.0" in metrics:
                break
            time.sleep(0.01)
        else:
            raise AssertionError("the evaluations did not start")
        slowest = 0.0
        for _ in range(10):  # each probe answers while the loop still runs
            for path in ("/healthz", "/readyz"):
                started = time.monotonic()
                assert client.get(path, timeout=1.5).status_code == 200
                slowest = max(slowest, time.monotonic() - started)
        assert not any(future.done() for future in busy), f"slowest probe: {slowest:.3f} s"
        for future in busy:
            assert future.result().json()["error"]["kind"] == "timeout"


class GatedService(LocalService):
    """A LocalService whose start waits for the test to open the gate: a slow warm-up."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self.gate = threading.Event()

    async def start(self) -> None:
        await asyncio.to_thread(self.gate.wait, 20)
        await super().start()


def test_starting_service_is_503_after_validation(serve_api: Callable[..., object]) -> None:
    settings = Settings(workers=1, pool_size=1)
    service = GatedService(settings)
    live = serve_api(settings, service, ready=False)
    with live.client() as client:  # type: ignore[attr-defined]
        assert client.get("/healthz").status_code == 200  # alive while warming
        ready = client.get("/readyz")
        assert ready.status_code == 503 and ready.json()["status"] == "starting"
        assert client.post("/v1/evaluate", json={"code": "1"}).status_code == 503
        assert client.post("/v1/evaluate", json={"code": 1}).status_code == 422  # 422 first
        service.gate.set()
        for _ in range(500):
            if client.get("/readyz").status_code == 200:
                break
            threading.Event().wait(0.01)
        assert client.post("/v1/evaluate", json={"code": "6 * 7"}).json()["result"] == 42


def _wait_for(condition: Callable[[], bool], timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.005)


def test_readyz_is_503_while_no_worker_is_up_and_metrics_count_the_deaths(
    serve_api: Callable[..., object],
) -> None:
    """A worker that keeps dying (SIGSEGV, three times): while none is up /readyz says so, and
    /metrics counts each death by reason and signal."""
    settings = Settings(workers=1, pool_size=1, worker_concurrency=1)
    pool = WorkerPool(settings)
    live = serve_api(settings, pool)
    with live.client() as client:  # type: ignore[attr-defined]
        assert client.get("/readyz").status_code == 200
        for _ in range(3):
            [victim] = pool.worker_pids()
            os.kill(victim, signal.SIGSEGV)
            _wait_for(lambda: client.get("/readyz").status_code == 503)
            assert client.get("/readyz").json()["workers_alive"] == 0
            _wait_for(lambda: client.get("/readyz").status_code == 200)
        expected = 'jseval_worker_crashes_total{reason="crash",signal="SIGSEGV"} 3.0'
        _wait_for(lambda: expected in client.get("/metrics").text)
        assert client.post("/v1/evaluate", json={"code": "6 * 7"}).json()["result"] == 42
