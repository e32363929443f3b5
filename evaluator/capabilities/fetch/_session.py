"""The host half of `fetch` (SPEC section 5): the only module that imports httpx.

`shims/fetch/26_fetch.js` emits records on the `fetch` channel: `request` (one per fetch
call that reached the network layer), `cancel` (the signal aborted it) and `failed` (refused in
JavaScript before a request existed; recorded only). `FetchSession.handle()` receives them on
the driver's thread and hands each request to one asyncio loop thread per process, where it runs
under the evaluation's caps; results come back through `take_deliveries()`, and `close()`
cancels what is left and returns one record per fetch call for the result's `fetches`.

How a request stays inside the policy (`_policy.py`):
- its URL is parsed once, by the WHATWG rules, and checked; the host name is resolved once and
  every answer checked; the connection goes to those checked addresses only: the network backend
  below refuses any connection it has no checked address for (so httpx can never resolve a name a
  second time, which is where DNS rebinding would swap the address), while the URL keeps the name,
  so the Host header, TLS SNI and certificate verification are the name's;
- redirects are followed here, one hop at a time, each hop parsed and checked like the first;
- each evaluation gets its own client and connection pool, with a cookie jar that keeps nothing:
  no connection, cookie or TLS session is shared between evaluations.

Nothing is added to the request but what HTTP itself needs and a browser's network layer adds for
a credentials-omitted fetch (Host, framing, `Accept: */*` when absent, `Accept-Encoding: gzip,
deflate`); no User-Agent (docs/FETCH.md says why). Logs carry an outcome kind only: never a URL,
header, body or reason (a reason may quote the URL).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import concurrent.futures
import logging
import os
import ssl
import threading
import time
import zlib
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass
from http.cookiejar import CookieJar
from typing import Any

import httpcore
import httpx

from evaluator.capabilities.fetch._policy import NetPolicy, Resolver
from evaluator.capabilities.fetch._refusal import FetchRefused
from evaluator.capabilities.fetch._rules import (
    BODY_HEADERS,
    FORBIDDEN_METHODS,
    HIDDEN_RESPONSE_HEADERS,
    NULL_BODY_STATUSES,
    REDIRECT_STATUSES,
    is_forbidden_request_header,
    is_token,
    normalize_method,
    valid_header_value,
)
from evaluator.capabilities.fetch._url import ParsedURL, parse_url
from evaluator.settings import Settings

__all__ = ["FetchCapability", "FetchSession"]

logger = logging.getLogger("jseval.fetch")

_ACCEPT_ENCODING = b"gzip, deflate"
_CHUNK = 65536
_MAX_RECORDED_URL = 2048
_PUBLIC_REASON_MAX = 300
_DEADLINE_MARGIN_S = 1.0


# -- the loop thread -----------------------------------------------------------------------------

_LOOP_THREAD_NAME = "jseval-fetch"


class _QuietOnFetchThread(logging.Filter):
    """Drops httpx/httpcore records made on the fetch thread: httpx logs every request's URL
    (query string included) at INFO, httpcore logs hosts and response headers at DEBUG, and
    SPEC section 6 allows neither. Other users of httpx in the process keep their logs."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.threadName != _LOOP_THREAD_NAME


_QUIET = _QuietOnFetchThread()
for _name in (
    "httpx",
    "httpcore.connection",
    "httpcore.http11",
    "httpcore.http2",
    "httpcore.proxy",
    "httpcore.socks",
):
    logging.getLogger(_name).addFilter(_QUIET)


class _LoopThread:
    """One asyncio loop per process, started on first use (and again after a fork)."""

    _lock = threading.Lock()
    _loop: asyncio.AbstractEventLoop | None = None
    _pid: int | None = None

    @classmethod
    def get(cls) -> asyncio.AbstractEventLoop:
        with cls._lock:
            if cls._loop is None or cls._pid != os.getpid():
                loop = asyncio.new_event_loop()
                thread = threading.Thread(
                    target=loop.run_forever, name=_LOOP_THREAD_NAME, daemon=True
                )
                thread.start()
                cls._loop, cls._pid = loop, os.getpid()
            return cls._loop


_ssl_context: ssl.SSLContext | None = None


