"""The mini-racer behaviours the bridge and the driver rely on (private API: pinned and checked)."""

from __future__ import annotations

import importlib.metadata
import threading
import time

import pytest

from evaluator._bridge import MINI_RACER_VERSION, MODULES_UNAVAILABLE, Isolate, v8_version


@pytest.fixture
def isolate():
    instance = Isolate()
    yield instance
    instance.close()


def test_mini_racer_version_is_the_pinned_one() -> None:
    assert importlib.metadata.version("mini-racer") == MINI_RACER_VERSION
    assert v8_version().count(".") == 3


def test_no_timer_prelude(isolate: Isolate) -> None:
    reply = isolate.eval("typeof setTimeout + typeof __timer_manager").wait(5)
    assert reply is not None and reply.value == "undefinedundefined"


def test_call_passes_this_as_a_string(isolate: Isolate) -> None:
    fn = isolate.eval("(function () { 'use strict'; return typeof this + ':' + this })").wait(5)
    argv = isolate.eval("[]").wait(5)
    assert fn is not None and argv is not None
    reply = isolate.call(fn.handle, "hello", argv.handle).wait(5)
    assert reply is not None and reply.value == "string:hello"


def test_microtasks_drain_between_tasks(isolate: Isolate) -> None:
    # The driver's `poll` relies on this: a task posted after another sees its microtasks done.
    first = isolate.eval("globalThis.log = []; Promise.resolve().then(() => log.push('micro')); 0")
    second = isolate.eval("log.join(',')")
    assert first.wait(5) is not None
    reply = second.wait(5)
    assert reply is not None and reply.value == "micro"


def test_cancel_terminates_a_running_task(isolate: Isolate) -> None:
    task = isolate.eval("for (;;) {}")
    assert task.wait(0.1) is None
    task.cancel()
    reply = task.wait(5)
    assert reply is not None and reply.kind == "terminated"
    after = isolate.eval("1 + 1").wait(5)
    assert after is not None and after.value == 2


def test_close_stops_a_microtask_loop() -> None:
    isolate = Isolate()
    isolate.eval("(function f() { Promise.resolve().then(f) })(); 0").wait(5)
    stuck = isolate.eval("1")
    assert stuck.wait(0.1) is None  # the pump never gets to it
    started = time.monotonic()
    isolate.close()
    assert time.monotonic() - started < 2
    reply = stuck.wait(1)
    assert reply is not None and reply.kind == "terminated"


def test_heap_limit_reports_memory(isolate: Isolate) -> None:
    isolate.set_memory_limit(32 * 1024 * 1024)
    fn = isolate.eval("(function () { const a = []; for (;;) a.push({x: Math.random()}) })").wait(5)
    argv = isolate.eval("[]").wait(5)
    assert fn is not None and argv is not None
    reply = isolate.call(fn.handle, "", argv.handle).wait(20)
    assert reply is not None and not reply.ok
    assert isolate.memory_limit_reached()


def test_uncaught_syntax_error_text_has_line_and_caret(isolate: Isolate) -> None:
    reply = isolate.eval("new Function('\\n\\n foo bar\\n//# sourceURL=<code>')").wait(5)
    assert reply is not None and reply.kind == "exec_error"
    lines = reply.text.split("\n")
    assert lines[0] == "<code>:5: SyntaxError: Unexpected identifier 'bar'"
    assert lines[2].index("^") == lines[1].index("bar")


def test_signal_runs_on_the_isolate_thread_and_can_cancel(isolate: Isolate) -> None:
    fired: list[str] = []
    holder = isolate.eval("[]").wait(5)
    assert holder is not None
    task_box: list = []
    posted = threading.Lock()

    def on_signal() -> None:
        fired.append("yes")
        with posted:  # as Sandbox._post does: the task is registered before we cancel it
            task_box[0].cancel()

    isolate.push(holder.handle, isolate.make_signal(on_signal))
    runner = isolate.eval("(function (signal) { signal(); for (;;) {} })").wait(5)
    assert runner is not None
    with posted:
        task = isolate.call(runner.handle, "", holder.handle)
        task_box.append(task)
    reply = task.wait(5)
    assert fired == ["yes"]
    assert reply is not None and reply.kind == "terminated"


# -- import(): V8's default answer replaced through its own API ----------------------------------


def _settled(isolate: Isolate, code: str) -> object:
    """Run `code` (which sets globalThis.out from a promise's reactions) and read `out`."""
    started = isolate.eval(code).wait(5)
    assert started is not None and started.ok, started
    reply = isolate.eval("globalThis.out").wait(5)
    assert reply is not None
    return reply.value


@pytest.mark.parametrize(
    "call",
    [
        "import('node:fs')",
        "import('x', { with: { type: 'json' } })",
        "eval(\"import('x')\")",
        "new Function(\"return import('x')\")()",
        "(async () => await import('x'))()",
    ],
)
def test_import_rejects_with_a_type_error_from_every_path(isolate: Isolate, call: str) -> None:
    isolate.eval("0").wait(5)  # the first task installs the hook (in the sandbox: the runtime)
    code = (
        f"{call}.then(() => {{ globalThis.out = 'loaded' }}, (e) => {{ globalThis.out = "
        "[e instanceof TypeError, e.name, e.message, typeof e.stack].join('|') }); 0"
    )
    assert _settled(isolate, code) == f"true|TypeError|{MODULES_UNAVAILABLE}|string"


def test_each_import_gets_its_own_promise_and_error(isolate: Isolate) -> None:
    isolate.eval("0").wait(5)
    code = (
        "const a = import('x'), b = import('x'); Promise.allSettled([a, b]).then((r) => {"
        " globalThis.out = [a !== b, r[0].reason !== r[1].reason].join() }); 0"
    )
    assert _settled(isolate, code) == "true,true"


def test_an_import_loop_is_still_terminated(isolate: Isolate) -> None:
    isolate.eval("0").wait(5)
    task = isolate.eval("for (;;) import('x').catch(() => {})")
    assert task.wait(0.2) is None
    task.cancel()
    reply = task.wait(5)
    assert reply is not None and reply.kind == "terminated"
    after = isolate.eval("1 + 1").wait(5)
    assert after is not None and after.value == 2
