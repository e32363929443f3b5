"""Data-driven conformance: every packaged case (evaluator/conformance/cases/*.json), in-process
and against a live server over HTTP, because the same request must give the same result both ways.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from evaluator import Evaluator, RequestRejected
from evaluator.conformance import load_cases, mismatch

CASES = [(case.name, case.request, case.expect) for case in load_cases()]


def test_case_names_are_unique() -> None:
    names = [name for name, _, _ in CASES]
    assert len(names) == len(set(names))


def test_framework_cases_name_where_they_come_from() -> None:
    """The framework functions follow Appsmith's source: each framework case names the Appsmith
    file (or the standard, or the rule of the contract) it comes from, in its `source`."""
    framework = ("actions", "store", "timers", "rejections", "datafields")
    missing = [c.name for c in load_cases() if c.name.split("/")[0] in framework and not c.source]
    assert missing == []


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
