"""Usage and configuration errors: one line on stderr and exit 2, never a traceback.

Everything a person types or points the command at is checked here: flags (an argparse parser
whose errors are one line), files (missing, unreadable, not UTF-8), JSON given inline or as
`@file`, and the `JSEVAL_*` settings. Messages name the flag, file or variable and say what is
wrong with it; they never quote a file's content or a setting's value (it may be a secret).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, NoReturn

from pydantic import ValidationError
from pydantic_settings import SettingsError

from evaluator import Settings

__all__ = [
    "EXIT_FAILED",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_USAGE",
    "OneLineParser",
    "UsageError",
    "json_argument",
    "load_settings",
    "read_text",
]

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class UsageError(Exception):
    """A mistake in how jseval was called or configured; `str()` is the one line to print."""


class OneLineParser(argparse.ArgumentParser):
    """argparse with one-line errors (argparse prints the whole usage block first)."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see {self.prog} --help)")


def read_text(path: str, *, what: str = "file") -> str:
    """The UTF-8 text of `path` (`-`: standard input); a leading byte order mark is dropped."""
    label = "standard input" if path == "-" else path
    data: bytes
    try:
        if path == "-":
            binary = getattr(sys.stdin, "buffer", None)
            if binary is None:  # a text stream (an embedding host, tests): already decoded
                return sys.stdin.read()
            data = binary.read()
        else:
            with open(path, "rb") as handle:
                data = handle.read()
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise UsageError(f"cannot read {what} {label}: {reason}") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UsageError(
            f"{what} {label} is not UTF-8 text (byte 0x{data[exc.start]:02x} at offset "
            f"{exc.start})"
        ) from None


def json_argument(flag: str) -> Any:
    """An argparse `type=` for a flag taking JSON inline or `@file` holding JSON."""

    def parse(value: str) -> Any:
        if value.startswith("@"):
            text = read_text(value[1:], what=f"{flag} file")
            where = f"{flag} file {value[1:]}"
        else:
            text, where = value, flag
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise UsageError(
                f"{where}: invalid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
            ) from None
        except RecursionError:
            raise UsageError(f"{where}: invalid JSON: nested too deeply") from None

    parse.__name__ = "JSON"
    return parse


def load_settings(**flags: Any) -> Settings:
    """`Settings()` from the environment (and .env) with `flags` overriding; a bad value is a
    UsageError naming its flag (`--port`) or its variable (`JSEVAL_PORT`)."""
    try:
        return Settings(**flags)
    except ValidationError as exc:
        problems = []
        for error in exc.errors(include_url=False, include_input=False):
            field = str(error["loc"][0]) if error["loc"] else "?"
            source = f"--{field.replace('_', '-')}" if field in flags else f"JSEVAL_{field.upper()}"
            problems.append(f"{source}: {error['msg']}")
        raise UsageError("invalid setting " + "; ".join(problems)) from None
    except SettingsError as exc:
        raise UsageError(f"invalid setting: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read the .env file: {type(exc).__name__}") from None
