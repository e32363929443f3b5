"""The answer's cap (SPEC section 2, "No answer is unbounded"): one evaluation's encoded result
within `max_output_bytes`.

Why it is applied here, in the process that ran the evaluation: a worker then sends at most the
cap over its socket, and the API process holds at most `max_batch` times the cap for a batch
(before, `setInterval(() => {}, 1e5, 'i'.repeat(1e7))` in a batch of 100 made a 1 GB answer).
The sandbox already bounds what each record channel may carry (log text and entries, log
arguments at this cap, actions and stored values, timers and their ids, an error's message and
stack, the result), so the worker never builds more than a few caps' worth; this module makes the
answer itself fit, by SPEC's rule: the lists are trimmed from their ends, logs first, then
fetches, store_ops, actions, timers, and `output_truncated` is set; the outcome stays as it was.

Sizes are estimated with orjson on the raw answer (cheap; the common small answer costs one
encode). pydantic writes a few bytes more than orjson for some records (an integer `delay_ms`
becomes `100.0`, a default field is written out), so each record is given a margin.

What never shrinks: the result (its own cap, `max_result_bytes`, fits by construction, see
Settings), the error (its message and stack are cut in the sandbox) and the final `store`. An
answer whose result and store together still pass the cap once every list is empty fails as
`limit` (the result is dropped); if the final store alone passes it, the store changes cannot be
returned: the answer carries the request's own store, as if the evaluation had changed nothing,
and says so. That echo is bounded by the request size, not by the cap (docs/DECISIONS.md).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import orjson

__all__ = ["TRIM_ORDER", "OutputLimits", "encoded_size", "fit_answer"]

# The lists an answer may lose, in the order they are trimmed (SPEC section 2).
TRIM_ORDER = ("logs", "fetches", "store_ops", "actions", "timers")

# Bytes pydantic may write beyond orjson's estimate: per answer, and per record of a list.
_SLACK_BYTES = 1024
_SLACK_PER_RECORD = 48


@dataclass(frozen=True, slots=True)
class OutputLimits:
    """The caps an answer is held to (from Settings)."""

    max_result_bytes: int
    max_output_bytes: int


def encoded_size(value: Any) -> int:
    """Bytes of `value` as compact UTF-8 JSON (what the answer will spend on it)."""
    try:
        return len(orjson.dumps(value))
    except TypeError:  # an integer past 64 bits (request data): the stdlib writes it
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        return len(text.encode("utf-8", "surrogatepass"))


def _records(data: dict[str, Any], name: str) -> list[Any]:
    if name == "timers":
        timers = data.get("timers")
        return timers.get("pending", []) if isinstance(timers, dict) else []
    value = data.get(name)
    return value if isinstance(value, list) else []


def _record_count(data: dict[str, Any]) -> int:
    return sum(len(_records(data, name)) for name in TRIM_ORDER)


def fit_answer(
    data: dict[str, Any], max_output_bytes: int, initial_store: dict[str, Any]
) -> dict[str, Any]:
    """Trim `data` (a raw answer, changed in place and returned) to fit `max_output_bytes`."""
    budget = max_output_bytes - _SLACK_BYTES - _SLACK_PER_RECORD * _record_count(data)
    excess = encoded_size(data) - budget
    if excess <= 0:
        return data
    trimmed: set[str] = set()
    for name in TRIM_ORDER:
        records = _records(data, name)
        while records and excess > 0:
            excess -= encoded_size(records.pop()) + 1  # the record and its comma
            trimmed.add(name)
        if excess <= 0:
            break
    data["output_truncated"] = True
    if "logs" in trimmed:
        data["logs_truncated"] = True
    if excess <= 0:
        return data
    # Every list is empty and the answer still passes the cap: the result and the final store.
    if data.get("ok"):
        size = encoded_size(data.get("result"))
        data.update(
            ok=False,
            result=None,
            result_type=None,
            error=_limit_error(
                f"the answer is larger than {max_output_bytes} bytes: the result ({size} bytes) "
                "and the final store do not fit together"
            ),
        )
        if encoded_size(data) <= max_output_bytes - _SLACK_BYTES:
            return data
    size = encoded_size(data.get("store"))
    data["store"] = initial_store
    data["error"] = _limit_error(
        f"the answer is larger than {max_output_bytes} bytes: the final store takes {size} "
        "bytes, so its changes are not returned (the store is the request's own)"
    )
    return data


def _limit_error(message: str) -> dict[str, Any]:
    return {
        "kind": "limit",
        "name": "RangeError",
        "message": message,
        "line": None,
        "column": None,
        "stack": None,
    }
