"""Prometheus metrics: request latency from Litestar's middleware plus the engine's own.

Paths are grouped by route template, so a sitting id never becomes a label value. With several
server processes, set PROMETHEUS_MULTIPROC_DIR so the scrape sums them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from litestar.plugins.prometheus import PrometheusConfig, PrometheusController
from prometheus_client import REGISTRY, Counter
from prometheus_client.core import CounterMetricFamily
from prometheus_client.registry import Collector

from engine.auth.policy import PUBLIC

PREFIX = "ujian"

prometheus_config = PrometheusConfig(
    app_name="ujian",
    prefix=PREFIX,
    group_path=True,
    exclude=["^/metrics", "^/health"],
)

answer_events = Counter(f"{PREFIX}_answer_events_total", "Answer events received in batches")
answer_batches = Counter(f"{PREFIX}_answer_batches_total", "Answer batches by outcome", ["outcome"])
persisted_rows = Counter(
    f"{PREFIX}_persisted_answer_rows_total", "Answer stream entries copied to PostgreSQL"
)
graded_sittings = Counter(f"{PREFIX}_graded_sittings_total", "Sittings graded", ["submitted_by"])
auto_submitted = Counter(f"{PREFIX}_auto_submitted_total", "Sittings submitted by the sweeper")


class PaperCacheCollector(Collector):
    """Reads the paper cache's per-tier counters at scrape time."""

    def __init__(self) -> None:
        self.caches: list[Any] = []

    def collect(self) -> Iterator[CounterMetricFamily]:
        family = CounterMetricFamily(
            f"{PREFIX}_paper_cache_lookups", "Student paper lookups by tier", labels=["result"]
        )
        totals: dict[str, int] = {}
        for cache in self.caches:
            for result, count in cache.stats.items():
                totals[result] = totals.get(result, 0) + count
        for result, count in sorted(totals.items()):
            family.add_metric([result], count)
        yield family


paper_cache_collector = PaperCacheCollector()
REGISTRY.register(paper_cache_collector)


class MetricsController(PrometheusController):
    path = "/metrics"
    tags = ["operations"]
    opt = PUBLIC  # who may call: engine/auth/policy.py
