"""`jseval library add|list|show|remove`: installed libraries (SPEC section 9) from a shell.

It opens the same store the service uses (`JSEVAL_DATA_DIR` or `JSEVAL_DATABASE_URL`), so an
operator can install libraries with no admin key and no running server; a running service
picks a change up within `JSEVAL_LIBRARY_REFRESH_MS` (2 s by default).

    jseval library add dayjs dayjs.min.js               # FILE, or - for stdin
    jseval library add dayjs dayjs.min.js --version 1.11.13 --replace
    jseval library list [--json]
    jseval library show dayjs
    jseval library remove dayjs

`add` runs the install check as the service does: in a worker process of its own (fresh
sandboxes under the default limits, none of this process's settings or keys), against the
libraries already installed.

Exit status: 0 done; 1 no such library, or it exists (add without --replace); 2 bad usage, a
refused bundle (the reason on stderr), or a store error (one line on stderr).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
from typing import TYPE_CHECKING, Any

from api.cli.usage import UsageError, load_settings

if TYPE_CHECKING:
    from evaluator import InstalledLibrary, Settings
    from evaluator.libraries import SqlLibraryStore

__all__ = ["open_installed", "register", "run"]

EXIT_OK = 0
EXIT_MISSING = 1
EXIT_USAGE = 2


def register(commands: Any) -> None:
    """Add the `library` command to the `jseval` parser's subcommands."""
    parser = commands.add_parser(
        "library", help="manage installed libraries (UMD/IIFE bundles code can use)"
    )
    parser.set_defaults(handler=run)
    verbs = parser.add_subparsers(dest="verb", required=True)
    add = verbs.add_parser(
        "add", help="check a bundle in a fresh sandbox and install it (a UMD or IIFE build)"
    )
    add.add_argument("name", help="1 to 64 of a-z, 0-9, '.', '_', '-' (npm-like)")
    add.add_argument("file", help="the bundle (UTF-8 JavaScript), or - for stdin")
    add.add_argument("--version", dest="library_version", default=None,
                     help="the version to record (default: the bundle's own, else 'unknown')")
    add.add_argument("--replace", action="store_true", help="replace one that is installed")
    listing = verbs.add_parser("list", help="list installed libraries")
    listing.add_argument("--json", action="store_true", help="JSON instead of a table")
    show = verbs.add_parser("show", help="print one installed library's record as JSON")
    show.add_argument("name")
    remove = verbs.add_parser("remove", help="uninstall a library")
    remove.add_argument("name")


# `evaluator.datastore.SQLITE_FILE_NAME`, spelled out so that `jseval run` does not import
# SQLAlchemy (about half a second) when there is no store to read (a test checks they agree).
_SQLITE_FILE_NAME = "jseval.db"


def open_installed(settings: Settings) -> SqlLibraryStore | None:
    """The data store's installed libraries, for `jseval run`, if a store exists (the SQLite
    file of `JSEVAL_DATA_DIR`, or `JSEVAL_DATABASE_URL`); None otherwise: never creates one.

    Raises DataStoreError / MasterKeyError as opening the store does."""
    from pathlib import Path

    database = Path(settings.data_dir).expanduser() / _SQLITE_FILE_NAME
    if settings.database_url is None and not database.is_file():
        return None
    from evaluator.libraries import SqlLibraryStore

    return SqlLibraryStore.open(settings)


def _fail(message: str, status: int = EXIT_USAGE) -> int:
    print(f"jseval: {message}", file=sys.stderr)
    return status


def _read_source(path: str) -> str:
    """The bundle's text, byte for byte (a byte order mark is kept: the stored hash is then
    the file's); a UsageError if it is unreadable or not UTF-8."""
    label = "standard input" if path == "-" else path
    try:
        if path == "-":
            stdin = getattr(sys.stdin, "buffer", None)
            data = stdin.read() if stdin is not None else sys.stdin.read().encode("utf-8")
        else:
            with open(path, "rb") as handle:
                data = handle.read()
    except OSError as exc:
        raise UsageError(f"cannot read {label}: {exc.strerror or type(exc).__name__}") from None
    try:
        return bytes(data).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UsageError(
            f"{label} is not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start})"
        ) from None


def _check(
    settings: Settings, store: SqlLibraryStore, name: str, source: str, version: str | None
) -> InstalledLibrary:
    """The install check, in a worker process of its own (as the service runs it)."""
    from evaluator import WorkerPool

    async def checked() -> InstalledLibrary:
        pool = WorkerPool(settings.model_copy(update={"workers": 1, "pool_size": 0}))
        pool.set_libraries(store.installed())
        await pool.start()
        try:
            return await pool.check_library(name, source, version)
        finally:
            await pool.aclose(grace_s=0)

    return asyncio.run(checked())


def run(args: argparse.Namespace) -> int:
    """Carry out `jseval library <verb>`; the exit status."""
    from evaluator import DataStoreError, JsevalError, LibraryRefused, NotFound
    from evaluator.libraries import LIBRARY_NAME_PATTERN, SqlLibraryStore, validate_library_input

    name = getattr(args, "name", None)
    if name is not None and re.match(LIBRARY_NAME_PATTERN, name) is None:
        return _fail(
            "invalid library name: 1 to 64 of a-z, 0-9, '.', '_', '-', starting with a letter "
            "or digit"
        )
    source = ""
    if args.verb == "add":
        source = _read_source(args.file)
        try:
            validate_library_input(args.name, source, args.library_version)
        except LibraryRefused as exc:
            return _fail(f"library refused: {exc.reason}")
    settings = load_settings()
    try:
        store = SqlLibraryStore.open(settings)
    except DataStoreError as exc:
        return _fail(str(exc))
    try:
        if args.verb == "add":
            if not args.replace:
                try:
                    store.get(args.name)
                    return _fail(
                        f"library '{args.name}' is installed: add --replace to replace it",
                        EXIT_MISSING,
                    )
                except NotFound:
                    pass
            library = _check(settings, store, args.name, source, args.library_version)
            created = store.save(library)
            stored = store.get(args.name)
            print(
                f"{'installed' if created else 'replaced'} library '{stored.name}' "
                f"{stored.version}: globals {', '.join(stored.globals)} "
                f"(sha256 {stored.sha256})"
            )
        elif args.verb == "list":
            items = store.list_all()
            if args.json:
                print(_dump([item.info() for item in items]))
            else:
                for item in items:
                    print(f"{item.name}\t{item.version}\t{','.join(item.globals)}\t"
                          f"{item.size_bytes} bytes\t{item.installed_at.isoformat()}")
        elif args.verb == "show":
            print(_dump(store.get(args.name).info()))
        elif args.verb == "remove":
            if not store.remove(args.name):
                raise NotFound("library", args.name)
            print(f"removed library '{args.name}'")
    except NotFound as exc:
        return _fail(str(exc), EXIT_MISSING)
    except LibraryRefused as exc:
        return _fail(f"library refused: {exc.reason}")
    except DataStoreError as exc:
        return _fail(str(exc))
    except JsevalError as exc:  # the checking worker could not start or was cut short
        return _fail(f"the install check could not run: {exc}")
    finally:
        store.close()
    return EXIT_OK


def _dump(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False)
