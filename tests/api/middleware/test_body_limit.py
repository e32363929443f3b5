"""413 over JSEVAL_MAX_REQUEST_BYTES: by Content-Length before reading, by counting chunks."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Any

import httpx
import pytest

from evaluator import Settings

LIMIT = 2048


@pytest.fixture(scope="module")
def limited(live_server_cm: Callable[..., AbstractContextManager[Any]]) -> Iterator[httpx.Client]:
    settings = Settings(max_request_bytes=LIMIT, max_batch=3, workers=1, pool_size=1)
    with live_server_cm(settings) as live, live.client() as client:
        yield client


def body_of(size: int) -> bytes:
    """A valid request body of exactly `size` bytes."""
    head, tail = b'{"code": "', b'"}'
    return head + b"1" * (size - len(head) - len(tail)) + tail


def chunks(body: bytes, size: int = 256) -> Iterator[bytes]:
    for start in range(0, len(body), size):
        yield body[start : start + size]


def test_content_length_over_limit(limited: httpx.Client) -> None:
    response = limited.post("/v1/evaluate", content=body_of(LIMIT + 1))
    assert response.status_code == 413
    assert response.json() == {
        "detail": f"Request body too large: at most {LIMIT} bytes are accepted"
    }
    assert response.headers["connection"] == "close"


def test_content_length_at_limit(limited: httpx.Client) -> None:
    response = limited.post(
        "/v1/evaluate", content=body_of(LIMIT), headers={"content-type": "application/json"}
    )
    assert response.status_code == 200 and response.json()["ok"] is True


def test_chunked_over_limit(limited: httpx.Client) -> None:
    response = limited.post("/v1/evaluate", content=chunks(body_of(LIMIT * 4)))
    assert response.status_code == 413


def test_chunked_within_limit(limited: httpx.Client) -> None:
    response = limited.post(
        "/v1/evaluate",
        content=chunks(b'{"code": "40 + 2"}', size=5),
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 200 and response.json()["result"] == 42


def test_server_keeps_serving_after_413(limited: httpx.Client) -> None:
    for _ in range(3):
        assert limited.post("/v1/evaluate", content=body_of(LIMIT * 2)).status_code == 413
        assert limited.post("/v1/evaluate", json={"code": "1"}).status_code == 200


def test_batch_over_the_configured_size(limited: httpx.Client) -> None:
    response = limited.post("/v1/evaluate/batch", json={"evaluations": [{"code": "1"}] * 4})
    assert response.status_code == 422
    assert "at most 3" in response.json()["detail"][0]["msg"]
