"""HTTP clients for a jseval service: `Client` (blocking) and `AsyncClient` (asyncio), on httpx.

They take and return the in-process `Evaluator`'s models (`EvaluationRequest`,
`EvaluationResult`), so code can switch between evaluating in-process and calling a deployment
by swapping one object:

    from evaluator.client import Client

    with Client("http://127.0.0.1:8000", api_key="...") as client:
        result = client.evaluate({"code": "1 + 1"})
        assert result.ok and result.result == 2

HTTP answers become the `evaluator.errors` tree, as the in-process `Evaluator` raises it:
422/413 `RequestRejected`, 401 `AuthenticationFailed`, 429 `ServiceBusy`, 503
`ServiceUnavailable`; no answer at all is `ServiceUnreachable`, anything else
`UnexpectedResponse`. A JavaScript failure is never an exception: it is a result with
`ok: false`, as in-process.

429 and 503 are retried (an evaluation refused with them never ran, so a retry cannot run it
twice), at most `max_retries` times, each after the server's `Retry-After`; a server asking for
a longer wait than `max_retry_wait_s` gets no retry, the exception is raised at once. Nothing
else is retried: after a timeout or a broken connection the evaluation may have run, and its
`fetch` calls may have had effects.

A mapping is sent as it is and validated by the server (a server newer than this client may
accept fields this client's models do not know); an `EvaluationRequest` is sent with only the
fields that were set, so the server's defaults apply.
"""

from __future__ import annotations

import asyncio
import email.utils
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from types import TracebackType
from typing import Any

import httpx
import orjson
from pydantic import TypeAdapter, ValidationError

from evaluator import __version__
from evaluator.errors import (
    AuthenticationFailed,
    RequestRejected,
    ServiceBusy,
    ServiceUnavailable,
    ServiceUnreachable,
    UnexpectedResponse,
)
from evaluator.models import EvaluationRequest, EvaluationResult

__all__ = ["DEFAULT_URL", "AsyncClient", "Client"]

DEFAULT_URL = "http://127.0.0.1:8000"

RequestLike = EvaluationRequest | Mapping[str, Any]
_RESULTS = TypeAdapter(list[EvaluationResult])
# Retried statuses: the evaluation was refused before it ran.
_RETRIABLE = frozenset({429, 503})
# Without a Retry-After: 0.5 s, 1 s, 2 s, ...
_BACKOFF_S = 0.5