def _shared_ssl_context() -> ssl.SSLContext:
    """One verifying context per process (loading the CA bundle costs ~20 ms); loop thread only."""
    global _ssl_context
    if _ssl_context is None:
        _ssl_context = httpx.create_ssl_context(trust_env=False)
    return _ssl_context


async def system_resolver(hostname: str, port: int) -> list[str]:
    """The OS resolver (getaddrinfo), TCP answers only, in its order."""
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(hostname, port, type=0, proto=6)
    return [str(info[4][0]) for info in infos]


# -- transport: connect only to checked addresses ------------------------------------------------


class _PinnedBackend(httpcore.AsyncNetworkBackend):
    """Connects to the addresses the policy checked for (host, port), never resolving itself."""

    def __init__(self, pins: dict[tuple[str, int], tuple[str, ...]]) -> None:
        self._pins = pins
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
    def __init__(self, inner: Any) -> None:
        self._inner = inner

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for part in self._inner:
            yield part

    async def aclose(self) -> None:
        if hasattr(self._inner, "aclose"):
            await self._inner.aclose()


class _PinnedTransport(httpx.AsyncBaseTransport):
    """httpx's default transport, over a pool whose backend is `_PinnedBackend`."""

    def __init__(
        self,
        pins: dict[tuple[str, int], tuple[str, ...]],
        max_connections: int,
        ssl_context: ssl.SSLContext | None,
    ) -> None:
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context or _shared_ssl_context(),
            max_connections=max_connections,
            network_backend=_PinnedBackend(pins),
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        assert isinstance(request.stream, httpx.AsyncByteStream)
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


# -- bodies --------------------------------------------------------------------------------------


class _TooLarge(Exception):
    pass


class _Decoder:
    """Content-Encoding decoding (gzip, deflate; chains), never producing past `limit` bytes.

    httpx's decoders inflate a whole network chunk at once, so 64 KiB of a gzip bomb becomes
    ~64 MiB before anything could count it; here every inflate call is bounded (`max_length`).
    """

    def __init__(self, encodings: Sequence[str], limit: int) -> None:
        self.limit = limit
        self.produced = 0
        self._stages: list[Any] = []
        for encoding in reversed(encodings):  # the last applied is undone first
            if encoding in ("gzip", "x-gzip"):
                self._stages.append(zlib.decompressobj(zlib.MAX_WBITS | 16))
            elif encoding == "deflate":
                self._stages.append(["deflate", b""])  # zlib or raw: decided on the first bytes
            elif encoding in ("", "identity"):
                continue
            else:  # unknown coding: the bytes pass through as they are (browsers do the same)
                self._stages = []
                break

    def feed(self, data: bytes) -> list[bytes]:
        out: list[bytes] = []
        self._push(0, data, out)
        return out

    def _push(self, index: int, data: bytes, out: list[bytes]) -> None:
        if index == len(self._stages):
            self.produced += len(data)
            if self.produced > self.limit:
                raise _TooLarge()
            out.append(data)
            return
        stage = self._stages[index]
        if isinstance(stage, list):  # deflate: zlib-wrapped or raw, told by the first two bytes
            stage[1] += data
            if len(stage[1]) < 2:
                return
            head = stage[1]
            wrapped = (head[0] & 0x0F) == 8 and ((head[0] << 8) | head[1]) % 31 == 0
            stage = zlib.decompressobj(zlib.MAX_WBITS if wrapped else -zlib.MAX_WBITS)
            self._stages[index] = stage
            data = head
        while True:
            piece = stage.decompress(data, _CHUNK)
            progressed = bool(piece) or len(stage.unconsumed_tail) < len(data)
            data = stage.unconsumed_tail
            if piece:
                self._push(index + 1, piece, out)
            if (not data and len(piece) < _CHUNK) or not progressed:
                return


@dataclass
class _Call:
    """One fetch call as the host saw it: what `fetches` reports (no bodies, no headers)."""

    id: int
    method: str
    url: str
    started: float
    status: int | None = None
    error: str | None = None
    ended: float | None = None
    future: concurrent.futures.Future[None] | None = None
    listed: bool = True

    def record(self, now: float) -> dict[str, Any]:
        end = self.ended if self.ended is not None else now
        return {
            "method": self.method,
            "url": self.url,
            "status": self.status,
            "duration_ms": round((end - self.started) * 1000, 3),
            "error": self.error,
        }


