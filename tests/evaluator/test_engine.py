"""The engine on its own (`_engine.py`): request in, result out, in this process."""

from __future__ import annotations

from evaluator._engine import Engine, crypto_key, start_message
from evaluator.models import EvaluationRequest
from evaluator.settings import Settings


def test_the_start_message_carries_the_request_and_the_limits() -> None:
    settings = Settings(max_log_entries=7, fetch_max_requests=3)
    request = EvaluationRequest(code="1", mode="function", args=[1], random_seed=5)
    message = start_message(request, settings, 16 << 20)
    assert message["op"] == "start" and message["mode"] == "function" and message["args"] == [1]
    assert message["limits"]["max_log_entries"] == 7
    assert message["limits"]["memory_bytes"] == 16 << 20
    assert message["limits"]["fetch_max_requests"] == 3
    assert message["limits"]["max_output_bytes"] == settings.max_output_bytes
    assert message["random_seed"] == "5"  # a string: JavaScript numbers lose big seeds
    assert "channels" not in message  # the sandbox adds them, from its capabilities


def test_the_crypto_key_is_fresh_unless_seeded() -> None:
    assert crypto_key(None) != crypto_key(None)
    assert crypto_key(42) == crypto_key(42) != crypto_key(43)
    assert len(crypto_key(None)) == 64 and int(crypto_key(1), 16) >= 0


def test_an_engine_runs_evaluations_on_fresh_sandboxes() -> None:
    engine = Engine(Settings(), pool_size=1)
    engine.start()
    try:
        first = engine.run(EvaluationRequest(code="globalThis.x = 1; x"))
        second = engine.run(EvaluationRequest(code="typeof x"))
        assert (first.result, second.result) == (1, "undefined")
        assert first.stats.wall_ms > 0
        timed_out = engine.run(EvaluationRequest(code="for (;;) {}", timeout_ms=100))
        assert timed_out.error is not None and timed_out.error.kind == "timeout"
        assert engine.run(EvaluationRequest(code="2")).result == 2  # and it goes on
    finally:
        engine.close()


def test_an_engine_without_capabilities_records_no_fetches() -> None:
    engine = Engine(Settings(), capabilities=(), pool_size=0)
    try:
        result = engine.run(EvaluationRequest(code="typeof fetch"))
        assert result.ok and result.result == "function" and result.fetches == []
    finally:
        engine.close()


def test_a_cancelled_run_stops_its_sandbox_at_once() -> None:
    import threading
    import time

    from evaluator._cancellation import Cancellation

    engine = Engine(Settings(), pool_size=1)
    engine.start()
    try:
        cancellation = Cancellation()
        results = []
        runner = threading.Thread(
            target=lambda: results.append(
                engine.run(EvaluationRequest(code="while (true) {}", timeout_ms=30000), 0.0,
                           cancellation)
            )
        )
        runner.start()
        time.sleep(0.2)
        assert runner.is_alive()  # the loop runs
        cancellation.cancel()
        runner.join(timeout=10)  # not the 30 s budget: the sandbox was stopped
        assert not runner.is_alive()
        [result] = results
        assert result.error is not None and result.error.kind == "internal"
        # Cancelled before it starts, an evaluation never takes a sandbox.
        engine.pool.wait_warm(5)
        warm = engine.pool.warm
        late = engine.run(EvaluationRequest(code="1"), 0.0, cancellation)
        assert late.error is not None and late.error.message == "the evaluation was cancelled"
        assert engine.pool.warm == warm
    finally:
        engine.close()


def test_a_cancellation_reaches_what_is_attached_and_only_once() -> None:
    from evaluator._cancellation import Cancellation

    stops: list[str] = []

    class Target:
        def cancel(self) -> None:
            stops.append("stop")

    cancellation = Cancellation()
    assert cancellation.attach(Target())
    cancellation.cancel()
    cancellation.cancel()
    assert stops == ["stop"] and cancellation.cancelled
    assert not cancellation.attach(Target())  # too late: the caller refuses to start
    detached = Cancellation()
    assert detached.attach(Target())
    detached.detach()
    detached.cancel()
    assert stops == ["stop"]
