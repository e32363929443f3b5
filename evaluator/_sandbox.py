"""One sandbox: a fresh isolate with the runtime loaded, used for exactly one evaluation.

`Sandbox()` does the expensive part (isolate, runtime bundle, signals) so a pool can do it ahead
of time; `Sandbox.run()` drives one evaluation to its end and returns what it learned. The
owner closes the isolate afterwards, whatever happened.

The driver is the evaluation's event loop. It posts tasks to the isolate (start, poll, tick,
deliver, flush: see `shims/core/70_run.js`), waits for their replies with a deadline, and
decides what comes next: fire due timers, sleep until the next one, hand the records of each
capability's channel to its session, deliver their results. It knows capabilities only through
`evaluator.capabilities` (a channel, the runtime module its results go to, a result field):
never one by name. Microtasks drain between tasks, so a `poll` reply
always describes a quiet isolate. Every wait is bounded by the deadline; past it the running
JavaScript is terminated, so nothing a sandbox does can hold the driver (a microtask loop, which
no task owns, is stopped by closing the isolate).
"""

from __future__ import annotations

import functools
import re
import struct
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from evaluator._bridge import MODULES_UNAVAILABLE, Isolate, Reply, Task
from evaluator._json import dumps_json
from evaluator.capabilities import (
    CapabilitySession,
    EncodedText,
    HostCapability,
    HostTexts,
    encode_text,
    runtime_tables,
)
from evaluator.errors import (
    FAILURE_BY_KIND,
    EvaluationFailed,
    EvaluationTimeout,
    JSRuntimeError,
    JSSyntaxError,
    MemoryLimitExceeded,
    OutputLimitExceeded,
    SandboxFailure,
)
from shims import HOSTED_PREFIX, bundle, hosted_source

__all__ = [
    "RunOutcome",
    "Sandbox",
    "SandboxConfig",
    "parse_compile_error",
]

_PREPARE_TIMEOUT_S = 10.0
# After a termination, how long the terminated task gets to answer before the driver stops
# waiting for it (inside one long builtin, V8 notices the termination only when it returns).
_FLUSH_GRACE_S = 0.05
# How long the last `flush` may take to hand back the records made so far. It normally answers
# in well under a millisecond; the margin is for a loaded machine, where the isolate's thread may
# wait for a core (at 50 ms, records made before a timeout were lost under load). It is paid in
# full only when the isolate is stuck in a builtin, and the worker's hard deadline bounds that.
_FLUSH_WAIT_S = 0.25
# While nothing is pending and the result has not settled, how often to look again (V8 may
# still run a FinalizationRegistry callback that settles it).
_IDLE_POLL_S = 0.025
# At most this many timer firings are posted in one batch before the next poll.
_TICK_BATCH = 32
# Slices of a long wait, so that a signal (memory, limit) is noticed promptly.
_WAIT_SLICE_S = 0.02

_POLL = '{"op":"poll"}'
_TICK = '{"op":"tick"}'
_FLUSH = '{"op":"flush"}'
_SIGNALS = ("memory", "limit")
_CANCELLED = "cancelled"  # abort_kind of a run stopped by `Sandbox.cancel()`
# The runtime's synchronous reads (shims/core/05_host.js `readText`): a signal, and a buffer of
# a 16-byte header (four native uint32 words) and the payload.
_READ_SIGNAL = "read"
_READ_HEADER = struct.Struct("=IIII")
_READ_FOUND, _READ_UNKNOWN, _READ_FAILED = 0, 1, 2
_READ_LATIN1, _READ_UTF16 = 1, 2
# Lines the compile wrapper puts before the user's code: script and function code compile as a
# Function body ("(function anonymous(\n) {\n"), expressions as "return (\n" inside one.
_SYNTAX_LINE_OFFSET = {"script": 2, "function": 2, "expression": 3}
# Module syntax in the code: V8 says it is "outside a module"; the sandbox has no modules at all
# (SPEC section 3), so the message says that.
_MODULE_SYNTAX = {
    "Cannot use import statement outside a module": "Cannot use import statement",
    "Unexpected token 'export'": "Cannot use export statement",
    "Cannot use 'import.meta' outside a module": "Cannot use 'import.meta'",
}
_MESSAGE_HEAD = re.compile(r"^(?P<resource>.*?):(?P<line>\d+): (?P<name>\w*): (?P<message>.*)$")


