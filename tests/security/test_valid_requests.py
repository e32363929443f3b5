"""Valid requests that were answered `internal`: each is legal JSON and legal JavaScript, so the
answer must be the evaluation's own, over HTTP (worker processes) and in process alike.

- an integer past 64 bits in `globals` (orjson refused it when the start message was written);
- a lone surrogate in `code` or in the `store` (pydantic-core refused to write it for the
  worker, jiter to read it back; in a batch, every other result was thrown away too);
- a thrown Proxy whose traps throw (the runtime's own check of the thrown value threw);
- console arguments that are big where the printed text is small (`%c` CSS): SPEC counts the
  log byte cap over `text`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.security.conftest import RedTeamService, assert_well_formed

Attack = Callable[..., dict[str, Any]]

BIG = 123456789012345678901234567890

CASES: dict[str, tuple[dict[str, Any], Any]] = {
    "an integer past 64 bits in globals": (
        {"code": "[typeof big, big > 1e29]", "globals": {"big": BIG}}, ["number", True]
    ),
    "an integer past 64 bits in the store": (
        {"code": "appsmith.store.big > 1e29", "store": {"big": BIG}}, True
    ),
    "a lone surrogate in code": ({"code": "'\ud800'.length"}, 1),
    "a lone surrogate in globals": (
        {"code": "G.charCodeAt(0).toString(16)", "globals": {"G": "\udc01"}}, "dc01"
    ),
    "a lone surrogate in a function argument": (
        {"code": "return args[0].length", "mode": "function", "args": ["\ud83d"]}, 1
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_valid_request_data_reaches_the_sandbox(
    attack: Attack, attack_inprocess: Attack, name: str
) -> None:
    fields, expected = CASES[name]
    for run in (attack, attack_inprocess):
        result = run(**{"timeout_ms": 2000, **fields})
        assert result["ok"], (name, result["error"])
        assert result["result"] == expected, name


def test_a_lone_surrogate_in_the_store_is_echoed_as_a_replacement_character(
    attack: Attack, attack_inprocess: Attack
) -> None:
    """An answer is valid UTF-8 (SPEC section 2): the store echoes U+FFFD for the surrogate."""
    for run in (attack, attack_inprocess):
        result = run("appsmith.store.k.length", store={"k": "a\udc00"}, timeout_ms=2000)
        assert result["ok"] and result["result"] == 2
        assert result["store"] == {"k": "a\ufffd"}


def test_one_lone_surrogate_does_not_cost_a_batch_its_other_results(
    red_team: RedTeamService,
) -> None:
    body = {"evaluations": [{"code": "1 + 1"}, {"code": "'\ud800'.length"}, {"code": "'x'"}]}
    response = red_team.post(body, "/v1/evaluate/batch")
    assert response.status_code == 200
    results = [assert_well_formed(item) for item in response.json()["results"]]
    assert [r.result for r in results] == [2, 1, "x"]


HOSTILE = "new Proxy({}, { get() { throw 1 }, getPrototypeOf() { throw 2 }, ownKeys() { throw 3 }, " \
    "getOwnPropertyDescriptor() { throw 4 }, has() { throw 5 }, apply() { throw 6 } })"


@pytest.mark.parametrize(
    ("code", "fields"),
    [
        (f"throw {HOSTILE}", {}),
        (f"throw {HOSTILE.replace('{}', 'function () {}', 1)}", {}),
        (f"const h = {HOSTILE}; throw new Proxy({{}}, h)", {}),
        (f"throw {HOSTILE}", {"mode": "function"}),
        (f"await Promise.reject({HOSTILE})", {"mode": "function"}),
    ],
)
def test_a_thrown_hostile_proxy_is_a_runtime_error(
    attack: Attack, code: str, fields: dict[str, Any]
) -> None:
    result = attack(code, **fields)
    assert not result["ok"] and result["error"]["kind"] == "runtime", result["error"]


def test_a_hostile_proxy_as_an_expression_is_not_internal(attack: Attack) -> None:
    result = attack(HOSTILE, mode="expression")
    assert not result["ok"] and result["error"]["kind"] == "unserializable", result["error"]


def test_the_log_byte_cap_counts_the_text_not_the_arguments(attack: Attack) -> None:
    """Twelve `%c` lines with 100 kB of CSS each print 4 bytes each: nothing is cut (the CSS
    is 1.2 MB of `args`, past max_log_bytes but within the answer's cap)."""
    code = "for (let i = 0; i < 12; i++) console.log('%cline', 'color: red;' + ' '.repeat(1e5)); 1"
    result = attack(code, memory_mb=64, timeout_ms=2000)
    assert result["ok"] and result["logs_truncated"] is False
    assert [entry["text"] for entry in result["logs"]] == ["line"] * 12


def test_the_text_cap_still_holds(attack: Attack) -> None:
    code = "for (let i = 0; i < 12; i++) console.log('x'.repeat(1e5)); 1"
    result = attack(code, memory_mb=64, timeout_ms=2000)
    assert result["ok"] and result["logs_truncated"] is True
    assert sum(len(entry["text"]) for entry in result["logs"]) <= 1024 * 1024
    assert len(result["logs"]) == 10
