"""The admin API (SPEC section 8) on a real uvicorn: admin keys alone open it, evaluation keys
never do, secrets are write-only, every bad request is a clear 4xx."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Any

import httpx
import pytest

from api.middleware.admin_auth import DISABLED_DETAIL
from evaluator import Settings

ADMIN = {"Authorization": "Bearer admin-key-1"}
EVAL = {"Authorization": "Bearer eval-key-1"}
SECRET = "admin-api-S3CRET-needle"
PAYMENTS = {
    "kind": "rest",
    "base_url": "https://api.example.com/v1",
    "headers": {"X-Api-Key": {"secret": SECRET}, "Accept": "application/json"},
    "query": {},
    "auth": {"type": "bearer", "token": {"secret": SECRET + "-token"}},
    "allow_private": False,
}


def settings(**changes: Any) -> Settings:
    values: dict[str, Any] = dict(
        data_dir=tempfile.mkdtemp(prefix="jseval-admin-"),
        admin_keys="admin-key-1, admin-key-2",
        api_keys="eval-key-1",
        master_key="admin-test-master-key-0001",
        workers=1,
        pool_size=1,
    )
    values.update(changes)
    return Settings(**values)


@pytest.fixture(scope="module")
def admin(live_server_cm: Callable[..., AbstractContextManager[Any]]) -> Iterator[httpx.Client]:
    with live_server_cm(settings()) as live, live.client() as client:
        yield client


def test_without_admin_keys_the_admin_api_is_403_with_how_to_enable_it(serve_api) -> None:
    live = serve_api(settings(admin_keys="", api_keys=""))
    with live.client() as client:
        for method, path in (("GET", "/v1/admin/datasources"), ("GET", "/v1/admin/datasources/x"),
                             ("PUT", "/v1/admin/datasources/x"), ("DELETE", "/v1/admin/x"),
                             ("GET", "/v1/admin")):
            response = client.request(method, path, headers=ADMIN, json=PAYMENTS)
            assert response.status_code == 403, path
            assert response.json() == {"detail": DISABLED_DETAIL}
            assert "JSEVAL_ADMIN_KEYS" in DISABLED_DETAIL
        assert client.post("/v1/evaluate", json={"code": "1"}).status_code == 200


def test_a_missing_or_wrong_admin_key_is_401(admin: httpx.Client) -> None:
    for headers in ({}, EVAL, {"Authorization": "Bearer admin-key-3"},
                    {"Authorization": "Basic admin-key-1"}, {"Authorization": "Bearer"}):
        response = admin.get("/v1/admin/datasources", headers=headers)
        assert response.status_code == 401, headers
        assert response.headers["www-authenticate"] == "Bearer"
    assert admin.get("/v1/admin/datasources", headers={"Authorization": "bearer admin-key-2"}
                     ).status_code == 200


def test_an_admin_key_does_not_open_evaluations(admin: httpx.Client) -> None:
    assert admin.post("/v1/evaluate", json={"code": "1"}, headers=ADMIN).status_code == 401
    assert admin.post("/v1/evaluate", json={"code": "1"}, headers=EVAL).status_code == 200


def test_create_read_replace_list_delete(admin: httpx.Client) -> None:
    put = admin.put("/v1/admin/datasources/payments", json=PAYMENTS, headers=ADMIN)
    assert put.status_code == 201, put.text
    shown = put.json()
    assert shown["name"] == "payments"
    assert shown["headers"] == {"X-Api-Key": {"secret": True}, "Accept": "application/json"}
    assert shown["auth"] == {"type": "bearer", "token": {"secret": True}}
    assert admin.get("/v1/admin/datasources/payments", headers=ADMIN).json() == shown
    again = admin.put("/v1/admin/datasources/payments", json=shown, headers=ADMIN)  # keeps secrets
    assert again.status_code == 200 and again.json() == shown
    listed = admin.get("/v1/admin/datasources", headers=ADMIN).json()
    assert [d["name"] for d in listed["datasources"]] == ["payments"]
    info = admin.get("/v1/info", headers=EVAL).json()
    assert info["datasources"] == [{"name": "payments", "kind": "rest"}]
    assert admin.delete("/v1/admin/datasources/payments", headers=ADMIN).status_code == 204
    missing = admin.get("/v1/admin/datasources/payments", headers=ADMIN)
    assert missing.status_code == 404 and missing.json() == {"detail": "no datasource named 'payments'"}
    assert admin.delete("/v1/admin/datasources/payments", headers=ADMIN).status_code == 404
    assert admin.get("/v1/info", headers=EVAL).json()["datasources"] == []


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ({"base_url": "gopher://x"}, ["body", "base_url"]),
        ({"base_url": "http://169.254.169.254/"}, ["body", "base_url"]),
        ({"base_url": "https://x.example", "headers": {"Host": {"secret": SECRET}}}, ["body", "headers"]),
        ({"base_url": "https://x.example", "name": "other"}, ["body", "name"]),
        ({"base_url": "https://x.example", "query": {"k": {"secret": True}}}, ["body", "query", "k"]),
        ({"headers": {"X": {"secret": SECRET}}}, ["body", "base_url"]),
    ],
)
def test_invalid_bodies_are_422_and_never_echo_a_secret(admin: httpx.Client, body, where) -> None:
    response = admin.put("/v1/admin/datasources/bad", json=body, headers=ADMIN)
    assert response.status_code == 422, response.text
    assert SECRET not in response.text
    assert any(error["loc"][: len(where)] == where for error in response.json()["detail"]), response.text


def test_a_bad_name_in_the_path_is_422(admin: httpx.Client) -> None:
    for name in ("1abc", "a-b", "x" * 65):
        response = admin.put(f"/v1/admin/datasources/{name}", json=PAYMENTS, headers=ADMIN)
        assert response.status_code == 422, name
        assert SECRET not in response.text


def test_without_a_master_key_secrets_are_a_422_and_plain_values_work(serve_api) -> None:
    live = serve_api(settings(master_key=None))
    with live.client() as client:
        response = client.put("/v1/admin/datasources/payments", json=PAYMENTS, headers=ADMIN)
        assert response.status_code == 422
        detail = response.json()["detail"]
        assert {d["type"] for d in detail} == {"master_key_missing"}
        assert "JSEVAL_MASTER_KEY" in detail[0]["msg"] and SECRET not in response.text
        plain = {"base_url": "https://x.example", "headers": {"Accept": "application/json"}}
        assert client.put("/v1/admin/datasources/plain", json=plain, headers=ADMIN).status_code == 201


def test_the_openapi_document_describes_the_admin_api(admin: httpx.Client) -> None:
    spec = admin.get("/openapi.json").json()
    assert {"get", "put", "delete"} <= set(spec["paths"]["/v1/admin/datasources/{name}"])
    assert "Datasource" in spec["components"]["schemas"]
