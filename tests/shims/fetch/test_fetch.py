"""shims/fetch/60_fetch.js: the Fetch API as code sees it (Headers, Request, Response, abort, fetch).

What crosses to the host is checked against the real `origin_server` (it echoes what it got),
so "read once" and "copied at the call" are observed on the wire, not inferred.
"""

from __future__ import annotations

import pytest

from tests.support import call, value

# -- Headers -------------------------------------------------------------------------------------


def test_headers_are_case_insensitive_and_iterate_sorted_and_combined(evaluator):
    result = value(evaluator, """
      const h = new Headers({'Content-Type': 'text/plain', 'X-B': ' 2 '});
      h.append('x-a', '1'); h.append('X-A', '3'); h.set('content-TYPE', 'application/json');
      const seen = []; h.forEach((v, k, self) => seen.push([k, v, self === h]));
      return {get: h.get('X-A'), has: h.has('x-b'), missing: h.get('nope'), entries: [...h],
              keys: [...h.keys()], values: [...h.values()], seen, tag: String(h),
              iter: h[Symbol.iterator] === h.entries, deleted: (h.delete('X-a'), h.has('x-a'))}
    """)
    assert result == {
        "get": "1, 3", "has": True, "missing": None,
        "entries": [["content-type", "application/json"], ["x-a", "1, 3"], ["x-b", "2"]],
        "keys": ["content-type", "x-a", "x-b"], "values": ["application/json", "1, 3", "2"],
        "seen": [["content-type", "application/json", True], ["x-a", "1, 3", True], ["x-b", "2", True]],
        "tag": "[object Headers]", "iter": True, "deleted": False,
    }


def test_headers_accept_pairs_records_and_headers(evaluator):
    result = value(evaluator, """
      const a = new Headers([['A', '1'], ['a', '2']]);
      const b = new Headers(a); b.set('b', 'x');
      const c = new Headers(new Map([['m', 'v']]));
      return [[...a], [...b], [...c], [...new Headers()]]
    """)
    assert result == [[["a", "1, 2"]], [["a", "1, 2"], ["b", "x"]], [["m", "v"]], []]


@pytest.mark.parametrize(
    "code",
    [
        "new Headers({'bad name': 'x'})",
        "new Headers([['a']])",
        "new Headers(1)",
        "new Headers().append('a', 'x\\ny')",
        "new Headers().set('\\u0100', 'x')",
        "new Headers().get()",
        "new Headers().forEach(1)",
    ],
)
def test_invalid_headers_throw_type_errors(evaluator, code):
    result = evaluator.evaluate({"code": code})
    assert result.error is not None and result.error.name == "TypeError", code


def test_headers_iterators_are_live_iterators(evaluator):
    result = value(evaluator, """
      const h = new Headers({a: '1'}); const it = h.keys(); h.append('b', '2');
      return [it.next(), it.next(), it.next(), Object.prototype.toString.call(it),
              typeof it[Symbol.iterator], it.map ? [...h.keys().map(k => k.toUpperCase())] : null]
    """)
    assert result[:4] == [
        {"value": "a", "done": False}, {"value": "b", "done": False}, {"done": True},
        "[object Headers Iterator]",
    ]
    assert result[4] == "function" and result[5] == ["A", "B"]


# -- Response ------------------------------------------------------------------------------------


def test_response_constructor_and_body_readers(evaluator):
    result = value(evaluator, """
      const r = new Response('h\\u00e9', {status: 201, statusText: 'Made', headers: {'X-Y': 'z'}});
      const c = r.clone();
      const text = await r.text();
      const bytes = new Uint8Array(await c.arrayBuffer());
      let again; try { await r.text() } catch (e) { again = e.name }
      return {status: r.status, ok: r.ok, statusText: r.statusText, type: r.type, url: r.url,
              ct: r.headers.get('content-type'), xy: r.headers.get('x-y'), text, bytes: [...bytes],
              used: r.bodyUsed, again, json: await new Response('{"a":[1]}').json(),
              empty: await new Response().text(), bin: [...new Uint8Array(await new Response(new Uint8Array([1, 2])).arrayBuffer())]}
    """)
    assert result == {
        "status": 201, "ok": True, "statusText": "Made", "type": "default", "url": "",
        "ct": "text/plain;charset=UTF-8", "xy": "z", "text": "h\u00e9", "bytes": [104, 195, 169],
        "used": True, "again": "TypeError", "json": {"a": [1]}, "empty": "", "bin": [1, 2],
    }