@dataclass(frozen=True, slots=True)
class SandboxConfig:
    """Per-process runtime settings, fixed when a sandbox is prepared.

    `libraries`: the built-in libraries whose globals the runtime publishes (their sources are
    read on first use, through `HostTexts`); see evaluator/capabilities/libraries/.
    """

    allow_wasm: bool = False
    libraries: tuple[Mapping[str, Any], ...] = ()


@dataclass
class RunOutcome:
    """What `Sandbox.run` learned: the records, and either a result or a failure."""

    ok: bool = False
    result: Any = None
    result_type: str | None = None
    failure: EvaluationFailed | None = None
    logs: list[dict[str, Any]] = field(default_factory=list)
    logs_truncated: bool = False
    actions: list[dict[str, Any]] = field(default_factory=list)
    store_ops: list[dict[str, Any]] = field(default_factory=list)
    timers: list[dict[str, Any]] = field(default_factory=list)
    # The capabilities' records, by the result field each capability names.
    records: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


@functools.cache
def _hosted_shim(name: str) -> EncodedText | None:
    """A host shim's source (`// Load: host`, shims/__init__.py), encoded once per process."""
    source = hosted_source(name)
    return None if source is None else encode_text(source)


def parse_compile_error(text: str, mode: str, code: str) -> EvaluationFailed:
    """Turn V8's message for an uncaught compile error into a failure with a user position.

    The message reads `<code>:5: SyntaxError: Unexpected identifier 'bar'`, then the source line,
    then a caret line under the offending token; its line number counts the wrapper's lines.
    """
    lines = text.split("\n")
    head = _MESSAGE_HEAD.match(lines[0]) if lines else None
    if head is None:
        return JSSyntaxError("the code does not parse")
    name = head.group("name") or "SyntaxError"
    message = head.group("message")
    if message in _MODULE_SYNTAX:
        message = f"{_MODULE_SYNTAX[message]}: {MODULES_UNAVAILABLE}"
    if name != "SyntaxError":
        # e.g. a RangeError for code nested too deeply to parse: the parser gave up.
        return JSRuntimeError(message, name=name, stack=f"{name}: {message}")
    user_lines = code.split("\n")
    line = int(head.group("line")) - _SYNTAX_LINE_OFFSET.get(mode, 0)
    column: int | None = lines[2].index("^") + 1 if len(lines) >= 3 and "^" in lines[2] else None
    if line < 1:
        line, column = 1, 1
    elif line > len(user_lines):  # "Unexpected end of input": just past the last line
        line = len(user_lines)
        column = len(user_lines[-1]) + 1
    return JSSyntaxError(message, line=line, column=column, stack=f"SyntaxError: {message}")