@dataclass
class _Spec:
    id: int
    method: str
    url: str
    headers: list[tuple[str, str]]
    body: bytes | None
    redirect: str


@dataclass
class _Outcome:
    status: int
    status_text: str
    url: str
    redirected: bool
    headers: list[list[str]]
    body: bytes = b""


def _recorded_url(text: str) -> str:
    return text if len(text) <= _MAX_RECORDED_URL else text[: _MAX_RECORDED_URL - 3] + "..."


def _public(reason: str) -> str:
    reason = reason.replace("\n", " ")
    return reason if len(reason) <= _PUBLIC_REASON_MAX else reason[: _PUBLIC_REASON_MAX - 3] + "..."


class _BadRecord(Exception):
    pass


def _parse_request(record: dict[str, Any]) -> _Spec:
    """A `request` record, re-validated: the runtime built it, but nothing is trusted."""
    rid, method, url = record.get("id"), record.get("method"), record.get("url")
    headers, body, redirect = record.get("headers"), record.get("body"), record.get("redirect")
    if not isinstance(rid, int) or isinstance(rid, bool) or rid < 0:
        raise _BadRecord()
    if not isinstance(method, str) or not isinstance(url, str) or not isinstance(headers, list):
        raise _BadRecord()
    if redirect not in ("follow", "error", "manual"):
        raise _BadRecord()
    pairs: list[tuple[str, str]] = []
    for pair in headers:
        if not (
            isinstance(pair, list) and len(pair) == 2 and all(isinstance(p, str) for p in pair)
        ):
            raise _BadRecord()
        pairs.append((pair[0], pair[1]))
    text = record.get("text")
    data: bytes | None = None
    if body is not None:
        if not isinstance(body, str):
            raise _BadRecord()
        try:
            data = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            raise _BadRecord() from None
    elif text is not None:
        if not isinstance(text, str):
            raise _BadRecord()
        data = text.encode("utf-8", "replace")
    return _Spec(rid, method, url, pairs, data, redirect)


# -- the session ---------------------------------------------------------------------------------


