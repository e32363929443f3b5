"""Shared fixtures: a real in-process Evaluator (no mocks of our own code)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from evaluator import Evaluator, EvaluationResult


@pytest.fixture(scope="session")
def evaluator() -> Iterator[Evaluator]:
    with Evaluator(pool_size=2) as instance:
        yield instance


@pytest.fixture
def run(evaluator: Evaluator):
    """run(code, **request_fields) -> EvaluationResult."""

    def _run(code: str, **fields: object) -> EvaluationResult:
        return evaluator.evaluate({"code": code, **fields})

    return _run
