"""GET /docs: Swagger UI, served entirely by the service.

Swagger UI's files are vendored from npm (api/docs_ui/swagger-ui/: pinned and checksummed in its
manifest.json, fetched by tools/vendor_npm.py) and mounted under `/docs/ui/` by api/app.py, so
`/docs` works on a machine without internet. The page links them relatively, so it also works
behind a proxy that serves the API under a path prefix. Its Content-Security-Policy allows
nothing but this origin: no inline script (the initializer is `docs/ui/docs.js`), no
third-party request.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

__all__ = ["DOCS_ASSETS", "DOCS_CSP", "router"]

router = APIRouter(include_in_schema=False)

DOCS_ASSETS = "/docs/ui"  # where api/app.py mounts api/docs_ui/

# Swagger UI sets inline style attributes and embeds its icons as data: URLs.
DOCS_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; font-src 'self'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)

_PAGE = b"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>jseval API</title>
<link rel="icon" href="favicon.ico">
<link rel="stylesheet" href="docs/ui/swagger-ui/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="docs/ui/swagger-ui/swagger-ui-bundle.js"></script>
<script src="docs/ui/docs.js"></script>
</body>
</html>
"""


@router.api_route("/docs", methods=["GET", "HEAD"])
async def docs() -> HTMLResponse:
    return HTMLResponse(
        _PAGE,
        headers={
            "Content-Security-Policy": DOCS_CSP,
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
        },
    )

