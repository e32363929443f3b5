"""The host half of `fetch`: one session per evaluation, and the capability that makes them.

`FetchSession.handle()` receives the records of the `fetch` channel on the driver's thread
(`_records.py` says what they hold) and hands each request to the process's fetch loop thread
(`_loop.py`), where it runs under the evaluation's caps; results come back through
`take_deliveries()`, and `close()` cancels what is left and returns one record per fetch call
for the result's `fetches`.

How a request stays inside the policy: every request this session sends goes through
`PolicyTransport` (`_transport.py`), which parses its URL with the WHATWG parser, checks it,
resolves its host (every answer checked) and connects only to those addresses. Redirects are
followed here, one hop at a time with the Fetch standard's rules (redirect modes, method
rewriting, Authorization dropped across origins), and each hop is a request the transport
checks like the first. Each evaluation gets its own client and connection pool, with a cookie
jar that keeps nothing: no connection, cookie or TLS session is shared between evaluations.

Nothing is added to the request but what HTTP itself needs and a browser's network layer adds for
a credentials-omitted fetch (Host, framing, `Accept: */*` when absent, `Accept-Encoding: gzip,
deflate`); no User-Agent (docs/FETCH.md says why). Logs carry an outcome kind only: never a URL,
header, body or reason (a reason may quote the URL).
"""

from __future__ import annotations

import asyncio
import logging
import ssl
import threading
import time
from typing import Any

import httpx

from evaluator.capabilities.fetch._body import read_body
from evaluator.capabilities.fetch._failures import FetchFailure, FetchRefused
from evaluator.capabilities.fetch._loop import LoopThread, system_resolver, warm_up
from evaluator.capabilities.fetch._policy import NetPolicy, Resolver
from evaluator.capabilities.fetch._proxy import parse_proxy
from evaluator.capabilities.fetch._records import (
    BadRecord,
    Call,
    Exchange,
    RequestSpec,
    delivery,
    parse_request,
    public,
    recorded_url,
)
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
from evaluator.capabilities.fetch._transport import new_client
from evaluator.capabilities.fetch._url import ParsedURL, parse_url
from evaluator.settings import Settings

__all__ = ["FetchCapability", "FetchSession"]

logger = logging.getLogger("jseval.fetch")

_ACCEPT_ENCODING = "gzip, deflate"
_DEADLINE_MARGIN_S = 1.0
_DEFAULT_OUTPUT_BYTES = 2 * 1024 * 1024  # SPEC section 2's default answer cap


# -- the session ---------------------------------------------------------------------------------


