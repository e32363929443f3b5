"""shims/fetch/26_fetch.js: fetch() as code sees it (failures, unhandled rejections, inputs).

What crosses to the host is checked against the real `origin_server` (it echoes what it got),
so "read once" and "copied at the call" are observed on the wire, not inferred.
"""

from __future__ import annotations

import pytest

from tests.support import call, value

# -- fetch ---------------------------------------------------------------------------------------


def test_fetch_is_a_framework_action_in_data_fields(evaluator):
    result = evaluator.evaluate({"code": "fetch('https://example.com/')", "mode": "expression"})
    assert result.error is not None
    assert result.error.name == "ActionCalledInSyncFieldError"
    assert "fetch()" in result.error.message


def test_every_failure_is_a_type_error_starting_fetch_failed(evaluator):
    result = value(evaluator, """
      const out = [];
      for (const args of [['http://127.0.0.1/'], ['file:///etc/passwd'], ['/relative'],
                          ['http://x/', {method: 'GET', body: 'b'}], ['http://x/', {headers: {'a b': 'c'}}],
                          ['http://u:p@example.com/'], []]) {
        out.push(await fetch(...args).then(() => 'fetched', e => [e.name, e.message.slice(0, 14)]));
      }
      return out
    """)
    assert result == [["TypeError", "fetch failed: "]] * 7


def test_a_forgotten_rejected_fetch_is_logged_as_uncaught(evaluator):
    result = call(evaluator, "fetch('http://10.0.0.1/'); await new Promise(r => setTimeout(r, 50)); return 1")
    assert result.ok
    assert [log.text for log in result.logs] == [
        "Uncaught (in promise) TypeError: fetch failed: 10.0.0.1 is a private address, refused by "
        "the network policy"
    ]
    assert [log.level for log in result.logs] == ["error"]


@pytest.mark.parametrize(
    "code",
    [
        "try { await fetch('http://10.0.0.1/') } catch {}",
        "await fetch('http://10.0.0.1/').catch(() => 0)",
        "await Promise.allSettled([fetch('http://10.0.0.1/')])",
        "await fetch('http://10.0.0.1/').then(() => 1, () => 2)",
    ],
)
def test_handled_fetch_rejections_are_not_logged(evaluator, code):
    result = call(evaluator, code + "; await new Promise(r => setTimeout(r, 30)); return 1")
    assert result.ok and result.logs == [], code


def test_a_handler_added_only_after_a_timer_comes_too_late(evaluator):
    # As in a browser: the rejection was unhandled when its microtasks had run.
    code = "const p = fetch('http://10.0.0.1/'); await new Promise(r => setTimeout(r, 20)); await p.catch(() => 0)"
    assert len(call(evaluator, code).logs) == 1


def test_a_derived_promise_nobody_handles_is_logged(evaluator):
    result = call(evaluator, "fetch('http://10.0.0.1/').then(r => r.text()); await new Promise(r => setTimeout(r, 50))")
    assert [log.text[:36] for log in result.logs] == ["Uncaught (in promise) TypeError: fet"]


def test_fetch_returns_a_promise(evaluator):
    result = value(evaluator, """
      const p = fetch('http://10.0.0.1/'); p.catch(() => {});
      return [p instanceof Promise, p.constructor.name, typeof p.then, String(p.then).includes('native code')]
    """)
    assert result == [True, "Promise", "function", True]


def test_an_awaited_fetch_rejection_fails_the_evaluation(evaluator):
    result = call(evaluator, "return await fetch('http://127.0.0.1/')")
    assert result.error is not None and result.error.kind == "runtime"
    assert result.error.name == "TypeError"
    assert result.error.message == (
        "fetch failed: 127.0.0.1 is a loopback address, refused by the network policy"
    )


def test_shim_source_is_never_shown(evaluator):
    result = value(evaluator, """
      return [String(fetch), String(Headers), String(Response.prototype.text),
              String(Object.getOwnPropertyDescriptor(Response.prototype, 'status').get),
              String(AbortController)]
    """)
    assert all("[native code]" in text for text in result), result


# -- reading inputs once, copying at the call --------------------------------------------------


