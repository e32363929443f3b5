"""The admin API for installed libraries (SPEC section 9) on a real uvicorn with a real worker
pool: install (JavaScript or JSON body), use it from an evaluation, list, replace, remove;
every refusal a 422 with its reason; admin keys alone open it; a second replica on the same
SQLite file sees every change."""

from __future__ import annotations

import hashlib
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Any

import httpx
import pytest

from evaluator import Settings, WorkerPool
from evaluator.libraries import MAX_LIBRARY_BYTES

ADMIN = {"Authorization": "Bearer lib-admin-key"}
EVAL = {"Authorization": "Bearer lib-eval-key"}
JS = {**ADMIN, "Content-Type": "text/javascript"}
GREETER = (
    "var Greeter = (function () {\n"
    "  return { VERSION: '1.0.0', hello: function (name) { return 'hello ' + name; } };\n"
    "})();\n"
)


def settings(data_dir: str | None = None, **changes: Any) -> Settings:
    values: dict[str, Any] = dict(
        data_dir=data_dir or tempfile.mkdtemp(prefix="jseval-libraries-"),
        admin_keys="lib-admin-key",
        api_keys="lib-eval-key",
        workers=1,
        pool_size=1,
    )
    values.update(changes)
    return Settings(**values)


@pytest.fixture(scope="module")
def api(live_server_cm: Callable[..., AbstractContextManager[Any]]) -> Iterator[httpx.Client]:
    chosen = settings()
    with live_server_cm(chosen, WorkerPool(chosen)) as live, live.client() as client:
        yield client


def evaluate(client: httpx.Client, code: str, **fields: Any) -> dict[str, Any]:
    response = client.post("/v1/evaluate", json={"code": code, **fields}, headers=EVAL)
    assert response.status_code == 200, response.text
    return response.json()


def refused(response: httpx.Response) -> str:
    assert response.status_code == 422, response.text
    [error] = response.json()["detail"]
    assert error["type"] == "library_refused" and error["loc"] == ["body"]
    return str(error["msg"])


def test_install_use_list_replace_remove(api: httpx.Client) -> None:
    put = api.put("/v1/admin/libraries/greeter", content=GREETER, headers=JS)
    assert put.status_code == 201, put.text
    record = put.json()
    assert {k: record[k] for k in ("name", "version", "globals", "size_bytes")} == {
        "name": "greeter", "version": "1.0.0", "globals": ["Greeter"], "size_bytes": len(GREETER),
    }
    assert record["sha256"] == hashlib.sha256(GREETER.encode()).hexdigest()
    # The next evaluation (in a worker process) has it, loaded when it first reads Greeter.
    assert evaluate(api, "Greeter.hello('you')")["result"] == "hello you"
    untouched = evaluate(api, "typeof Object.getOwnPropertyDescriptor(globalThis, 'Greeter').get")
    assert untouched["result"] == "function"
    assert api.get("/v1/admin/libraries/greeter", headers=ADMIN).json() == record
    listed = api.get("/v1/admin/libraries", headers=ADMIN).json()["libraries"]
    assert [item["name"] for item in listed] == ["greeter"]
    info = api.get("/v1/info", headers=EVAL).json()["libraries"]
    assert [lib["name"] for lib in info] == ["lodash", "moment", "forge", "greeter"]
    assert info[-1] == {"name": "greeter", "version": "1.0.0", "globals": ["Greeter"],
                        "builtin": False, "docs_url": None}

    # Replaced (200) from JSON with a version of its own.
    replacement = "var Greeter = { hello: function (n) { return 'hi ' + n; } };"
    again = api.put("/v1/admin/libraries/greeter", headers=ADMIN,
                    json={"source": replacement, "version": "2.0.0-rc.1"})
    assert again.status_code == 200, again.text
    assert again.json()["version"] == "2.0.0-rc.1"
    assert evaluate(api, "Greeter.hello('you')")["result"] == "hi you"

    assert api.delete("/v1/admin/libraries/greeter", headers=ADMIN).status_code == 204
    assert evaluate(api, "typeof Greeter")["result"] == "undefined"
    missing = api.get("/v1/admin/libraries/greeter", headers=ADMIN)
    assert missing.status_code == 404
    assert missing.json() == {"detail": "no library named 'greeter'"}
    assert api.delete("/v1/admin/libraries/greeter", headers=ADMIN).status_code == 404
    assert [lib["name"] for lib in api.get("/v1/info", headers=EVAL).json()["libraries"]] == [
        "lodash", "moment", "forge"]


