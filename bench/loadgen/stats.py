"""Latency and error bookkeeping of a load run: cheap to record, summarised at the end."""

from __future__ import annotations

import time
from collections import Counter, defaultdict

import msgspec
import numpy as np


class EndpointSummary(msgspec.Struct, frozen=True):
    endpoint: str
    requests: int
    ok: int
    rate_s: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float


class RunSummary(msgspec.Struct, frozen=True):
    seconds: float
    requests: int
    rate_s: float
    answers_acked: int
    endpoints: list[EndpointSummary]
    # "endpoint status code" -> count, e.g. "answers 503 internal_error"
    errors: dict[str, int]


def percentiles(values: list[float]) -> tuple[float, float, float, float]:
    """p50, p95, p99 and max of ``values`` (zeros when empty)."""
    if not values:
        return 0.0, 0.0, 0.0, 0.0
    p50, p95, p99 = np.percentile(np.asarray(values, dtype=np.float64), [50, 95, 99])
    return float(p50), float(p95), float(p99), float(max(values))


class Stats:
    """Latencies (ms) per endpoint and errors by code; one instance per run."""

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.latencies: defaultdict[str, list[float]] = defaultdict(list)
        self.ok: Counter[str] = Counter()
        self.errors: Counter[str] = Counter()
        self.answers_acked = 0

    def record(self, endpoint: str, seconds: float, ok: bool, error: str = "") -> None:
        self.latencies[endpoint].append(seconds * 1000.0)
        if ok:
            self.ok[endpoint] += 1
        else:
            self.errors[f"{endpoint} {error}"] += 1

    @property
    def requests(self) -> int:
        return sum(len(v) for v in self.latencies.values())

    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    def reset(self) -> None:
        """Forget what was recorded so far (after a warm-up)."""
        self.__init__()  # type: ignore[misc]

    def summary(self, seconds: float | None = None) -> RunSummary:
        """Rates over ``seconds`` when given (the time this run's own phases took, when they
        alternated with others'), else over the time since it began."""
        seconds = max(self.elapsed() if seconds is None else seconds, 1e-9)
        endpoints = []
        for name in sorted(self.latencies):
            values = self.latencies[name]
            p50, p95, p99, top = percentiles(values)
            endpoints.append(
                EndpointSummary(
                    name,
                    len(values),
                    self.ok[name],
                    round(len(values) / seconds, 1),
                    round(p50, 2),
                    round(p95, 2),
                    round(p99, 2),
                    round(top, 2),
                )
            )
        return RunSummary(
            round(seconds, 2),
            self.requests,
            round(self.requests / seconds, 1),
            self.answers_acked,
            endpoints,
            dict(sorted(self.errors.items())),
        )
