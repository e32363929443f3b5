"""Graceful shutdown: on the exit signal in-flight evaluations finish, new ones get 503, then the
server stops; `jseval serve` handles SIGTERM that way and logs no user data."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from evaluator import Settings

SLOW = {"code": "new Promise(r => setTimeout(() => r('finished'), 700))", "timeout_ms": 5000}


def wait_until(client: httpx.Client, check: Callable[[httpx.Client], bool]) -> None:
    for _ in range(500):
        if check(client):
            return
        time.sleep(0.01)
    raise AssertionError("condition not reached")


def running(client: httpx.Client) -> bool:
    return "jseval_evaluations_running 1.0" in client.get("/metrics").text


def draining(client: httpx.Client) -> bool:
    return client.get("/readyz").json()["status"] == "draining"


def test_drain_lets_in_flight_finish_and_refuses_new(serve_api: Callable[..., Any]) -> None:
    settings = Settings(workers=1, worker_concurrency=2, pool_size=1, shutdown_grace_ms=5000)
    live = serve_api(settings)
    with live.client() as client, ThreadPoolExecutor(1) as pool:
        in_flight = pool.submit(client.post, "/v1/evaluate", json=SLOW)
        wait_until(client, running)
        live.server.request_drain()  # what the first SIGTERM does
        wait_until(client, draining)
        assert client.get("/readyz").status_code == 503
        refused = client.post("/v1/evaluate", json={"code": "1"})
        assert refused.status_code == 503
        assert refused.json()["detail"].startswith("Service unavailable")
        assert client.post("/v1/evaluate", json={"code": 1}).status_code == 422  # 422 first
        assert client.get("/healthz").status_code == 200  # alive while draining
        done = in_flight.result(timeout=10)
        assert done.status_code == 200 and done.json()["result"] == "finished"
    live.thread.join(timeout=10)
    assert not live.thread.is_alive()  # drained, so the server stopped by itself


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_jseval_serve_drains_on_sigterm() -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    secret = "s3cr3t_in_a_served_request"
    env = {**os.environ, "JSEVAL_POOL_SIZE": "1", "JSEVAL_SHUTDOWN_GRACE_MS": "5000"}
    process = subprocess.Popen(
        [sys.executable, "-m", "api", "--port", str(port), "--workers", "0"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        with httpx.Client(base_url=url, timeout=10) as client:
            for _ in range(300):
                try:
                    if client.get("/readyz").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                time.sleep(0.05)
            else:
                raise AssertionError("jseval serve did not become ready")
            body = {"code": f"console.log('{secret}'); '{secret}'", "store": {secret: secret}}
            assert client.post("/v1/evaluate", json=body).json()["result"] == secret
            assert client.get(f"/v1/{secret}?q={secret}").status_code == 404
            with ThreadPoolExecutor(1) as pool:
                in_flight = pool.submit(client.post, "/v1/evaluate", json=SLOW)
                wait_until(client, running)
                process.send_signal(signal.SIGTERM)
                wait_until(client, draining)  # from uvicorn's next tick
                assert client.post("/v1/evaluate", json={"code": "1"}).status_code == 503
                assert in_flight.result(timeout=10).json()["result"] == "finished"
        _, stderr = process.communicate(timeout=15)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, stderr
    assert "draining" in stderr and "jseval.access" in stderr
    assert "status=503" in stderr and "path=other" in stderr
    assert secret not in stderr