class _Protocol:
    """What both clients share, without I/O: encoding requests, reading answers, retry delays."""

    def __init__(
        self,
        base_url: str,
        api_key: str | None,
        max_retries: int,
        max_retry_wait_s: float,
    ) -> None:
        if max_retries < 0:
            raise ValueError("max_retries must be >= 0")
        self.base_url = base_url.rstrip("/")
        self.max_retries = max_retries
        self.max_retry_wait_s = max_retry_wait_s
        self.headers = {"User-Agent": f"jseval-client/{__version__}", "Accept": "application/json"}
        if api_key:
            self.headers["Authorization"] = f"Bearer {api_key}"

    @staticmethod
    def body(request: RequestLike) -> dict[str, Any]:
        if isinstance(request, EvaluationRequest):
            return request.model_dump(mode="json", exclude_unset=True)
        return dict(request)

    @staticmethod
    def encode(payload: object) -> bytes:
        try:
            return orjson.dumps(payload)
        except TypeError as exc:
            raise RequestRejected(
                [{"type": "json_invalid", "loc": ["body"], "msg": f"not JSON: {exc}"}]
            ) from None

    def retry_delay(self, response: httpx.Response, attempt: int) -> float | None:
        """Seconds to wait before retrying `response`, or None to raise now."""
        if response.status_code not in _RETRIABLE or attempt >= self.max_retries:
            return None
        delay = _retry_after_s(response.headers.get("retry-after"))
        if delay is None:
            delay = _BACKOFF_S * 2**attempt
        return delay if delay <= self.max_retry_wait_s else None

    def check(self, response: httpx.Response) -> Any:
        """The decoded JSON body of a 200; the matching exception for anything else."""
        status = response.status_code
        if status == 200:
            try:
                return orjson.loads(response.content)
            except orjson.JSONDecodeError:
                raise UnexpectedResponse(status, "the answer is not JSON") from None
        detail = _detail(response)
        if status == 401:
            raise AuthenticationFailed(detail if isinstance(detail, str) else "Not authenticated")
        if status == 422 and isinstance(detail, list):
            raise RequestRejected([item for item in detail if isinstance(item, dict)])
        if status == 413:
            message = detail if isinstance(detail, str) else "Request body too large"
            raise RequestRejected(
                [{"type": "too_large", "loc": ["body"], "msg": message}], status_code=413
            )
        if status == 429:
            wait = _retry_after_s(response.headers.get("retry-after"))
            raise ServiceBusy(max(1, round(wait)) if wait is not None else 1)
        if status == 503:
            raise ServiceUnavailable(detail if isinstance(detail, str) else "service unavailable")
        raise UnexpectedResponse(
            status, f"HTTP {status} from {response.request.url.path}: not a jseval answer"
        )

    def result(self, response: httpx.Response) -> EvaluationResult:
        try:
            return EvaluationResult.model_validate(self.check(response))
        except ValidationError:
            raise UnexpectedResponse(200, "the answer is not an evaluation result") from None

    def results(self, response: httpx.Response, count: int) -> list[EvaluationResult]:
        body = self.check(response)
        try:
            results = _RESULTS.validate_python(body.get("results") if isinstance(body, dict) else 0)
        except ValidationError:
            raise UnexpectedResponse(200, "the answer is not a batch of results") from None
        if len(results) != count:
            raise UnexpectedResponse(200, f"{len(results)} results for {count} evaluations")
        return results

    def unreachable(self, exc: httpx.TransportError) -> ServiceUnreachable:
        if isinstance(exc, httpx.TimeoutException):
            reason = type(exc).__name__
            return ServiceUnreachable(f"no answer from {self.base_url} in time ({reason})")
        return ServiceUnreachable(f"cannot reach {self.base_url}: {exc or type(exc).__name__}")

    def describe(self, kind: str) -> str:  # never the key
        key = " api_key=[secure]" if "Authorization" in self.headers else ""
        return f"<{kind} {self.base_url}{key}>"


def _detail(response: httpx.Response) -> Any:
    try:
        body = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        return None
    return body.get("detail") if isinstance(body, dict) else None


