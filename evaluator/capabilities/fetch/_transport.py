"""fetch's httpx transport: no request reaches the network unchecked, and no name is resolved
twice.

`PolicyTransport.handle_async_request` is where every request goes, the first one and every
redirect hop alike (and any later caller of this transport: queries the host runs against
datasources will reuse it): it parses the request's URL with the WHATWG parser, has the policy
check it and resolve its host (every answer checked), and records the checked addresses for
the request's (host, port). The network backend below connects only to recorded addresses and
refuses anything else, so httpx can never resolve a name a second time, which is where DNS
rebinding would swap the address; the URL keeps the name, so the Host header, TLS SNI and
certificate verification are the name's. No code path can connect without passing the policy.
With an egress proxy (`_proxy.py`), the backend opens each connection as a CONNECT tunnel to the
checked address instead of a socket to it; nothing else changes.

httpcore's and httpx's exceptions are translated in one place, `translated_errors()` (as
httpx's own `map_httpcore_exceptions`), around the request and around every read of the
response stream: the session sees only `FetchFailure`s.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from contextlib import contextmanager
from http.cookiejar import CookieJar
from typing import Any

import httpcore
import httpx

from evaluator.capabilities.fetch._failures import FetchFailure
from evaluator.capabilities.fetch._loop import shared_ssl_context
from evaluator.capabilities.fetch._policy import NetPolicy
from evaluator.capabilities.fetch._proxy import EgressProxy, ProxyError
from evaluator.capabilities.fetch._url import parse_url

__all__ = ["PolicyTransport", "new_client", "translated_errors"]

Pins = dict[tuple[str, int], tuple[str, ...]]


def _connect_reason(exc: BaseException) -> str:
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, ProxyError):
            return cause.reason
        if isinstance(cause, ssl.SSLCertVerificationError):
            return "TLS certificate verification failed"
        if isinstance(cause, ssl.SSLError):
            return "TLS handshake failed"
        cause = cause.__cause__ or cause.__context__
    return "could not connect to the server"


# Exception -> (kind, reason), first match wins. Timeouts of the exchange itself are the
# session's (its deadline); these are the network's.
_Reason = str | Callable[[BaseException], str]
_TRANSLATIONS: tuple[tuple[tuple[type[BaseException], ...], str, _Reason], ...] = (
    ((httpcore.TimeoutException, httpx.TimeoutException), "timeout", "timed out"),
    ((httpcore.ConnectError, httpx.ConnectError), "network", _connect_reason),
    (
        (httpcore.RemoteProtocolError, httpx.RemoteProtocolError),
        "network",
        "the server sent an invalid HTTP response",
    ),
    (
        (httpcore.NetworkError, httpx.NetworkError, httpx.TransportError, OSError),
        "network",
        "the connection failed",
    ),
)


@contextmanager
def translated_errors() -> Iterator[None]:
    """Turn the network's exceptions into `FetchFailure`s; let everything else through."""
    try:
        yield
    except FetchFailure:
        raise
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        for types, kind, reason in _TRANSLATIONS:
            if isinstance(exc, types):
                text = reason(exc) if callable(reason) else reason
                raise FetchFailure(kind, text) from exc
        raise


class _PinnedBackend(httpcore.AsyncNetworkBackend):
    """Connects to the addresses the policy checked for (host, port), never resolving itself;
    through the egress proxy, when there is one, as a tunnel to the checked address."""

    def __init__(self, pins: Pins, proxy: EgressProxy | None = None) -> None:
        self._pins = pins
        self._proxy = proxy
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = self._pins.get((host, port))
        if not addresses:  # fail closed: nothing checked for this origin
            raise httpcore.ConnectError("no checked address")
        failure: Exception | None = None
        for address in addresses:
            try:
                if self._proxy is not None:
                    return await self._proxy.tunnel(
                        self._inner, address, port, timeout, socket_options
                    )
                return await self._inner.connect_tcp(
                    address,
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        assert failure is not None
        raise failure

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("unix sockets are not reachable from fetch")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)



class _Stream(httpx.AsyncByteStream):
    """A response body from httpcore, its errors translated as it is read."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    async def __aiter__(self) -> AsyncIterator[bytes]:
        with translated_errors():
            async for part in self._inner:
                yield part

    async def aclose(self) -> None:
        if hasattr(self._inner, "aclose"):
            with translated_errors():
                await self._inner.aclose()


class PolicyTransport(httpx.AsyncBaseTransport):
    """httpx's default transport, over a pool whose backend connects only where the policy
    said, for requests the policy has checked here.

    Args:
        policy: the network policy (checks URLs, resolves and checks addresses).
        max_connections: the connection pool's cap (one pool per evaluation).
        ssl_context: the verifying TLS context; the process's shared one by default.
        proxy: the egress proxy every connection goes through (a CONNECT tunnel), if any.
    """

    def __init__(
        self,
        policy: NetPolicy,
        max_connections: int,
        ssl_context: ssl.SSLContext | None = None,
        proxy: EgressProxy | None = None,
    ) -> None:
        self._policy = policy
        self._pins: Pins = {}
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context or shared_ssl_context(),
            max_connections=max_connections,
            network_backend=_PinnedBackend(self._pins, proxy),
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        assert isinstance(request.stream, httpx.AsyncByteStream)
        # The URL as the policy reads it (WHATWG, not httpx's parser): checked, resolved, every
        # answer checked; FetchRefused if not. The backend connects to these addresses only.
        url = parse_url(str(request.url))
        addresses = await self._policy.addresses(url)
        self._pins[(url.hostname, url.effective_port)] = addresses
        core_request = httpcore.Request(
            method=request.method,
            url=httpcore.URL(
                scheme=request.url.raw_scheme,
                host=request.url.raw_host,
                port=request.url.port,
                target=request.url.raw_path,
            ),
            headers=request.headers.raw,
            content=request.stream,
            extensions=request.extensions,
        )
        with translated_errors():
            response = await self._pool.handle_async_request(core_request)
        return httpx.Response(
            status_code=response.status,
            headers=response.headers,
            stream=_Stream(response.stream),
            extensions=response.extensions,
        )

    async def aclose(self) -> None:
        await self._pool.aclose()


class _NoCookies(CookieJar):
    """A jar that keeps nothing: fetch is credentials-omitted."""

    def set_cookie(self, cookie: Any) -> None:
        return None

    def extract_cookies(self, response: Any, request: Any) -> None:
        return None



def new_client(
    policy: NetPolicy,
    max_connections: int,
    ssl_context: ssl.SSLContext | None = None,
    proxy: EgressProxy | None = None,
) -> httpx.AsyncClient:
    """A client for one evaluation: its own pool (no connection or TLS session is shared between
    evaluations), a cookie jar that keeps nothing, no proxy or .netrc from the environment, and
    redirects left to the caller (fetch's redirect modes and method rules are the Fetch
    standard's, each hop a request this transport checks). The egress proxy is the operator's
    (`proxy`), never the environment's."""
    return httpx.AsyncClient(
        transport=PolicyTransport(policy, max_connections, ssl_context, proxy),
        cookies=_NoCookies(),
        trust_env=False,
        follow_redirects=False,
    )
