"""api/cli/report.py: the code frame's caret, sources of entities, caps, escaping."""

from __future__ import annotations

from typing import Any

from api.cli.report import MAX_ENTRIES, code_frame, render
from evaluator import Evaluator


def test_caret_under_the_column_with_tabs_and_crlf() -> None:
    source = "a();\r\n\tb();\r\n\t\tconst x = y.z;\r\nnext();"
    frame = code_frame(source, 3, 13).splitlines()
    assert frame == [
        "  1 | a();",
        "  2 | \tb();",
        "> 3 | \t\tconst x = y.z;",
        "    | \t\t          ^",
        "  4 | next();",
    ]
    assert frame[3].index("^") - frame[3].index("|") - 2 == 12  # 12 characters precede col 13


def test_no_frame_for_a_line_outside_the_source() -> None:
    assert code_frame("one line", 5, 1) == ""
    assert code_frame("one\ntwo", 2, None).splitlines() == ["  1 | one", "> 2 | two"]


def test_unicode_line_separators_count_as_lines() -> None:
    # V8 counts U+2028 as a line break: so must the frame.
    assert code_frame("a\u2028b\u2029c", 3, 1).splitlines()[2] == "> 3 | c"


def test_error_in_a_js_object_is_framed_from_its_source() -> None:
    result = {
        "ok": False,
        "error": {"kind": "runtime", "name": "Error", "message": "boom", "line": 2,
                  "column": 5, "stack": "Error: boom\n    at myFun (JSObject1:2:5)",
                  "source": "JSObject1"},
    }
    text = render(result, sources={"code": "x", "JSObject1": "export default {\n  f() {}\n}"},
                  name="main.js")
    assert "  at JSObject1:2:5" in text and "> 2 |   f() {}" in text


def test_long_lists_and_values_are_capped() -> None:
    result: dict[str, Any] = {
        "ok": True, "result": list(range(1000)), "result_type": "array",
        "logs": [{"level": "log", "text": f"line {i}"} for i in range(MAX_ENTRIES + 5)],
    }
    text = render(result, sources={})
    assert "… 802 more lines (--json shows everything)" in text
    assert f"console ({MAX_ENTRIES + 5})" in text
    assert "… 5 more (--json shows everything)" in text


def test_every_result_type_reads_naturally(evaluator: Evaluator) -> None:
    for code, first_line, value in [
        ("undefined", "✓ ok  undefined", "undefined"),
        ("(function f() {})", "✓ ok  function", "[function]"),
        ("2n ** 70n", "✓ ok  bigint", "1180591620717411303424n"),
        ("Symbol('s')", "✓ ok  symbol", "Symbol(s)"),
        ("'text'", "✓ ok  string", '"text"'),
    ]:
        result = evaluator.evaluate({"code": code, "timeout_ms": 10000}).model_dump(mode="json")
        lines = render(result, sources={"code": code}).splitlines()
        assert lines[0].startswith(first_line) and lines[1] == value, (code, lines)


def test_failures_without_position_have_no_frame(evaluator: Evaluator) -> None:
    result = evaluator.evaluate({"code": "while (true) {}", "timeout_ms": 20})
    text = render(result.model_dump(mode="json"), sources={"code": "while (true) {}"})
    assert text.startswith("✗ timeout error") and " | " not in text
