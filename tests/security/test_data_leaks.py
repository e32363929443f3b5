"""Class 4, data leaks and confusion: the service's secrets, the host's details and other
evaluations' data are out of reach, and what the sandbox shows of time is what SECURITY.md says.

`attack()` (conftest.py) already searches every answer for the API key, the canary secret put in
the service's environment, the repository and interpreter paths and Python traceback text; the
tests here add the techniques that go looking for them.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

Attack = Callable[..., dict[str, Any]]

ENVIRONMENT_HUNT = """
const found = [];
const tryIt = async (name, f) => { try { const v = await f(); if (v !== undefined && v !== null) found.push(name + ': ' + String(v).slice(0, 200)) } catch (e) { found.push(name + ' threw ' + e.name + ': ' + e.message.slice(0, 200)) } };
await tryIt('process.env', () => process.env[CANARY_ENV]);
await tryIt('globalThis.process', () => globalThis.process);
await tryIt('Deno.env', () => Deno.env.get(CANARY_ENV));
await tryIt('require', () => require('process').env);
await tryIt('import', () => import('node:process'));
await tryIt('env global', () => globalThis.env || globalThis.ENV || globalThis.environ);
await tryIt('file url', () => fetch('file:///proc/self/environ').then((r) => r.text()));
await tryIt('environ via the API', () => fetch(API + '/v1/info').then((r) => r.text()));
await tryIt('metrics via the API', () => fetch(API + '/metrics').then((r) => r.text()));
await tryIt('the API by name', () => fetch(API.replace('127.0.0.1', 'localhost') + '/healthz').then((r) => r.text()));
await tryIt('the API by 127.1', () => fetch(API.replace('127.0.0.1', '127.1') + '/healthz').then((r) => r.text()));
await tryIt('metadata', () => fetch('http://169.254.169.254/latest/meta-data/').then((r) => r.text()));
return found;
"""


def test_the_service_environment_and_api_are_out_of_reach(attack: Attack, red_team: Any) -> None:
    code = f"const CANARY_ENV = {json.dumps(red_team.canary_env)}; const API = {json.dumps(red_team.url)};\n"
    result = attack(code + ENVIRONMENT_HUNT, mode="function", timeout_ms=3000)
    assert result["ok"], result["error"]
    found = result["result"]
    # Every probe either threw a ReferenceError (the name is not there) or was refused by the
    # network policy; none returned anything. (attack() has already checked no canary or key
    # appears anywhere in the answer.)
    assert all(" threw " in line for line in found), found
    for line in found:
        assert "ReferenceError" in line or "TypeError: fetch failed: " in line or "TypeError: modules are not available" in line, line
    assert all(record["status"] is None for record in result["fetches"])


def test_the_worker_processes_hold_no_secret_of_the_environment(red_team: Any) -> None:
    pids = red_team.worker_pids()
    assert pids
    for pid in pids:
        with open(f"/proc/{pid}/environ", "rb") as handle:
            environ = handle.read()
        assert red_team.canary.encode() not in environ
        assert red_team.api_key.encode() not in environ


FETCH_FAILURES = {
    "private address": "http://10.0.0.1/",
    "loopback": "http://127.0.0.1:1/",
    "metadata": "http://169.254.169.254/",
    "file": "file:///etc/passwd",
    "data": "data:text/plain,hello",
    "credentials": "http://user:pass@example.com/",
    "not a url": "http://[::1",
    "bad scheme": "gopher://example.com/",
    "unresolvable": "http://does-not-exist.invalid/",
}


def test_python_errors_reach_javascript_as_short_messages(
    attack: Attack, origin_server: Any
) -> None:
    """Host failures (policy, parsing, DNS, size, time) reach the code as `TypeError: fetch
    failed: <reason>`: one short line, no traceback, no path, no exception class."""
    urls = dict(FETCH_FAILURES)
    urls["too large"] = origin_server.url("/bytes?n=20000000")
    urls["too slow"] = origin_server.url("/slow?ms=3000")
    code = """
    const out = {};
    for (const [name, url] of Object.entries(URLS)) {
      try { const r = await fetch(url); out[name] = 'resolved ' + r.status + ' ' + (await r.text()).length; }
      catch (e) { out[name] = [e.name, e.message, String(e.stack)]; }
    }
    return out;
    """.replace("URLS", json.dumps(urls))
    result = attack(code, mode="function", timeout_ms=6000, memory_mb=64)
    assert result["ok"], result["error"]
    for name, outcome in result["result"].items():
        assert isinstance(outcome, list), (name, outcome)
        error_name, message, stack = outcome
        assert error_name == "TypeError" and message.startswith("fetch failed: "), (name, message)
        assert "\n" not in message and len(message) < 300, (name, message)
        for marker in ("Traceback", 'File "', "httpx", "httpcore", "Error(", "Exception", sys.prefix):
            assert marker not in message, (name, message)
        assert "_fetch.py" not in stack and ".py" not in stack


POLLUTE = """
const marker = MARKER;
globalThis.leak = marker; globalThis[marker] = marker;
Object.prototype.leak = marker; Array.prototype.leak = marker; Function.prototype.leak = marker;
String.prototype.leak = marker; Promise.prototype.leak = marker; Error.prototype.leak = marker;
JSON.stringify = () => marker; Math.random = () => marker; Date.now = () => marker;
Error.prepareStackTrace = () => marker; Symbol.for(marker); RegExp(marker).exec(marker);
console.log(marker); storeValue('leak', marker); localStorage.setItem('leak2', marker);
setTimeout(() => { globalThis.late = marker }, 1e6); setInterval(() => {}, 1e6, marker);
new FinalizationRegistry(() => { globalThis.late = marker }).register({}, marker);
globalThis.bigState = new Array(1000).fill(marker);
"""

OBSERVE = """
const seen = [];
const check = (name, value) => { if (value !== undefined && value !== null && String(value).includes('marker-')) seen.push(name + '=' + String(value).slice(0, 40)); };
check('global', globalThis.leak); check('late', globalThis.late); check('bigState', globalThis.bigState);
check('Object.prototype', ({}).leak); check('Array.prototype', [].leak); check('Function.prototype', (() => 1).leak);
check('String.prototype', ''.leak); check('Promise.prototype', Promise.resolve().leak); check('Error.prototype', new Error().leak);
check('JSON', JSON.stringify(1)); check('random', Math.random()); check('Date.now', Date.now());
check('prepareStackTrace', Error.prepareStackTrace); check('RegExp.$_', RegExp.lastMatch);
check('store', JSON.stringify(appsmith.store)); check('localStorage', localStorage.getItem('leak2'));
check('keys', Object.getOwnPropertyNames(globalThis).filter((k) => k.startsWith('marker-')).join());
seen;
"""


def test_nothing_of_one_evaluation_reaches_the_next(attack: Attack) -> None:
    polluted = attack(POLLUTE.replace("MARKER", json.dumps("marker-first")) + "1")
    assert polluted["ok"] and polluted["store"]["leak"] == "marker-first"
    for _ in range(6):  # more than the pool's warm sandboxes, across both workers
        result = attack(OBSERVE)
        assert result["ok"] and result["result"] == [], result["result"]
        assert result["logs"] == [] and result["store"] == {} and result["timers"]["pending"] == []


def test_nothing_of_a_concurrent_evaluation_reaches_this_one(attack: Attack) -> None:
    def run(name: str) -> dict[str, Any]:
        code = (
            POLLUTE.replace("MARKER", json.dumps("marker-" + name))
            + "await new Promise((r) => setTimeout(r, 150));\n"
            + OBSERVE.replace("'marker-'", json.dumps("marker-" + ("b" if name == "a" else "a")))
            .replace("seen;", "return seen;")
        )
        return attack(code, mode="function", timeout_ms=2000)

    with ThreadPoolExecutor(2) as pool:
        first, second = pool.map(run, ["a", "b"])
    for result, own in ((first, "marker-a"), (second, "marker-b")):
        assert result["ok"], result["error"]
        assert result["result"] == []
        assert [entry["text"] for entry in result["logs"]] == [own]
        assert result["store"] == {"leak": own, "leak2": own}


def test_clocks_have_millisecond_resolution(attack: Attack) -> None:
    """What the sandbox shows of time (docs/SECURITY.md): Date, performance.now() and
    Temporal.Now tick in whole milliseconds; there is no SharedArrayBuffer or Atomics for a
    counting thread, no process.hrtime. (One Date is read twice: two `new Date()` may straddle a
    millisecond.)"""
    code = """
    const ticks = (now) => {
      const deltas = new Set();
      let last = now();
      const until = last + 20;
      while (now() < until) { const t = now(); if (t !== last) { deltas.add(t - last); last = t; } }
      return deltas.size > 0 && [...deltas].every(Number.isInteger);
    };
    const ns = [];
    for (let i = 0; i < 50; i++) ns.push(Temporal.Now.instant().epochNanoseconds % 1000000n === 0n);
    const samples = [];
    for (let i = 0; i < 1000; i++) samples.push(performance.now());
    [ticks(Date.now), ticks(() => performance.now()), samples.every(Number.isInteger),
     Number.isInteger(performance.timeOrigin), ns.every(Boolean), typeof SharedArrayBuffer,
     typeof Atomics, typeof process, (d => d.getMilliseconds() === d.getTime() % 1000)(new Date())]
    """
    result = attack(code, timeout_ms=1000)
    assert result["ok"], result["error"]
    assert result["result"] == [
        True, True, True, True, True, "undefined", "undefined", "undefined", True
    ]


def test_performance_follows_the_virtual_clock(attack: Attack) -> None:
    code = """
    const first = [performance.timeOrigin, performance.now()];
    await new Promise((resolve) => setTimeout(resolve, 2500));
    return [first, performance.timeOrigin, performance.now(), Date.now()];
    """
    result = attack(code, mode="function", clock="virtual", now_ms=86_400_000)
    assert result["ok"], result["error"]
    assert result["result"] == [[86_400_000, 0], 86_400_000, 2500, 86_402_500]


def test_the_virtual_clock_hides_the_real_time_from_date(attack: Attack) -> None:
    code = "[Date.now(), new Date().getTime(), Date(), new Date().toISOString()]"
    result = attack(code, clock="virtual", now_ms=86_400_000)
    assert result["ok"], result["error"]
    now, again, text, iso = result["result"]
    assert now == again == 86_400_000 and iso == "1970-01-02T00:00:00.000Z" and "1970" in text
