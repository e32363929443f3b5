"""Data-driven conformance: every case in cases/*.json, in-process.

Each file holds a JSON list of cases `{"name": ..., "request": {...}, "expect": {...}}`; `request`
is an EvaluationRequest body and `expect` a fragment of the EvaluationResult (see matcher.py). The
SPEC promises the same result in-process and over HTTP, so the API tests run these same cases
against a live server too. `"expect": {"$rejected": true}` means the request itself is invalid
(RequestRejected in-process, HTTP 422).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from evaluator import Evaluator, RequestRejected

from .matcher import mismatch

CASES_DIR = Path(__file__).parent / "cases"


def load_cases() -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    cases = []
    for path in sorted(CASES_DIR.glob("*.json")):
        for case in json.loads(path.read_text(encoding="utf-8")):
            cases.append((f"{path.stem}/{case['name']}", case["request"], case["expect"]))
    return cases


CASES = load_cases()


def test_case_names_are_unique() -> None:
    names = [name for name, _, _ in CASES]
    assert len(names) == len(set(names))


@pytest.mark.parametrize(("name", "request_body", "expect"), CASES, ids=[c[0] for c in CASES])
def test_in_process(evaluator: Evaluator, name: str, request_body: dict[str, Any],
                    expect: dict[str, Any]) -> None:
    if expect == {"$rejected": True}:  # an invalid request: 422 over HTTP
        with pytest.raises(RequestRejected):
            evaluator.evaluate(request_body)
        return
    result = evaluator.evaluate(request_body).model_dump(mode="json")
    problem = mismatch(expect, result)
    assert problem is None, f"{name}: {problem}"


@pytest.mark.parametrize(("name", "request_body", "expect"), CASES, ids=[c[0] for c in CASES])
def test_over_http(api_client: httpx.Client, name: str, request_body: dict[str, Any],
                   expect: dict[str, Any]) -> None:
    """The same case against the live API (tests/conftest.py `live_api`): same result."""
    response = api_client.post("/v1/evaluate", json=request_body)
    if expect == {"$rejected": True}:
        assert response.status_code == 422, f"{name}: HTTP {response.status_code}"
        return
    assert response.status_code == 200, f"{name}: HTTP {response.status_code} {response.text}"
    problem = mismatch(expect, response.json())
    assert problem is None, f"{name}: {problem}"
