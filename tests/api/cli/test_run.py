"""`jseval run`: JSON when piped or with --json, a readable report on a terminal; flags with
the API's names; JSON or @file data; exit 0 ok / 1 the JavaScript failed; --url."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from evaluator import EvaluationRequest, Evaluator
from tests.api.cli.support import jseval, jseval_on_terminal


def test_piped_output_is_json(tmp_path: Path) -> None:
    script = tmp_path / "snippet.js"
    script.write_text("console.log('hi'); [1, 2].map(x => x * 2)")
    done = jseval("run", str(script))
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["ok"] is True and result["result"] == [2, 4]
    assert result["logs"][0]["text"] == "hi"
    compact = jseval("run", str(script), "--compact")
    assert compact.stdout.count("\n") == 1
    assert json.loads(compact.stdout)["result"] == [2, 4]


def test_a_javascript_failure_exits_1() -> None:
    done = jseval("run", "-", "--mode", "function", stdin="\nthrow new TypeError('x')")
    assert done.returncode == 1
    error = json.loads(done.stdout)["error"]
    assert error["kind"] == "runtime" and error["name"] == "TypeError" and error["line"] == 2
    assert jseval("run", "-", "--timeout-ms", "50", stdin="while (true) {}").returncode == 1


def test_flags_carry_the_api_names(evaluator: Evaluator, tmp_path: Path) -> None:
    code = (
        "await new Promise(r => setTimeout(r, 1000));\n"
        "return [Date.now(), Math.random(), args, Table1.id, appsmith.user.name,\n"
        "        appsmith.store.visits, typeof fetch];"
    )
    (tmp_path / "store.json").write_text('{"visits": 3}')
    done = jseval(
        "run", "-", "--mode", "function", "--clock", "virtual", "--now-ms", "0",
        "--random-seed", "42", "--timeout-ms", "20000", "--memory-mb", "32",
        "--args", "[1]", "--arg", '"two"', "--globals", '{"Table1": {"id": 7}}',
        "--appsmith", '{"user": {"name": "Ada"}}', "--store", f"@{tmp_path}/store.json",
        "--no-fetch", stdin=code,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)["result"]
    same = evaluator.evaluate(EvaluationRequest(
        code=code, mode="function", clock="virtual", now_ms=0, random_seed=42,
        args=[1, "two"], globals={"Table1": {"id": 7}}, appsmith={"user": {"name": "Ada"}},
        store={"visits": 3}, fetch=False,
    ))
    assert result == same.result
    assert result[0] == 1000 and result[2:] == [[1, "two"], 7, "Ada", 3, "undefined"]


def test_wait_for_timers() -> None:
    code = "setTimeout(() => console.log('late'), 20); 'early'"
    without = json.loads(jseval("run", "-", stdin=code).stdout)
    waited = json.loads(jseval("run", "-", "--wait-for-timers", stdin=code).stdout)
    assert without["logs"] == [] and without["timers"]["pending"]
    assert [entry["text"] for entry in waited["logs"]] == ["late"]


def test_entity_flags_pass_through(tmp_path: Path) -> None:
    """queries/js_objects/js_state go into the request as given; until the request model has
    them, the refusal names the flag (SPEC section 7 adds them)."""
    fields = EvaluationRequest.model_fields
    done = jseval(
        "run", "-", "--mode", "function",
        "--queries", '{"Query1": {"mock": {"data": [1, 2]}}}',
        "--js-objects", '{"JSObject1": "export default { myVar1: 5 }"}',
        stdin="return [(await Query1.run()).length, JSObject1.myVar1]",
    )
    if "queries" in fields and "js_objects" in fields:
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout)["result"] == [2, 5]
    else:
        assert done.returncode == 2
        assert "--queries: this jseval has no `queries` request field yet" in done.stderr
        assert len(done.stderr.splitlines()) == 1


def _ansi_free(text: str) -> str:
    return re.sub(r"\x1b\[[0-9;]*m", "", text)


def test_terminal_gets_a_readable_report(tmp_path: Path) -> None:
    script = tmp_path / "report.js"
    script.write_text(
        "console.log('hi', {a: 1});\nconsole.warn('careful');\n"
        "storeValue('k', 1); removeValue('old'); showAlert('Saved', 'success');\n"
        "setInterval(() => {}, 100, 'poll');\n({ total: 3 })\n"
    )
    status, screen = jseval_on_terminal("run", str(script), "--store", '{"old": true}')
    assert status == 0
    assert "\x1b[" in screen  # colour on a terminal
    text = _ansi_free(screen)
    assert text.startswith("✓ ok  object")
    assert '"total": 3' in text
    assert "console (2)" in text and "log     hi { a: 1 }" in text and "warn    careful" in text
    assert 'SHOW_ALERT {"message": "Saved", "style": "success"}' in text
    assert 'set     "k" = 1' in text and 'remove  "old"' in text
    assert '"poll"  interval  every 100.0 ms' in text
    assert not text.lstrip().startswith("{")  # not the JSON
    _, plain = jseval_on_terminal("run", str(script), env={"NO_COLOR": "1"})
    assert "\x1b[" not in plain
    forced_json = jseval_on_terminal("run", str(script), "--json")[1]
    assert json.loads(forced_json)["result"] == {"total": 3}


def test_terminal_failure_shows_a_code_frame(tmp_path: Path) -> None:
    script = tmp_path / "broken.js"
    script.write_text("const user = { name: 'Ada' };\nfunction greet(u) {\n\treturn u.profile.title;\n}\ngreet(user);\n")
    status, screen = jseval_on_terminal("run", str(script), env={"NO_COLOR": "1"})
    assert status == 1
    lines = screen.splitlines()
    assert lines[0].startswith("✗ runtime error")
    assert lines[1] == "TypeError: Cannot read properties of undefined (reading 'title')"
    assert lines[2] == "  at broken.js:3:19"
    frame = lines[lines.index("> 3 | \treturn u.profile.title;") + 1]
    assert frame == "    | \t                 ^"  # under the `.title` V8 points at, tab kept
    assert "  at greet (broken.js:3:19)" in lines


def test_report_escapes_terminal_control_sequences() -> None:
    done = jseval("run", "-", "--report", stdin="console.log('a\\x1b[2Jb\\u202ec'); 'x\\x07'")
    assert done.returncode == 0
    assert "\x1b" not in done.stdout and "\x07" not in done.stdout and "\u202e" not in done.stdout
    assert "a\\u001b[2Jb\\u202ec" in done.stdout and '"x\\u0007"' in done.stdout


def test_run_on_a_service(live_api: Any, evaluator: Evaluator) -> None:
    code = "Math.random()"
    done = jseval("run", "-", "--random-seed", "9", "--url", live_api.url, stdin=code)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["result"] == evaluator.evaluate(
        {"code": code, "random_seed": 9}
    ).result
    refused = jseval("run", "-", "--timeout-ms", "999999", "--url", live_api.url, stdin="1")
    assert refused.returncode == 2 and "--timeout-ms" in refused.stderr
    gone = jseval("run", "-", "--url", "http://127.0.0.1:9", stdin="1")
    assert gone.returncode == 2 and "cannot reach" in gone.stderr
    assert len(gone.stderr.splitlines()) == 1
