"""A client that disconnects cancels its evaluations (SPEC section 6), for both services.

Each test runs a real uvicorn with capacity for ONE evaluation, a real client (a raw socket)
that posts `while (true) {}` with a 30 s budget and hangs up once it runs, and a second client
whose request must then get the freed slot. Its HTTP timeout (10 s) is far below the first
evaluation's budget: were the first not cancelled, the second would wait 30 s and fail here.
"""

from __future__ import annotations

import json
import logging
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest

from evaluator import EvaluationService, LocalService, Settings, WorkerPool
from tests.conftest import LiveServer

pytestmark = pytest.mark.timeout(90)

FOREVER = {"code": "while (true) {}", "timeout_ms": 30000}
SECRET_CODE = "/* do-not-log-me */ while (true) {}"


def one_slot() -> Settings:
    return Settings(workers=1, worker_concurrency=1, pool_size=1, max_queue=8)


def local_service(settings: Settings) -> EvaluationService:
    return LocalService(settings, capacity=1)


def worker_pool(settings: Settings) -> EvaluationService:
    return WorkerPool(settings)


SERVICES = [pytest.param(local_service, id="LocalService"), pytest.param(worker_pool, id="WorkerPool")]


@contextmanager
def hanging_request(live: LiveServer, path: str, body: dict[str, Any]) -> Iterator[socket.socket]:
    """A raw HTTP/1.1 request whose client closes the connection when the block ends."""
    host, port = live.url.removeprefix("http://").split(":")
    data = json.dumps(body).encode()
    sock = socket.create_connection((host, int(port)), timeout=10)
    try:
        sock.sendall(
            f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(data)}\r\n\r\n".encode() + data
        )
        yield sock
    finally:
        sock.close()


def wait_until(condition: Callable[[], bool], timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("the condition did not come true in time")
        time.sleep(0.01)


def metric(client: httpx.Client, name: str) -> float:
    for line in client.get("/metrics").text.splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{"):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"{name} is not in /metrics")


@pytest.mark.parametrize("make_service", SERVICES)
def test_a_client_that_hangs_up_frees_its_slot_for_the_next(
    serve_api: Callable[..., LiveServer],
    make_service: Callable[[Settings], EvaluationService],
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = one_slot()
    service = make_service(settings)
    live = serve_api(settings, service)
    caplog.set_level(logging.INFO)
    with httpx.Client(base_url=live.url, timeout=10) as client:
        with hanging_request(live, "/v1/evaluate", {**FOREVER, "code": SECRET_CODE}):
            wait_until(lambda: service.stats().running == 1)
        # The slot was taken by an endless loop; it is free again long before its 30 s budget.
        answer = client.post("/v1/evaluate", json={"code": "6 * 7"})
        assert answer.status_code == 200 and answer.json()["result"] == 42
        wait_until(lambda: service.stats().cancelled == 1)
        assert service.stats().running == 0 and service.stats().queued == 0
        assert metric(client, "jseval_evaluations_cancelled_total") == 1
        assert metric(client, "jseval_evaluations_total") == 1  # only the one answered
    access = [r for r in caplog.records if r.name == "jseval.access" and r.getMessage()]
    cancelled = [r for r in access if "kind=cancelled" in r.getMessage()]
    assert len(cancelled) == 1 and "status=499" in cancelled[0].getMessage()
    assert not any("do-not-log-me" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("make_service", SERVICES)
def test_a_batch_is_cancelled_whole_running_and_queued(
    serve_api: Callable[..., LiveServer],
    make_service: Callable[[Settings], EvaluationService],
) -> None:
    settings = one_slot()
    service = make_service(settings)
    live = serve_api(settings, service)
    batch = {"evaluations": [FOREVER, FOREVER, FOREVER]}
    with httpx.Client(base_url=live.url, timeout=10) as client:
        with hanging_request(live, "/v1/evaluate/batch", batch):
            wait_until(lambda: service.stats().running == 1 and service.stats().queued == 2)
        answer = client.post("/v1/evaluate", json={"code": "'next'"})
        assert answer.status_code == 200 and answer.json()["result"] == "next"
        wait_until(lambda: service.stats().cancelled == 3)
        assert service.stats().running == 0 and service.stats().queued == 0
        assert metric(client, "jseval_evaluations_cancelled_total") == 3


def test_a_client_that_stays_gets_its_answer(serve_api: Callable[..., LiveServer]) -> None:
    """The watch for a disconnect does not end a request whose client is still there."""
    settings = one_slot()
    service = local_service(settings)
    live = serve_api(settings, service)
    with httpx.Client(base_url=live.url, timeout=10) as client:
        answer = client.post("/v1/evaluate", json={"code": "for (;;) {}", "timeout_ms": 300})
        assert answer.status_code == 200 and answer.json()["error"]["kind"] == "timeout"
        batch = client.post(
            "/v1/evaluate/batch", json={"evaluations": [{"code": "1"}, {"code": "2"}]}
        )
        assert [r["result"] for r in batch.json()["results"]] == [1, 2]
    assert service.stats().cancelled == 0
