"""The host half of fetch against real servers on 127.0.0.1: headers, redirects, caps, refusals.

`origin_server` is allowed (JSEVAL_FETCH_ALLOW=127.0.0.1:PORT); `forbidden_server` counts
every TCP connection and must see none. Public-looking names are answered by a stub resolver, so
no query and no packet leaves 127.0.0.0/8.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest

from evaluator import EvaluationRequest, EvaluationResult, Evaluator, Settings
from evaluator._engine import Engine
from evaluator.capabilities.fetch import FetchCapability
from tests.support import StubResolver, call, tls_server, value


@contextmanager
def engine_with(settings: Settings, resolver: StubResolver) -> Iterator[Engine]:
    engine = Engine(settings, [FetchCapability(settings, resolver=resolver)], pool_size=1)
    engine.start()
    try:
        yield engine
    finally:
        engine.close()


def run_engine(engine: Engine, code: str, **fields: Any) -> EvaluationResult:
    return engine.run(EvaluationRequest(code=code, mode="function", **fields))


def echo(evaluator: Evaluator, url: str, init: str = "{}") -> dict[str, Any]:
    return value(evaluator, f"const r = await fetch({url!r}, {init}); return await r.json()")


def header_names(seen: dict[str, Any]) -> list[str]:
    return [name for name, _ in seen["headers"]]


# -- round trips and headers ---------------------------------------------------------------------


def test_a_round_trip_reports_the_response_and_one_fetch_record(fetch_evaluator, origin_server):
    url = origin_server.url("/echo?a=1")
    result = call(
        fetch_evaluator,
        f"const r = await fetch({url!r}); const body = await r.json();"
        "return {status: r.status, ok: r.ok, statusText: r.statusText, url: r.url,"
        " redirected: r.redirected, type: r.headers.get('Content-Type'), target: body.target}",
    )
    assert result.ok, result.error
    assert result.result == {
        "status": 200, "ok": True, "statusText": "OK", "url": url, "redirected": False,
        "type": "application/json", "target": "/echo?a=1",
    }
    [record] = [r.model_dump() for r in result.fetches]
    assert record["method"] == "GET" and record["url"] == url and record["status"] == 200
    assert record["error"] is None and record["duration_ms"] > 0


def test_the_service_adds_nothing_but_what_http_needs(fetch_evaluator, origin_server):
    seen = echo(fetch_evaluator, origin_server.url("/echo"))
    assert sorted(header_names(seen)) == ["accept", "accept-encoding", "host"]
    headers = dict(seen["headers"])
    assert headers["host"] == f"127.0.0.1:{origin_server.port}"
    assert headers["accept"] == "*/*"
    assert headers["accept-encoding"] == "gzip, deflate"


def test_user_headers_are_sent_as_given(fetch_evaluator, origin_server):
    seen = echo(
        fetch_evaluator, origin_server.url("/echo"),
        "{headers: {'X-Api-Key': 'k1', Accept: 'application/json', 'User-Agent': 'mine/1',"
        " Authorization: 'Bearer t'}}",
    )
    headers = dict(seen["headers"])
    assert headers["x-api-key"] == "k1"
    assert headers["accept"] == "application/json"
    assert headers["user-agent"] == "mine/1"
    assert headers["authorization"] == "Bearer t"


FORBIDDEN = [
    ("Cookie", "session=stolen"), ("Cookie2", "$Version=1"), ("Host", "evil.example"),
    ("Connection", "close"), ("Content-Length", "999"), ("Transfer-Encoding", "chunked"),
    ("Keep-Alive", "timeout=5"), ("Upgrade", "websocket"), ("TE", "trailers"),
    ("Trailer", "Expires"), ("Via", "1.1 proxy"), ("Proxy-Authorization", "Basic eA=="),
    ("Proxy-Connection", "keep-alive"), ("Sec-Fetch-Mode", "navigate"), ("Sec-Ch-Ua", "x"),
    ("Origin", "https://evil.example"), ("Referer", "https://evil.example/"),
    ("Date", "Tue, 01 Jan 2030 00:00:00 GMT"), ("DNT", "1"), ("Expect", "100-continue"),
    ("Accept-Charset", "utf-8"), ("Accept-Encoding", "br"), ("Set-Cookie", "a=b"),
    ("Access-Control-Request-Method", "PUT"), ("Access-Control-Request-Headers", "x"),
    ("X-HTTP-Method-Override", "TRACE"), ("X-Method-Override", "connect"),
]


@pytest.mark.parametrize(("name", "header_value"), FORBIDDEN, ids=[n for n, _ in FORBIDDEN])
def test_forbidden_request_headers_are_dropped(fetch_evaluator, origin_server, name, header_value):
    for init in (
        f"{{headers: {{{name!r}: {header_value!r}}}}}",
        f"{{headers: new Headers([[{name!r}, {header_value!r}]])}}",
    ):
        seen = echo(fetch_evaluator, origin_server.url("/echo"), init)
        values = [v for n, v in seen["headers"] if n == name.lower()]
        assert header_value not in values, (name, seen["headers"])
    assert "cookie" not in header_names(seen)


def test_a_harmless_method_override_is_kept(fetch_evaluator, origin_server):
    seen = echo(fetch_evaluator, origin_server.url("/echo"), "{headers: {'X-HTTP-Method-Override': 'PATCH'}}")
    assert ["x-http-method-override", "PATCH"] in seen["headers"]


def test_set_cookie_never_reaches_the_code(fetch_evaluator, origin_server):
    url = origin_server.url("/echo")
    result = value(
        fetch_evaluator,
        f"const r = await fetch({url!r}); return {{names: [...r.headers.keys()],"
        " cookie: r.headers.get('set-cookie'), cookie2: r.headers.get('Set-Cookie2'),"
        " list: r.headers.getSetCookie(), custom: r.headers.get('X-CUSTOM')}",
    )
    assert "set-cookie" not in result["names"] and "set-cookie2" not in result["names"]
    assert result["cookie"] is None and result["cookie2"] is None and result["list"] == []
    assert result["custom"] == "Value One"


def test_a_second_fetch_sends_no_cookie_back(fetch_evaluator, origin_server):
    url = origin_server.url("/echo")
    seen = value(
        fetch_evaluator,
        f"await fetch({url!r}); const r = await fetch({url!r}); return await r.json()",
    )
    assert "cookie" not in header_names(seen)


# -- bodies --------------------------------------------------------------------------------------


def test_string_bodies_are_utf8_text(fetch_evaluator, origin_server):
    seen = echo(fetch_evaluator, origin_server.url("/echo"), "{method: 'post', body: 'h\u00e9 \u2603'}")
    assert seen["method"] == "POST"
    assert seen["body"].encode("latin-1").decode("utf-8") == "h\u00e9 \u2603"
    assert ["content-type", "text/plain;charset=UTF-8"] in seen["headers"]
    assert ["content-length", str(len("h\u00e9 \u2603".encode()))] in seen["headers"]


def test_json_bodies_keep_the_callers_content_type(fetch_evaluator, origin_server):
    seen = echo(
        fetch_evaluator, origin_server.url("/echo"),
        "{method: 'PUT', headers: {'content-type': 'application/json'}, body: JSON.stringify({a: [1]})}",
    )
    assert seen["method"] == "PUT" and seen["body"] == '{"a":[1]}'
    assert ["content-type", "application/json"] in seen["headers"]


@pytest.mark.parametrize(
    "body",
    [
        "new Uint8Array([0, 1, 2, 255])",
        "new Uint8Array([0, 1, 2, 255]).buffer",
        "new DataView(new Uint8Array([9, 0, 1, 2, 255, 9]).buffer, 1, 4)",
        "new Uint8Array([9, 0, 1, 2, 255, 9]).subarray(1, 5)",
    ],
)
def test_binary_bodies_cross_byte_for_byte(fetch_evaluator, origin_server, body):
    seen = echo(fetch_evaluator, origin_server.url("/echo"), f"{{method: 'POST', body: {body}}}")
    assert seen["body"].encode("latin-1") == bytes([0, 1, 2, 255])
    assert "content-type" not in header_names(seen)


def test_binary_responses_arrive_intact(fetch_evaluator, origin_server):
    url = origin_server.url("/binary")
    result = value(
        fetch_evaluator,
        f"const r = await fetch({url!r}); const b = new Uint8Array(await r.arrayBuffer());"
        "return [b.length, b[0], b[128], b[255]]",
    )
    assert result == [256, 0, 128, 255]


def test_head_and_204_have_no_body(fetch_evaluator, origin_server):
    head, nothing = origin_server.url("/echo"), origin_server.url("/status?code=204")
    result = value(
        fetch_evaluator,
        f"const h = await fetch({head!r}, {{method: 'HEAD'}}); const n = await fetch({nothing!r});"
        "return [h.status, await h.text(), n.status, await n.text()]",
    )
    assert result == [200, "", 204, ""]


def test_error_statuses_are_responses_not_failures(fetch_evaluator, origin_server):
    url = origin_server.url("/status?code=503")
    result = value(fetch_evaluator, f"const r = await fetch({url!r}); return [r.status, r.ok, await r.text()]")
    assert result == [503, False, "status 503"]


# -- redirects -----------------------------------------------------------------------------------


def redirect_url(origin_server, to: str, status: int = 302) -> str:
    from urllib.parse import quote

    return origin_server.url(f"/redirect?status={status}&to={quote(to, safe='')}")


def test_redirect_to_an_allowed_url_is_followed(fetch_evaluator, origin_server):
    final = origin_server.url("/echo?after=1")
    url = redirect_url(origin_server, final)
    result = call(
        fetch_evaluator,
        f"const r = await fetch({url!r}); return [r.status, r.redirected, r.url, (await r.json()).target]",
    )
    assert result.result == [200, True, final, "/echo?after=1"]
    assert [r.status for r in result.fetches] == [200]


def test_relative_redirects_resolve_against_the_current_url(fetch_evaluator, origin_server):
    url = redirect_url(origin_server, "/echo?rel=1")
    assert value(fetch_evaluator, f"return (await fetch({url!r})).url") == origin_server.url("/echo?rel=1")


def test_redirect_to_a_refused_url_fails_without_connecting(fetch_evaluator, origin_server, forbidden_server):
    before = forbidden_server.connections
    for target in (
        f"http://127.0.0.1:{forbidden_server.port}/",
        f"http://0x7f000001:{forbidden_server.port}/",
        f"http://localhost:{forbidden_server.port}/",
        "http://169.254.169.254/latest/meta-data/",
        "file:///etc/passwd",
    ):
        url = redirect_url(origin_server, target)
        result = value(fetch_evaluator, f"return await fetch({url!r}).then(() => 'fetched', e => [e.name, e.message])")
        assert result[0] == "TypeError" and result[1].startswith("fetch failed: "), (target, result)
    assert forbidden_server.connections == before


def test_307_and_308_keep_method_and_body(fetch_evaluator, origin_server):
    for status in (307, 308):
        url = redirect_url(origin_server, origin_server.url("/echo"), status)
        seen = echo(fetch_evaluator, url, "{method: 'POST', body: 'payload'}")
        assert seen["method"] == "POST" and seen["body"] == "payload"


@pytest.mark.parametrize(("status", "method"), [(301, "POST"), (302, "POST"), (303, "POST"), (303, "PUT")])
def test_301_302_post_and_303_become_get(fetch_evaluator, origin_server, status, method):
    url = redirect_url(origin_server, origin_server.url("/echo"), status)
    seen = echo(fetch_evaluator, url, f"{{method: {method!r}, body: 'payload', headers: {{'X-Keep': '1'}}}}")
    assert seen["method"] == "GET" and seen["body"] == ""
    assert "content-type" not in header_names(seen)
    assert ["x-keep", "1"] in seen["headers"]


def test_302_keeps_put(fetch_evaluator, origin_server):
    url = redirect_url(origin_server, origin_server.url("/echo"), 302)
    assert echo(fetch_evaluator, url, "{method: 'PUT', body: 'x'}")["method"] == "PUT"


def test_at_most_five_redirects(fetch_evaluator, origin_server):
    def chain(hops: int) -> str:
        url = origin_server.url("/echo")
        for _ in range(hops):
            url = redirect_url(origin_server, url)
        return url

    assert value(fetch_evaluator, f"return (await fetch({chain(5)!r})).status") == 200
    message = value(fetch_evaluator, f"return await fetch({chain(6)!r}).catch(e => e.message)")
    assert message == "fetch failed: too many redirects (at most 5)"


def test_redirect_modes_error_and_manual(fetch_evaluator, origin_server):
    url = redirect_url(origin_server, origin_server.url("/echo"), 301)
    error = value(fetch_evaluator, f"return await fetch({url!r}, {{redirect: 'error'}}).catch(e => e.message)")
    assert error.startswith("fetch failed: ") and "redirect" in error
    manual = value(
        fetch_evaluator,
        f"const r = await fetch({url!r}, {{redirect: 'manual'}}); return [r.status, r.headers.get('location')]",
    )
    assert manual == [301, origin_server.url("/echo")]


# -- caps ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def capped(origin_server) -> Iterator[Evaluator]:
    settings = Settings(
        fetch_allow=(f"127.0.0.1:{origin_server.port}",), fetch_max_bytes=100_000,
        fetch_max_requests=3, fetch_timeout_ms=300, fetch_max_in_flight=2, pool_size=1,
    )
    with Evaluator(settings) as instance:
        yield instance


def test_response_bytes_are_capped(capped, origin_server):
    ok, big, stream = (origin_server.url(p) for p in ("/bytes?n=100000", "/bytes?n=100001", "/stream?chunks=4"))
    assert value(capped, f"return (await (await fetch({ok!r})).text()).length") == 100_000
    for url in (big, stream):
        message = value(capped, f"return await fetch({url!r}).catch(e => e.message)")
        assert message == "fetch failed: the response is larger than 100000 bytes"


def test_a_gzip_bomb_is_stopped_by_its_decoded_size(capped, origin_server):
    # 20 MB of zeros is ~20 KB on the wire: the cap must count what it decodes to.
    small, bomb = origin_server.url("/gzip?n=50000"), origin_server.url("/gzip?n=20000000")
    httpx.get(bomb)  # the origin compresses on first use: not within this fetch's 300 ms
    assert value(capped, f"return (await (await fetch({small!r})).arrayBuffer()).byteLength") == 50_000
    message = value(capped, f"return await fetch({bomb!r}).catch(e => e.message)", timeout_ms=5000)
    assert message == "fetch failed: the response is larger than 100000 bytes"


def test_requests_per_evaluation_are_capped(capped, origin_server):
    url = origin_server.url("/echo")
    result = call(
        capped,
        f"const out = []; for (let i = 0; i < 6; i++) out.push(await fetch({url!r} + '?n=' + i, {{method: i % 2 ? 'POST' : 'GET'}}).then(r => r.status, e => e.message));"
        "return out",
    )
    assert result.ok
    assert result.result[:3] == [200, 200, 200]
    assert result.result[3:] == ["fetch failed: too many requests (at most 3 per evaluation)"] * 3
    # One entry per call (SPEC section 2), the refused ones saying which request they were.
    records = [r.model_dump() for r in result.fetches]
    assert [r["status"] for r in records] == [200, 200, 200, None, None, None]
    assert [r["url"] for r in records] == [f"{url}?n={i}" for i in range(6)]
    assert [r["method"] for r in records] == ["GET", "POST"] * 3
    assert all(r["error"] == "too many requests (at most 3 per evaluation)" for r in records[3:])


def test_calls_past_the_cap_are_listed_each_until_an_answer_is_full(capped, origin_server):
    # 20,000 refused calls: every one is listed while the records fit in an answer; a loop of
    # them cannot grow the isolate's outbox or the host's records past the answer's cap.
    url = origin_server.url("/echo")
    result = call(
        capped,
        f"const p = []; for (let i = 0; i < 20000; i++) p.push(fetch({url!r} + '#' + 'x'.repeat(i % 50)).catch(e => 0));"
        "await Promise.all(p); return p.length",
        timeout_ms=10_000,
    )
    assert result.ok, result.error
    records = result.fetches
    assert 3 < len(records) <= 20000
    size = sum(len(r.model_dump_json()) for r in records)
    # Past the answer's cap (max_output_bytes) the list is trimmed from its end, and said so.
    assert len(records) == 20000 or result.output_truncated
    assert size <= 2 * 1024 * 1024
    # The first three were requests (answered, or timed out on a busy machine); the rest refused.
    assert not any("too many requests" in (r.error or "") for r in records[:3])
    assert all(r.error == "too many requests (at most 3 per evaluation)" for r in records[3:])


def test_calls_that_cannot_be_built_are_listed_too(capped, origin_server):
    result = call(
        capped,
        "const out = [];"
        "for (const args of [[], ['http://h.example/', {method: 'CONNECT'}], ['http://h.example/', {body: 'x'}]])"
        "  out.push(await fetch(...args).catch(e => e.name));"
        "return out",
    )
    assert result.ok and result.result == ["TypeError", "TypeError", "TypeError"]
    assert len(result.fetches) == 3 and all(r.error for r in result.fetches)


def test_requests_past_the_in_flight_cap_wait(capped, origin_server):
    url = origin_server.url("/slow?ms=120")
    origin_server.app.max_active = 0
    statuses = value(capped, f"return (await Promise.all([1, 2, 3].map(() => fetch({url!r})))).map(r => r.status)")
    assert statuses == [200, 200, 200]
    assert origin_server.app.max_active == 2


def test_a_slow_response_times_out(capped, origin_server):
    url = origin_server.url("/slow?ms=2000")
    message = value(capped, f"return await fetch({url!r}).catch(e => e.message)", timeout_ms=2000)
    assert message == "fetch failed: timed out after 300 ms"


def test_a_fetch_never_outlives_its_evaluation(fetch_evaluator, origin_server):
    url = origin_server.url("/slow?ms=3000")
    result = call(fetch_evaluator, f"return await fetch({url!r})", timeout_ms=300)
    assert result.error is not None and result.error.kind == "timeout"
    assert result.fetches[0].error == "cancelled: the evaluation ended"
    assert result.stats.wall_ms < 1500


def test_pending_fetches_are_cancelled_when_the_result_settles(fetch_evaluator, origin_server):
    url = origin_server.url("/slow?ms=3000")
    result = call(fetch_evaluator, f"fetch({url!r}); return 1")
    assert result.ok and result.result == 1
    assert result.fetches[0].error == "cancelled: the evaluation ended"


def test_abort_rejects_and_cancels_on_the_host(fetch_evaluator, origin_server):
    url = origin_server.url("/slow?ms=3000")
    result = call(
        fetch_evaluator,
        f"const c = new AbortController(); const p = fetch({url!r}, {{signal: c.signal}});"
        "setTimeout(() => c.abort(), 50);"
        "return await p.catch(e => [e.name, e.message, e instanceof Error, e === c.signal.reason])",
    )
    assert result.result == ["AbortError", "signal is aborted without reason", True, True]
    assert result.fetches[0].error == "aborted"
    assert result.stats.wall_ms < 2000


def test_abort_with_a_reason_and_an_aborted_signal(fetch_evaluator, origin_server):
    url = origin_server.url("/echo")
    result = call(
        fetch_evaluator,
        f"const c = new AbortController(); c.abort('stop'); return await fetch({url!r}, {{signal: c.signal}}).catch(e => e)",
    )
    assert result.result == "stop"
    assert result.fetches[0].error == "aborted"


# -- refusals ------------------------------------------------------------------------------------


def refused_urls(f: int, a: int) -> list[str]:
    """At least 30 ways to spell a place fetch must not reach (`f`: the forbidden server's
    port, `a`: the allowed one's, for tricks that borrow the allowed host)."""
    return [
        f"http://127.0.0.1:{f}/",
        f"http://127.1:{f}/",
        f"http://127.0.1:{f}/",
        f"http://2130706433:{f}/",
        f"http://0x7f000001:{f}/",
        f"http://0x7f.0x0.0x0.0x1:{f}/",
        f"http://0177.0.0.1:{f}/",
        f"http://0177.1:{f}/",
        f"http://127.0.0.1.:{f}/",
        f"http://\uff11\uff12\uff17.\uff10.\uff10.\uff11:{f}/",
        f"http://127%2E0%2E0%2E1:{f}/",
        f"http://[::1]:{f}/",
        f"http://[::ffff:127.0.0.1]:{f}/",
        f"http://[::ffff:7f00:1]:{f}/",
        f"http://[0:0:0:0:0:ffff:127.0.0.1]:{f}/",
        f"http://[::127.0.0.1]:{f}/",
        f"http://[64:ff9b::127.0.0.1]:{f}/",
        f"http://[2002:7f00:1::]:{f}/",
        f"http://0.0.0.0:{f}/",
        f"http://0:{f}/",
        f"http://[::]:{f}/",
        f"http://localhost:{f}/",
        f"http://LOCALHOST:{f}/",
        f"http://app.localhost:{f}/",
        f"http://169.254.169.254:{f}/latest/meta-data/",
        f"http://metadata.google.internal:{f}/computeMetadata/v1/",
        f"http://10.0.0.1:{f}/",
        f"http://192.168.1.1:{f}/",
        f"http://172.16.0.1:{f}/",
        f"http://100.64.0.1:{f}/",
        f"http://224.0.0.1:{f}/",
        f"http://255.255.255.255:{f}/",
        f"http://[fe80::1]:{f}/",
        f"http://[fc00::1]:{f}/",
        f"http://private.example:{f}/",  # a public-looking name that resolves to 127.0.0.1
        f"http://mixed.example:{f}/",  # one public answer, one loopback answer
        f"http://ok@127.0.0.1:{a}/echo",  # credentials, even to the allowed server
        f"http://user:pass@127.0.0.1:{a}/echo",
        f"http://127.0.0.1:{a}@127.0.0.1:{f}/",
        f"http://127.0.0.1:{a}#@127.0.0.1:{f}/",  # the fragment hides nothing: host is 127.0.0.1:a
        "file:///etc/passwd",
        "data:text/plain,hello",
        f"ftp://127.0.0.1:{f}/",
        f"ws://127.0.0.1:{f}/",
        f"gopher://127.0.0.1:{f}/",
        "javascript:alert(1)",
        "/echo",
        f"//127.0.0.1:{f}/",
    ]


def test_refused_urls_reject_without_connecting(origin_server, forbidden_server):
    resolver = StubResolver({
        "private.example": [["127.0.0.1"]],
        "mixed.example": [["93.184.216.34", "127.0.0.1"]],
    })
    settings = Settings(fetch_allow=(f"127.0.0.1:{origin_server.port}",), pool_size=1)
    urls = refused_urls(forbidden_server.port, origin_server.port)
    assert len(urls) >= 30
    hits, connections = origin_server.app.hits, forbidden_server.connections
    with engine_with(settings, resolver) as engine:
        for url in urls:
            if "#@" in url:  # allowed by design: the URL's host is the allowed server
                continue
            result = run_engine(
                engine,
                f"return await fetch({url!r}).then(r => 'fetched ' + r.status, e => [e.name, e.message])",
            )
            assert result.ok, (url, result.error)
            name, message = result.result
            assert name == "TypeError" and message.startswith("fetch failed: "), (url, message)
            assert "Traceback" not in message and "/evaluator/" not in message
            assert result.fetches[0].error is not None
    assert forbidden_server.connections == connections
    assert origin_server.app.hits == hits


def test_a_rebinding_name_connects_to_the_address_that_was_checked(origin_server, listen_forbidden):
    # The first answer (127.0.0.1, allowed by CIDR) is checked and connected to; a second
    # resolution would answer 127.0.0.2, where a listener on the same port counts connections.
    resolver = StubResolver({"rebind.example": [["127.0.0.1"], ["127.0.0.2"]]})
    settings = Settings(fetch_allow=("127.0.0.1/32",), pool_size=1)
    with listen_forbidden("127.0.0.2", origin_server.port) as other, engine_with(settings, resolver) as engine:
        url = f"http://rebind.example:{origin_server.port}/echo"
        result = run_engine(engine, f"const r = await fetch({url!r}); return (await r.json()).headers")
        assert result.ok, result.error
        assert [f"rebind.example:{origin_server.port}"] == [v for n, v in result.result if n == "host"]
        assert resolver.calls == ["rebind.example"]
        assert other.connections == 0
        # A later fetch resolves again, gets 127.0.0.2, and is refused before connecting.
        again = run_engine(engine, f"return await fetch({url!r}).catch(e => e.message)")
        assert again.result == "fetch failed: no allowed address for host 'rebind.example'"
        assert other.connections == 0


def test_each_redirect_hop_is_resolved_and_checked(origin_server):
    resolver = StubResolver({"hop.example": [["127.0.0.1"]], "inside.example": [["10.0.0.5"]]})
    settings = Settings(fetch_allow=(f"127.0.0.1:{origin_server.port}", "hop.example"), pool_size=1)
    target = redirect_url(origin_server, "http://inside.example/")
    url = target.replace("127.0.0.1", "hop.example")
    with engine_with(settings, resolver) as engine:
        result = run_engine(engine, f"return await fetch({url!r}).catch(e => e.message)")
    assert result.result == "fetch failed: no allowed address for host 'inside.example'"
    assert resolver.calls == ["hop.example", "inside.example"]


def test_fetch_false_removes_fetch(fetch_evaluator):
    result = fetch_evaluator.evaluate({"code": "typeof fetch", "fetch": False})
    assert result.result == "undefined"


def test_nothing_about_a_fetch_is_logged(fetch_evaluator, origin_server, caplog):
    url = origin_server.url("/echo?token=s3cret-query")
    with caplog.at_level(logging.DEBUG):
        value(fetch_evaluator, f"await fetch({url!r}, {{headers: {{'X-Secret': 'hdr-s3cret'}}}}); return 1")
        value(fetch_evaluator, "return await fetch('http://127.0.0.1:1/?token=s3cret-query').catch(() => 1)")
    # The origin server's own access log is the far side's, not ours.
    ours = [r for r in caplog.records if not r.name.startswith("uvicorn")]
    text = "\n".join(record.getMessage() for record in ours)
    assert "s3cret" not in text
    assert str(origin_server.port) not in text


def test_connection_failures_are_short_reasons(fetch_evaluator, origin_server):
    free = socket.socket()
    free.bind(("127.0.0.1", 0))
    port = free.getsockname()[1]
    free.close()
    settings = Settings(fetch_allow=(f"127.0.0.1:{port}",), pool_size=1)
    with Evaluator(settings) as evaluator:
        message = value(evaluator, f"return await fetch('http://127.0.0.1:{port}/').catch(e => e.message)")
    assert message == "fetch failed: could not connect to the server"


# -- TLS: the certificate is checked against the URL's name, the connection goes to the pin ----


def test_tls_verifies_the_url_name_while_connecting_to_the_pinned_address(tls_files):
    import ssl

    trusting = ssl.create_default_context(cafile=tls_files["ca.pem"])
    with tls_server(tls_files) as seen:
        port = seen["port"]
        resolver = StubResolver({"secure.example": [["127.0.0.1"]], "other.example": [["127.0.0.1"]]})
        settings = Settings(fetch_allow=(f"secure.example:{port}", f"other.example:{port}", f"127.0.0.1:{port}"), pool_size=1)
        engine = Engine(settings, [FetchCapability(settings, resolver=resolver, ssl_context=trusting)], pool_size=1)
        engine.start()
        try:
            ok = run_engine(engine, f"const r = await fetch('https://secure.example:{port}/'); return [r.status, await r.text()]")
            assert ok.result == [200, "secure"], ok.error
            assert seen["sni"] == ["secure.example"]
            assert seen["host"] == [f"secure.example:{port}"]
            # The same address under another name: the certificate does not name it.
            wrong = run_engine(engine, f"return await fetch('https://other.example:{port}/').catch(e => e.message)")
            assert wrong.result == "fetch failed: TLS certificate verification failed"
            by_address = run_engine(engine, f"return await fetch('https://127.0.0.1:{port}/').catch(e => e.message)")
            assert by_address.result == "fetch failed: TLS certificate verification failed"
        finally:
            engine.close()


def test_certificates_are_verified_by_default(tls_files, origin_server):
    with tls_server(tls_files) as seen:
        port = seen["port"]
        settings = Settings(fetch_allow=(f"127.0.0.1:{port}",), pool_size=1)
        with Evaluator(settings) as evaluator:
            message = value(evaluator, f"return await fetch('https://127.0.0.1:{port}/').catch(e => e.message)")
    assert message == "fetch failed: TLS certificate verification failed"
