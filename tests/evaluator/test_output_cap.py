"""The answer's cap (evaluator/_output_cap.py, SPEC section 2 "No answer is unbounded"): what is
trimmed, in which order, what is never trimmed, and that the answer then fits, measured on the
JSON pydantic writes."""

from __future__ import annotations

from typing import Any

import pytest

from evaluator import EvaluationResult, Evaluator, Settings
from evaluator._output_cap import TRIM_ORDER, encoded_size, fit_answer

CAP = 64 * 1024


def answer(**lists: int) -> dict[str, Any]:
    """A raw answer with `n` records of about 1 KiB in each named list."""
    filler = "x" * 1000
    data: dict[str, Any] = {
        "ok": True, "result": 1, "result_type": "number", "error": None,
        "logs": [{"level": "log", "args": [filler], "text": "t", "at_ms": 1.0}
                 for _ in range(lists.get("logs", 0))],
        "logs_truncated": False,
        "actions": [{"type": "SHOW_ALERT", "payload": {"message": filler}}
                    for _ in range(lists.get("actions", 0))],
        "store": {},
        "store_ops": [{"op": "set", "key": "k", "value": filler, "persist": False}
                      for _ in range(lists.get("store_ops", 0))],
        "timers": {"pending": [{"id": filler, "kind": "interval", "delay_ms": 100}
                               for _ in range(lists.get("timers", 0))]},
        "fetches": [{"method": "GET", "url": "https://e.com/" + filler, "status": 200,
                     "duration_ms": 1.0, "error": None} for _ in range(lists.get("fetches", 0))],
        "stats": {"wall_ms": 1.0, "queue_ms": 0.0},
    }
    return data


def final_size(data: dict[str, Any]) -> int:
    result = EvaluationResult.model_validate(data)
    return len(result.__pydantic_serializer__.to_json(result))


def test_a_small_answer_is_left_alone() -> None:
    data = answer(logs=3, actions=3)
    before = encoded_size(data)
    assert fit_answer(data, CAP, {}) is data
    assert encoded_size(data) == before and "output_truncated" not in data


def test_lists_are_trimmed_from_their_ends_logs_first() -> None:
    data = answer(logs=40, fetches=10, store_ops=10, actions=10, timers=10)
    first_log = data["logs"][0]
    fit_answer(data, CAP, {})
    assert data["output_truncated"] is True and data["logs_truncated"] is True
    assert data["logs"] and data["logs"][0] is first_log  # cut from the end, only as needed
    assert len(data["logs"]) < 40
    assert [len(data[n]) for n in ("fetches", "store_ops", "actions")] == [10, 10, 10]
    assert len(data["timers"]["pending"]) == 10
    assert data["ok"] is True and data["result"] == 1
    assert final_size(data) <= CAP


@pytest.mark.parametrize("emptied", range(1, len(TRIM_ORDER)))
def test_a_later_list_is_cut_only_once_every_earlier_one_is_empty(emptied: int) -> None:
    # Each list alone holds ~20 KiB; only the first lists must go for the rest to fit.
    data = answer(**{name: 20 for name in TRIM_ORDER})
    cap = encoded_size(answer(**{name: 20 for name in TRIM_ORDER[emptied:]})) + 8 * 1024
    fit_answer(data, cap, {})
    lengths = {name: len(data["timers"]["pending"] if name == "timers" else data[name])
               for name in TRIM_ORDER}
    for name in TRIM_ORDER[: emptied - 1]:
        assert lengths[name] == 0, lengths
    for name in TRIM_ORDER[emptied + 1:]:
        assert lengths[name] == 20, lengths
    assert final_size(data) <= cap


def test_the_result_and_store_never_shrink_an_ok_answer_fails_as_limit() -> None:
    data = answer(logs=5)
    data["result"] = "r" * 40_000
    data["store"] = {"k": "s" * 40_000}
    fit_answer(data, CAP, {"k": "initial"})
    assert data["ok"] is False and data["result"] is None and data["logs"] == []
    assert data["error"]["kind"] == "limit" and "result" in data["error"]["message"]
    assert data["store"] == {"k": "s" * 40_000}  # the final store fits once the result is gone
    assert data["output_truncated"] is True and final_size(data) <= CAP


def test_a_final_store_past_the_cap_gives_back_the_request_store() -> None:
    data = answer(store_ops=3)
    data["store"] = {"k": "s" * 100_000}
    fit_answer(data, CAP, {"k": "initial"})
    assert data["ok"] is False and data["error"]["kind"] == "limit"
    assert data["store"] == {"k": "initial"} and data["store_ops"] == []
    assert "store" in data["error"]["message"] and final_size(data) <= CAP


def test_integers_past_64_bits_are_measured() -> None:
    assert encoded_size({"n": 2**70}) == len('{"n":1180591620717411303424}')


def test_the_cap_must_leave_room_for_a_whole_result() -> None:
    with pytest.raises(ValueError):
        Settings(max_result_bytes=2 * 1024 * 1024, max_output_bytes=2 * 1024 * 1024)
    with pytest.raises(ValueError):
        Settings(max_output_bytes=1024)
    assert Settings(max_result_bytes=256 * 1024, max_output_bytes=512 * 1024)


def test_an_evaluation_over_the_cap_keeps_its_outcome_and_records_in_order() -> None:
    """End to end, in process: 600 KiB of logs, actions and store changes under a 512 KiB cap."""
    settings = Settings(max_result_bytes=256 * 1024, max_output_bytes=512 * 1024)
    code = """
    const v = 'v'.repeat(1000);
    for (let i = 0; i < 300; i++) console.log(i, v);
    for (let i = 0; i < 150; i++) storeValue('k' + i, v);
    for (let i = 0; i < 100; i++) showAlert(v + i);
    setInterval(() => {}, 1e6, 'poll');
    'done'
    """
    with Evaluator(settings, pool_size=0) as evaluator:
        result = evaluator.evaluate({"code": code, "timeout_ms": 5000})
    assert result.ok and result.result == "done"
    assert result.output_truncated and result.logs_truncated
    assert result.logs == []  # logs go first: 300 KiB of them could not stay
    assert 0 < len(result.store_ops) < 150  # then (no fetches) store changes, from the end
    assert [op.key for op in result.store_ops] == [f"k{i}" for i in range(len(result.store_ops))]
    assert len(result.actions) == 250 and result.timers.pending[0].id == "poll"
    assert len(result.store) == 150  # the final store is whole
    assert len(result.model_dump_json().encode()) <= 512 * 1024