class FetchSession:
    """The fetches of one evaluation: started on `handle`, settled into `take_deliveries`."""

    def __init__(self, capability: FetchCapability, wake: threading.Event, deadline: float) -> None:
        settings = capability.settings
        self._policy = capability.policy
        self._ssl_context = capability.ssl_context
        self._wake = wake
        self._deadline = deadline
        self._timeout_s = settings.fetch_timeout_ms / 1000.0
        self._max_bytes = settings.fetch_max_bytes
        self._max_requests = settings.fetch_max_requests
        self._max_redirects = settings.fetch_max_redirects
        self._max_in_flight = settings.fetch_max_in_flight
        self._lock = threading.Lock()
        self._calls: dict[int, _Call] = {}
        self._listed = 0
        self._requests = 0
        self._deliveries: list[dict[str, Any]] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._client: httpx.AsyncClient | None = None
        self._slots: asyncio.Semaphore | None = None
        self._pins: dict[tuple[str, int], tuple[str, ...]] = {}
        self._closed = False

    # driver thread ---------------------------------------------------------------------------

    def handle(self, records: list[dict[str, Any]]) -> None:
        for record in records:
            if not isinstance(record, dict):
                continue
            kind = record.get("kind")
            if kind == "request":
                self._on_request(record)
            elif kind == "cancel":
                self._on_cancel(record.get("id"))
            elif kind == "failed":
                self._on_failed(record)

    def _list(self, call: _Call) -> None:
        # `fetches` lists every call up to the cap, plus the first one refused by it.
        with self._lock:
            call.listed = self._listed <= self._max_requests
            if call.listed:
                self._listed += 1
            self._calls[call.id] = call

    def _on_failed(self, record: dict[str, Any]) -> None:
        rid = record.get("id")
        method, url, error = record.get("method"), record.get("url"), record.get("error")
        if not isinstance(rid, int) or rid in self._calls:
            return
        now = time.monotonic()
        call = _Call(
            id=rid,
            method=method[:32] if isinstance(method, str) else "GET",
            url=_recorded_url(url) if isinstance(url, str) else "",
            started=now,
            ended=now,
            error=_public(error) if isinstance(error, str) else "refused",
        )
        self._list(call)

    def _on_request(self, record: dict[str, Any]) -> None:
        now = time.monotonic()
        try:
            spec = _parse_request(record)
        except _BadRecord:
            rid = record.get("id")
            if isinstance(rid, int) and not isinstance(rid, bool):
                self._settle_now(rid, "GET", "", "invalid request", now)
            logger.warning("fetch record rejected kind=invalid")
            return
        if spec.id in self._calls:
            return
        if self._requests >= self._max_requests:
            self._settle_now(
                spec.id,
                spec.method,
                spec.url,
                f"too many requests (at most {self._max_requests} per evaluation)",
                now,
            )
            return
        self._requests += 1
        call = _Call(id=spec.id, method=spec.method[:32], url=_recorded_url(spec.url), started=now)
        self._list(call)
        if self._loop is None:
            self._loop = _LoopThread.get()
        call.future = asyncio.run_coroutine_threadsafe(self._perform(call, spec), self._loop)

    def _settle_now(self, rid: int, method: str, url: str, reason: str, now: float) -> None:
        call = _Call(
            id=rid, method=method[:32], url=_recorded_url(url), started=now, ended=now, error=reason
        )
        self._list(call)
        self._deliver({"id": rid, "ok": False, "error": reason})

    def _on_cancel(self, rid: Any) -> None:
        call = self._calls.get(rid) if isinstance(rid, int) else None
        if call is None or call.ended is not None:
            return
        with self._lock:
            call.error = "aborted"
            call.ended = time.monotonic()
        if call.future is not None:
            call.future.cancel()

    def take_deliveries(self) -> list[dict[str, Any]]:
        with self._lock:
            deliveries, self._deliveries = self._deliveries, []
        return deliveries

    def busy(self) -> bool:
        with self._lock:
            return any(call.ended is None for call in self._calls.values())

    def close(self) -> list[dict[str, Any]]:
        """Cancel every fetch still running; one record per listed call, in call order."""
        now = time.monotonic()
        with self._lock:
            self._closed = True
            for call in self._calls.values():
                if call.ended is None:
                    call.error = "cancelled: the evaluation ended"
                    call.ended = now
                    if call.future is not None:
                        call.future.cancel()
            records = [
                c.record(now) for c in sorted(self._calls.values(), key=lambda c: c.id) if c.listed
            ]
        if self._loop is not None:
            asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop)
        return records

    def _deliver(self, item: dict[str, Any]) -> None:
        with self._lock:
            self._deliveries.append(item)
        self._wake.set()

    # loop thread -----------------------------------------------------------------------------

    async def _shutdown(self) -> None:
        # Give cancelled requests a turn to unwind, then drop the pool (and its connections).
        await asyncio.sleep(0)
        if self._client is not None:
            try:
                await self._client.aclose()
            except Exception as exc:
                logger.debug("fetch client close failed kind=%s", type(exc).__name__)

    def _ensure_client(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(
                transport=_PinnedTransport(self._pins, self._max_in_flight, self._ssl_context),
                cookies=_NoCookies(),
                trust_env=False,
                follow_redirects=False,
            )
            self._slots = asyncio.Semaphore(self._max_in_flight)
        return self._client

    async def _perform(self, call: _Call, spec: _Spec) -> None:
        """Run one fetch under the caps and deliver its outcome. The one catch-all boundary:
        whatever goes wrong reaches JavaScript as a short reason."""
        outcome: _Outcome | None = None
        reason: str | None = None
        kind = "ok"
        try:
            client = self._ensure_client()
            assert self._slots is not None
            async with self._slots:
                left = self._deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError()
                # When the evaluation's end comes first, close() cancels the fetch then; the
                # margin keeps this timer from racing it, so the record says what happened.
                budget = self._timeout_s
                limit = budget if budget < left else left + _DEADLINE_MARGIN_S
                try:
                    async with asyncio.timeout(limit):
                        outcome = await self._exchange(client, call, spec)
                except TimeoutError:
                    kind = "timeout"
                    reason = f"timed out after {round(budget * 1000)} ms"
        except FetchRefused as exc:
            kind, reason = "refused", exc.reason
        except _TooLarge:
            kind, reason = "limit", f"the response is larger than {self._max_bytes} bytes"
        except TimeoutError:
            kind, reason = "timeout", "timed out"
        except (httpcore.TimeoutException, httpx.TimeoutException):
            kind, reason = "timeout", "timed out"
        except (httpcore.ConnectError, httpx.ConnectError) as exc:
            kind, reason = "network", _connect_reason(exc)
        except (httpcore.RemoteProtocolError, httpx.RemoteProtocolError):
            kind, reason = "network", "the server sent an invalid HTTP response"
        except (httpcore.NetworkError, httpx.NetworkError, httpx.TransportError, OSError):
            kind, reason = "network", "the connection failed"
        except (zlib.error, EOFError):
            kind, reason = "network", "the response body could not be decoded"
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            kind, reason = "internal", "internal error"
            logger.warning("fetch failed internally kind=%s", type(exc).__name__)
        logger.debug("fetch settled kind=%s", kind)
        with self._lock:
            if call.ended is None:
                call.ended = time.monotonic()
                if outcome is not None:
                    call.status = outcome.status
                else:
                    call.error = reason
            cancelled = call.error == "aborted" or self._closed
        if cancelled:
            return
        if outcome is not None:
            self._deliver(_delivery(spec.id, outcome))
        else:
            self._deliver({"id": spec.id, "ok": False, "error": _public(reason or "failed")})
        self._wake.set()

    async def _exchange(self, client: httpx.AsyncClient, call: _Call, spec: _Spec) -> _Outcome:
        method = normalize_method(spec.method)
        if not is_token(method):
            raise FetchRefused(f"invalid method '{method[:32]}'")
        if method.upper() in FORBIDDEN_METHODS:
            raise FetchRefused(f"method '{method}' is not allowed")
        headers: list[tuple[str, str]] = []
        for name, value in spec.headers:
            lower = name.lower()
            if not is_token(name) or not valid_header_value(value):
                raise FetchRefused("invalid request header")
            if not is_forbidden_request_header(lower, value):
                headers.append((name, value))
        body = spec.body
        if body is not None and method in ("GET", "HEAD"):
            raise FetchRefused("a GET or HEAD request cannot have a body")
        url = parse_url(spec.url)
        call.url = _recorded_url(url.href)
        self._policy.check_url(url)
        redirected = False
        for hop in range(self._max_redirects + 2):
            addresses = await self._policy.addresses(url)
            self._pins[(url.hostname, url.effective_port)] = addresses
            response = await client.send(_build_request(method, url, headers, body), stream=True)
            try:
                location = _location(response)
                if (
                    response.status_code in REDIRECT_STATUSES
                    and location is not None
                    and spec.redirect != "manual"
                ):
                    if spec.redirect == "error":
                        raise FetchRefused("the response is a redirect (redirect mode 'error')")
                    if hop >= self._max_redirects:
                        raise FetchRefused(f"too many redirects (at most {self._max_redirects})")
                    target = self._policy.check_url(parse_url(location, url))
                    status = response.status_code
                    if (status in (301, 302) and method == "POST") or (
                        status == 303 and method not in ("GET", "HEAD")
                    ):
                        method = "GET"
                        body = None
                        headers = [(n, v) for n, v in headers if n.lower() not in BODY_HEADERS]
                    if target.origin != url.origin:
                        headers = [(n, v) for n, v in headers if n.lower() != "authorization"]
                    url = target
                    redirected = True
                    continue
                data = b""
                if method != "HEAD" and response.status_code not in NULL_BODY_STATUSES:
                    data = await self._read_body(response)
                return _Outcome(
                    status=response.status_code,
                    status_text=response.extensions.get("reason_phrase", b"").decode("latin-1"),
                    url=url.href,
                    redirected=redirected,
                    headers=[
                        [name.decode("latin-1").lower(), value.decode("latin-1")]
                        for name, value in response.headers.raw
                        if name.decode("latin-1").lower() not in HIDDEN_RESPONSE_HEADERS
                    ],
                    body=data,
                )
            finally:
                await response.aclose()
        raise FetchRefused(f"too many redirects (at most {self._max_redirects})")

    async def _read_body(self, response: httpx.Response) -> bytes:
        limit = self._max_bytes
        encodings = [
            part.strip().lower()
            for part in response.headers.get("content-encoding", "").split(",")
            if part.strip()
        ]
        decoder = _Decoder(encodings, limit)
        declared = response.headers.get("content-length")
        if not encodings and declared is not None and declared.isdigit() and int(declared) > limit:
            raise _TooLarge()
        # Compressed input is bounded too: a stream of empty deflate blocks decodes to nothing.
        raw_limit = limit + limit // 64 + _CHUNK
        raw = 0
        parts: list[bytes] = []
        async for chunk in response.aiter_raw():
            raw += len(chunk)
            if raw > raw_limit:
                raise _TooLarge()
            parts.extend(decoder.feed(chunk))
        return b"".join(parts)


def _location(response: httpx.Response) -> str | None:
    for name, value in response.headers.raw:
        if name.lower() == b"location":
            return value.decode("utf-8", "replace")
    return None


def _connect_reason(exc: BaseException) -> str:
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, ssl.SSLCertVerificationError):
            return "TLS certificate verification failed"
        if isinstance(cause, ssl.SSLError):
            return "TLS handshake failed"
        cause = cause.__cause__ or cause.__context__
    return "could not connect to the server"


