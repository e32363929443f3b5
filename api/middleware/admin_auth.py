"""The admin API's own guard: `/v1/admin/*` needs one of `JSEVAL_ADMIN_KEYS` (SPEC section 8).

Admin keys alone open it, and they open nothing else: the evaluation keys (`JSEVAL_API_KEYS`,
api/middleware/auth.py, which leaves `/v1/admin/*` to this middleware) never reach it, so a
front end holding an evaluation key cannot read or change datasources.

- no admin keys configured: 403 with a message saying how to enable it (the API is off, not
  broken; a 401 would invite guessing keys that do not exist);
- keys configured: `Authorization: Bearer <key>` (scheme case-insensitive), compared in
  constant time against every key; missing or wrong is a 401 with `WWW-Authenticate: Bearer`.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable

from pydantic import SecretStr
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from api.middleware.auth import bearer_key

__all__ = ["ADMIN_PREFIX", "DISABLED_DETAIL", "AdminKeyMiddleware", "is_admin_path"]

ADMIN_PREFIX = "/v1/admin"
DISABLED_DETAIL = (
    "The admin API is disabled: set JSEVAL_ADMIN_KEYS (comma-separated Bearer keys, distinct "
    "from JSEVAL_API_KEYS) and restart to enable it"
)


def is_admin_path(path: str) -> bool:
    return path == ADMIN_PREFIX or path.startswith(ADMIN_PREFIX + "/")


class AdminKeyMiddleware:
    """403 on `/v1/admin/*` without admin keys configured; 401 without a valid one."""

    def __init__(self, app: ASGIApp, keys: Iterable[SecretStr]) -> None:
        self.app = app
        self._keys = tuple(key.get_secret_value().encode() for key in keys)

    def _accepts(self, presented: bytes | None) -> bool:
        if presented is None:
            return False
        matched = False
        for key in self._keys:  # no early exit: every key costs one comparison
            matched |= hmac.compare_digest(presented, key)
        return matched

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_admin_path(scope["path"]):
            await self.app(scope, receive, send)
            return
        if not self._keys:
            response = JSONResponse({"detail": DISABLED_DETAIL}, status_code=403)
            await response(scope, receive, send)
            return
        presented = bearer_key(scope["headers"])
        if self._accepts(presented):
            await self.app(scope, receive, send)
            return
        detail = "Not authenticated" if presented is None else "Invalid admin key"
        response = JSONResponse(
            {"detail": detail}, status_code=401, headers={"WWW-Authenticate": "Bearer"}
        )
        await response(scope, receive, send)

    def __repr__(self) -> str:  # never the keys
        return f"<AdminKeyMiddleware keys={len(self._keys)}>"
