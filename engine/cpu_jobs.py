"""CPU-heavy jobs off the event loop: bounded process pools, one admission limit per job class.

A pure-Python or numpy job run on the event loop stalls every request of the process (sign-in,
the answer path, the probes); run with ``asyncio.to_thread`` it shares Python's default executor
with everything else and still holds the GIL most of the time. So scoring, statistics,
forensics and calibration run in worker *processes* (docs/adr/0001-cpu-jobs-off-the-loop.md has
the measurements behind the choice):

* two lanes, each its own ``ProcessPoolExecutor``: ``grading`` (many small jobs: one sitting's
  scores) and ``analysis`` (few long ones: statistics, forensics, calibration), so an hour of
  forensics never delays a student's instant result;
* per job class, at most ``limit`` jobs admitted (running or queued). Past it a request gets
  ``503 busy`` with ``Retry-After`` (``run``), and a background job waits for a slot
  (``run(..., wait=True)``): the queue is bounded either way;
* ``CpuJobs.inline()`` runs every job in the caller: for a process that does nothing else (the
  overflow Lambda runs one job at a time on a loop of its own) and for tests of pure code.

Workers are started with ``spawn``: forking a process that runs threads and an event loop
copies locks in whatever state they were in, and a ``forkserver`` belongs to the process that
started it: ``serve --demo`` seeds (and so starts a fork server) before granian forks its
workers, and each worker then finds the inherited fork server not its child (ECHILD) and
fails at start-up. A spawned worker imports its modules itself, at start-up (``warm``).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import importlib
import logging
import multiprocessing
import multiprocessing.util
import os
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from prometheus_client import Counter, Gauge

from engine.kernel.errors import DomainError

log = logging.getLogger(__name__)

JobClass = Literal["grading", "statistics", "forensics", "calibration"]
Lane = Literal["grading", "analysis"]

T = TypeVar("T")

# job class -> (lane, most jobs admitted at once, running or queued)
DEFAULT_CLASSES: dict[JobClass, tuple[Lane, int]] = {
    "grading": ("grading", 256),
    "statistics": ("analysis", 8),
    "forensics": ("analysis", 2),
    "calibration": ("analysis", 2),
}
RETRY_AFTER_S = 5
# the longest a job of each class may run in a worker before its lane is restarted: far above
# what real work takes (bench/bench_grading.py: a 150-item sitting in milliseconds; an exam's
# forensics in seconds), so only a runaway job (a pathological input, a bug) meets it
DEFAULT_TIME_LIMITS_S: dict[JobClass, float] = {
    "grading": 120.0,
    "statistics": 900.0,
    "forensics": 1800.0,
    "calibration": 1800.0,
}

JOBS_ADMITTED = Gauge("ujian_cpu_jobs_admitted", "CPU jobs running or queued", ["job_class"])
JOBS_REFUSED = Counter("ujian_cpu_jobs_refused_total", "CPU jobs refused as busy", ["job_class"])
JOBS_DONE = Counter("ujian_cpu_jobs_done_total", "CPU jobs finished", ["job_class"])
JOBS_STOPPED = Counter(
    "ujian_cpu_jobs_stopped_total", "CPU jobs stopped at their time limit", ["job_class"]
)


def stopped(job_class: str, limit_s: float) -> DomainError:
    return DomainError(
        503,
        "job_time_limit",
        "The work took too long and was stopped",
        f"a {job_class} job ran past its limit of {limit_s:g} s; it was stopped so that it "
        "cannot hold the server's workers",
    )


def busy(job_class: str) -> DomainError:
    return DomainError(
        503,
        "busy",
        "The server is busy with this kind of work",
        f"too many {job_class} jobs are running; try again in a few seconds",
        extra={"job_class": job_class},
        headers={"Retry-After": str(RETRY_AFTER_S)},
    )


# imported by each worker as it starts (its initializer), so no job waits for them
PRELOAD = [
    "numpy",
    "grading.outcomes",
    "engine.analytics.statistics_service",
    "engine.analytics.calibration_service",
    "engine.integrity.forensics",
]


def _context() -> multiprocessing.context.BaseContext:
    return multiprocessing.get_context("spawn")


def _stop_quietly(signum: int, frame: object) -> None:
    os._exit(0)


def _exit_with(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(0)


def _preload() -> None:
    """A worker's initializer: the job modules imported before the first job arrives.

    Ctrl-C in a terminal reaches the whole process group: a worker ends at once and quietly
    (no KeyboardInterrupt traceback of its own; a cut-short job is run again by its caller or
    stream). Ignoring it instead left granian's worker, the pool's parent, hanging at exit."""
    signal.signal(signal.SIGINT, _stop_quietly)
    # a parent killed outright (kill -9, OOM) cannot stop its workers: they stop themselves
    parent = os.getppid()
    threading.Thread(
        target=_exit_with, args=(parent,), daemon=True, name="exit-with-parent"
    ).start()
    for module in PRELOAD:
        importlib.import_module(module)


@dataclass
class _Admission:
    limit: int
    admitted: int = 0
    # woken when a slot frees, for background jobs that wait rather than refuse
    freed: asyncio.Condition | None = None


@dataclass
class CpuJobs:
    """Where CPU-heavy work runs. ``workers`` per lane; 0 workers: inline in the caller."""

    grading_workers: int = 1
    analysis_workers: int = 1
    classes: dict[JobClass, tuple[Lane, int]] = field(default_factory=lambda: dict(DEFAULT_CLASSES))
    time_limits_s: dict[JobClass, float] = field(
        default_factory=lambda: dict(DEFAULT_TIME_LIMITS_S)
    )
    _pools: dict[Lane, concurrent.futures.ProcessPoolExecutor] = field(default_factory=dict)
    _admission: dict[JobClass, _Admission] = field(default_factory=dict)

    @classmethod
    def inline(cls) -> CpuJobs:
        return cls(grading_workers=0, analysis_workers=0)

    def _workers(self, lane: Lane) -> int:
        return self.grading_workers if lane == "grading" else self.analysis_workers

    def _pool(self, lane: Lane) -> concurrent.futures.ProcessPoolExecutor | None:
        workers = self._workers(lane)
        if workers <= 0:
            return None
        pool = self._pools.get(lane)
        if pool is None:
            if not self._pools:
                # run at this process's exit before multiprocessing joins its children: a
                # process that ends without its lifespan's close (granian's worker on SIGINT)
                # would otherwise wait forever for idle workers that never get their sentinel
                multiprocessing.util.Finalize(None, self.close, exitpriority=10)
            pool = self._pools[lane] = concurrent.futures.ProcessPoolExecutor(
                max_workers=workers, mp_context=_context(), initializer=_preload
            )
        return pool

    async def warm(self) -> None:
        """Start every worker now: a process started by the first job would block the event
        loop that submits it while it starts (and the first job would wait for its imports)."""
        lanes: tuple[Lane, ...] = ("grading", "analysis")
        for lane in lanes:
            pool = self._pool(lane)
            if pool is not None:
                started = [pool.submit(int) for _ in range(self._workers(lane))]
                await asyncio.gather(*(asyncio.wrap_future(f) for f in started))

    def inline_for(self, job_class: JobClass) -> bool:
        """Does this job class run in the caller (no worker processes for its lane)?"""
        return self._workers(self.classes[job_class][0]) <= 0

    def limit(self, job_class: JobClass, most: int) -> None:
        """Change how many jobs of a class are admitted at once (operators, tests)."""
        lane, _ = self.classes[job_class]
        self.classes[job_class] = (lane, most)
        slot = self._admission.get(job_class)
        if slot is not None:
            slot.limit = most

    def admitted(self, job_class: JobClass) -> int:
        found = self._admission.get(job_class)
        return 0 if found is None else found.admitted

    async def run(
        self, job_class: JobClass, fn: Callable[..., T], *args: Any, wait: bool = False
    ) -> T:
        """``fn(*args)`` in the job class's lane. ``fn`` and its arguments must be
        picklable (a module-level function, plain data). Past the class's limit: ``503 busy``,
        or with ``wait=True`` (background work) a wait for a free slot."""
        lane, limit = self.classes[job_class]
        slot = self._admission.setdefault(job_class, _Admission(limit))
        if slot.admitted >= slot.limit:
            if not wait:
                JOBS_REFUSED.labels(job_class).inc()
                raise busy(job_class)
            if slot.freed is None:
                slot.freed = asyncio.Condition()
            async with slot.freed:
                await slot.freed.wait_for(lambda: slot.admitted < slot.limit)
        slot.admitted += 1
        JOBS_ADMITTED.labels(job_class).inc()
        try:
            pool = self._pool(lane)
            if pool is None:
                return fn(*args)
            future = pool.submit(fn, *args)
            try:
                return await asyncio.wait_for(
                    asyncio.wrap_future(future), self.time_limits_s[job_class]
                )
            except TimeoutError:
                # a process cannot be interrupted mid-job: the lane's workers are replaced, and
                # the other jobs they held fail as if a worker had died (each is idempotent and
                # run again by its caller or stream)
                log.error(
                    "a %s job ran past its time limit; restarting the %s lane", job_class, lane
                )
                JOBS_STOPPED.labels(job_class).inc()
                self._stop_lane(lane)
                raise stopped(job_class, self.time_limits_s[job_class]) from None
            except asyncio.CancelledError:
                future.cancel()  # still queued: it never runs (a running one finishes unseen)
                raise
        except concurrent.futures.BrokenExecutor:
            # a worker died (killed for memory, crashed): start a fresh pool for the next job
            log.error("the %s lane lost a worker process; restarting its pool", lane)
            broken = self._pools.pop(lane, None)
            if broken is not None:
                broken.shutdown(wait=False, cancel_futures=True)
            raise
        finally:
            slot.admitted -= 1
            JOBS_ADMITTED.labels(job_class).dec()
            JOBS_DONE.labels(job_class).inc()
            if slot.freed is not None:
                async with slot.freed:
                    slot.freed.notify()

    def close(self) -> None:
        """Stop the workers now: queued jobs are cancelled, a running one is cut short (every
        job is idempotent and its caller or stream runs it again). Terminated rather than
        waited for: under granian a worker process left to its stop sentinel was seen never
        to get it, and the server's worker then hung at exit joining it."""
        for lane in list(self._pools):
            self._stop_lane(lane)

    def _stop_lane(self, lane: Lane) -> None:
        pool = self._pools.pop(lane, None)
        if pool is None:
            return
        # the executor keeps no public handle on its processes before Python 3.14, and drops
        # this one when it shuts down: taken first
        processes: dict[int, Any] = dict(getattr(pool, "_processes", None) or {})
        pool.shutdown(wait=False, cancel_futures=True)
        for process in processes.values():
            process.terminate()