def _build_request(
    method: str, url: ParsedURL, headers: list[tuple[str, str]], body: bytes | None
) -> httpx.Request:
    names = {name.lower() for name, _ in headers}
    sent = list(headers)
    if "accept" not in names:
        sent.append(("Accept", "*/*"))
    sent.append(("Accept-Encoding", _ACCEPT_ENCODING.decode()))
    return httpx.Request(
        method,
        httpx.URL(
            scheme=url.scheme, host=url.hostname, port=url.port, raw_path=url.target.encode("ascii")
        ),
        headers=[(n.encode("latin-1"), v.encode("latin-1")) for n, v in sent],
        content=body,
    )


def _delivery(rid: int, outcome: _Outcome) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": rid,
        "ok": True,
        "status": outcome.status,
        "status_text": outcome.status_text,
        "url": outcome.url,
        "redirected": outcome.redirected,
        "headers": outcome.headers,
    }
    # Text crosses as a JSON string (no decoding loop in JavaScript); other bytes as base64.
    try:
        item["text"] = outcome.body.decode("utf-8")
    except UnicodeDecodeError:
        item["body"] = base64.b64encode(outcome.body).decode("ascii")
    return item


async def _warm_up() -> None:
    try:
        _shared_ssl_context()
        import anyio  # httpcore's socket layer, imported on its first connect otherwise

        await anyio.sleep(0)
    except Exception as exc:  # a failed warm-up only means the first fetch pays for it
        logger.debug("fetch warm-up failed kind=%s", type(exc).__name__)


