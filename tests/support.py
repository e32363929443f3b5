"""Small helpers shared by test modules (fixtures live in conftest.py)."""

from __future__ import annotations

from typing import Any

from evaluator import EvaluationResult, Evaluator


class StubResolver:
    """DNS for tests: names map to lists of answers (one list per call, the last repeats); the
    calls are recorded. No test ever resolves a real name."""

    def __init__(self, answers: dict[str, list[list[str]]]) -> None:
        self.answers = answers
        self.calls: list[str] = []

    async def __call__(self, hostname: str, port: int) -> list[str]:
        self.calls.append(hostname)
        if hostname not in self.answers:
            raise OSError("no such name")
        queue = self.answers[hostname]
        return queue.pop(0) if len(queue) > 1 else queue[0]


def call(evaluator: Evaluator, code: str, **fields: Any) -> EvaluationResult:
    """Evaluate `code` in function mode."""
    return evaluator.evaluate({"code": code, "mode": "function", **fields})


def value(evaluator: Evaluator, code: str, **fields: Any) -> Any:
    """The result of `code` in function mode, which must succeed."""
    result = call(evaluator, code, **fields)
    assert result.ok, result.error
    return result.result