def test_the_version_comes_from_the_query_or_the_json(api: httpx.Client) -> None:
    put = api.put("/v1/admin/libraries/versioned?version=3.1.4", content="var V = 1;", headers=JS)
    assert put.status_code == 201 and put.json()["version"] == "3.1.4"
    same = api.put("/v1/admin/libraries/versioned?version=3.1.5", headers=ADMIN,
                   json={"source": "var V = 1;"})
    assert same.status_code == 200 and same.json()["version"] == "3.1.5"
    bare = api.put("/v1/admin/libraries/bare", content="var Bare = 1;",
                   headers={**ADMIN, "Content-Type": "application/javascript; charset=utf-8"})
    assert bare.status_code == 201 and bare.json()["version"] == "unknown"
    for name in ("versioned", "bare"):
        assert api.delete(f"/v1/admin/libraries/{name}", headers=ADMIN).status_code == 204


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        ("throw new TypeError('broken at load')", "the bundle threw when it ran: TypeError: broken at load"),
        ("while (true) {}", "did not finish when it ran, within the default time budget"),
        ("const a = []; while (true) a.push(new Array(1e5).fill(1));", "went past the default memory budget"),
        ("1 + 1", "the bundle defines no global: install a UMD or IIFE build"),
        ("export default 1;", "does not parse: SyntaxError"),
        ("var _ = 1;", "the bundle replaces '_', a global of another library"),
        ("var X = 1; self.fetch = function () {};", "replaces or deletes 'fetch', a global of the sandbox"),
        ("var TextEncoder = 1;", "replaces or deletes 'TextEncoder', a global of the sandbox"),
        ("var Mine = 1; this.args = 1;", "the bundle defines 'args', which the sandbox already has"),
        ("this.appsmith2 = 1; globalThis['not a name'] = 2;", "not a name code can use"),
    ],
)
def test_a_refused_bundle_is_a_422_with_the_reason(api: httpx.Client, source: str, reason: str) -> None:
    message = refused(api.put("/v1/admin/libraries/bad", content=source, headers=JS))
    assert reason in message
    assert api.get("/v1/admin/libraries/bad", headers=ADMIN).status_code == 404
    assert evaluate(api, "1 + 1")["result"] == 2  # the service goes on


def test_two_libraries_may_not_define_the_same_global(api: httpx.Client) -> None:
    assert api.put("/v1/admin/libraries/first", content="var Shared = 1;", headers=JS).status_code == 201
    try:
        message = refused(api.put("/v1/admin/libraries/second", content="var Shared = 2;", headers=JS))
        assert message == "the bundle replaces 'Shared', a global of another library"
        # A plugin that extends another library is fine (it reads, never replaces, its global).
        plugin = "Shared; var SharedPlugin = { of: function () { return Shared + 1; } };"
        assert api.put("/v1/admin/libraries/plugin", content=plugin, headers=JS).status_code == 201
        assert evaluate(api, "SharedPlugin.of()")["result"] == 2
        assert api.delete("/v1/admin/libraries/plugin", headers=ADMIN).status_code == 204
    finally:
        api.delete("/v1/admin/libraries/first", headers=ADMIN)


@pytest.mark.parametrize(
    ("path", "kwargs", "status", "where"),
    [
        ("/v1/admin/libraries/lodash", {"content": "var L = 1;", "headers": JS}, 422, ["body"]),
        ("/v1/admin/libraries/Bad_Name", {"content": "var L = 1;", "headers": JS}, 422, ["path", "name"]),
        ("/v1/admin/libraries/x", {"content": "var L = 1;", "headers": {**ADMIN, "Content-Type": "application/xml"}}, 415, ["header", "content-type"]),
        ("/v1/admin/libraries/x", {"content": b"var L = '\xff';", "headers": JS}, 422, ["body"]),
        ("/v1/admin/libraries/x?version=1", {"json": {"source": "var L = 1;", "version": "2"}, "headers": ADMIN}, 422, ["query", "version"]),
        ("/v1/admin/libraries/x?version=a%20b", {"content": "var L = 1;", "headers": JS}, 422, ["query", "version"]),
        ("/v1/admin/libraries/x", {"json": {"source": "var L = 1;", "extra": 1}, "headers": ADMIN}, 422, ["body", "extra"]),
        ("/v1/admin/libraries/x", {"json": {"version": "1"}, "headers": ADMIN}, 422, ["body", "source"]),
        ("/v1/admin/libraries/x", {"content": "var Big = 1;//" + "x" * MAX_LIBRARY_BYTES, "headers": JS}, 422, ["body"]),
    ],
)
def test_bad_requests_are_clear_4xx(api: httpx.Client, path: str, kwargs: dict, status: int, where: list) -> None:
    response = api.put(path, **kwargs)
    assert response.status_code == status, response.text
    assert any(error["loc"][: len(where)] == where for error in response.json()["detail"]), response.text
    assert "var L" not in response.text and "xxxx" not in response.text  # never echoed