def test_response_statics(evaluator):
    result = value(evaluator, """
      const j = Response.json({a: 1}, {status: 202});
      const e = Response.error();
      const r = Response.redirect('https://Example.com/x', 307);
      let bad; try { Response.redirect('/x', 200) } catch (err) { bad = err.name }
      let range; try { new Response('x', {status: 99}) } catch (err) { range = err.name }
      let nullBody; try { new Response('x', {status: 204}) } catch (err) { nullBody = err.name }
      return [j.status, j.headers.get('content-type'), await j.json(), e.type, e.status,
              r.status, r.headers.get('location'), bad, range, nullBody]
    """)
    assert result == [202, "application/json", {"a": 1}, "error", 0, 307, "https://example.com/x",
                      "TypeError", "RangeError", "TypeError"]


def test_json_of_an_invalid_body_rejects_with_a_syntax_error(evaluator):
    assert value(evaluator, "return await new Response('{').json().catch(e => e.name)") == "SyntaxError"


def test_a_bom_is_stripped_by_text_but_kept_by_array_buffer(evaluator):
    result = value(evaluator, """
      return [await new Response('\\ufeffok').text(), (await new Response('\\ufeffok').arrayBuffer()).byteLength]
    """)
    assert result == ["ok", 5]


# -- Request -------------------------------------------------------------------------------------


def test_request_normalises_and_guards(evaluator):
    result = value(evaluator, """
      const r = new Request('HTTPS://API.Example.com:443', {method: 'post', body: 'x',
        headers: {Cookie: 'a=b', 'X-Ok': '1', Host: 'evil'}, credentials: 'include'});
      const c = r.clone();
      return [r.method, r.url, [...r.headers], r.credentials, r.redirect, r.signal.aborted,
              await c.text(), r.bodyUsed, c.bodyUsed]
    """)
    assert result == [
        "POST", "https://api.example.com/",
        [["content-type", "text/plain;charset=UTF-8"], ["x-ok", "1"]],
        "include", "follow", False, "x", False, True,
    ]


@pytest.mark.parametrize(
    ("code", "name"),
    [
        ("new Request('/relative')", "TypeError"),
        ("new Request('http://x/', {method: 'GET', body: 'x'})", "TypeError"),
        ("new Request('http://x/', {method: 'CONNECT'})", "TypeError"),
        ("new Request('http://x/', {method: 'bad method'})", "TypeError"),
        ("new Request('http://x/', {mode: 'navigate'})", "TypeError"),
        ("new Request('http://x/', {signal: {}})", "TypeError"),
        ("new Request()", "TypeError"),
    ],
)
def test_request_validation(evaluator, code, name):
    result = evaluator.evaluate({"code": code})
    assert result.error is not None and result.error.name == name, code


# -- AbortController / AbortSignal ---------------------------------------------------------------


def test_abort_controller_signals_listeners_once(evaluator):
    result = value(evaluator, """
      const c = new AbortController(); const s = c.signal; const seen = [];
      s.addEventListener('abort', (e) => seen.push(['listener', e.type, e.target === s]));
      s.onabort = () => seen.push(['onabort']);
      s.addEventListener('abort', () => seen.push(['once']), {once: true});
      c.abort(); c.abort('again');
      let thrown; try { s.throwIfAborted() } catch (e) { thrown = [e.name, e.message] }
      const t = AbortSignal.abort('why');
      const any = AbortSignal.any([new AbortController().signal, t]);
      let illegal; try { new AbortSignal() } catch (e) { illegal = e.name }
      return {seen, aborted: s.aborted, thrown, reason: t.reason, any: [any.aborted, any.reason], illegal,
              tag: String(s)}
    """)
    assert result == {
        "seen": [["listener", "abort", True], ["onabort"], ["once"]], "aborted": True,
        "thrown": ["AbortError", "signal is aborted without reason"], "reason": "why",
        "any": [True, "why"], "illegal": "TypeError", "tag": "[object AbortSignal]",
    }


def test_abort_signal_timeout_fires_on_the_virtual_clock(evaluator):
    result = value(evaluator, """
      const s = AbortSignal.timeout(1000);
      await new Promise(r => setTimeout(r, 1500));
      return [s.aborted, s.reason.name, s.reason.message]
    """, clock="virtual")
    assert result == [True, "TimeoutError", "signal timed out"]


def test_a_throwing_listener_is_logged_and_abort_goes_on(evaluator):
    result = call(evaluator, """
      const c = new AbortController(); let later = false;
      c.signal.addEventListener('abort', () => { throw new Error('boom') });
      c.signal.addEventListener('abort', () => { later = true });
      c.abort(); return later
    """)
    assert result.result is True
    assert [log.text for log in result.logs] == ["Uncaught Error: boom"]


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
