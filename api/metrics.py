"""Prometheus metrics of one app: evaluations, latency, backpressure, HTTP answers.

Each app gets its own `CollectorRegistry`, so two apps in one process (tests, embedding) never
share counters or collide on registration. Gauges of the service (queue depth, warm sandboxes,
workers) and its count of cancelled evaluations are read from `service.stats()` at scrape time
rather than kept up to date on every request, so the request path pays nothing for them.

Label values are bounded sets (error kinds, "ok"/"error", HTTP status codes, the reasons and
fatal signals of worker deaths): nothing from a request or a result ever becomes a label.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from evaluator import EvaluationResult, ServiceStats

__all__ = ["CONTENT_TYPE", "ApiMetrics"]

CONTENT_TYPE = CONTENT_TYPE_LATEST  # the format generate_latest() writes

# Evaluation wall time, seconds: from a trivial evaluation (~1 ms) to the largest budget (30 s).
_LATENCY_BUCKETS = (
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
)


class _ServiceCollector(Collector):
    """Gauges read from the service when Prometheus scrapes, never on the request path."""

    def __init__(self, stats: Callable[[], ServiceStats]) -> None:
        self._stats = stats

    def collect(self) -> Iterable[Metric]:
        stats = self._stats()
        for name, doc, value in (
            ("jseval_queue_depth", "Evaluations waiting for a sandbox.", stats.queued),
            ("jseval_evaluations_running", "Evaluations running now.", stats.running),
            ("jseval_capacity", "Evaluations that can run at once.", stats.capacity),
            ("jseval_sandboxes_warm", "Sandboxes prepared and waiting.", stats.warm_sandboxes),
            ("jseval_workers_alive", "Worker processes alive.", stats.workers_alive),
            ("jseval_workers_total", "Worker processes configured.", stats.workers_total),
        ):
            yield GaugeMetricFamily(name, doc, value=value)
        yield CounterMetricFamily(
            "jseval_evaluations_cancelled",
            "Evaluations cancelled because their HTTP client disconnected (queued or running).",
            value=stats.cancelled,
        )
        crashes = CounterMetricFamily(
            "jseval_worker_crashes",
            "Worker processes that died or were killed, by reason (crash, start, memory, "
            "timeout) and signal (the fatal signal's name, other, or none for an exit status).",
            labels=["reason", "signal"],
        )
        for reason, signal, count in stats.worker_crashes:
            crashes.add_metric([reason, signal], count)
        yield crashes
        yield CounterMetricFamily(
            "jseval_evaluations_rerun",
            "Evaluations run again because the worker process running them died.",
            value=stats.evaluations_rerun,
        )


class ApiMetrics:
    """The counters and histograms the API updates, and the text `/metrics` serves."""

    def __init__(self, stats: Callable[[], ServiceStats]) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.evaluations = Counter(
            "jseval_evaluations",
            "Evaluations carried out, by outcome: ok or the error kind.",
            ["kind"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "jseval_evaluation_duration_seconds",
            "Wall time of an evaluation in its sandbox (queue time excluded).",
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.queue_wait = Histogram(
            "jseval_evaluation_queue_seconds",
            "Time an evaluation waited for a free sandbox slot.",
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.fetches = Counter(
            "jseval_fetches",
            "fetch() calls made by evaluations, by outcome (ok: a response; error: rejected).",
            ["outcome"],
            registry=self.registry,
        )
        self.responses = Counter(
            "jseval_http_responses",
            "HTTP answers of the evaluation endpoints, by status code.",
            ["status"],
            registry=self.registry,
        )
        self.registry.register(_ServiceCollector(stats))
        # Pre-create the children with fixed label values, so a scrape shows zeros instead of
        # missing series, and the hot path finds them in a dict.
        self._fetch_ok = self.fetches.labels("ok")
        self._fetch_error = self.fetches.labels("error")

    def observe(self, results: Sequence[EvaluationResult]) -> None:
        """Count the outcomes, durations and fetches of evaluations that were carried out."""
        for result in results:
            kind = "ok" if result.ok or result.error is None else result.error.kind
            self.evaluations.labels(kind).inc()
            self.latency.observe(result.stats.wall_ms / 1000.0)
            self.queue_wait.observe(result.stats.queue_ms / 1000.0)
            for record in result.fetches:
                (self._fetch_ok if record.error is None else self._fetch_error).inc()

    def observe_status(self, status: int) -> None:
        """Count one HTTP answer of an evaluation endpoint (200, 413, 401, 422, 429, 503...)."""
        self.responses.labels(str(status)).inc()

    def render(self) -> bytes:
        """The Prometheus text exposition of this app's registry."""
        return generate_latest(self.registry)
