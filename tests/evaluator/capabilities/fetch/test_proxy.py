"""The egress proxy (`_proxy.py`, JSEVAL_EGRESS_PROXY): every connection is a CONNECT tunnel to
the address the policy checked; nothing refused reaches the proxy; TLS is still the name's.

`ConnectProxy` (tests/support.py) is a real proxy on 127.0.0.1 that records every request line
it receives and tunnels to 127.0.0.0/8 only. Names are answered by stub resolvers.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from evaluator import EvaluationRequest, EvaluationResult, Settings
from evaluator._engine import Engine
from evaluator.capabilities.fetch import FetchCapability
from evaluator.capabilities.fetch._proxy import parse_proxy
from tests.support import ConnectProxy, StubResolver, tls_server


@contextmanager
def engine_with(
    settings: Settings, resolver: StubResolver, ssl_context: ssl.SSLContext | None = None
) -> Iterator[Engine]:
    capability = FetchCapability(settings, resolver=resolver, ssl_context=ssl_context)
    engine = Engine(settings, [capability], pool_size=1)
    engine.start()
    try:
        yield engine
    finally:
        engine.close()


def run(engine: Engine, code: str) -> EvaluationResult:
    return engine.run(EvaluationRequest(code=code, mode="function", timeout_ms=5000))


def outcome(engine: Engine, url: str) -> Any:
    result = run(engine, f"return await fetch({url!r}).then(r => r.text(), e => e.message)")
    assert result.ok, result.error
    return result.result


def test_plain_http_goes_through_a_tunnel_to_the_checked_address(origin_server) -> None:
    resolver = StubResolver({"svc.example": [["127.0.0.1"]]})
    with ConnectProxy() as proxy:
        settings = Settings(fetch_allow=("127.0.0.1/32",), egress_proxy=proxy.url, pool_size=1)
        with engine_with(settings, resolver) as engine:
            url = f"http://svc.example:{origin_server.port}/echo"
            result = run(engine, f"const r = await fetch({url!r}); return await r.json()")
    assert result.ok, result.error
    # The proxy was asked for the address the policy checked, never for the name.
    assert proxy.requests == [f"CONNECT 127.0.0.1:{origin_server.port} HTTP/1.1"]
    headers = dict(result.result["headers"])
    assert headers["host"] == f"svc.example:{origin_server.port}"  # inside: the URL's name
    assert not [name for name in headers if name.startswith("proxy-")]


def test_https_is_verified_against_the_url_name_through_the_tunnel(tls_files) -> None:
    trusting = ssl.create_default_context(cafile=tls_files["ca.pem"])
    with tls_server(tls_files) as seen, ConnectProxy() as proxy:
        port = seen["port"]
        resolver = StubResolver({"secure.example": [["127.0.0.1"]], "other.example": [["127.0.0.1"]]})
        settings = Settings(fetch_allow=("127.0.0.1/32",), egress_proxy=proxy.url, pool_size=1)
        with engine_with(settings, resolver, trusting) as engine:
            assert outcome(engine, f"https://secure.example:{port}/") == "secure"
            wrong = outcome(engine, f"https://other.example:{port}/")
    assert wrong == "fetch failed: TLS certificate verification failed"
    assert seen["sni"][0] == "secure.example"
    assert seen["host"] == [f"secure.example:{port}"]
    assert proxy.requests == [f"CONNECT 127.0.0.1:{port} HTTP/1.1"] * 2


def test_nothing_refused_reaches_the_proxy(origin_server, forbidden_server) -> None:
    resolver = StubResolver({"inside.example": [["10.0.0.5"]], "mail.example": [["127.0.0.1"]]})
    with ConnectProxy() as proxy:
        settings = Settings(
            fetch_allow=(f"127.0.0.1:{origin_server.port}",), egress_proxy=proxy.url, pool_size=1
        )
        with engine_with(settings, resolver) as engine:
            refused = [
                f"http://127.0.0.1:{forbidden_server.port}/",
                "http://inside.example/",
                "http://169.254.169.254/latest/meta-data/",
                "http://metadata.google.internal/",
                "http://mail.example:25/",
                origin_server.url(f"/redirect?to=http://127.0.0.1:{forbidden_server.port}/"),
            ]
            for url in refused:
                assert outcome(engine, url).startswith("fetch failed: "), url
    # The redirecting origin itself was reached through the proxy; nothing refused was asked for.
    assert proxy.requests == [f"CONNECT 127.0.0.1:{origin_server.port} HTTP/1.1"]
    assert forbidden_server.connections == 0


def test_a_rebinding_name_cannot_steer_the_proxy(origin_server, listen_forbidden) -> None:
    # The first answer is checked and the proxy is asked for that address; the second answer
    # (127.0.0.2, where a listener counts connections) is never used for this request.
    resolver = StubResolver({"rebind.example": [["127.0.0.1"], ["127.0.0.2"]]})
    with ConnectProxy() as proxy, listen_forbidden("127.0.0.2", origin_server.port) as other:
        settings = Settings(fetch_allow=("127.0.0.1/32",), egress_proxy=proxy.url, pool_size=1)
        with engine_with(settings, resolver) as engine:
            url = f"http://rebind.example:{origin_server.port}/status?code=200"
            assert outcome(engine, url) == "status 200"
            again = outcome(engine, url)
    assert again == "fetch failed: no allowed address for host 'rebind.example'"
    assert proxy.requests == [f"CONNECT 127.0.0.1:{origin_server.port} HTTP/1.1"]
    assert other.connections == 0


def test_each_redirect_hop_is_a_tunnel_to_its_own_checked_address(origin_server) -> None:
    resolver = StubResolver({"hop.example": [["127.0.0.1"]]})
    with ConnectProxy() as proxy:
        settings = Settings(fetch_allow=("127.0.0.1/32",), egress_proxy=proxy.url, pool_size=1)
        with engine_with(settings, resolver) as engine:
            target = f"http://hop.example:{origin_server.port}/status?code=201"
            assert outcome(engine, origin_server.url(f"/redirect?to={target}")) == "status 201"
    # Two origins (127.0.0.1 and hop.example share an address but not a connection pool key).
    assert proxy.requests == [f"CONNECT 127.0.0.1:{origin_server.port} HTTP/1.1"] * 2


def test_a_proxy_that_refuses_or_is_down_is_a_clear_failure(origin_server) -> None:
    with ConnectProxy(refuse=403) as proxy:
        settings = Settings(
            fetch_allow=(f"127.0.0.1:{origin_server.port}",), egress_proxy=proxy.url, pool_size=1
        )
        with engine_with(settings, StubResolver({})) as engine:
            refused = outcome(engine, origin_server.url("/echo"))
    assert refused == "fetch failed: the egress proxy refused the connection (HTTP 403)"
    # The proxy's listener is closed now: nothing answers on its port.
    settings = Settings(
        fetch_allow=(f"127.0.0.1:{origin_server.port}",), egress_proxy=proxy.url, pool_size=1
    )
    with engine_with(settings, StubResolver({})) as engine:
        down = outcome(engine, origin_server.url("/echo"))
    assert down == "fetch failed: could not connect to the egress proxy"


@pytest.mark.parametrize(
    ("text", "host", "port"),
    [("http://127.0.0.1:3128", "127.0.0.1", 3128), ("http://proxy.internal", "proxy.internal", 80),
     ("http://[::1]:8080/", "::1", 8080), (" http://p:1 ", "p", 1)],
)
def test_proxy_settings_are_parsed(text: str, host: str, port: int) -> None:
    proxy = parse_proxy(text)
    assert proxy is not None and (proxy.host, proxy.port) == (host, port)
    assert Settings(egress_proxy=text).egress_proxy == text.strip()


@pytest.mark.parametrize(
    "text",
    ["https://p:1", "socks5://p:1", "p:3128", "http://user:pw@p:1", "http://p:1/path",
     "http://p:99999", "http://p:0", "http://:8080", "http://p:1?x=1"],
)
def test_a_malformed_proxy_stops_the_service_at_startup(text: str) -> None:
    with pytest.raises(ValueError, match="JSEVAL_EGRESS_PROXY"):
        Settings(egress_proxy=text)


def test_no_proxy_by_default_and_environment_proxies_are_ignored(origin_server, monkeypatch) -> None:
    # HTTP_PROXY in the service's environment must not capture the sandbox's traffic: only the
    # operator's JSEVAL_EGRESS_PROXY does (httpx's trust_env is off).
    with ConnectProxy() as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        monkeypatch.setenv("ALL_PROXY", proxy.url)
        settings = Settings(fetch_allow=(f"127.0.0.1:{origin_server.port}",), pool_size=1)
        assert settings.egress_proxy is None
        with engine_with(settings, StubResolver({})) as engine:
            assert outcome(engine, origin_server.url("/status?code=200")) == "status 200"
    assert proxy.requests == []
