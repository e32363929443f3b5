"""The readable report `jseval run` prints on a terminal: result, console, actions, store
changes, timers, fetches, and a failure with a code frame pointing at its line and column.

It renders the result's JSON form (a dict), so fields added to the result later show up in
`--json` at once and here when a section is written for them. Everything that came from the
evaluation is passed through `_safe()`: control characters (a terminal escape sequence in a
console.log could otherwise rewrite the screen) and bidirectional overrides are shown escaped.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["code_frame", "render"]

MAX_VALUE_LINES = 200  # of the result, and of each log's text
MAX_ENTRIES = 200  # per list (logs, actions, ...): the rest is counted, `--json` shows all
CONTEXT_LINES = 2  # around the failing line in the code frame

# C0/C1 controls but tab and newline; bidi embeddings, overrides and isolates.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
# ECMAScript line terminators: what V8 counts lines by.
_LINE_BREAK = re.compile("\r\n|[\n\r\u2028\u2029]")


def _safe(text: str) -> str:
    return _UNSAFE.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


class _Style:
    """ANSI styles, or none (not a terminal, NO_COLOR)."""

    def __init__(self, color: bool) -> None:
        self.color = color

    def _wrap(self, code: str, text: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if self.color else text

    def bold(self, text: str) -> str:
        return self._wrap("1", text)

    def dim(self, text: str) -> str:
        return self._wrap("2", text)

    def red(self, text: str) -> str:
        return self._wrap("31", text)

    def green(self, text: str) -> str:
        return self._wrap("32", text)

    def yellow(self, text: str) -> str:
        return self._wrap("33", text)


def _json(value: Any, indent: int | None = None) -> str:
    return json.dumps(value, ensure_ascii=False, indent=indent)


def _value(value: Any, result_type: str | None) -> str:
    """A result as a person reads it: JSON, except what JSON cannot show."""
    if result_type == "undefined":
        return "undefined"
    if result_type == "function":
        return "[function]"
    if result_type == "bigint" and isinstance(value, str):
        return f"{value}n"
    if result_type == "symbol" and isinstance(value, str):
        return value
    return _json(value, indent=2)


def _clip(text: str, limit: int = MAX_VALUE_LINES) -> list[str]:
    lines = _safe(text).split("\n")
    if len(lines) > limit:
        hidden = len(lines) - limit
        lines = [*lines[:limit], f"… {hidden} more lines (--json shows everything)"]
    return lines


def code_frame(source: str, line: int, column: int | None, *, style: _Style | None = None) -> str:
    """The lines around `line` (1-based) with a caret under `column` (1-based), as Babel and
    Deno print them. Tabs before the column are kept so the caret lines up."""
    style = style or _Style(False)
    lines = _LINE_BREAK.split(source)
    if not 1 <= line <= len(lines):
        return ""
    first = max(1, line - CONTEXT_LINES)
    last = min(len(lines), line + CONTEXT_LINES)
    while last > line and not lines[last - 1].strip():  # no blank tail (a final newline)
        last -= 1
    width = len(str(last))
    out = []
    for number in range(first, last + 1):
        text = _safe(lines[number - 1])
        gutter = f"{number:>{width}} | "
        if number == line:
            out.append(style.red(">") + " " + style.dim(gutter) + text)
            if column is not None and column >= 1:
                before = _safe(lines[number - 1][: column - 1])
                pad = "".join("\t" if ch == "\t" else " " for ch in before)
                out.append("  " + style.dim(" " * width + " | ") + pad + style.red("^"))
        else:
            out.append("  " + style.dim(gutter) + text)
    return "\n".join(out)


def _section(
    out: list[str], style: _Style, title: str, items: list[Any], line: Callable[[Any], str]
) -> None:
    if not items:
        return
    out.append("")
    out.append(style.bold(f"{title} ({len(items)})"))
    for item in items[:MAX_ENTRIES]:
        out.extend("  " + text for text in line(item).split("\n"))
    if len(items) > MAX_ENTRIES:
        out.append(style.dim(f"  … {len(items) - MAX_ENTRIES} more (--json shows everything)"))


def _log_line(style: _Style) -> Callable[[Any], str]:
    paint = {"error": style.red, "warn": style.yellow, "debug": style.dim}

    def line(entry: Mapping[str, Any]) -> str:
        level = str(entry.get("level", "log"))
        text = "\n".join(_clip(str(entry.get("text", ""))))
        text = text.replace("\n", "\n" + " " * 8)  # continuation lines under the text
        return paint.get(level, str)(f"{level:<7} ") + text

    return line


def _action_line(action: Mapping[str, Any]) -> str:
    payload = action.get("payload")
    shown = "" if payload is None else " " + _safe(_json(payload))
    return f"{_safe(str(action.get('type')))}{shown}"


def _store_op_line(op: Mapping[str, Any]) -> str:
    kind = op.get("op")
    key = _safe(_json(op.get("key")))
    if kind == "set":
        persist = "" if op.get("persist", True) else "  (not persisted)"
        return f"set     {key} = {_safe(_json(op.get('value')))}{persist}"
    if kind == "remove":
        return f"remove  {key}"
    return "clear"


def _timer_line(timer: Mapping[str, Any]) -> str:
    delay = timer.get("delay_ms")
    when = f"every {delay} ms" if timer.get("kind") == "interval" else f"after {delay} ms"
    return f"{_safe(_json(timer.get('id')))}  {timer.get('kind')}  {when}"


def _fetch_line(record: Mapping[str, Any]) -> str:
    outcome = record.get("error") or record.get("status")
    took = record.get("duration_ms")
    return _safe(f"{record.get('method')} {record.get('url')} -> {outcome} ({took} ms)")


def render(
    result: Mapping[str, Any],
    *,
    sources: Mapping[str, str],
    name: str = "<code>",
    color: bool = False,
) -> str:
    """The report of `result` (an EvaluationResult as JSON).

    Args:
        result: the result, `model_dump(mode="json")` or the HTTP body.
        sources: source texts by the name an error's `source` gives (`"code"`, JS objects),
            for the code frame.
        name: how to call the code in positions (`snippet.js`, `<stdin>`).
        color: ANSI colours.
    """
    style = _Style(color)
    out: list[str] = []
    stats = result.get("stats") or {}
    took = f"{stats.get('wall_ms', 0):.1f} ms"
    error = result.get("error")
    if result.get("ok"):
        out.append(f"{style.green('✓ ok')}  {result.get('result_type')}  {style.dim(took)}")
        out.extend(_clip(_value(result.get("result"), result.get("result_type"))))
    elif isinstance(error, Mapping):
        out.extend(_error_lines(error, sources, name, style, took))
    else:
        out.append(style.red("✗ failed") + "  " + style.dim(took))
    logs = list(result.get("logs") or [])
    _section(out, style, "console", logs, _log_line(style))
    if result.get("logs_truncated"):
        out.append(style.yellow("  … console output past the caps was dropped"))
    _section(out, style, "actions", list(result.get("actions") or []), _action_line)
    _section(out, style, "store changes", list(result.get("store_ops") or []), _store_op_line)
    if result.get("store"):
        out.append("")
        out.append(style.bold("store"))
        out.extend("  " + line for line in _clip(_json(result.get("store"), indent=2)))
    timers = list((result.get("timers") or {}).get("pending") or [])
    _section(out, style, "timers still pending (cancelled)", timers, _timer_line)
    _section(out, style, "fetches", list(result.get("fetches") or []), _fetch_line)
    if result.get("output_truncated"):
        out.append("")
        out.append(style.yellow("… the answer passed the output cap: lists were trimmed"))
    return "\n".join(out) + "\n"


def _error_lines(
    error: Mapping[str, Any], sources: Mapping[str, str], name: str, style: _Style, took: str
) -> list[str]:
    kind = error.get("kind", "internal")
    message = _safe(str(error.get("message", "")))
    out = [f"{style.red('✗ ' + str(kind) + ' error')}  {style.dim(took)}"]
    out.append(style.bold(f"{_safe(str(error.get('name', 'Error')))}: ") + message)
    line, column = error.get("line"), error.get("column")
    source_name = str(error.get("source") or "code")
    shown = name if source_name == "code" else _safe(source_name)
    if isinstance(line, int):
        where = f"{shown}:{line}" + (f":{column}" if isinstance(column, int) else "")
        out.append(style.dim("  at ") + where)
        source = sources.get(source_name)
        frame = code_frame(source, line, column, style=style) if source is not None else ""
        if frame:
            out.append("")
            out.append(frame)
    stack = str(error.get("stack") or "")
    frames = [text for text in stack.split("\n")[1:] if text.strip()]
    if source_name == "code":  # positions in the code: say which file, as the header does
        frames = [text.replace("<code>:", f"{name}:") for text in frames]
    if frames:
        out.append("")
        out.append(style.bold("stack"))
        out.extend("  " + _safe(text.strip()) for text in frames[:MAX_ENTRIES])
    return out
