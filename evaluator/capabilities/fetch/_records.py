"""The records fetch's two halves exchange, and the ones it reports.

From the runtime (shims/fetch/26_fetch.js), on the `fetch` channel: `request` (one per fetch
call that reached the network layer), `cancel` (its signal aborted it) and `failed` (refused in
JavaScript before a request existed; recorded only). Back to the runtime: one delivery per
request, `{id, ok: true, status, ...}` or `{id, ok: false, error}`. In the result: one `fetches`
record per call (`Call.record`), no bodies and no headers. The runtime built every record, but
nothing in one is trusted: `parse_request` re-validates.
"""

from __future__ import annotations

import base64
import binascii
import concurrent.futures
from dataclasses import dataclass
from typing import Any

__all__ = [
    "BadRecord",
    "Call",
    "Exchange",
    "RequestSpec",
    "delivery",
    "parse_request",
    "public",
    "recorded_url",
]

_MAX_RECORDED_URL = 2048
_PUBLIC_REASON_MAX = 300


@dataclass
class Call:
    """One fetch call as the host saw it: what `fetches` reports (no bodies, no headers)."""

    id: int
    method: str
    url: str
    started: float
    status: int | None = None
    error: str | None = None
    ended: float | None = None
    future: concurrent.futures.Future[None] | None = None

    def size(self) -> int:
        """A lower bound of the bytes its `fetches` record takes in the answer (the least the
        fixed fields take, plus the strings): records kept past the answer's cap by this
        count really pass it."""
        return 60 + len(self.method) + len(self.url) + len(self.error or "")

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
class RequestSpec:
    id: int
    method: str
    url: str
    headers: list[tuple[str, str]]
    body: bytes | None
    redirect: str


@dataclass
class Exchange:
    status: int
    status_text: str
    url: str
    redirected: bool
    headers: list[list[str]]
    body: bytes = b""


def recorded_url(text: str) -> str:
    return text if len(text) <= _MAX_RECORDED_URL else text[: _MAX_RECORDED_URL - 3] + "..."


def public(reason: str) -> str:
    reason = reason.replace("\n", " ")
    return reason if len(reason) <= _PUBLIC_REASON_MAX else reason[: _PUBLIC_REASON_MAX - 3] + "..."


class BadRecord(Exception):
    pass


def parse_request(record: dict[str, Any]) -> RequestSpec:
    """A `request` record, re-validated: the runtime built it, but nothing is trusted."""
    rid, method, url = record.get("id"), record.get("method"), record.get("url")
    headers, body, redirect = record.get("headers"), record.get("body"), record.get("redirect")
    if not isinstance(rid, int) or isinstance(rid, bool) or rid < 0:
        raise BadRecord()
    if not isinstance(method, str) or not isinstance(url, str) or not isinstance(headers, list):
        raise BadRecord()
    if redirect not in ("follow", "error", "manual"):
        raise BadRecord()
    pairs: list[tuple[str, str]] = []
    for pair in headers:
        if not (
            isinstance(pair, list) and len(pair) == 2 and all(isinstance(p, str) for p in pair)
        ):
            raise BadRecord()
        pairs.append((pair[0], pair[1]))
    text = record.get("text")
    data: bytes | None = None
    if body is not None:
        if not isinstance(body, str):
            raise BadRecord()
        try:
            data = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            raise BadRecord() from None
    elif text is not None:
        if not isinstance(text, str):
            raise BadRecord()
        data = text.encode("utf-8", "replace")
    return RequestSpec(rid, method, url, pairs, data, redirect)


def delivery(rid: int, outcome: Exchange) -> dict[str, Any]:
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

