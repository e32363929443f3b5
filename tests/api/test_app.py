"""create_app(): the service it picks, and the whole app over HTTP with that default service."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

import evaluator
from api.app import OPEN_PATHS, create_app, default_service
from evaluator import LocalService, Settings, WorkerPool


def test_default_service_is_the_worker_pool() -> None:
    assert type(default_service(Settings(workers=1))) is WorkerPool


def test_create_app_without_arguments_reads_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("JSEVAL_MAX_BATCH", "7")
    app = create_app(service=LocalService(Settings(workers=1)))
    assert app.state.settings.max_batch == 7


def test_open_paths_are_the_specs() -> None:
    assert {"/healthz", "/readyz", "/docs", "/openapi.json", "/"} <= OPEN_PATHS
    assert not any(path.startswith("/v1") or path == "/metrics" for path in OPEN_PATHS)


@pytest.mark.skipif(not hasattr(evaluator, "WorkerPool"), reason="no WorkerPool in this tree")
def test_default_service_serves(serve_api: Callable[..., Any]) -> None:
    settings = Settings(workers=1, worker_concurrency=2, pool_size=1)
    live = serve_api(settings, default_service(settings))
    with live.client() as client:
        assert client.post("/v1/evaluate", json={"code": "1 + 1"}).json()["result"] == 2
        batch = {"evaluations": [{"code": "'a'"}, {"code": "null.x"}]}
        results = client.post("/v1/evaluate/batch", json=batch).json()["results"]
        assert results[0]["result"] == "a" and results[1]["error"]["kind"] == "runtime"