class FetchCapability:
    """`fetch` for the sandboxes of this process: the policy, and one session per evaluation.

    Args:
        settings: the fetch_* settings (policy entries, caps).
        resolver: async (hostname, port) -> addresses; the OS resolver by default. Tests pass
            a stub so that no query leaves the machine.
        ssl_context: the verifying TLS context; certifi's CAs by default. Tests pass one that
            trusts their own CA, to show certificates are checked against the URL's host name.
    """

    channel = "fetch"
    shim = "fetch"
    result_field = "fetches"

    def __init__(
        self,
        settings: Settings,
        *,
        resolver: Resolver | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.settings = settings
        self.ssl_context = ssl_context
        self.policy = NetPolicy(
            settings.fetch_allow, settings.fetch_deny, resolver=resolver or system_resolver
        )
        self.warm()

    def warm(self) -> None:
        """Start the loop thread and prepare the TLS context and the socket layer off any
        evaluation's clock (measured: ~150 ms for the first fetch of a process otherwise)."""
        asyncio.run_coroutine_threadsafe(_warm_up(), _LoopThread.get())

    def open_session(self, wake: threading.Event, deadline: float) -> FetchSession:
        return FetchSession(self, wake, deadline)

    def __repr__(self) -> str:
        return "<FetchCapability>"
