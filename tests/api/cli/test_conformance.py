"""`jseval conformance --url`: the packaged cases against a real live server; failures
reported readably; `N passed, M failed` last; exit 0 only when all passed."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from evaluator import Settings
from evaluator.conformance import load_cases
from tests.api.cli.support import jseval


def test_every_packaged_case_passes_against_a_live_server(live_api: Any) -> None:
    done = jseval("conformance", "--url", live_api.url)
    lines = done.stdout.splitlines()
    total = len(load_cases())
    assert lines[-1] == f"{total} passed, 0 failed", done.stdout[-3000:]
    assert done.returncode == 0
    assert lines[0].startswith(f"{total} cases against {live_api.url} (jseval ")
    assert "FAIL" not in done.stdout


def test_failures_are_reported(live_api: Any, tmp_path: Path) -> None:
    cases = [
        {"name": "right", "request": {"code": "1 + 1"}, "expect": {"ok": True, "result": 2}},
        {"name": "wrong", "request": {"code": "1 + 1"}, "expect": {"result": 3}},
        {"name": "refused as expected", "request": {"code": "1", "mode": "nope"},
         "expect": {"$rejected": True}},
        {"name": "not refused", "request": {"code": "1"}, "expect": {"$rejected": True}},
        {"name": "refused unexpectedly", "request": {"code": "1", "timeout_ms": 10**9},
         "expect": {"ok": True}},
    ]
    (tmp_path / "mine.json").write_text(json.dumps(cases))
    (tmp_path / "notes.txt").write_text("not a case file")
    done = jseval("conformance", "--url", live_api.url, "--cases", str(tmp_path))
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    assert lines[-1] == "2 passed, 3 failed"
    assert "FAIL mine/wrong" in lines
    assert lines[lines.index("FAIL mine/wrong") + 1].strip() == "result.result: expected 3, got 2"
    assert "FAIL mine/not refused" in lines and "FAIL mine/refused unexpectedly" in lines
    assert "FAIL mine/right" not in lines


def test_api_key(serve_api: Callable[..., Any]) -> None:
    live = serve_api(Settings(workers=1, pool_size=1, api_keys=(SecretStr("ck-1"),)))
    refused = jseval("conformance", "--url", live.url, "--match", "modes/")
    assert refused.returncode == 2
    assert refused.stderr.strip() == f"jseval conformance: {live.url} refused the API key"
    with_key = jseval("conformance", "--url", live.url, "--match", "modes/", "--api-key", "ck-1")
    assert with_key.returncode == 0, with_key.stdout[-2000:]
    count = sum(1 for case in load_cases() if "modes/" in case.name)
    assert with_key.stdout.splitlines()[-1] == f"{count} passed, 0 failed"
    from_env = jseval("conformance", "--url", live.url, "--match", "modes/",
                      env={"JSEVAL_API_KEY": "ck-1"})
    assert from_env.returncode == 0


def test_unusable_targets_are_usage_errors(tmp_path: Path) -> None:
    gone = jseval("conformance", "--url", "http://127.0.0.1:9")
    assert gone.returncode == 2 and "cannot reach http://127.0.0.1:9" in gone.stderr
    (tmp_path / "broken.json").write_text('[{"name": "no request"}]')
    bad = jseval("conformance", "--url", "http://127.0.0.1:9", "--cases", str(tmp_path))
    assert bad.returncode == 2
    assert bad.stderr.strip() == (
        "jseval conformance: cannot load the cases: broken.json: not a list of "
        "{name, request, expect} (KeyError)"
    )
    none = jseval("conformance", "--url", "http://127.0.0.1:9", "--match", "no such case")
    assert none.returncode == 2 and "no case to run" in none.stderr
