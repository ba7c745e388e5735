"""The overflow's Prometheus metrics (exposed by ``engine/metrics.py`` at ``/metrics``)."""

from __future__ import annotations

from collections import deque

from prometheus_client import Counter, Gauge

UTILISATION = Gauge("ujian_utilisation", "This process's utilisation (0..1) as last published")
CLUSTER_UTILISATION = Gauge(
    "ujian_cluster_utilisation", "Mean utilisation over the live processes (0..1)"
)
LIVE_PROCESSES = Gauge("ujian_utilisation_processes", "Processes publishing utilisation")
ROUTE_REMOTE = Gauge(
    "ujian_overflow_route_remote",
    "The dispatcher's decision: 1 = jobs go to SQS, 0 = they run here",
)
JOBS = Counter(
    "ujian_overflow_jobs",
    "Jobs dispatched, by kind and where they ran (each sitting of a batched grade job counts)",
    ["kind", "route"],
)  # route: local | remote | fallback (send failed, ran here)
SHARE_REMOTE = Gauge(
    "ujian_overflow_share_remote", "Share of the last 1,000 jobs that were sent away"
)
SEND_FAILURES = Counter(
    "ujian_overflow_send_failures", "Jobs SQS did not accept after retries (they ran here instead)"
)
DEAD_LETTERS = Gauge(
    "ujian_overflow_dead_letters", "Messages in the overflow dead-letter queue (poison jobs)"
)


class ShareWindow:
    """The share of the most recent jobs that went remote."""

    def __init__(self, size: int = 1000) -> None:
        self._recent: deque[bool] = deque(maxlen=size)
        self._remote = 0

    def add(self, remote: bool, count: int = 1) -> float:
        for _ in range(count):
            if len(self._recent) == self._recent.maxlen and self._recent[0]:
                self._remote -= 1
            self._recent.append(remote)
            self._remote += remote
        SHARE_REMOTE.set(self.value)
        return self.value

    @property
    def value(self) -> float:
        return self._remote / len(self._recent) if self._recent else 0.0