def test_admin_keys_alone_open_it_and_no_request_can_install(api: httpx.Client) -> None:
    for headers in ({}, EVAL, {"Authorization": "Bearer nope"}):
        for method in ("GET", "PUT", "DELETE"):
            response = api.request(method, "/v1/admin/libraries/greeter", content=GREETER,
                                   headers={**headers, "Content-Type": "text/javascript"})
            assert response.status_code == 401, (method, headers)
    # An evaluation request has no way to install: no such field, and what code defines on
    # the global object ends with its isolate.
    body = {"code": "globalThis.Greeter = { hello: () => 'mine' }; 1", "libraries": [GREETER]}
    assert api.post("/v1/evaluate", json=body, headers=EVAL).status_code == 422
    evaluate(api, "globalThis.Installed = 1; var Greeter = 2;")
    assert evaluate(api, "[typeof Installed, typeof Greeter]")["result"] == ["undefined", "undefined"]
    assert api.get("/v1/admin/libraries", headers=ADMIN).json() == {"libraries": []}


def test_without_admin_keys_the_library_api_is_403(serve_api) -> None:
    live = serve_api(settings(admin_keys="", api_keys=""))
    with live.client() as client:
        response = client.put("/v1/admin/libraries/greeter", content=GREETER,
                              headers={"Content-Type": "text/javascript"})
        assert response.status_code == 403
        assert client.get("/v1/admin/libraries").status_code == 403


def wait_for(condition: Callable[[], bool], timeout_s: float = 15.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "the change did not arrive"
        time.sleep(0.05)


def test_a_second_replica_on_the_same_database_sees_installs_and_removals(serve_api) -> None:
    """Two apps, each with its own worker pool, on one SQLite file: an install through one is
    offered by the other (its watcher polls every JSEVAL_LIBRARY_REFRESH_MS; /v1/info
    refreshes at once), and so is a removal."""
    shared = tempfile.mkdtemp(prefix="jseval-replicas-")
    first_settings = settings(shared, library_refresh_ms=60_000)  # only /v1/info refreshes
    second_settings = settings(shared, library_refresh_ms=200)
    first = serve_api(first_settings, WorkerPool(first_settings))
    second = serve_api(second_settings, WorkerPool(second_settings))
    with first.client() as one, second.client() as two:
        assert one.put("/v1/admin/libraries/greeter", content=GREETER, headers=JS).status_code == 201
        # The second replica's watcher picks it up by itself.
        wait_for(lambda: evaluate(two, "typeof Greeter")["result"] == "object")
        assert evaluate(two, "Greeter.hello('two')")["result"] == "hello two"
        # The first replica learns of the second's removal through /v1/info at once.
        assert two.delete("/v1/admin/libraries/greeter", headers=ADMIN).status_code == 204
        assert evaluate(one, "typeof Greeter")["result"] == "object"  # not polled yet
        names = [lib["name"] for lib in one.get("/v1/info", headers=EVAL).json()["libraries"]]
        assert "greeter" not in names
        assert evaluate(one, "typeof Greeter")["result"] == "undefined"


def test_the_openapi_examples_install_as_given(api: httpx.Client) -> None:
    """/docs "Try it out" on either example body installs (SPEC section 11)."""
    operation = api.get("/openapi.json").json()["paths"]["/v1/admin/libraries/{name}"]["put"]
    [example_name] = next(p for p in operation["parameters"] if p["name"] == "name")["schema"]["examples"]
    # No example for ?version=: a form filled in with one would conflict with the JSON's.
    version = next(p for p in operation["parameters"] if p["name"] == "version")
    assert "examples" not in version["schema"] and "example" not in version
    content = operation["requestBody"]["content"]
    assert set(content) == {"text/javascript", "application/json"}
    for media_type, body in content.items():
        [example] = [e["value"] for e in body["examples"].values()]
        kwargs: dict[str, Any] = (
            {"json": example} if media_type == "application/json" else {"content": example}
        )
        response = api.put(f"/v1/admin/libraries/{example_name}",
                           headers={**ADMIN, "Content-Type": media_type}, **kwargs)
        assert response.status_code in (200, 201), response.text
        assert evaluate(api, "Greeter.hello('docs')")["result"] == "hello docs"
    assert api.delete(f"/v1/admin/libraries/{example_name}", headers=ADMIN).status_code == 204
