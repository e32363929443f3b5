"""One structured log line per HTTP request, with a request id; never a byte of content.

The line (logger `jseval.access`, logfmt text, the same fields in `record.access` for JSON
formatters) holds: the request id, method, route, status, duration, request and response sizes,
and what the evaluation endpoints report through `AccessRecord` (number of evaluations, outcome
kinds, sandbox wall and queue time). By rule, it never holds code, globals, results, logs,
store values, fetched data or headers. Routes outside the app's known paths are logged as
`other`, so a probing client cannot write what it likes into the log.

Evaluation endpoints log at INFO; probes, metrics and the docs at DEBUG, so a load balancer
checking `/healthz` every second does not drown the evaluations.

The request id is the client's `X-Request-ID` when it looks like an id (letters, digits,
`._:-`, at most 64), otherwise a fresh random one; it is echoed in the response's `X-Request-ID`.
"""

from __future__ import annotations

import logging
import re
import secrets
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["SCOPE_KEY", "AccessLogMiddleware", "AccessRecord", "access_record"]

logger = logging.getLogger("jseval.access")

SCOPE_KEY = "jseval.access"
_REQUEST_ID = re.compile(rb"^[A-Za-z0-9._:-]{1,64}$")


@dataclass(slots=True)
class AccessRecord:
    """What a route adds to its request's access line: counts and kinds, never content."""

    request_id: str
    kinds: Counter[str] = field(default_factory=Counter)
    wall_ms: float = 0.0
    queue_ms: float = 0.0

    def add(self, kind: str, wall_ms: float, queue_ms: float) -> None:
        """Record one evaluation carried out: its outcome kind ("ok" or an error kind), times."""
        self.kinds[kind] += 1
        self.wall_ms = max(self.wall_ms, wall_ms)
        self.queue_ms = max(self.queue_ms, queue_ms)


def access_record(scope: Scope) -> AccessRecord | None:
    """The access record of this request, when the access-log middleware is installed."""
    record = scope.get(SCOPE_KEY)
    return record if isinstance(record, AccessRecord) else None


class _Line:
    """logfmt text of the fields, built only if a handler formats the record."""

    __slots__ = ("fields",)

    def __init__(self, fields: dict[str, Any]) -> None:
        self.fields = fields

    def __str__(self) -> str:
        return " ".join(f"{key}={value}" for key, value in self.fields.items())


class AccessLogMiddleware:
    """Assign a request id, time the request, and log one line for it."""

    def __init__(
        self,
        app: ASGIApp,
        known_paths: Iterable[str],
        info_prefixes: Iterable[str] = ("/v1/",),
        on_status: Callable[[int], None] | None = None,
    ) -> None:
        self.app = app
        self._paths = frozenset(known_paths)
        self._info_prefixes = tuple(info_prefixes)
        self._on_status = on_status

    def _route(self, path: str) -> str:
        return path if path in self._paths else "other"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = _request_id(scope)
        record = AccessRecord(request_id)
        scope[SCOPE_KEY] = record
        status = 500
        request_bytes = 0
        response_bytes = 0
        id_header = (b"x-request-id", request_id.encode())

        async def counting_receive() -> Message:
            nonlocal request_bytes
            message = await receive()
            request_bytes += len(message.get("body", b""))
            return message

        async def tagging_send(message: Message) -> None:
            nonlocal status, response_bytes
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), id_header]
            elif message["type"] == "http.response.body":
                response_bytes += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, counting_receive, tagging_send)
        finally:
            path: str = scope["path"]
            is_info = path.startswith(self._info_prefixes)
            if is_info and self._on_status is not None:
                self._on_status(status)
            level = logging.INFO if is_info else logging.DEBUG
            if logger.isEnabledFor(level):
                fields: dict[str, Any] = {
                    "request_id": request_id,
                    "method": scope["method"] if scope["method"].isalpha() else "other",
                    "path": self._route(path),
                    "status": status,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 3),
                    "request_bytes": request_bytes,
                    "response_bytes": response_bytes,
                }
                if record.kinds:
                    total = sum(record.kinds.values())
                    fields["evaluations"] = total
                    fields["kind"] = (
                        next(iter(record.kinds))
                        if len(record.kinds) == 1
                        else ",".join(f"{k}:{n}" for k, n in sorted(record.kinds.items()))
                    )
                    fields["wall_ms"] = round(record.wall_ms, 3)
                    fields["queue_ms"] = round(record.queue_ms, 3)
                logger.log(level, "%s", _Line(fields), extra={"access": fields})


def _request_id(scope: Scope) -> str:
    name: bytes
    value: bytes
    for name, value in scope["headers"]:
        if name == b"x-request-id":
            if _REQUEST_ID.match(value):
                return value.decode("ascii")
            break
    return secrets.token_hex(8)
