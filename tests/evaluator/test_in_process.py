"""The in-process API works end to end: the issue's first example, both sync and async."""

from __future__ import annotations

import asyncio

from evaluator import EvaluationRequest, Evaluator


def test_evaluate_one_plus_one(evaluator: Evaluator) -> None:
    result = evaluator.evaluate(EvaluationRequest(code="1 + 1"))
    assert result.ok is True
    assert result.result == 2
    assert result.result_type == "number"


def test_aevaluate_runs_off_the_event_loop(evaluator: Evaluator) -> None:
    async def main() -> list[object]:
        results = await asyncio.gather(
            evaluator.aevaluate({"code": "while(true){}", "timeout_ms": 300}),
            evaluator.aevaluate({"code": "21 * 2"}),
        )
        return [r.result for r in results]

    assert asyncio.run(main()) == [None, 42]
