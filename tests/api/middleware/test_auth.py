"""401 with JSEVAL_API_KEYS set: Bearer keys on /v1/* and /metrics; probes, docs, playground
open; CORS preflights answered before authentication; the documented order 413 > 401 > 422."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Any

import httpx
import pytest

from api.middleware.auth import bearer_key
from evaluator import Settings

ORIGIN = "https://app.example"


@pytest.fixture(scope="module")
def secured(live_server_cm: Callable[..., AbstractContextManager[Any]]) -> Iterator[httpx.Client]:
    settings = Settings(
        api_keys="key-one, key-two",  # comma-separated, as in the environment
        cors_origins=ORIGIN,
        max_request_bytes=1024,
        workers=1,
        pool_size=1,
    )
    with live_server_cm(settings) as live, live.client() as client:
        yield client


def auth(key: str, scheme: str = "Bearer") -> dict[str, str]:
    return {"Authorization": f"{scheme} {key}"}


def test_missing_or_wrong_key_is_401(secured: httpx.Client) -> None:
    for headers in ({}, auth("key-three"), auth("key-one", "Basic"), auth("key-on"),
                    {"Authorization": "Bearer"}, {"Authorization": "key-one"}):
        response = secured.post("/v1/evaluate", json={"code": "1"}, headers=headers)
        assert response.status_code == 401, headers
        assert response.headers["www-authenticate"] == "Bearer"
        assert response.json()["detail"] in {"Not authenticated", "Invalid API key"}


def test_any_configured_key_any_scheme_case(secured: httpx.Client) -> None:
    for headers in (auth("key-one"), auth("key-two", "bearer"), auth("key-one", "BEARER")):
        response = secured.post("/v1/evaluate", json={"code": "1 + 1"}, headers=headers)
        assert response.status_code == 200, headers
        assert response.json()["result"] == 2


def test_protected_and_open_paths(secured: httpx.Client) -> None:
    for path in ("/v1/info", "/metrics", "/v2/unknown"):  # unknown paths fail closed
        assert secured.get(path).status_code == 401, path
    assert secured.get("/metrics", headers=auth("key-two")).status_code == 200
    assert secured.get("/v1/info", headers=auth("key-two")).status_code == 200
    open_paths = (
        "/healthz",
        "/readyz",
        "/docs",
        "/openapi.json",
        "/",
        "/favicon.ico",
        "/static/playground/main.js",
        "/static/vendor/codemirror.js",
    )
    for path in open_paths:
        assert secured.get(path).status_code == 200, path


def test_order_413_then_401_then_422(secured: httpx.Client) -> None:
    big = {"code": "x" * 2000}
    assert secured.post("/v1/evaluate", json=big).status_code == 413  # no key, still 413
    assert secured.post("/v1/evaluate", json={"code": 1}).status_code == 401  # invalid, no key
    invalid = secured.post("/v1/evaluate", json={"code": 1}, headers=auth("key-one"))
    assert invalid.status_code == 422


def test_cors_preflight_and_headers(secured: httpx.Client) -> None:
    preflight = secured.options(
        "/v1/evaluate",
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )
    assert preflight.status_code == 200  # no credentials on a preflight, and none needed
    assert preflight.headers["access-control-allow-origin"] == ORIGIN
    assert "POST" in preflight.headers["access-control-allow-methods"]
    assert "authorization" in preflight.headers["access-control-allow-headers"].lower()

    other = secured.options(
        "/v1/evaluate",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert other.status_code == 400
    assert "access-control-allow-origin" not in other.headers

    # The browser can read answers, 401s included (so a front end can say "bad key").
    ok = secured.post(
        "/v1/evaluate", json={"code": "1"}, headers={"Origin": ORIGIN, **auth("key-one")}
    )
    assert ok.headers["access-control-allow-origin"] == ORIGIN
    assert "x-request-id" in ok.headers["access-control-expose-headers"].lower()
    refused = secured.post("/v1/evaluate", json={"code": "1"}, headers={"Origin": ORIGIN})
    assert refused.status_code == 401
    assert refused.headers["access-control-allow-origin"] == ORIGIN


def test_without_keys_and_origins_everything_is_open_and_no_cors(
    api_client: httpx.Client,
) -> None:
    assert api_client.get("/metrics").status_code == 200
    preflight = api_client.options(
        "/v1/evaluate", headers={"Origin": ORIGIN, "Access-Control-Request-Method": "POST"}
    )
    assert "access-control-allow-origin" not in preflight.headers
    answer = api_client.post("/v1/evaluate", json={"code": "1"}, headers={"Origin": ORIGIN})
    assert "access-control-allow-origin" not in answer.headers


def test_bearer_key_parsing() -> None:
    assert bearer_key([(b"authorization", b"Bearer abc")]) == b"abc"
    assert bearer_key([(b"authorization", b"bEaReR   abc  ")]) == b"abc"
    assert bearer_key([(b"authorization", b"Basic abc")]) is None
    assert bearer_key([(b"authorization", b"Bearer")]) is None
    assert bearer_key([(b"x-other", b"Bearer abc")]) is None
