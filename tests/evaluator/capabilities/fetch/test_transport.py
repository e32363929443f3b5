"""The transport on its own (`_transport.py`): whoever sends through it, and however many hops
httpx follows, nothing connects without the policy's check, and only to checked addresses.

Requests go to real listeners on 127.0.0.1: `origin_server` is allowed, `forbidden_server`
counts every TCP connection and must see none.
"""

from __future__ import annotations

import asyncio

import httpcore
import httpx
import pytest

from evaluator.capabilities.fetch._failures import FetchFailure, FetchRefused
from evaluator.capabilities.fetch._policy import NetPolicy
from evaluator.capabilities.fetch._transport import _PinnedBackend, new_client, translated_errors
from tests.support import StubResolver


async def _get(policy: NetPolicy, url: str, *, follow: bool = False) -> httpx.Response:
    async with new_client(policy, 4) as client:
        return await client.get(url, follow_redirects=follow)


def test_an_allowed_request_goes_through(origin_server) -> None:
    policy = NetPolicy(allow=[f"127.0.0.1:{origin_server.port}"])
    response = asyncio.run(_get(policy, origin_server.url("/status?code=201")))
    assert response.status_code == 201


def test_a_caller_that_skips_every_check_is_still_refused(forbidden_server) -> None:
    # No session, no check_url: a bare client on the transport, aimed at a loopback listener.
    policy = NetPolicy()
    with pytest.raises(FetchRefused, match="loopback"):
        asyncio.run(_get(policy, f"http://127.0.0.1:{forbidden_server.port}/"))
    assert forbidden_server.connections == 0


def test_every_hop_httpx_follows_is_checked(origin_server, forbidden_server) -> None:
    # httpx follows the redirect itself here (fetch's session follows its own): the hop to the
    # forbidden listener reaches the transport, which refuses it before connecting.
    policy = NetPolicy(allow=[f"127.0.0.1:{origin_server.port}"])
    target = f"http://127.0.0.1:{forbidden_server.port}/"
    hits = origin_server.app.hits
    with pytest.raises(FetchRefused, match="loopback"):
        asyncio.run(_get(policy, origin_server.url(f"/redirect?to={target}"), follow=True))
    assert origin_server.app.hits == hits + 1
    assert forbidden_server.connections == 0


def test_a_name_is_resolved_by_the_policy_and_connected_to_as_checked(origin_server) -> None:
    resolver = StubResolver({"svc.example": [["127.0.0.1"], ["10.0.0.9"]]})
    policy = NetPolicy(allow=["127.0.0.1/32"], resolver=resolver)
    url = f"http://svc.example:{origin_server.port}/echo"
    response = asyncio.run(_get(policy, url))
    assert response.status_code == 200
    assert dict(response.json()["headers"])["host"] == f"svc.example:{origin_server.port}"
    # Resolved once per request, by the policy; the next answer is private: refused.
    with pytest.raises(FetchRefused, match="no allowed address"):
        asyncio.run(_get(policy, url))
    assert resolver.calls == ["svc.example", "svc.example"]


def test_the_backend_connects_nowhere_it_has_no_checked_address_for(forbidden_server) -> None:
    backend = _PinnedBackend({("other.example", 80): ("127.0.0.1",)})
    with pytest.raises(httpcore.ConnectError, match="no checked address"):
        asyncio.run(backend.connect_tcp("127.0.0.1", forbidden_server.port))
    with pytest.raises(httpcore.ConnectError):
        asyncio.run(backend.connect_unix_socket("/tmp/anything"))
    assert forbidden_server.connections == 0


@pytest.mark.parametrize(
    ("raised", "kind", "reason"),
    [
        (httpcore.ConnectTimeout("t"), "timeout", "timed out"),
        (httpx.ReadTimeout("t"), "timeout", "timed out"),
        (httpcore.ConnectError("c"), "network", "could not connect to the server"),
        (httpcore.RemoteProtocolError("p"), "network", "the server sent an invalid HTTP response"),
        (httpcore.ReadError("r"), "network", "the connection failed"),
        (ConnectionResetError(), "network", "the connection failed"),
    ],
)
def test_network_errors_are_translated_in_one_place(
    raised: Exception, kind: str, reason: str
) -> None:
    with pytest.raises(FetchFailure) as caught, translated_errors():
        raise raised
    assert (caught.value.kind, caught.value.reason) == (kind, reason)


def test_a_tls_failure_says_so() -> None:
    import ssl

    error = httpcore.ConnectError("handshake")
    error.__cause__ = ssl.SSLCertVerificationError("bad certificate")
    with pytest.raises(FetchFailure, match="TLS certificate verification failed"), translated_errors():
        raise error


def test_other_errors_are_not_disguised_as_network_failures() -> None:
    with pytest.raises(ValueError), translated_errors():
        raise ValueError("a bug, not the network")
    with pytest.raises(FetchRefused), translated_errors():
        raise FetchRefused("refused")
