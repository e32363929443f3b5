"""ApiMetrics: a registry per app, outcomes by kind, fetches by their error field."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from api.metrics import ApiMetrics
from evaluator import EvaluationResult, ServiceStats


def stats() -> ServiceStats:
    return ServiceStats(queued=3, running=2, capacity=8, warm_sandboxes=5, workers_alive=2,
                        workers_total=2,
                        worker_crashes=(("crash", "SIGABRT", 2), ("memory", "SIGKILL", 1)),
                        evaluations_rerun=4)


def samples(metrics: ApiMetrics) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found = {}
    for family in text_string_to_metric_families(metrics.render().decode()):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def test_outcomes_fetches_and_gauges() -> None:
    metrics = ApiMetrics(stats)
    ok = EvaluationResult.model_validate({
        "ok": True, "result": 1, "stats": {"wall_ms": 3.0, "queue_ms": 0.5},
        "fetches": [
            {"method": "GET", "url": "https://a.example/", "status": 200, "duration_ms": 3},
            {"method": "GET", "url": "http://10.0.0.1/", "error": "fetch failed: refused"},
        ],
    })
    timeout = EvaluationResult.model_validate({
        "ok": False, "error": {"kind": "timeout", "name": "TimeoutError", "message": "budget"},
    })
    metrics.observe([ok, ok, timeout])
    metrics.observe_status(429)
    found = samples(metrics)
    assert found[("jseval_evaluations_total", (("kind", "ok"),))] == 2
    assert found[("jseval_evaluations_total", (("kind", "timeout"),))] == 1
    assert found[("jseval_fetches_total", (("outcome", "ok"),))] == 2
    assert found[("jseval_fetches_total", (("outcome", "error"),))] == 2
    assert found[("jseval_evaluation_duration_seconds_count", ())] == 3
    assert found[("jseval_http_responses_total", (("status", "429"),))] == 1
    assert found[("jseval_queue_depth", ())] == 3
    assert found[("jseval_sandboxes_warm", ())] == 5
    assert found[("jseval_workers_alive", ())] == 2
    crashes = "jseval_worker_crashes_total"
    assert found[(crashes, (("reason", "crash"), ("signal", "SIGABRT")))] == 2
    assert found[(crashes, (("reason", "memory"), ("signal", "SIGKILL")))] == 1
    assert found[("jseval_evaluations_rerun_total", ())] == 4


def test_each_app_has_its_own_registry() -> None:
    first, second = ApiMetrics(stats), ApiMetrics(stats)
    first.observe([EvaluationResult(ok=True)])
    assert samples(first)[("jseval_evaluations_total", (("kind", "ok"),))] == 1
    assert ("jseval_evaluations_total", (("kind", "ok"),)) not in samples(second)