class FetchSession:
    """The fetches of one evaluation: started on `handle`, settled into `take_deliveries`."""

    def __init__(self, capability: FetchCapability, wake: threading.Event, deadline: float) -> None:
        settings = capability.settings
        self._policy = capability.policy
        self._ssl_context = capability.ssl_context
        self._proxy = capability.proxy
        self._wake = wake
        self._deadline = deadline
        self._timeout_s = settings.fetch_timeout_ms / 1000.0
        self._max_bytes = settings.fetch_max_bytes
        self._max_requests = settings.fetch_max_requests
        self._max_redirects = settings.fetch_max_redirects
        self._max_in_flight = settings.fetch_max_in_flight
        self._lock = threading.Lock()
        self._calls: dict[int, Call] = {}
        # Records of calls refused without a request (in JavaScript, or past the cap here) are
        # kept while their bytes fit in an answer: past that, the answer is trimmed anyway.
        self._refused_bytes = 0
        self._record_budget = int(getattr(settings, "max_output_bytes", _DEFAULT_OUTPUT_BYTES))
        self._requests = 0
        self._deliveries: list[dict[str, Any]] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._client: httpx.AsyncClient | None = None
        self._slots: asyncio.Semaphore | None = None
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

    def _list(self, call: Call) -> None:
        """Keep `call` for `fetches` (one entry per call, SPEC section 2). Requests are at most
        `fetch_max_requests`; calls refused before any request are unbounded in number, so
        they are kept only while their records' bytes fit in an answer (`max_output_bytes`):
        the records kept then already fill an answer, which is trimmed and flagged
        `output_truncated`, so the ones dropped here could never have been returned."""
        with self._lock:
            if call.ended is not None and call.future is None:  # refused, settled at once
                if self._refused_bytes > self._record_budget:
                    return
                self._refused_bytes += call.size()
            self._calls[call.id] = call

    def _on_failed(self, record: dict[str, Any]) -> None:
        rid = record.get("id")
        method, url, error = record.get("method"), record.get("url"), record.get("error")
        if not isinstance(rid, int) or rid in self._calls:
            return
        now = time.monotonic()
        call = Call(
            id=rid,
            method=method[:32] if isinstance(method, str) else "GET",
            url=recorded_url(url) if isinstance(url, str) else "",
            started=now,
            ended=now,
            error=public(error) if isinstance(error, str) else "refused",
        )
        self._list(call)

    def _on_request(self, record: dict[str, Any]) -> None:
        now = time.monotonic()
        try:
            spec = parse_request(record)
        except BadRecord:
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
        call = Call(id=spec.id, method=spec.method[:32], url=recorded_url(spec.url), started=now)
        self._list(call)
        if self._loop is None:
            self._loop = LoopThread.get()
        call.future = asyncio.run_coroutine_threadsafe(self._perform(call, spec), self._loop)

    def _settle_now(self, rid: int, method: str, url: str, reason: str, now: float) -> None:
        call = Call(
            id=rid, method=method[:32], url=recorded_url(url), started=now, ended=now, error=reason
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
        """Cancel every fetch still running; one record per call kept, in call order."""
        now = time.monotonic()
        with self._lock:
            self._closed = True
            for call in self._calls.values():
                if call.ended is None:
                    call.error = "cancelled: the evaluation ended"
                    call.ended = now
                    if call.future is not None:
                        call.future.cancel()
            records = [c.record(now) for c in sorted(self._calls.values(), key=lambda c: c.id)]
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
            self._client = new_client(
                self._policy, self._max_in_flight, self._ssl_context, self._proxy
            )
            self._slots = asyncio.Semaphore(self._max_in_flight)
        return self._client

    async def _perform(self, call: Call, spec: RequestSpec) -> None:
        """Run one fetch under the caps and deliver its outcome. The one catch-all boundary:
        whatever goes wrong reaches JavaScript as a short reason."""
        outcome: Exchange | None = None
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
        except FetchFailure as failure:  # the network's, the policy's, the body's
            kind, reason = failure.kind, failure.reason
        except TimeoutError:
            kind, reason = "timeout", "timed out"
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
            self._deliver(delivery(spec.id, outcome))
        else:
            self._deliver({"id": spec.id, "ok": False, "error": public(reason or "failed")})
        self._wake.set()

    async def _exchange(self, client: httpx.AsyncClient, call: Call, spec: RequestSpec) -> Exchange:
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
        # The URL as written is checked here too: its credentials (refused) never reach the
        # request the transport sees, and a refusal here costs no connection-pool work.
        url = parse_url(spec.url)
        call.url = recorded_url(url.href)
        self._policy.check_url(url)
        redirected = False
        for hop in range(self._max_redirects + 2):
            # The transport checks this request's URL and pins its addresses (each hop alike).
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
                    data = await read_body(response, self._max_bytes)
                return Exchange(
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

def _location(response: httpx.Response) -> str | None:
    for name, value in response.headers.raw:
        if name.lower() == b"location":
            return value.decode("utf-8", "replace")
    return None



def _build_request(
    method: str, url: ParsedURL, headers: list[tuple[str, str]], body: bytes | None
) -> httpx.Request:
    names = {name.lower() for name, _ in headers}
    sent = list(headers)
    if "accept" not in names:
        sent.append(("Accept", "*/*"))
    sent.append(("Accept-Encoding", _ACCEPT_ENCODING))
    return httpx.Request(
        method,
        httpx.URL(
            scheme=url.scheme, host=url.hostname, port=url.port, raw_path=url.target.encode("ascii")
        ),
        headers=[(n.encode("latin-1"), v.encode("latin-1")) for n, v in sent],
        content=body,
    )



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
        self.proxy = parse_proxy(settings.egress_proxy)
        self.warm()

    def warm(self) -> None:
        """Start the loop thread and prepare the TLS context and the socket layer off any
        evaluation's clock (measured: ~150 ms for the first fetch of a process otherwise)."""
        asyncio.run_coroutine_threadsafe(warm_up(), LoopThread.get())

    def open_session(self, wake: threading.Event, deadline: float) -> FetchSession:
        return FetchSession(self, wake, deadline)

    def __repr__(self) -> str:
        return "<FetchCapability>"

