"""`jseval`'s entry point: the parser, the sub-commands, and the one place errors become exit
statuses (api/cli/__init__.py lists them).

A sub-command is a module with `register(commands)`, which adds its parser and sets
`handler`; adding one is one line in COMMANDS.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import Any

from api.cli import conformance, datasource, library, run, serve
from api.cli.usage import EXIT_INTERRUPTED, EXIT_USAGE, OneLineParser, UsageError

__all__ = ["COMMANDS", "main"]

COMMANDS: tuple[Callable[[Any], None], ...] = (
    run.register,
    serve.register,
    conformance.register,
    datasource.register,
    library.register,
)


def _version() -> str:
    from evaluator import __version__, v8_version

    return f"jseval {__version__} (V8 {v8_version()})"


def _parser() -> tuple[OneLineParser, frozenset[str]]:
    """The parser, and the names of its sub-commands."""
    parser = OneLineParser(
        prog="jseval",
        description="Sandboxed JavaScript evaluation: run a file, serve the HTTP API, or check "
        "a deployment against the conformance cases.",
        allow_abbrev=False,
    )
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for register in COMMANDS:
        register(commands)
    for sub in commands.choices.values():
        sub.allow_abbrev = False  # a flag's name is stable: no prefix of it is accepted
    return parser, frozenset(commands.choices)


def main(argv: Sequence[str] | None = None) -> int:
    """Run `jseval` with `argv` (default: sys.argv); the exit status."""
    for stream in (sys.stdout, sys.stderr):  # a non-UTF-8 terminal gets escapes, not a crash
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="backslashreplace")
    parser, names = _parser()
    arguments = list(sys.argv[1:] if argv is None else argv)
    # For messages: the sub-command, known before parsing (a flag's JSON may fail during it).
    command = next((word for word in arguments if not word.startswith("-")), None)
    if command not in names:
        command = None
    try:
        args = parser.parse_args(arguments)
        if args.version:
            print(_version())
            return 0
        if args.command is None:
            choices = ", ".join(sorted(names))
            raise UsageError(f"a command is required: {choices} (see jseval --help)")
        status: int = args.handler(args)
        return status
    except UsageError as exc:
        print(f"jseval {command}: {exc}" if command else f"jseval: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("jseval: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
