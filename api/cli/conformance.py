"""`jseval conformance --url URL`: the packaged conformance cases against any deployment.

Each case (evaluator/conformance/cases/*.json, or `--cases DIR`) is posted to the service with
`evaluator.client.AsyncClient`, a few at a time, and its result matched against the case's
`expect` (`evaluator.conformance.mismatch`); a `$rejected` case must get a 422. Failures are
printed in case order with the reason, and the last line is `N passed, M failed`: exit 0 only
when every case passed, 1 when one failed, 2 when the service cannot be used at all (wrong URL,
wrong key, not reachable).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from typing import Any

from api.cli.usage import EXIT_FAILED, EXIT_OK, UsageError
from evaluator import AuthenticationFailed, JsevalError, RequestRejected
from evaluator.client import AsyncClient
from evaluator.conformance import Case, load_cases, mismatch

__all__ = ["register"]


def register(commands: Any) -> None:
    """Add `conformance` to the `jseval` sub-commands."""
    command = commands.add_parser(
        "conformance",
        help="run the conformance cases against a jseval deployment",
        description="Run the packaged conformance cases against the service at URL; the last "
        "line is 'N passed, M failed'. Exit 0 only when all passed.",
    )
    command.add_argument("--url", required=True, metavar="URL",
                         help="the service, e.g. http://127.0.0.1:8000")
    command.add_argument("--api-key", metavar="KEY",
                         help="one of the service's API keys (default: $JSEVAL_API_KEY)")
    command.add_argument("--cases", metavar="DIR",
                         help="run the *.json case files in DIR instead of the packaged ones")
    command.add_argument("--match", metavar="TEXT",
                         help="only the cases whose name contains TEXT")
    command.add_argument("--concurrency", type=int, default=1, metavar="N",
                         help="cases in flight at once (default 1: a verdict independent of load)")
    command.add_argument("--timeout", type=float, default=60.0, metavar="SECONDS",
                         help="HTTP timeout per case (default 60)")
    command.set_defaults(handler=_conformance)


def _cases(args: argparse.Namespace) -> list[Case]:
    if args.cases is not None and not os.path.isdir(args.cases):
        raise UsageError(f"--cases {args.cases}: not a directory")
    try:
        cases = load_cases(args.cases)
    except (OSError, ValueError) as exc:
        raise UsageError(f"cannot load the cases: {exc}") from None
    if args.match:
        cases = [case for case in cases if args.match in case.name]
    if not cases:
        raise UsageError("no case to run")
    return cases


async def _check(client: AsyncClient, case: Case) -> str | None:
    """None when the service passes `case`, else why not."""
    try:
        result = await client.evaluate(case.request)
    except AuthenticationFailed:
        raise
    except RequestRejected as exc:
        if case.rejected:
            return None if exc.status_code == 422 else f"expected 422, got {exc.status_code}"
        return f"request refused ({exc.status_code}): {exc}"
    except JsevalError as exc:
        return f"{type(exc).__name__}: {exc}"
    if case.rejected:
        return "expected the request to be refused (422), got a result"
    return mismatch(case.expect, result.model_dump(mode="json"))


async def _run_all(args: argparse.Namespace, cases: list[Case]) -> list[str | None]:
    api_key = args.api_key or os.environ.get("JSEVAL_API_KEY") or None
    async with AsyncClient(args.url, api_key=api_key, timeout=args.timeout) as client:
        try:
            info = await client.info()
        except AuthenticationFailed:
            raise UsageError(f"{args.url} refused the API key") from None
        except JsevalError as exc:
            raise UsageError(f"{args.url}: {exc}") from None
        print(
            f"{len(cases)} cases against {args.url} (jseval {info.get('version')}, "
            f"V8 {info.get('v8_version')})",
            flush=True,
        )
        gate = asyncio.Semaphore(max(1, args.concurrency))

        async def one(case: Case) -> str | None:
            async with gate:
                return await _check(client, case)

        try:
            return list(await asyncio.gather(*(one(case) for case in cases)))
        except AuthenticationFailed:
            raise UsageError(f"{args.url} refused the API key") from None


def _conformance(args: argparse.Namespace) -> int:
    cases = _cases(args)
    problems = asyncio.run(_run_all(args, cases))
    failed = 0
    for case, problem in zip(cases, problems, strict=True):
        if problem is not None:
            failed += 1
            print(f"FAIL {case.name}\n     {problem}")
    passed = len(cases) - failed
    sys.stdout.write(f"{passed} passed, {failed} failed\n")
    return EXIT_OK if failed == 0 else EXIT_FAILED