def _retry_after_s(value: str | None) -> float | None:
    """RFC 9110 Retry-After: delay-seconds or an HTTP-date; None when absent or unreadable."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


class Client:
    """A blocking client for a jseval service (thread-safe, keeps connections alive).

    Args:
        base_url: where the service is, e.g. `http://127.0.0.1:8000` (a path prefix is kept).
        api_key: one of the server's `JSEVAL_API_KEYS`, sent as `Authorization: Bearer`.
        timeout: seconds (or an `httpx.Timeout`) for each HTTP exchange; leave room for the
            evaluation's own `timeout_ms` and its wait in the queue.
        max_retries: retries of a 429 or 503, each after the server's `Retry-After`.
        max_retry_wait_s: the longest `Retry-After` honoured; a longer one is raised at once.
    """

    def __init__(
        self,
        base_url: str = DEFAULT_URL,
        *,
        api_key: str | None = None,
        timeout: float | httpx.Timeout = 60.0,
        max_retries: int = 3,
        max_retry_wait_s: float = 30.0,
    ) -> None:
        self._protocol = _Protocol(base_url, api_key, max_retries, max_retry_wait_s)
        self._http = httpx.Client(
            base_url=self._protocol.base_url, headers=self._protocol.headers, timeout=timeout
        )

    def evaluate(self, request: RequestLike) -> EvaluationResult:
        """Run one evaluation on the service; a JavaScript failure is a result, not a raise."""
        body = _Protocol.body(request)
        return self._protocol.result(self._post("/v1/evaluate", body))

    def evaluate_batch(self, requests: Sequence[RequestLike]) -> list[EvaluationResult]:
        """Run several evaluations, each in its own sandbox; results in the same order."""
        body = {"evaluations": [_Protocol.body(request) for request in requests]}
        return self._protocol.results(self._post("/v1/evaluate/batch", body), len(requests))

    def info(self) -> dict[str, Any]:
        """`GET /v1/info`: versions, the limits in force, framework functions, libraries."""
        info = self._protocol.check(self._send("GET", "/v1/info"))
        if not isinstance(info, dict):
            raise UnexpectedResponse(200, "the answer is not an info object")
        return info

    def ready(self) -> bool:
        """Whether `GET /readyz` says the service takes evaluations now."""
        return self._send("GET", "/readyz").status_code == 200

    def _post(self, path: str, body: object) -> httpx.Response:
        content = _Protocol.encode(body)
        attempt = 0
        while True:
            response = self._send("POST", path, content)
            delay = self._protocol.retry_delay(response, attempt)
            if delay is None:
                return response
            time.sleep(delay)
            attempt += 1

    def _send(self, method: str, path: str, content: bytes | None = None) -> httpx.Response:
        headers = {"Content-Type": "application/json"} if content is not None else None
        try:
            return self._http.request(method, path, content=content, headers=headers)
        except httpx.TransportError as exc:
            raise self._protocol.unreachable(exc) from exc

    def close(self) -> None:
        """Close the connections."""
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return self._protocol.describe("Client")


class AsyncClient:
    """`Client` for asyncio: the same arguments; `evaluate()` and the others are coroutines.

    Usage:
        async with AsyncClient("http://127.0.0.1:8000") as client:
            results = await asyncio.gather(*(client.evaluate({"code": c}) for c in codes))
    """

    def __init__(
        self,
        base_url: str = DEFAULT_URL,
        *,
        api_key: str | None = None,
        timeout: float | httpx.Timeout = 60.0,
        max_retries: int = 3,
        max_retry_wait_s: float = 30.0,
    ) -> None:
        self._protocol = _Protocol(base_url, api_key, max_retries, max_retry_wait_s)
        self._http = httpx.AsyncClient(
            base_url=self._protocol.base_url, headers=self._protocol.headers, timeout=timeout
        )

    async def evaluate(self, request: RequestLike) -> EvaluationResult:
        """Run one evaluation on the service; a JavaScript failure is a result, not a raise."""
        body = _Protocol.body(request)
        return self._protocol.result(await self._post("/v1/evaluate", body))

    async def evaluate_batch(self, requests: Sequence[RequestLike]) -> list[EvaluationResult]:
        """Run several evaluations, each in its own sandbox; results in the same order."""
        body = {"evaluations": [_Protocol.body(request) for request in requests]}
        response = await self._post("/v1/evaluate/batch", body)
        return self._protocol.results(response, len(requests))

    async def info(self) -> dict[str, Any]:
        """`GET /v1/info`: versions, the limits in force, framework functions, libraries."""
        info = self._protocol.check(await self._send("GET", "/v1/info"))
        if not isinstance(info, dict):
            raise UnexpectedResponse(200, "the answer is not an info object")
        return info

    async def ready(self) -> bool:
        """Whether `GET /readyz` says the service takes evaluations now."""
        return (await self._send("GET", "/readyz")).status_code == 200

    async def _post(self, path: str, body: object) -> httpx.Response:
        content = _Protocol.encode(body)
        attempt = 0
        while True:
            response = await self._send("POST", path, content)
            delay = self._protocol.retry_delay(response, attempt)
            if delay is None:
                return response
            await asyncio.sleep(delay)
            attempt += 1

    async def _send(self, method: str, path: str, content: bytes | None = None) -> httpx.Response:
        headers = {"Content-Type": "application/json"} if content is not None else None
        try:
            return await self._http.request(method, path, content=content, headers=headers)
        except httpx.TransportError as exc:
            raise self._protocol.unreachable(exc) from exc

    async def aclose(self) -> None:
        """Close the connections."""
        await self._http.aclose()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return self._protocol.describe("AsyncClient")
