"""This process's utilisation, published to Redis every second; the cluster's is their mean.

A process's utilisation is the largest of three shares, each in [0, 1]:
- CPU: CPU time over wall time, of the cgroup's quota (the pod's limit, the same quantity the
  HPA scales on) when there is one, else of this process over the machine's cores;
- event-loop lag: the share of the last second the loop was late to wake a 100 ms timer
  (a loop busy with CPU-bound work, or starved of CPU, shows here first);
- in flight: local jobs and pooled database connections in use, over the pool's size.
Processes that stop publishing drop out of the mean after ``FRESH_MS``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from engine.kernel.sql import Pool
from engine.overflow import metrics
from engine.redis_adapter import utilisation as board
from engine.redis_adapter.connections import RedisClient

log = logging.getLogger(__name__)

PUBLISH_INTERVAL_S = 1.0
FRESH_MS = 3000  # three missed publications and a process counts as gone


def parse_cpu_max(text: str) -> float | None:
    """Cores allowed by a cgroup v2 ``cpu.max`` ("200000 100000"); None when unlimited."""
    parts = text.split()
    if len(parts) != 2 or parts[0] == "max":
        return None
    try:
        quota, period = int(parts[0]), int(parts[1])
    except ValueError:
        return None
    return quota / period if quota > 0 and period > 0 else None


def parse_usage_usec(text: str) -> int | None:
    """Total CPU microseconds from a cgroup v2 ``cpu.stat``."""
    for line in text.splitlines():
        name, _, value = line.partition(" ")
        if name == "usage_usec" and value.strip().isdigit():
            return int(value)
    return None


def _read(path: Path) -> str | None:
    try:
        return path.read_text()
    except OSError:
        return None


class CpuSampler:
    """CPU share since the previous call."""

    def __init__(self, cgroup: Path = Path("/sys/fs/cgroup")) -> None:
        self._stat = cgroup / "cpu.stat"
        quota = parse_cpu_max(_read(cgroup / "cpu.max") or "")
        usage = parse_usage_usec(_read(self._stat) or "")
        # the cgroup's usage covers every process of the pod, so each one reports the pod
        self.whole_cgroup = quota is not None and usage is not None
        self.cores = quota if quota is not None else float(os.cpu_count() or 1)
        self._last = (time.monotonic(), self._cpu_seconds())

    def _cpu_seconds(self) -> float:
        if self.whole_cgroup:
            usage = parse_usage_usec(_read(self._stat) or "")
            if usage is not None:
                return usage / 1e6
        return time.process_time()

    def sample(self) -> float:
        now, cpu = time.monotonic(), self._cpu_seconds()
        wall, used = now - self._last[0], cpu - self._last[1]
        self._last = (now, cpu)
        return 0.0 if wall <= 0 else min(1.0, max(0.0, used / wall / self.cores))


@dataclass
class LoopLag:
    """Wakes every ``tick_s`` and adds up how late it was."""

    tick_s: float = 0.1
    _late_s: float = 0.0
    _since: float = field(default_factory=time.monotonic)

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            started = time.monotonic()
            await asyncio.sleep(self.tick_s)
            self._late_s += max(0.0, time.monotonic() - started - self.tick_s)

    def sample(self) -> float:
        now = time.monotonic()
        wall, late = now - self._since, self._late_s
        self._since, self._late_s = now, 0.0
        return 0.0 if wall <= 0 else min(1.0, late / wall)


@dataclass
class InFlight:
    """Local jobs running now, against a limit (the database pool's size)."""

    limit: int
    current: int = 0

    def ratio(self) -> float:
        return min(1.0, self.current / self.limit) if self.limit > 0 else 0.0


def pool_busy(pool: Pool, limit: int) -> float:
    """Share of the asyncpg pool's connections handed out."""
    try:
        busy = pool.get_size() - pool.get_idle_size()
    except AttributeError:
        return 0.0
    return min(1.0, max(0, busy) / limit) if limit > 0 else 0.0


def process_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


async def force_utilisation(redis: RedisClient, namespace: str, value: float, for_s: int) -> None:
    """Every process routes as if the cluster ran at ``value`` for ``for_s`` seconds (an
    operator's drill, or the overflow held on before a known burst); it lapses by itself."""
    await board.force(redis, namespace, value, for_s)


async def release_utilisation(redis: RedisClient, namespace: str) -> None:
    """Routing follows the measured utilisation again."""
    await board.release(redis, namespace)


@dataclass
class Sampler:
    """The process's utilisation: the largest share, or the forced value when one is set."""

    cpu: CpuSampler
    lag: LoopLag
    in_flight: Callable[[], float]
    forced: float | None = None

    def sample(self) -> float:
        shares = (self.cpu.sample(), self.lag.sample(), self.in_flight())
        # measured either way, so the samplers' windows stay one second long
        value = max(shares) if self.forced is None else self.forced
        return min(1.0, max(0.0, value))


class UtilisationPublisher:
    """Publishes this process's utilisation every second until closed."""

    def __init__(
        self,
        redis: RedisClient,
        namespace: str,
        sampler: Sampler,
        interval_s: float = PUBLISH_INTERVAL_S,
    ) -> None:
        self.board = board.UtilisationBoard(redis, namespace)
        self.sampler = sampler
        self.interval_s = interval_s
        self.process = process_id()
        self.last = 0.0
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    async def publish_once(self) -> float:
        self.last = self.sampler.sample()
        metrics.UTILISATION.set(self.last)
        await self.board.publish(self.process, self.last, FRESH_MS * 10)
        return self.last

    async def _run(self) -> None:
        while not self._stop.is_set():
            try:
                await self.publish_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("could not publish utilisation; retrying", exc_info=True)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), timeout=self.interval_s)

    def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self.sampler.lag.run(self._stop)),
            asyncio.create_task(self._run()),
        ]

    async def close(self) -> None:
        self._stop.set()
        # let them finish rather than cancel them mid-command (which leaves a Redis
        # connection half-closed); both notice the stop within a tick
        if self._tasks:
            _, late = await asyncio.wait(self._tasks, timeout=5.0)
            for task in late:
                task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        with contextlib.suppress(Exception):
            await self.board.leave(self.process)  # leave the mean at once


@dataclass
class ClusterUtilisation:
    processes: int
    mean: float  # the operator's override while one is set
    forced: bool = False


class ClusterMonitor:
    """Cluster utilisation, read from Redis at most once per ``max_age_s``."""

    def __init__(
        self, redis: RedisClient, namespace: str, max_age_s: float = PUBLISH_INTERVAL_S
    ) -> None:
        self.board = board.UtilisationBoard(redis, namespace)
        self.max_age_s = max_age_s
        self.last = ClusterUtilisation(0, 0.0)
        self._read_at = float("-inf")

    async def read(self) -> ClusterUtilisation:
        reading = await self.board.read(FRESH_MS)
        self.last = ClusterUtilisation(reading.processes, reading.mean, reading.forced)
        self._read_at = time.monotonic()
        metrics.CLUSTER_UTILISATION.set(self.last.mean)
        metrics.LIVE_PROCESSES.set(self.last.processes)
        return self.last

    async def current(self) -> ClusterUtilisation:
        if time.monotonic() - self._read_at >= self.max_age_s:
            try:
                await self.read()
            except Exception:
                # keep routing on the last reading rather than failing the job
                log.warning("could not read cluster utilisation", exc_info=True)
        return self.last
