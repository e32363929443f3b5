"""The `jseval` command: `jseval run FILE` evaluates a file in-process; `jseval serve` starts the
HTTP service.

`run` prints the result as JSON on stdout and exits 0 when the JavaScript succeeded, 1 when it
failed (any error kind), 2 on bad usage (unreadable file, invalid request). `-` reads stdin.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from api import cli_datasource

__all__ = ["main"]

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="jseval", description="Sandboxed JavaScript evaluation.")
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="evaluate a JavaScript file, print the result as JSON")
    run.add_argument("file", help="the JavaScript file, or - for standard input")
    run.add_argument("--mode", choices=("script", "function", "expression"), default="script")
    run.add_argument("--timeout-ms", type=int, default=None, help="wall-clock budget")
    run.add_argument("--memory-mb", type=int, default=None, help="memory budget of the isolate")
    run.add_argument("--clock", choices=("real", "virtual"), default="real")
    run.add_argument("--now-ms", type=int, default=None, help="virtual clock start (epoch ms)")
    run.add_argument("--seed", type=int, default=None, help="seed Math.random and crypto")
    run.add_argument("--wait-for-timers", action="store_true", help="end when no timer is left")
    run.add_argument("--no-fetch", action="store_true", help="remove fetch")
    run.add_argument("--arg", action="append", default=[], metavar="JSON",
                     help="function mode: an argument, as JSON (repeatable)")
    run.add_argument("--globals", default=None, metavar="JSON", help="read-only globals, as JSON")
    run.add_argument("--compact", action="store_true", help="one-line JSON output")

    serve = commands.add_parser("serve", help="start the HTTP service")
    serve.add_argument("--host", default=None)
    serve.add_argument("--port", type=int, default=None)
    serve.add_argument("--workers", type=int, default=None,
                       help="worker processes (0: evaluate in the server process)")

    cli_datasource.register(commands)
    return parser


def _run(args: argparse.Namespace) -> int:
    import json

    from evaluator import Evaluator, RequestRejected

    try:
        if args.file == "-":
            code = sys.stdin.read()
        else:
            with open(args.file, encoding="utf-8") as handle:
                code = handle.read()
    except OSError as exc:
        print(f"jseval: cannot read {args.file}: {exc.strerror}", file=sys.stderr)
        return EXIT_USAGE
    try:
        request: dict[str, object] = {
            "code": code,
            "mode": args.mode,
            "clock": args.clock,
            "wait_for_timers": args.wait_for_timers,
            "fetch": not args.no_fetch,
            "args": [json.loads(item) for item in args.arg],
            "globals": json.loads(args.globals) if args.globals else {},
        }
    except json.JSONDecodeError as exc:
        print(f"jseval: invalid JSON in an argument: {exc.msg}", file=sys.stderr)
        return EXIT_USAGE
    for field, value in (
        ("timeout_ms", args.timeout_ms),
        ("memory_mb", args.memory_mb),
        ("now_ms", args.now_ms),
        ("random_seed", args.seed),
    ):
        if value is not None:
            request[field] = value
    with Evaluator(pool_size=0) as evaluator:
        try:
            result = evaluator.evaluate(request)
        except RequestRejected as exc:
            for error in exc.errors:
                where = ".".join(str(part) for part in error.get("loc", [])[1:])
                print(f"jseval: invalid request: {where}: {error.get('msg')}", file=sys.stderr)
            return EXIT_USAGE
    print(result.model_dump_json(indent=None if args.compact else 2))
    return EXIT_OK if result.ok else EXIT_FAILED


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "run":
        return _run(args)
    if args.command == "datasource":
        return cli_datasource.run(args)
    from api.server import serve  # the HTTP side is only imported when serving

    return serve(host=args.host, port=args.port, workers=args.workers)


if __name__ == "__main__":
    sys.exit(main())
