"""Starting forensics runs: when an exam closes, and on demand, through the overflow.

Each run is recorded first (``integrity_runs``), then its job goes to the overflow dispatcher
(engine/overflow) as a ``forensics`` job: it runs here below the utilisation threshold and
on the Lambda above it. At most one run per exam is started by closing (a unique index), so
every pod may watch for closed exams, and at most one runs at a time (run_lock.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from functools import partial
from typing import Any, Protocol

from engine.integrity import repository_forensics
from engine.integrity.forensics import run_forensics
from engine.kernel.sql import Pool
from engine.overflow.dispatcher import Task
from engine.overflow.jobs import ForensicsJob
from engine.ports import WithCpu, WithPool, WithRedis, WithSettings
from engine.redis_adapter import run_lock


class Needs(WithCpu, WithPool, WithRedis, WithSettings, Protocol):
    """What this module's services use of the process's collaborators (engine/ports.py)."""


log = logging.getLogger(__name__)

# after the last window closes: the grace, then this margin for the sweeper and persister
CLOSE_MARGIN_S = 120
WATCH_EVERY_S = 30.0

_running: set[asyncio.Task[None]] = set()


def new_job(exam_id: uuid.UUID) -> tuple[uuid.UUID, str]:
    """A run id and its job id, which names the run in full: it is the token of the exam's
    forensics lock (run_lock.py), so a refused request can name the run that holds it."""
    run_id = uuid.uuid4()
    return run_id, f"forensics:{exam_id}:{run_id.hex}"


async def record_run(
    pool: Pool,
    exam_id: uuid.UUID,
    org_id: uuid.UUID,
    trigger: str,
    requested_by: uuid.UUID | None,
    job: tuple[uuid.UUID, str] | None = None,
) -> tuple[uuid.UUID, str] | None:
    """A queued run and its job id; None when the exam already has its closing run."""
    run_id, job_id = job or new_job(exam_id)
    async with pool.acquire() as conn:
        made = await repository_forensics.insert_run(
            conn, run_id, job_id, exam_id, org_id, trigger, requested_by
        )
    return (run_id, job_id) if made else None


async def dispatch(svc: Needs, overflow: Any, exam_id: uuid.UUID, job_id: str) -> None:
    task = Task(
        ForensicsJob(job_id=job_id, exam_id=exam_id),
        run_local=partial(
            run_forensics,
            svc.pool,
            exam_id,
            job_id,
            svc.cpu,
            svc.redis,
            svc.settings.redis_namespace,
            svc.settings.database_url,
        ),
    )
    if overflow is None:
        await task.run_local()  # no dispatcher in this process: run here
    else:
        await overflow.dispatcher.dispatch([task])


def in_background(svc: Needs, overflow: Any, exam_id: uuid.UUID, job_id: str) -> None:
    async def go() -> None:
        try:
            await dispatch(svc, overflow, exam_id, job_id)
        except Exception:
            log.exception("forensics job %s failed", job_id)  # recorded on its run

    task = asyncio.create_task(go())
    _running.add(task)
    task.add_done_callback(_running.discard)


async def wait_for_forensics() -> None:
    """Let this event loop's runs in flight finish (shutdown, tests)."""
    loop = asyncio.get_running_loop()
    while mine := [t for t in _running if t.get_loop() is loop]:
        await asyncio.gather(*mine, return_exceptions=True)


async def start_closed(svc: Needs, overflow: Any) -> int:
    """Start the closing run of every exam whose windows have all closed; how many started."""
    async with svc.pool.acquire() as conn:
        closed = await repository_forensics.closed_exams(conn, CLOSE_MARGIN_S)
    started = 0
    namespace = svc.settings.redis_namespace
    for exam in closed:
        job = new_job(exam.exam_id)
        if not await run_lock.acquire(svc.redis, namespace, exam.exam_id, job[1]):
            continue  # a run on demand is under way: the next look starts the closing one
        made = await record_run(svc.pool, exam.exam_id, exam.org_id, "close", None, job)
        if made is None:
            await run_lock.release(svc.redis, namespace, exam.exam_id, job[1])
            continue
        in_background(svc, overflow, exam.exam_id, made[1])
        started += 1
    return started


async def watch_closing(svc: Needs, overflow: Any, stop: asyncio.Event) -> None:
    while not stop.is_set():
        try:
            await start_closed(svc, overflow)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("watching for closed exams failed; retrying")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), WATCH_EVERY_S)
