"""401 unless the request carries one of the configured API keys (`JSEVAL_API_KEYS`).

With no keys configured this middleware is not installed at all (see api/app.py): an open
service pays nothing. With keys, every path is protected except the open ones (health probes,
the docs, the playground page and its assets), so a path added later is protected by default.

`Authorization: Bearer <key>`, the scheme case-insensitive (RFC 7235). The presented key is
compared with every configured key using `hmac.compare_digest`, without stopping at the first
match, so neither the timing nor the number of comparisons tells which prefix or which key was
close. CORS preflights never carry credentials; the CORS middleware answers them outside this one.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable

from pydantic import SecretStr
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["ApiKeyMiddleware", "bearer_key"]


def bearer_key(headers: Iterable[tuple[bytes, bytes]]) -> bytes | None:
    """The key of an `Authorization: Bearer <key>` header (raw ASGI headers), or None."""
    for name, value in headers:
        if name == b"authorization":
            scheme, _, key = value.strip().partition(b" ")
            if scheme.lower() != b"bearer":
                return None
            key = key.strip()
            return key or None
    return None


class ApiKeyMiddleware:
    """Refuse requests outside `open_paths` / `open_prefixes` without a valid Bearer key."""

    def __init__(
        self,
        app: ASGIApp,
        keys: Iterable[SecretStr],
        open_paths: Iterable[str] = (),
        open_prefixes: Iterable[str] = (),
    ) -> None:
        self.app = app
        self._keys = tuple(key.get_secret_value().encode() for key in keys)
        if not self._keys:
            raise ValueError("ApiKeyMiddleware needs at least one key")
        self._open_paths = frozenset(open_paths)
        self._open_prefixes = tuple(open_prefixes)

    def _is_open(self, path: str) -> bool:
        return path in self._open_paths or path.startswith(self._open_prefixes)

    def _accepts(self, presented: bytes | None) -> bool:
        if presented is None:
            return False
        matched = False
        for key in self._keys:  # no early exit: every key costs one comparison
            matched |= hmac.compare_digest(presented, key)
        return matched

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self._is_open(scope["path"]):
            await self.app(scope, receive, send)
            return
        presented = bearer_key(scope["headers"])
        if self._accepts(presented):
            await self.app(scope, receive, send)
            return
        detail = "Not authenticated" if presented is None else "Invalid API key"
        response = JSONResponse(
            {"detail": detail}, status_code=401, headers={"WWW-Authenticate": "Bearer"}
        )
        await response(scope, receive, send)

    def __repr__(self) -> str:  # never the keys
        return f"<ApiKeyMiddleware keys={len(self._keys)}>"
