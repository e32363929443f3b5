"""`/static/*`: the playground's assets, revalidated on every load.

The playground is a set of ES modules that import each other by plain relative URLs (no
version in the name). Without `Cache-Control`, browsers cache such files heuristically for a
while after an upgrade and could pair a new `main.js` with an old `editors.js`. `no-cache` makes
them ask each time; the ETag Starlette sends makes the answer a cheap 304 when nothing changed.
"""

from __future__ import annotations

from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

__all__ = ["RevalidatedStaticFiles"]


class RevalidatedStaticFiles(StaticFiles):
    """Starlette's StaticFiles, every answer marked `Cache-Control: no-cache`."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        response.headers["Cache-Control"] = "no-cache"
        return response
