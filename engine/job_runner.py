"""Running one job: the same code whether it runs in a cluster process or in the Lambda.

It knows every kind of job (grading, persisting a parcel, forensics), so it sits above the
packages whose work it runs; the overflow that carries the jobs is handed it
(``Overflow(svc, run_job=...)``) rather than importing it."""

from __future__ import annotations

import logging
from typing import Protocol

import msgspec

from engine.integrity.forensics import run_forensics
from engine.overflow.jobs import ForensicsJob, GradeJob, Job, PersistJob, kind_of
from engine.ports import WithCpu, WithKeys, WithPool, WithRedis, WithSettings, WithStore
from engine.redis_adapter import job_payloads
from engine.redis_adapter.streams import Persister
from engine.sittings.grader import grade_sittings


class Needs(WithCpu, WithKeys, WithPool, WithRedis, WithSettings, WithStore, Protocol):
    """What this module's services use of the process's collaborators (engine/ports.py)."""


log = logging.getLogger(__name__)


class JobOutcome(msgspec.Struct, frozen=True, kw_only=True):
    job_id: str
    kind: str
    applied: bool  # False: nothing left to do (already graded, parcel already applied, ...)
    count: int = 0


async def execute(svc: Needs, job: Job, persist: Persister) -> JobOutcome:
    kind = kind_of(job)
    match job:
        case GradeJob():
            graded = await grade_sittings(svc.pool, svc.store, svc.keys, job.sitting_ids, svc.cpu)
            return JobOutcome(job_id=job.job_id, kind=kind, applied=graded > 0, count=graded)
        case PersistJob(parcel=key):
            entries = await job_payloads.get(svc.redis, key)
            if entries is None:
                # applied before (its parcel is deleted only after the rows are committed)
                log.warning("persist job %s: parcel %s is gone; nothing to apply", job.job_id, key)
                return JobOutcome(job_id=job.job_id, kind=kind, applied=False)
            await persist(entries)
            await job_payloads.drop(svc.redis, key)
            return JobOutcome(job_id=job.job_id, kind=kind, applied=True, count=len(entries))
        case ForensicsJob(exam_id=exam_id):
            flags = await run_forensics(
                svc.pool,
                exam_id,
                job.job_id,
                svc.cpu,
                svc.redis,
                svc.settings.redis_namespace,
                svc.settings.database_url,
            )
            return JobOutcome(
                job_id=job.job_id, kind=kind, applied=flags is not None, count=flags or 0
            )
