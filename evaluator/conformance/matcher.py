"""The matcher of conformance cases: `expect` is a fragment of the result.

Rules, applied recursively:
- a dict matches when every key it names is present in the actual dict and matches (other keys are
  ignored), except the operator dicts below;
- a list matches an actual list of the same length, item by item;
- anything else matches by equality (1 and 1.0 are equal, as JSON says);
- operators: {"$contains": "text"} (substring of a string), {"$regex": "pattern"} (re.search),
  {"$len": n} (length of a list, dict or string), {"$any": true} (present, any value),
  {"$absent": true} (key not present), {"$startswith": "text"}, {"$lte": n}, {"$gte": n},
  {"$items": [fragment, ...]} (a list containing, in order, items matching each fragment).
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["mismatch"]

_OPERATORS = {"$contains", "$regex", "$len", "$any", "$startswith", "$lte", "$gte", "$items"}


def mismatch(expect: Any, actual: Any, path: str = "result") -> str | None:
    """None when `actual` matches `expect`, else a sentence saying where and how it differs."""
    if isinstance(expect, dict) and expect and set(expect) <= _OPERATORS:
        return _operator(expect, actual, path)
    if isinstance(expect, dict):
        if not isinstance(actual, dict):
            return f"{path}: expected an object, got {actual!r}"
        for key, value in expect.items():
            if isinstance(value, dict) and value.get("$absent") is True:
                if key in actual:
                    return f"{path}.{key}: expected absent, got {actual[key]!r}"
                continue
            if key not in actual:
                return f"{path}.{key}: missing"
            found = mismatch(value, actual[key], f"{path}.{key}")
            if found:
                return found
        return None
    if isinstance(expect, list):
        if not isinstance(actual, list):
            return f"{path}: expected a list, got {actual!r}"
        if len(expect) != len(actual):
            return f"{path}: expected {len(expect)} items, got {len(actual)}: {actual!r}"
        for index, (e, a) in enumerate(zip(expect, actual, strict=True)):
            found = mismatch(e, a, f"{path}[{index}]")
            if found:
                return found
        return None
    if isinstance(expect, bool) or isinstance(actual, bool):
        return None if expect is actual else f"{path}: expected {expect!r}, got {actual!r}"
    return None if expect == actual else f"{path}: expected {expect!r}, got {actual!r}"


def _operator(expect: dict[str, Any], actual: Any, path: str) -> str | None:
    for op, arg in expect.items():
        if op == "$any":
            continue
        if op == "$contains" and not (isinstance(actual, str) and arg in actual):
            return f"{path}: expected to contain {arg!r}, got {actual!r}"
        if op == "$startswith" and not (isinstance(actual, str) and actual.startswith(arg)):
            return f"{path}: expected to start with {arg!r}, got {actual!r}"
        if op == "$regex" and not (isinstance(actual, str) and re.search(arg, actual)):
            return f"{path}: expected to match /{arg}/, got {actual!r}"
        if op == "$len" and not (hasattr(actual, "__len__") and len(actual) == arg):
            return f"{path}: expected length {arg}, got {actual!r}"
        if op == "$lte" and not (isinstance(actual, (int, float)) and actual <= arg):
            return f"{path}: expected <= {arg}, got {actual!r}"
        if op == "$gte" and not (isinstance(actual, (int, float)) and actual >= arg):
            return f"{path}: expected >= {arg}, got {actual!r}"
        if op == "$items":
            if not isinstance(actual, list):
                return f"{path}: expected a list, got {actual!r}"
            position = 0
            for fragment in arg:
                while position < len(actual) and mismatch(fragment, actual[position], path):
                    position += 1
                if position == len(actual):
                    return f"{path}: no item matching {fragment!r} (in order) in {actual!r}"
                position += 1
    return None