def test_inputs_are_read_once(fetch_evaluator, origin_server):
    url = origin_server.url("/echo")
    result = value(fetch_evaluator, f"""
      const counts = {{}}; const count = (k) => (counts[k] = (counts[k] || 0) + 1);
      const input = {{ toString() {{ return count('url') === 1 ? {url!r} : 'http://10.0.0.1/' }} }};
      const init = {{
        get method() {{ return count('method') === 1 ? 'POST' : 'GET' }},
        get body() {{ return count('body') === 1 ? 'first' : 'second' }},
        get headers() {{ return count('headers') === 1 ? {{'X-N': '1'}} : {{'X-N': '2'}} }},
      }};
      const r = await fetch(input, init); const seen = await r.json();
      return {{counts, method: seen.method, body: seen.body,
               xn: seen.headers.filter(([n]) => n === 'x-n').map(([, v]) => v)}}
    """)
    assert result == {
        "counts": {"url": 1, "method": 1, "body": 1, "headers": 1},
        "method": "POST", "body": "first", "xn": ["1"],
    }


def test_binary_bodies_are_copied_at_the_call(fetch_evaluator, origin_server):
    url = origin_server.url("/echo")
    seen = value(fetch_evaluator, f"""
      const bytes = new Uint8Array([1, 2, 3]);
      const p = fetch({url!r}, {{method: 'POST', body: bytes}});
      bytes[0] = 9;
      return await (await p).json()
    """)
    assert seen["body"].encode("latin-1") == bytes([1, 2, 3])


def test_replaced_globals_change_nothing(fetch_evaluator, origin_server):
    url = origin_server.url("/echo")
    result = value(fetch_evaluator, f"""
      globalThis.Request = function () {{ throw new Error('user Request') }};
      globalThis.Headers = function () {{ throw new Error('user Headers') }};
      globalThis.Promise = function () {{ throw new Error('user Promise') }};
      JSON.parse = () => 'user JSON'; JSON.stringify = () => 'user JSON';
      Object.defineProperty(Object.prototype, 'text', {{get() {{ throw new Error('trap') }}, configurable: true}});
      Object.defineProperty(Array.prototype, '0', {{set(v) {{ throw new Error('trap') }}, configurable: true}});
      Array.prototype[Symbol.iterator] = function () {{ throw new Error('trap') }};
      const r = await fetch({url!r}, {{method: 'POST', body: 'b', headers: {{'X-A': '1'}}}});
      const body = await r.json();
      delete Object.prototype.text; delete Array.prototype['0'];
      return [r.status, typeof body, body.method]
    """)
    assert result == [200, "object", "POST"]


def test_a_request_object_can_be_fetched_once(fetch_evaluator, origin_server):
    url = origin_server.url("/echo")
    result = value(fetch_evaluator, f"""
      const req = new Request({url!r}, {{method: 'PUT', body: 'data', headers: {{'X-R': '1'}}}});
      const seen = await (await fetch(req)).json();
      const again = await fetch(req).catch(e => e.message);
      return [seen.method, seen.body, seen.headers.some(([n, v]) => n === 'x-r' && v === '1'), req.bodyUsed, again]
    """)
    assert result[:4] == ["PUT", "data", True, True]
    assert result[4].startswith("fetch failed: ")


def test_response_headers_are_immutable(fetch_evaluator, origin_server):
    url = origin_server.url("/echo")
    result = value(fetch_evaluator, f"const r = await fetch({url!r}); try {{ r.headers.set('a', 'b') }} catch (e) {{ return e.name }}")
    assert result == "TypeError"


def test_abort_after_the_response_fails_the_body(fetch_evaluator, origin_server):
    url = origin_server.url("/echo")
    result = value(fetch_evaluator, f"""
      const c = new AbortController();
      const r = await fetch({url!r}, {{signal: c.signal}});
      c.abort();
      return await r.text().catch(e => e.name)
    """)
    assert result == "AbortError"


def test_response_bytes_count_against_the_memory_budget(fetch_evaluator, origin_server):
    url = origin_server.url("/bytes?n=5000000")
    ok = call(
        fetch_evaluator, f"return (await (await fetch({url!r})).arrayBuffer()).byteLength",
        memory_mb=16, timeout_ms=5000,
    )
    assert ok.ok and ok.result == 5_000_000
    over = call(fetch_evaluator, f"""
      const r = await fetch({url!r}); const keep = [];
      for (const x of [r.clone(), r.clone(), r.clone(), r]) keep.push(await x.arrayBuffer());
      return keep.length
    """, memory_mb=16, timeout_ms=5000)
    assert over.error is not None and over.error.kind == "memory"
