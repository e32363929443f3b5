"""Request validation: static bounds (pydantic) and settings-dependent bounds (check_request)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from evaluator import EvaluationRequest, EvaluationResult, RequestRejected, Settings, check_request

BAD_REQUESTS = [
    {},
    {"code": 1},
    {"code": "1", "mode": "module"},
    {"code": "1", "timeout_ms": 0},
    {"code": "1", "memory_mb": 4},
    {"code": "1", "clock": "fast"},
    {"code": "1", "args": [1]},
    {"code": "1", "mode": "expression", "args": [1]},
    {"code": "1", "now_ms": 5},
    {"code": "1", "clock": "virtual", "now_ms": 9e15},
    {"code": "1", "random_seed": 2**64},
    {"code": "1", "globals": {"console": 1}},
    {"code": "1", "globals": {"1abc": 1}},
    {"code": "1", "unknown_field": True},
    {"code": "1", "fetch": "yes please"},
]


@pytest.mark.parametrize("body", BAD_REQUESTS)
def test_invalid_requests_are_rejected(body: dict) -> None:
    with pytest.raises(ValidationError):
        EvaluationRequest.model_validate(body)


def test_valid_request_defaults() -> None:
    request = EvaluationRequest(code="1")
    assert (request.mode, request.args, request.globals, request.store) == ("script", [], {}, {})
    assert (request.timeout_ms, request.memory_mb, request.clock, request.fetch) == (
        None, None, "real", True)
    assert EvaluationRequest(code="1", args=[]).args == []


@pytest.mark.parametrize(("field", "value"), [
    ("timeout_ms", 30001), ("memory_mb", 513), ("code", "x" * 262145),
])
def test_settings_bounds_are_422_not_clamped(field: str, value: object) -> None:
    request = EvaluationRequest.model_validate({"code": "1", field: value})
    with pytest.raises(RequestRejected) as caught:
        check_request(request, Settings())
    assert caught.value.status_code == 422
    assert caught.value.errors[0]["loc"] == ["body", field]


def test_code_size_counts_utf8_bytes() -> None:
    settings = Settings(max_code_bytes=10)
    check_request(EvaluationRequest(code="é" * 5), settings)  # 10 bytes
    with pytest.raises(RequestRejected):
        check_request(EvaluationRequest(code="é" * 6), settings)


def test_result_repr_shows_no_values() -> None:
    result = EvaluationResult(ok=True, result={"secret": "s3cr3t"}, result_type="object")
    assert "s3cr3t" not in repr(result) and "s3cr3t" not in str(result)
