"""The warm pool on its own (`_sandbox_pool.py`): sandboxes ready ahead, never reused."""

from __future__ import annotations

import time

from evaluator._engine import start_message
from evaluator._sandbox_pool import SandboxPool
from evaluator.models import EvaluationRequest
from evaluator.settings import Settings


def evaluate(sandbox, code: str):
    message = start_message(EvaluationRequest(code=code), Settings(), 32 << 20)
    return sandbox.run(message, time.monotonic() + 2, 32 << 20)


def test_the_pool_fills_up_and_refills_after_each_acquire() -> None:
    pool = SandboxPool(2)
    pool.start()
    try:
        assert pool.wait_warm(10) and pool.warm == 2
        sandbox = pool.acquire()
        assert evaluate(sandbox, "6 * 7").result == 42
        pool.discard(sandbox)
        assert pool.wait_warm(10) and pool.warm == 2
    finally:
        pool.close()
    assert pool.warm == 0


def test_every_acquire_is_a_fresh_isolate() -> None:
    pool = SandboxPool(1)
    pool.start()
    try:
        first = pool.acquire()
        assert evaluate(first, "globalThis.leak = 1; 1").ok
        pool.discard(first)
        second = pool.acquire()
        assert second is not first
        assert evaluate(second, "typeof leak").result == "undefined"
        pool.discard(second)
    finally:
        pool.close()


def test_a_dry_or_unstarted_pool_builds_a_sandbox_on_the_spot() -> None:
    pool = SandboxPool(0)  # never warms: acquire builds one, discard closes it at once
    sandbox = pool.acquire()
    assert evaluate(sandbox, "1 + 1").result == 2
    pool.discard(sandbox)
    assert evaluate(sandbox, "1").failure is not None  # closed: it runs nothing any more
    pool.close()


def test_nothing_is_left_closing_when_idle() -> None:
    pool = SandboxPool(1)
    pool.start()
    try:
        pool.discard(pool.acquire())
        assert pool.wait_warm(10)
        deadline = time.monotonic() + 5
        while pool.stuck_closing_s() > 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert pool.stuck_closing_s() == 0
    finally:
        pool.close()