class Sandbox:
    """A prepared isolate: runtime loaded, signals wired, waiting for one evaluation."""

    def __init__(self, config: SandboxConfig | None = None) -> None:
        self._config = config or SandboxConfig()
        self._isolate = Isolate()
        self.abort_kind: str | None = None
        self._running: list[Task] = []
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._read_buffer: memoryview | None = None
        self._texts: HostTexts | None = None
        try:
            self._prepare()
        except BaseException:
            self._isolate.close()
            raise

    def _prepare(self) -> None:
        isolate = self._isolate
        control = isolate.eval(bundle()).wait(_PREPARE_TIMEOUT_S)
        empty = isolate.eval("[]").wait(_PREPARE_TIMEOUT_S)
        signals = isolate.eval("[]").wait(_PREPARE_TIMEOUT_S)
        for reply in (control, empty, signals):
            if reply is None or reply.handle is None:
                raise SandboxFailure("the sandbox runtime did not load")
        assert control is not None and empty is not None and signals is not None
        self._control = control.handle
        self._argv = empty.handle
        handlers = self._signal_handlers()
        for handler in handlers.values():
            isolate.push(signals.handle, isolate.make_signal(handler))
        message = orjson.dumps(
            {
                "op": "prepare",
                "signals": list(handlers),
                "allow_wasm": self._config.allow_wasm,
                "tables": runtime_tables(),
                "libraries": list(self._config.libraries),
            }
        ).decode()
        prepared = isolate.call(self._control, message, signals.handle).wait(_PREPARE_TIMEOUT_S)
        if prepared is None or not prepared.ok:
            raise SandboxFailure("the sandbox runtime did not load")
        self._read_buffer = prepared.buffer()
        if self._read_buffer is None or len(self._read_buffer) <= _READ_HEADER.size:
            raise SandboxFailure("the sandbox runtime did not load")
        self._encoded: tuple[str, EncodedText] | None = None

    def _signal_handlers(self) -> dict[str, Callable[[], None]]:
        """The runtime's signals by name: the aborts, and the synchronous read."""
        handlers = {kind: self._signal_handler(kind) for kind in _SIGNALS}
        handlers[_READ_SIGNAL] = self._on_read
        return handlers

    def _signal_handler(self, kind: str) -> Callable[[], None]:
        def on_signal() -> None:
            # On the isolate's thread, inside the JS call: record, terminate, wake the driver.
            if self.abort_kind is None:
                self.abort_kind = kind
            with self._lock:
                running = list(self._running)
            for task in running:
                task.cancel()
            self._wake.set()

        return on_signal

    def _on_read(self) -> None:
        """Answer the runtime's synchronous read (05_host.js `readText`): the chunk of the text
        under the requested key that starts at the requested offset.

        Runs on the isolate's thread inside the JavaScript call, which waits for it: it only
        copies bytes into the shared buffer. It never raises (ctypes would print a traceback
        and JavaScript would read a stale reply): any failure is the `failed` status.
        """
        buffer = self._read_buffer
        if buffer is None:
            return
        status, total, length, encoding = _READ_FAILED, 0, 0, 0
        try:
            op, key_length, offset, _ = _READ_HEADER.unpack_from(buffer, 0)
            payload = len(buffer) - _READ_HEADER.size
            if op == 1 and key_length <= payload:
                start = _READ_HEADER.size
                key = bytes(buffer[start : start + key_length]).decode("ascii")
                encoded = self._encoded_text(key)
                if encoded is None:
                    status = _READ_UNKNOWN
                elif offset <= len(encoded.data):
                    total = len(encoded.data)
                    # The payload's size is even, so a UTF-16 chunk holds whole code units.
                    length = min(payload, total - offset)
                    buffer[start : start + length] = encoded.data[offset : offset + length]
                    encoding = _READ_UTF16 if encoded.wide else _READ_LATIN1
                    status = _READ_FOUND
        except Exception:  # boundary: the reply says "failed", JavaScript throws
            status, total, length, encoding = _READ_FAILED, 0, 0, 0
        _READ_HEADER.pack_into(buffer, 0, status, total, length, encoding)

    def _encoded_text(self, key: str) -> EncodedText | None:
        # A text is read in several chunks: keep the last one encoded between them.
        cached = self._encoded
        if cached is not None and cached[0] == key:
            return cached[1]
        if key.startswith(HOSTED_PREFIX):  # the runtime's own host shims (the IDNA tables)
            return _hosted_shim(key.removeprefix(HOSTED_PREFIX))
        texts = self._texts
        encoded = texts.encoded_text(key) if texts is not None else None
        if encoded is not None:
            self._encoded = (key, encoded)
        return encoded

    def close(self) -> None:
        """Free the isolate (stops any JavaScript still running)."""
        self._isolate.close()

    def cancel(self) -> None:
        """Stop the evaluation now, from any thread: nobody waits for its result any more.

        The running JavaScript is terminated, the driver wakes, skips the records (`flush`) and
        returns at once with a `SandboxFailure` nobody will read; the owner then discards the
        sandbox as after any run.
        """
        if self.abort_kind is None:
            self.abort_kind = _CANCELLED
        with self._lock:
            running = list(self._running)
        for task in running:
            task.cancel()
        self._wake.set()

    def _post(self, message: str) -> Task:
        # Posting and registering under one lock: a signal that fires as soon as the task starts
        # (on the isolate's thread) waits for the registration, so it can always cancel the task.
        with self._lock:
            task = self._isolate.call(self._control, message, self._argv)
            self._running = [t for t in self._running if not t.done]
            self._running.append(task)
        return task

    # -- the driver ----------------------------------------------------------------------

    def run(
        self,
        start_message: dict[str, Any],
        deadline: float,
        memory_bytes: int,
        capabilities: Sequence[HostCapability] = (),
        texts: HostTexts | None = None,
    ) -> RunOutcome:
        """Drive one evaluation until it ends or `deadline` (a time.monotonic()) passes.

        `texts` answers the runtime's synchronous reads (library sources) during this run.
        """
        outcome = RunOutcome()
        self._texts = texts
        opened = [(cap, cap.open_session(self._wake, deadline)) for cap in capabilities]
        sessions = {cap.channel: session for cap, session in opened}
        # The runtime learns which module takes each channel's deliveries (and counts its work).
        channels = {cap.channel: cap.shim for cap in capabilities}
        start_message = {**start_message, "channels": channels}
        self._isolate.set_memory_limit(memory_bytes)
        try:
            self._drive(start_message, deadline, outcome, sessions)
        finally:
            for cap, session in opened:
                outcome.records.setdefault(cap.result_field, []).extend(session.close())
        return outcome

    def _drive(
        self,
        start_message: dict[str, Any],
        deadline: float,
        outcome: RunOutcome,
        sessions: dict[str, CapabilitySession],
    ) -> None:
        start = self._post(dumps_json(start_message))
        batch = [start, self._post(_POLL)]
        while True:
            replies = self._wait_batch(batch, deadline)
            if replies is None:
                self._terminate(outcome)
                return
            compile_error: Reply | None = None
            last: dict[str, Any] | None = None
            for task, reply in zip(batch, replies, strict=True):
                if reply.ok:
                    last = self._absorb(reply, outcome, sessions)
                    if last is None:
                        outcome.failure = SandboxFailure("the sandbox sent an invalid reply")
                        return
                    continue
                aborted = self._abort_failure()
                if aborted is None and task is start and reply.kind == "exec_error":
                    compile_error = reply
                else:
                    self._terminate(outcome, aborted or self._failure_of(reply))
                    return
            if last is None:
                outcome.failure = SandboxFailure("the sandbox sent no reply")
                return
            if self._isolate.memory_limit_reached():
                # The heap limit was hit outside our tasks (in a microtask checkpoint or a
                # FinalizationRegistry callback): V8 terminated that JavaScript and our next task
                # ran normally, so no reply failed. The budget was still exceeded.
                self._terminate(outcome, self._abort_failure())
                return
            if compile_error is not None:
                if last["phase"] == "syntax":
                    outcome.failure = parse_compile_error(
                        compile_error.text, start_message["mode"], start_message["code"]
                    )
                else:
                    outcome.failure = SandboxFailure("the sandbox failed to start")
                return
            if last["phase"] == "done":
                self._finish(last, outcome)
                return
            if last["phase"] not in ("running", "settled"):
                outcome.failure = SandboxFailure("the sandbox reported an unknown state")
                return
            next_batch = self._next_batch(last, deadline, sessions)
            if next_batch is None:
                self._terminate(outcome)
                return
            batch = next_batch

    def _next_batch(
        self, state: dict[str, Any], deadline: float, sessions: dict[str, CapabilitySession]
    ) -> list[Task] | None:
        """Post what should happen next; None when the deadline passes (or a signal comes)."""
        started = time.monotonic()
        wait_ms = state.get("wait_ms")
        while True:
            deliveries: dict[str, list[dict[str, Any]]] = {}
            for channel, session in sessions.items():
                items = session.take_deliveries()
                if items:
                    deliveries[channel] = items
            if deliveries:
                message = orjson.dumps({"op": "deliver", "channels": deliveries}).decode()
                return [self._post(message), self._post(_POLL)]
            due = int(state.get("due") or 0)
            if due > 0:
                return [self._post(_TICK) for _ in range(min(due, _TICK_BATCH))] + [
                    self._post(_POLL)
                ]
            now = time.monotonic()
            if now >= deadline or self.abort_kind is not None:
                return None
            busy = any(s.busy() for s in sessions.values())
            if wait_ms is not None:
                until = started + float(wait_ms) / 1000.0
                if now >= until:
                    return [self._post(_TICK), self._post(_POLL)]
                timeout = min(until, deadline) - now
            elif busy:
                timeout = deadline - now
            else:
                if now - started >= _IDLE_POLL_S:
                    return [self._post(_POLL)]
                timeout = min(started + _IDLE_POLL_S, deadline) - now
            self._wake.wait(max(0.0, timeout))
            self._wake.clear()

    def _wait_batch(self, batch: list[Task], deadline: float) -> list[Reply] | None:
        """Wait for each task of a batch (they finish in order); None on deadline or signal."""
        replies: list[Reply] = []
        for task in batch:
            reply: Reply | None = None
            while reply is None:
                if self.abort_kind is not None or self._isolate.memory_limit_reached():
                    # A signal, or V8's heap limit, terminated the running task; it should
                    # answer at once. It may not: inside one long builtin (a huge string
                    # flattened near the heap limit) V8 only notices the termination when the
                    # builtin returns, GC-thrashing meanwhile. The answer does not wait for it;
                    # the isolate is closed (off the request's path) when it lets go.
                    reply = task.wait(_FLUSH_GRACE_S)
                    if reply is None:
                        return None
                    break
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                reply = task.wait(min(remaining, _WAIT_SLICE_S))
            replies.append(reply)
        return replies

    def _abort_failure(self, message: str | None = None) -> EvaluationFailed | None:
        if self.abort_kind == _CANCELLED:
            return SandboxFailure("the evaluation was cancelled")
        if self._isolate.memory_limit_reached():
            return MemoryLimitExceeded(
                "the evaluation exceeded its memory budget (JavaScript heap)", name="RangeError"
            )
        if self.abort_kind == "memory":
            return MemoryLimitExceeded(
                message or "the evaluation exceeded its memory budget", name="RangeError"
            )
        if self.abort_kind == "limit":
            return OutputLimitExceeded(
                message or "the evaluation exceeded a limit", name="RangeError"
            )
        return None

    def _failure_of(self, reply: Reply) -> EvaluationFailed:
        if reply.kind == "oom":
            return MemoryLimitExceeded(
                "the evaluation exceeded its memory budget (JavaScript heap)", name="RangeError"
            )
        return self._abort_failure() or SandboxFailure("the sandbox failed")

    def _absorb(
        self, reply: Reply, outcome: RunOutcome, sessions: dict[str, CapabilitySession]
    ) -> dict[str, Any] | None:
        """Take a reply's records into `outcome`; return the reply, or None if malformed."""
        try:
            state = orjson.loads(reply.value)
        except (orjson.JSONDecodeError, TypeError):
            return None
        if not isinstance(state, dict) or not isinstance(state.get("phase"), str):
            return None
        outcome.logs.extend(state.get("logs") or ())
        outcome.logs_truncated = outcome.logs_truncated or bool(state.get("logs_truncated"))
        outcome.actions.extend(state.get("actions") or ())
        outcome.store_ops.extend(state.get("store_ops") or ())
        if state.get("timers") is not None:
            outcome.timers = list(state["timers"])
        channels = state.get("channels")
        if isinstance(channels, dict):
            for channel, records in channels.items():
                session = sessions.get(channel)
                if session is not None and isinstance(records, list) and records:
                    session.handle(records)
        return state

    def _finish(self, state: dict[str, Any], outcome: RunOutcome) -> None:
        final = state.get("outcome")
        if not isinstance(final, dict):
            outcome.failure = SandboxFailure("the sandbox sent no outcome")
            return
        if final.get("ok") is True:
            outcome.ok = True
            outcome.result = final.get("result")
            outcome.result_type = final.get("result_type")
            return
        error = final.get("error")
        if not isinstance(error, dict):
            outcome.failure = SandboxFailure("the sandbox sent no error")
            return
        cls = FAILURE_BY_KIND.get(str(error.get("kind")), SandboxFailure)
        line, column = error.get("line"), error.get("column")
        outcome.failure = cls(
            str(error.get("message", "")),
            name=str(error.get("name") or cls.default_name),
            line=line if isinstance(line, int) else None,
            column=column if isinstance(column, int) else None,
            stack=error.get("stack") if isinstance(error.get("stack"), str) else None,
        )

    def _terminate(self, outcome: RunOutcome, failure: EvaluationFailed | None = None) -> None:
        """End the evaluation early: stop the JavaScript, then gather the records left."""
        with self._lock:
            running = list(self._running)
        for task in running:
            task.cancel()
        if failure is None:
            failure = self._abort_failure() or EvaluationTimeout(
                "the evaluation ran past its time budget"
            )
        outcome.failure = failure
        if isinstance(failure, SandboxFailure):
            return
        if isinstance(failure, MemoryLimitExceeded):
            self._isolate.set_memory_limit(1 << 40)  # room to write the records out
        reply = self._post(_FLUSH).wait(_FLUSH_WAIT_S)
        if reply is None or not reply.ok:
            return
        state = self._absorb(reply, outcome, {})
        abort = state.get("abort") if state else None
        limited = isinstance(failure, (MemoryLimitExceeded, OutputLimitExceeded))
        if isinstance(abort, dict) and limited:
            refined = self._abort_failure(str(abort.get("message") or ""))
            if refined is not None and type(refined) is type(failure):
                outcome.failure = refined
