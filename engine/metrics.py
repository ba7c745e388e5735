"""The engine's Prometheus metrics: what the answer path, the persister, the graders and the
sweeper count, and the backlog the workers sample (engine/workers/backlog.py).

Only prometheus_client here, so the workers and the overflow Lambda count without importing the
web framework; ``engine/metrics_endpoint.py`` serves them at ``/metrics`` with Litestar's request
metrics. With several server processes, set PROMETHEUS_MULTIPROC_DIR so the scrape sums them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from prometheus_client import REGISTRY, Counter, Gauge
from prometheus_client.core import CounterMetricFamily
from prometheus_client.registry import Collector

PREFIX = "ujian"

answer_events = Counter(
    f"{PREFIX}_answer_events_total", "Answer events acknowledged (in batches the script stored)"
)
answer_batches = Counter(
    f"{PREFIX}_answer_batches_total", "Answer batches by the answer script's outcome", ["outcome"]
)
persisted_rows = Counter(
    f"{PREFIX}_persisted_answer_rows_total", "Answer stream entries copied to PostgreSQL"
)
graded_sittings = Counter(f"{PREFIX}_graded_sittings_total", "Sittings graded", ["submitted_by"])
auto_submitted = Counter(f"{PREFIX}_auto_submitted_total", "Sittings submitted by the sweeper")

# sampled by the workers every few seconds (engine/workers/backlog.py), summed over the shards
stream_length = Gauge(
    f"{PREFIX}_stream_length", "Entries in the Redis streams, by stream kind", ["stream"]
)
persister_lag = Gauge(
    f"{PREFIX}_persister_lag_seconds",
    "Age of the oldest answer not yet in PostgreSQL (0 when every answer is stored)",
)
grading_queue_depth = Gauge(
    f"{PREFIX}_grading_queue_depth", "Grading jobs not yet delivered to a grader or not yet done"
)


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
