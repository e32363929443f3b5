"""The README and docs/API.md stay true: every request and result field is described, and
every `jseval` command line they show is one the CLI accepts."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from api.cli.main import _parser
from evaluator import EvaluationRequest, EvaluationResult

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
API = (ROOT / "docs" / "API.md").read_text()


def _table_fields(text: str) -> set[str]:
    return set(re.findall(r"^\| `([a-z_]+)`", text, flags=re.MULTILINE))


def test_api_md_describes_every_field() -> None:
    described = _table_fields(API)
    assert set(EvaluationRequest.model_fields) - described == set()
    assert set(EvaluationResult.model_fields) - described - {"result_type"} == set()


def test_readme_describes_the_fields_itself() -> None:
    described = _table_fields(README) | set(re.findall(r"^\| `(\w+)`, `(\w+)`", README, re.M)[0])
    for field in ("code", "mode", "args", "globals", "store", "appsmith", "timeout_ms",
                  "memory_mb", "wait_for_timers", "clock", "now_ms", "random_seed", "fetch",
                  "ok", "error", "actions", "fetches", "stats"):
        assert field in described or f"`{field}`" in README, field
    assert "docs/API.md" in README
    assert "shared folder" not in README  # no pointer to a file outside the repository


def _command_lines(text: str) -> list[str]:
    lines = []
    for raw in text.splitlines():
        if not raw.startswith("    "):  # code blocks only
            continue
        line = raw.strip()
        if "| jseval " in line:  # echo ... | jseval ...
            line = line.split("| ", 1)[1]
        line = re.sub(r"^([A-Z_]+=\S+ )+", "", line)  # VAR=value jseval ...
        if not line.startswith("jseval ") or "[--" in line:  # not a usage synopsis
            continue
        lines.append(line.split("  #")[0].strip())
    return lines


@pytest.mark.parametrize("line", _command_lines(README) + _command_lines(
    (ROOT / "docs" / "DEPLOY.md").read_text()
))
def test_documented_command_lines_parse(
    line: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    parser, _ = _parser()
    words = shlex.split(line.replace('"$KEY"', "k").replace("$KEY", "k"))[1:]
    monkeypatch.chdir(tmp_path)
    for word in words:
        if word.startswith("@"):  # a data file the example refers to
            (tmp_path / word[1:]).write_text("{}")
    parser.parse_args(words)  # a UsageError would fail the test
