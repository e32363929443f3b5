"""`jseval run FILE`: evaluate a file (or stdin) in-process, or on a service with `--url`.

Flags carry the request fields' own names (`--random-seed` for `random_seed`, ...); a flag not
given leaves its field out, so the defaults are the model's (or the server's). Data flags take
JSON inline or `@file`. `--queries`, `--js-objects` and `--js-state` pass their JSON through to
the request as they are: on a jseval that does not have those fields yet the request is
refused, and the message says which flag.

On a terminal the result is a readable report (api/cli/report.py); with `--json`, or when
stdout is not a terminal, the result's JSON.

In-process, the libraries installed with `jseval library add` are offered when a data store
exists (`JSEVAL_DATABASE_URL`, or the SQLite file in `JSEVAL_DATA_DIR`); none is made.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING, Any

from api.cli import library
from api.cli.report import render
from api.cli.usage import EXIT_FAILED, EXIT_OK, UsageError, json_argument, load_settings, read_text
from evaluator import (
    DataStoreError,
    EvaluationResult,
    Evaluator,
    JsevalError,
    RequestRejected,
    Settings,
)
from evaluator.client import Client

if TYPE_CHECKING:
    from evaluator.libraries import SqlLibraryStore

__all__ = ["register"]

# Request field -> its flag, for messages about a refused request.
FIELD_FLAGS = {
    "code": "FILE",
    "mode": "--mode",
    "args": "--args/--arg",
    "globals": "--globals",
    "store": "--store",
    "appsmith": "--appsmith",
    "queries": "--queries",
    "js_objects": "--js-objects",
    "js_state": "--js-state",
    "timeout_ms": "--timeout-ms",
    "memory_mb": "--memory-mb",
    "wait_for_timers": "--wait-for-timers",
    "clock": "--clock",
    "now_ms": "--now-ms",
    "random_seed": "--random-seed",
    "fetch": "--fetch/--no-fetch",
}
_DATA_FLAGS = ("globals", "store", "appsmith", "queries", "js_objects", "js_state")


def register(commands: Any) -> None:
    """Add `run` to the `jseval` sub-commands."""
    run = commands.add_parser(
        "run",
        help="evaluate a JavaScript file; a report on a terminal, JSON when piped",
        description="Evaluate a JavaScript file. Exit 0 when the JavaScript succeeded, 1 when "
        "it failed, 2 on a usage or configuration error. Data flags take JSON or @FILE.",
    )
    run.add_argument("file", metavar="FILE", help="the JavaScript file, or - for stdin")
    run.add_argument("--mode", choices=("script", "function", "expression"))
    run.add_argument("--args", type=json_argument("--args"), metavar="JSON",
                     help="function mode: the arguments, a JSON array")
    run.add_argument("--arg", action="append", type=json_argument("--arg"), metavar="JSON",
                     help="function mode: one more argument, as JSON (repeatable)")
    for field in _DATA_FLAGS:
        flag = "--" + field.replace("_", "-")
        run.add_argument(flag, dest=field, type=json_argument(flag), metavar="JSON",
                         help=f"the request's `{field}` object")
    run.add_argument("--timeout-ms", type=int, metavar="N", help="wall-clock budget")
    run.add_argument("--memory-mb", type=int, metavar="N", help="memory budget of the isolate")
    run.add_argument("--wait-for-timers", action="store_true", default=None,
                     help="end only when no timer is pending")
    run.add_argument("--clock", choices=("real", "virtual"))
    run.add_argument("--now-ms", type=int, metavar="N",
                     help="virtual clock start, epoch ms (with --clock virtual)")
    run.add_argument("--random-seed", type=int, metavar="N",
                     help="make Math.random and crypto random values deterministic")
    run.add_argument("--fetch", action=argparse.BooleanOptionalAction, default=None,
                     help="keep or remove fetch (default: kept)")
    output = run.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="print the result's JSON")
    output.add_argument("--report", action="store_true",
                        help="print the readable report even when piped")
    run.add_argument("--compact", action="store_true", help="one-line JSON")
    run.add_argument("--url", metavar="URL",
                     help="evaluate on this jseval service instead of in this process")
    run.add_argument("--api-key", metavar="KEY",
                     help="the service's API key (default: $JSEVAL_API_KEY)")
    run.set_defaults(handler=_run)


def _request(args: argparse.Namespace, code: str) -> dict[str, Any]:
    request: dict[str, Any] = {"code": code}
    if args.args is not None or args.arg:
        given = args.args if args.args is not None else []
        if not isinstance(given, list):
            raise UsageError("--args: expected a JSON array")
        request["args"] = [*given, *(args.arg or [])]
    for field in (*_DATA_FLAGS, "mode", "timeout_ms", "memory_mb", "wait_for_timers", "clock",
                  "now_ms", "random_seed", "fetch"):
        value = getattr(args, field)
        if value is not None:
            request[field] = value
    return request


def _refused(exc: RequestRejected) -> UsageError:
    """One line naming the flags: `--timeout-ms: Input should be ...; --queries: ...`."""
    problems = []
    for error in exc.errors:
        loc = [str(part) for part in error.get("loc", ()) if part != "body"]
        field = loc[0] if loc else ""
        where = FIELD_FLAGS.get(field, field)
        if len(loc) > 1:
            where += "." + ".".join(loc[1:])
        msg = str(error.get("msg", "invalid")).removeprefix("Value error, ")
        if error.get("type") == "extra_forbidden" and field in FIELD_FLAGS:
            msg = f"this jseval has no `{field}` request field yet"
        problems.append(f"{where}: {msg}" if where else msg)
    if exc.status_code == 401:
        return UsageError(f"the service refused the API key: {problems[0] if problems else ''}")
    return UsageError("invalid request: " + "; ".join(problems))


def _installed_libraries(settings: Settings) -> SqlLibraryStore | None:
    """The libraries `jseval library add` installed (SPEC section 9), when there is a store;
    without one, the built-in libraries only (and no store is made)."""
    try:
        return library.open_installed(settings)
    except DataStoreError as exc:
        raise UsageError(str(exc)) from None


def _evaluate(args: argparse.Namespace, request: dict[str, Any]) -> EvaluationResult:
    try:
        if args.url:
            api_key = args.api_key or os.environ.get("JSEVAL_API_KEY") or None
            with Client(args.url, api_key=api_key) as client:
                return client.evaluate(request)
        settings = load_settings()
        libraries = _installed_libraries(settings)
        try:
            with Evaluator(settings, pool_size=0, libraries=libraries) as evaluator:
                return evaluator.evaluate(request)
        finally:
            if libraries is not None:
                libraries.close()
    except RequestRejected as exc:
        raise _refused(exc) from None
    except JsevalError as exc:
        if not args.url:
            raise
        raise UsageError(f"{args.url}: {exc}") from None  # busy, unreachable, not jseval


def _run(args: argparse.Namespace) -> int:
    code = read_text(args.file)
    request = _request(args, code)
    result = _evaluate(args, request)
    as_json = args.json or (not args.report and not sys.stdout.isatty())
    if as_json:
        sys.stdout.write(result.model_dump_json(indent=None if args.compact else 2) + "\n")
    else:
        color = sys.stdout.isatty() and not os.environ.get("NO_COLOR") and (
            os.environ.get("TERM") != "dumb"
        )
        sources = {"code": code, **_entity_sources(request)}
        name = "<stdin>" if args.file == "-" else os.path.basename(args.file)
        sys.stdout.write(
            render(result.model_dump(mode="json"), sources=sources, name=name, color=color)
        )
    return EXIT_OK if result.ok else EXIT_FAILED


def _entity_sources(request: dict[str, Any]) -> dict[str, str]:
    """JS object sources by name, so an error inside one gets its code frame too."""
    objects = request.get("js_objects")
    if not isinstance(objects, dict):
        return {}
    return {name: text for name, text in objects.items() if isinstance(text, str)}
