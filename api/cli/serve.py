"""`jseval serve`: the HTTP service under uvicorn (api/server.py), flags over `JSEVAL_*`."""

from __future__ import annotations

import argparse
from typing import Any

from api.cli.usage import load_settings

__all__ = ["register"]


def register(commands: Any) -> None:
    """Add `serve` to the `jseval` sub-commands."""
    serve = commands.add_parser(
        "serve",
        help="start the HTTP service",
        description="Serve the HTTP API until SIGTERM/SIGINT (the first one drains). Flags "
        "override JSEVAL_HOST, JSEVAL_PORT and JSEVAL_WORKERS.",
    )
    serve.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to listen on (default 8000)")
    serve.add_argument("--workers", type=int,
                       help="worker processes (0: evaluate in the server process)")
    serve.set_defaults(handler=_serve)


def _serve(args: argparse.Namespace) -> int:
    flags: dict[str, Any] = {"host": args.host, "port": args.port}
    if args.workers != 0:  # 0 is no setting: it picks the in-process service
        flags["workers"] = args.workers
    # Every setting is checked here, so a bad one is a one-line error, not a traceback.
    load_settings(**{name: value for name, value in flags.items() if value is not None})
    from api.server import serve  # uvicorn and FastAPI are only imported when serving

    return serve(host=args.host, port=args.port, workers=args.workers)
