"""`jseval datasource add|list|show|remove|rotate-key`: the datasource store from a shell.

It opens the same store the service uses (`JSEVAL_DATA_DIR` or `JSEVAL_DATABASE_URL`, with
`JSEVAL_MASTER_KEY`), so an operator can configure datasources with no admin key and no
running server. Secrets are write-only here too: every output shows `{"secret": true}`.

    jseval datasource add payments @payments.json     # JSON text, @file, or - (stdin)
    jseval datasource add payments @payments.json --replace
    jseval datasource list [--json]
    jseval datasource show payments
    jseval datasource remove payments
    JSEVAL_NEW_MASTER_KEY=... jseval datasource rotate-key   # or --new-key-stdin, or a prompt

Give secrets in a file or on stdin, not as a command-line argument: arguments are visible to
every user of the machine (`ps`) and stay in shell history. For the same reason the new master
key of `rotate-key` is never an argument.

Exit status: 0 done; 1 no such datasource, or it exists (add without --replace); 2 bad usage,
an invalid datasource, or a store/master-key error (one line on stderr).
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import re
import sys
from typing import Any

from api.cli.usage import read_text

__all__ = ["register", "run"]

EXIT_OK = 0
EXIT_MISSING = 1
EXIT_USAGE = 2

NEW_KEY_ENV = "JSEVAL_NEW_MASTER_KEY"


def register(commands: Any) -> None:
    """Add the `datasource` command to the `jseval` parser's subcommands."""
    parser = commands.add_parser(
        "datasource", help="manage datasources (base URL, headers, credentials) in the store"
    )
    verbs = parser.add_subparsers(dest="verb", required=True)
    add = verbs.add_parser("add", help="store a datasource (JSON, as the admin API's PUT body)")
    add.add_argument("name", help="identifier-like: a letter or _, then letters, digits, _")
    add.add_argument("config", help="the datasource as JSON text, @FILE, or - for stdin")
    add.add_argument("--replace", action="store_true", help="replace one that exists")
    listing = verbs.add_parser("list", help="list datasources")
    listing.add_argument("--json", action="store_true", help="JSON instead of a table")
    show = verbs.add_parser("show", help="print one datasource as JSON (secrets masked)")
    show.add_argument("name")
    remove = verbs.add_parser("remove", help="delete a datasource")
    remove.add_argument("name")
    rotate = verbs.add_parser(
        "rotate-key",
        help=f"re-encrypt every secret under a new master key (from ${NEW_KEY_ENV}, "
        "--new-key-stdin, or a prompt)",
    )
    rotate.add_argument(
        "--new-key-stdin", action="store_true", help="read the new master key from stdin"
    )
    parser.set_defaults(handler=run)


def _fail(message: str, status: int = EXIT_USAGE) -> int:
    print(f"jseval: {message}", file=sys.stderr)
    return status


def _read_config(text: str) -> str:
    """JSON text as given, or read from `@FILE` / `-`: a missing, unreadable or non-UTF-8 file
    is a UsageError (one line, exit 2)."""
    if text == "-":
        return read_text("-")
    if text.startswith("@"):
        return read_text(text[1:], what="datasource file")
    return text


def _errors_text(errors: list[dict[str, Any]]) -> str:
    """Validation errors as `where: why` lines; never the input (it may be a secret)."""
    lines = []
    for error in errors:
        loc = [str(part) for part in error.get("loc", ()) if part != "body"]
        where = ".".join(loc) or "datasource"
        lines.append(f"invalid datasource: {where}: {error.get('msg')}")
    return "\n".join(f"jseval: {line}" for line in lines)


def _dump(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False)


def _new_master_key(args: argparse.Namespace) -> str | None:
    if args.new_key_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    from_env = os.environ.get(NEW_KEY_ENV)
    if from_env:
        return from_env
    if not sys.stdin.isatty():
        return None
    first = getpass.getpass("new master key: ")
    if getpass.getpass("new master key again: ") != first:
        raise ValueError("the two entries differ")
    return first


def run(args: argparse.Namespace) -> int:
    """Carry out `jseval datasource <verb>`; the exit status."""
    from pydantic import ValidationError

    from evaluator import DataStoreError, NotFound, RequestRejected, Settings
    from evaluator.datasources import NAME_PATTERN, Datasource, DatasourceStore

    name = getattr(args, "name", None)
    if name is not None and re.match(NAME_PATTERN, name) is None:
        return _fail(
            "invalid datasource name: a letter or _, then letters, digits or _ (at most 64)"
        )
    try:
        settings = Settings()
    except ValidationError as exc:
        return _fail(f"invalid setting: {_setting_error(exc)}")
    try:
        store = DatasourceStore.open(settings)
    except DataStoreError as exc:
        return _fail(str(exc))
    try:
        if args.verb == "add":
            try:
                raw = _read_config(args.config)
            except OSError as exc:
                return _fail(f"cannot read {args.config[1:]}: {exc.strerror}")
            try:
                datasource = Datasource.model_validate_json(raw)
            except ValidationError as exc:
                errors = [{"loc": e["loc"], "msg": e["msg"]} for e in exc.errors()]
                print(_errors_text(errors), file=sys.stderr)
                return EXIT_USAGE
            if not args.replace:
                try:
                    store.get(args.name)
                    return _fail(
                        f"datasource '{args.name}' exists: add --replace to replace it",
                        EXIT_MISSING,
                    )
                except NotFound:
                    pass
            saved, created = store.put(args.name, datasource)
            print(f"{'added' if created else 'replaced'} datasource '{saved.name}'")
        elif args.verb == "list":
            items = store.list_all()
            if args.json:
                print(_dump([item.model_dump(mode="json") for item in items]))
            else:
                for item in items:
                    secrets = sum(1 for _, value in item.values() if not isinstance(value, str))
                    print(f"{item.name}\t{item.kind}\t{item.base_url}\tsecrets={secrets}")
        elif args.verb == "show":
            print(_dump(store.get(args.name).model_dump(mode="json")))
        elif args.verb == "remove":
            store.remove(args.name)
            print(f"removed datasource '{args.name}'")
        elif args.verb == "rotate-key":
            try:
                new_key = _new_master_key(args)
            except ValueError as exc:
                return _fail(str(exc))
            if not new_key:
                return _fail(
                    f"no new master key: set {NEW_KEY_ENV}, pass --new-key-stdin, or run on a "
                    "terminal to be asked"
                )
            count = store.rotate_key(new_key)
            key_id = store.store.active_key_id
            print(
                f"re-encrypted {count} datasource(s) under key {key_id}; restart every jseval "
                "process with the new JSEVAL_MASTER_KEY"
            )
    except NotFound as exc:
        return _fail(str(exc), EXIT_MISSING)
    except RequestRejected as exc:
        print(_errors_text(exc.errors), file=sys.stderr)
        return EXIT_USAGE
    except DataStoreError as exc:
        return _fail(str(exc))
    finally:
        store.close()
    return EXIT_OK


def _setting_error(exc: Any) -> str:
    first = exc.errors()[0] if exc.errors() else {}
    where = ".".join(str(part) for part in first.get("loc", ()))
    return f"JSEVAL_{where.upper()}: {first.get('msg', 'invalid')}"
