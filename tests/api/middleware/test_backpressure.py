"""429 with Retry-After when the queue is full; 503 while draining; never a 500 from the service."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Sequence
from typing import Any

import httpx

from evaluator import (
    EvaluationRequest,
    EvaluationResult,
    LocalService,
    ServiceStats,
    Settings,
)


def test_flood_of_slow_evaluations_gets_429(serve_api: Callable[..., Any]) -> None:
    # One evaluation runs, one waits (max_queue=1): the other four are refused at once.
    settings = Settings(workers=1, worker_concurrency=1, max_queue=1, pool_size=1)
    live = serve_api(settings)
    spin = {"code": "while (true) {}", "timeout_ms": 600}

    async def flood() -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=live.url, timeout=10) as client:
            return list(
                await asyncio.gather(*(client.post("/v1/evaluate", json=spin) for _ in range(6)))
            )

    responses = asyncio.run(flood())
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200, 200, 429, 429, 429, 429]
    for response in responses:
        if response.status_code == 429:
            assert int(response.headers["retry-after"]) >= 1
            assert response.json()["detail"].startswith("Too many evaluations")
        else:
            assert response.json()["error"]["kind"] == "timeout"
    # A batch larger than the free capacity plus the queue is refused as a unit.
    with live.client() as client:
        batch = {"evaluations": [{"code": "1"}] * 3}
        assert client.post("/v1/evaluate/batch", json=batch).status_code == 429
        assert client.post("/v1/evaluate/batch", json={"evaluations": [{"code": "1"}] * 2}).json()[
            "results"
        ][1]["ok"]
        metrics = client.get("/metrics").text
    assert re.search(r'jseval_http_responses_total\{status="429"\} [5-9]', metrics)


class BrokenService(LocalService):
    """A service whose evaluation fails in an unforeseen way (a worker bug, say)."""

    async def evaluate(self, request: EvaluationRequest) -> EvaluationResult:
        raise RuntimeError("worker exploded: SECRET-internal-detail /opt/jseval/_worker.py")

    async def evaluate_batch(self, requests: Sequence[EvaluationRequest]) -> list[EvaluationResult]:
        raise KeyError("SECRET-internal-detail")


class BrokenStats(LocalService):
    """A service whose stats() fails: a bug in the API's own path, not an evaluation."""

    def stats(self) -> ServiceStats:
        if self.ready():
            raise ValueError("SECRET-internal-detail")
        return super().stats()


def test_unexpected_service_error_is_an_internal_result(serve_api: Callable[..., Any]) -> None:
    settings = Settings(workers=1, pool_size=1)
    live = serve_api(settings, BrokenService(settings))
    with live.client() as client:
        response = client.post("/v1/evaluate", json={"code": "1"})
        assert response.status_code == 200
        body = response.json()
        assert body["ok"] is False
        assert body["error"] == {
            "kind": "internal", "name": "InternalError", "message": "the sandbox failed",
            "line": None, "column": None, "stack": None,
        }
        batch = client.post("/v1/evaluate/batch", json={"evaluations": [{"code": "1"}] * 2})
        assert batch.status_code == 200
        assert [r["error"]["kind"] for r in batch.json()["results"]] == ["internal", "internal"]
        assert "SECRET" not in response.text + batch.text


def test_unexpected_api_error_is_a_plain_500(serve_api: Callable[..., Any], caplog: Any) -> None:
    settings = Settings(workers=1, pool_size=1)
    service = BrokenStats(settings)
    live = serve_api(settings, service, ready=False)
    with live.client() as client:
        for _ in range(500):
            if service.ready():
                break
            asyncio.run(asyncio.sleep(0.01))
        response = client.get("/readyz")
        assert response.status_code == 500
        assert response.json() == {"detail": "Internal Server Error"}
        assert client.get("/healthz").status_code == 200  # the server lives on
    assert "SECRET" not in response.text
    assert any("unhandled ValueError" in r.getMessage() for r in caplog.records)
    assert not any("SECRET" in r.getMessage() for r in caplog.records)
