"""JSON text for what crosses a boundary: into an isolate, over the worker socket, into answers.

Two kinds of valid request data trip the fast encoders, and each failed as kind `internal`:
integers past 64 bits (`123456789012345678901234567890` in `globals`: orjson refuses them) and
lone surrogates (`"'\\ud800'.length"` as `code`: neither orjson nor pydantic-core will encode
one as UTF-8, and jiter, pydantic's JSON parser, refuses one in a `\\u` escape). Both are
legal JSON and legal JavaScript, so they must reach the sandbox unchanged: the fallback writes
them with the standard library, every non-ASCII character escaped, which JavaScript's
`JSON.parse` and Python's `json.loads` both read back exactly. The fast path stays orjson.

An answer must be valid UTF-8 (SPEC section 2: lone surrogates become U+FFFD), so request data
that an answer echoes (the initial `store`) goes through `well_formed()`.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

__all__ = ["dumps_json", "loads_json", "well_formed"]


def dumps_json(value: Any) -> str:
    """JSON text of request data: orjson, or the stdlib (ASCII-escaped) for what orjson refuses."""
    try:
        return orjson.dumps(value).decode()
    except TypeError:  # an integer past 64 bits, a lone surrogate
        return json.dumps(value, ensure_ascii=True, allow_nan=False)


def loads_json(text: bytes | str) -> Any:
    """Parse JSON that `dumps_json` may have written (orjson first, the stdlib for surrogates)."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


def _well_formed_text(text: str) -> str:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return text


def well_formed(value: Any) -> Any:
    """`value` with every lone surrogate in its strings (keys too) replaced by U+FFFD."""
    try:
        orjson.dumps(value)
    except TypeError:
        pass
    else:
        return value  # the common case: nothing to replace, nothing copied
    if isinstance(value, str):
        return _well_formed_text(value)
    if isinstance(value, list):
        return [well_formed(item) for item in value]
    if isinstance(value, dict):
        return {_well_formed_text(str(k)): well_formed(v) for k, v in value.items()}
    return value
