"""The sandbox and its driver on their own (`_sandbox.py`): one isolate, one evaluation, the
protocol with the runtime, and the capability seam, with no engine, pool or service around."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from evaluator._engine import start_message
from evaluator._sandbox import RunOutcome, Sandbox, parse_compile_error
from evaluator.errors import EvaluationTimeout, JSRuntimeError, JSSyntaxError, MemoryLimitExceeded
from evaluator.models import EvaluationRequest
from evaluator.settings import Settings

MIB = 1024 * 1024


def run(code: str, *, capabilities: tuple[Any, ...] = (), timeout_s: float = 2.0, **fields: Any) -> RunOutcome:
    memory = fields.pop("memory_mb", 32) * MIB
    message = start_message(EvaluationRequest(code=code, **fields), Settings(), memory)
    sandbox = Sandbox()
    try:
        return sandbox.run(message, time.monotonic() + timeout_s, memory, capabilities)
    finally:
        sandbox.close()


def test_a_run_reports_its_result_and_every_kind_of_record() -> None:
    outcome = run("console.log('hi'); storeValue('k', 1); showAlert('done'); [1, 2]")
    assert outcome.ok and outcome.failure is None
    assert (outcome.result, outcome.result_type) == ([1, 2], "array")
    assert [entry["text"] for entry in outcome.logs] == ["hi"]
    assert [op["op"] for op in outcome.store_ops] == ["set"]
    assert "SHOW_ALERT" in [action["type"] for action in outcome.actions]
    assert outcome.records == {}  # no capability, no capability records


def test_records_made_before_a_timeout_are_kept() -> None:
    outcome = run("console.log('before'); for (;;) {}", timeout_s=0.3)
    assert isinstance(outcome.failure, EvaluationTimeout)
    assert [entry["text"] for entry in outcome.logs] == ["before"]


def test_the_heap_limit_ends_the_run_as_a_memory_failure() -> None:
    outcome = run("const a = []; for (;;) a.push({ x: 'y'.repeat(100) + a.length })", memory_mb=16)
    assert isinstance(outcome.failure, MemoryLimitExceeded)


def test_an_uncaught_error_is_a_runtime_failure() -> None:
    outcome = run("throw new TypeError('nope')")
    assert isinstance(outcome.failure, JSRuntimeError)
    assert (outcome.failure.name, outcome.failure.message) == ("TypeError", "nope")


@pytest.mark.parametrize(
    ("text", "mode", "code", "line", "column"),
    [
        ("<code>:3: SyntaxError: Unexpected identifier 'b'\na b\n  ^", "script", "x\na b", 1, 3),
        ("<code>:4: SyntaxError: Unexpected token ')'\n)\n^", "expression", ")", 1, 1),
        ("<code>:9: SyntaxError: Unexpected end of input\n\n^", "script", "f(\n  1,", 2, 5),
        ("<code>:1: SyntaxError: x\n\n^", "function", "return", 1, 1),
    ],
)
def test_compile_errors_point_at_the_users_line(text, mode, code, line, column) -> None:
    failure = parse_compile_error(text, mode, code)
    assert isinstance(failure, JSSyntaxError)
    assert (failure.line, failure.column) == (line, column)


@pytest.mark.parametrize("mode", ["script", "function", "expression"])
@pytest.mark.parametrize(
    ("code", "message", "line", "column"),
    [
        ("import x from 'y'", "Cannot use import statement", 1, 1),
        ("1;\nexport const a = 1", "Cannot use export statement", 2, 1),
        ("import.meta.url", "Cannot use 'import.meta'", 1, 8),
    ],
)
def test_module_syntax_is_a_syntax_error_that_says_there_are_no_modules(
    mode: str, code: str, message: str, line: int, column: int
) -> None:
    if mode == "expression" and ";" in code:
        code = "export const a = 1"
        line = 1
    outcome = run(code, mode=mode)
    failure = outcome.failure
    assert isinstance(failure, JSSyntaxError)
    assert failure.message == f"{message}: modules are not available"
    assert (failure.line, failure.column) == (line, column)


def test_a_parser_that_gives_up_is_not_a_syntax_error() -> None:
    failure = parse_compile_error("<code>:1: RangeError: Maximum call stack size exceeded", "script", "x")
    assert isinstance(failure, JSRuntimeError) and failure.name == "RangeError"
    assert isinstance(parse_compile_error("garbage", "script", "x"), JSSyntaxError)


# -- the capability seam --------------------------------------------------------------------------
# A capability is registered by channel, JS half and result field; the driver names none. This
# one answers on the fetch channel itself (no network): it is the seam a query capability uses.


class AnsweringSession:
    def __init__(self, wake: threading.Event) -> None:
        self.wake = wake
        self.seen: list[dict[str, Any]] = []
        self.ready: list[dict[str, Any]] = []

    def handle(self, records: list[dict[str, Any]]) -> None:
        for record in records:
            self.seen.append(record)
            if record.get("kind") == "request":
                self.ready.append({"id": record["id"], "ok": False, "error": "answered by the test"})
        self.wake.set()

    def take_deliveries(self) -> list[dict[str, Any]]:
        ready, self.ready = self.ready, []
        return ready

    def busy(self) -> bool:
        return bool(self.ready)

    def close(self) -> list[dict[str, Any]]:
        return [{"kind": record["kind"], "url": record.get("url")} for record in self.seen]


class AnsweringCapability:
    channel = "fetch"
    shim = "fetch"

    def __init__(self, result_field: str) -> None:
        self.result_field = result_field
        self.sessions: list[AnsweringSession] = []

    def open_session(self, wake: threading.Event, deadline: float) -> AnsweringSession:
        session = AnsweringSession(wake)
        self.sessions.append(session)
        return session


def test_channel_records_reach_the_session_and_deliveries_the_js_half() -> None:
    capability = AnsweringCapability("queries")
    outcome = run(
        "return await fetch('http://a.example/x').catch(e => e.message)",
        mode="function",
        capabilities=(capability,),
    )
    assert outcome.ok, outcome.failure
    assert outcome.result == "fetch failed: answered by the test"
    [session] = capability.sessions
    assert [record["kind"] for record in session.seen] == ["request"]
    # The session's records go to the field the capability names, and nowhere else.
    assert outcome.records == {"queries": [{"kind": "request", "url": "http://a.example/x"}]}


def test_two_capabilities_may_share_a_result_field() -> None:
    first, second = AnsweringCapability("fetches"), AnsweringCapability("fetches")
    second.channel = "unused"  # registered, but its JS half never writes there
    outcome = run("fetch('http://a.example/'); 1", capabilities=(first, second))
    assert outcome.ok
    assert [r["kind"] for r in outcome.records["fetches"]] == ["request"]
    assert second.sessions[0].seen == []
