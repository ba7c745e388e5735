"""Reading and reviewing flags, thresholds per exam, forensics on demand.

Flags are visible to the staff and proctors of the sitting's school and of the exam's
organiser (an organiser's admin also reaches the schools below it); anything else is "not
found". A review confirms or dismisses a flag with a note, is audited, and changes no score.
"""

from __future__ import annotations

import uuid
from typing import Any, Protocol

import msgspec

from engine.accounts import audit
from engine.accounts.scope import orgs_reached
from engine.integrity import repository, repository_forensics, repository_review
from engine.integrity.flag_store import refresh_risk
from engine.integrity.models import (
    ExamThresholds,
    FlagDetail,
    FlagRow,
    ForensicsRun,
    Review,
    RiskRow,
    Severity,
)
from engine.integrity.repository_review import FlagWithEvidence
from engine.integrity.scheduler import in_background, new_job, record_run
from engine.kernel.errors import DomainError, forbidden, not_found
from engine.kernel.principal import Principal
from engine.kernel.sql import Connection
from engine.ports import WithCpu, WithPool, WithRedis, WithSettings
from engine.redis_adapter import run_lock
from proctoring.flags import Evidence
from proctoring.thresholds import DEFAULT_THRESHOLDS, Thresholds


class Needs(WithCpu, WithPool, WithRedis, WithSettings, Protocol):
    """What this module's services use of the process's collaborators (engine/ports.py)."""


REVIEWERS = frozenset({"admin", "school_admin", "teacher", "proctor"})

_evidence = list[Evidence]


def _reviewer(principal: Principal) -> None:
    if principal.role not in REVIEWERS:
        raise forbidden("integrity flags are for teachers, proctors and school staff")


async def exam_access(
    conn: Connection, principal: Principal, exam_id: uuid.UUID
) -> uuid.UUID | None:
    """None: the exam's own organisation (every school); else the caller's school only."""
    _reviewer(principal)
    org = await repository.exam_org(conn, exam_id)
    if org is None:
        raise not_found("exam")
    if org in await orgs_reached(conn, principal):
        return None
    if await repository_review.is_assigned(conn, exam_id, principal.org_id):
        return principal.org_id
    raise not_found("exam")


async def _owner(conn: Connection, principal: Principal, exam_id: uuid.UUID) -> uuid.UUID:
    """Exam-wide actions (thresholds, forensics) are for the exam's organisation's staff."""
    if await exam_access(conn, principal, exam_id) is not None:
        raise not_found("exam")  # an assigned school reads its flags but does not run these
    principal.require_staff()  # proctors review flags; they do not tune or run detectors
    org = await repository.exam_org(conn, exam_id)
    assert org is not None  # exam_access found the exam
    return org


async def list_flags(
    svc: Needs,
    principal: Principal,
    *,
    exam_id: uuid.UUID | None,
    school_id: uuid.UUID | None,
    severity: Severity | None,
    status: str | None,
    rule: str | None,
    limit: int,
    offset: int,
) -> list[FlagRow]:
    _reviewer(principal)
    async with svc.pool.acquire() as conn:
        reached = await orgs_reached(conn, principal)
        return await repository_review.list_flags(
            conn,
            reached,
            exam_id=exam_id,
            school_id=school_id,
            severity=severity,
            status=status,
            rule=rule,
            limit=limit,
            offset=offset,
        )


async def _visible_flag(
    conn: Connection, principal: Principal, flag_id: uuid.UUID
) -> FlagWithEvidence:
    _reviewer(principal)
    found = await repository_review.flag_by_id(conn, flag_id)
    if found is None:
        raise not_found("flag")
    reached = await orgs_reached(conn, principal)
    if found.flag.org_id not in reached and found.exam_org_id not in reached:
        raise not_found("flag")
    return found


async def get_flag(svc: Needs, principal: Principal, flag_id: uuid.UUID) -> FlagDetail:
    async with svc.pool.acquire() as conn:
        found = await _visible_flag(conn, principal, flag_id)
        risk = await repository_review.risk_of_sitting(conn, found.flag.sitting_id)
    return FlagDetail(
        flag=found.flag, evidence=msgspec.convert(found.evidence, _evidence), risk=risk
    )


async def review_flag(
    svc: Needs, actor: audit.Actor, flag_id: uuid.UUID, review: Review
) -> FlagDetail:
    principal = actor.principal
    status = "confirmed" if review.decision == "confirm" else "dismissed"
    async with svc.pool.acquire() as conn, conn.transaction():
        flag = (await _visible_flag(conn, principal, flag_id)).flag
        await repository_review.review_flag(conn, flag_id, status, review.note, principal.user_id)
        await audit.record(
            conn,
            actor,
            f"integrity.flag_{status}",
            org_id=flag.org_id,
            target=flag_id,
            detail={
                "sitting_id": str(flag.sitting_id),
                "exam_id": str(flag.exam_id),
                "rule": flag.rule,
                "previous": flag.status,
                "note": review.note,
            },
        )
        await refresh_risk(conn, [flag.sitting_id])
    return await get_flag(svc, principal, flag_id)


async def exam_risk(
    svc: Needs, principal: Principal, exam_id: uuid.UUID, limit: int
) -> list[RiskRow]:
    async with svc.pool.acquire() as conn:
        org_filter = await exam_access(conn, principal, exam_id)
        return await repository_review.exam_risk(conn, exam_id, org_filter, limit)


async def get_thresholds(svc: Needs, principal: Principal, exam_id: uuid.UUID) -> ExamThresholds:
    async with svc.pool.acquire() as conn:
        await exam_access(conn, principal, exam_id)
        stored = await repository.exam_thresholds(conn, exam_id)
    th = DEFAULT_THRESHOLDS if stored is None else stored
    return ExamThresholds(exam_id=exam_id, thresholds=th, defaults=stored is None)


async def set_thresholds(
    svc: Needs, actor: audit.Actor, exam_id: uuid.UUID, th: Thresholds
) -> ExamThresholds:
    async with svc.pool.acquire() as conn, conn.transaction():
        org = await _owner(conn, actor.principal, exam_id)
        await repository.save_thresholds(conn, exam_id, th, actor.principal.user_id)
        await audit.record(
            conn,
            actor,
            "integrity.thresholds_set",
            org_id=org,
            target=exam_id,
            detail=msgspec.to_builtins(th),
        )
    return ExamThresholds(exam_id=exam_id, thresholds=th, defaults=False)


async def request_forensics(
    svc: Needs, overflow: Any, principal: Principal, exam_id: uuid.UUID
) -> ForensicsRun:
    async with svc.pool.acquire() as conn:
        org = await _owner(conn, principal, exam_id)
    job = new_job(exam_id)
    namespace = svc.settings.redis_namespace
    if not await run_lock.acquire(svc.redis, namespace, exam_id, job[1]):
        running = await run_lock.holder(svc.redis, namespace, exam_id)
        raise DomainError(
            409,
            "forensics_running",
            "A forensics run of this exam is under way",
            "one run per exam at a time; its flags appear when it finishes (GET /forensics)",
            extra={"run_id": str(running) if running else None},
        )
    made = await record_run(svc.pool, exam_id, org, "demand", principal.user_id, job)
    assert made is not None  # only the closing run is unique per exam
    run_id, job_id = made
    in_background(svc, overflow, exam_id, job_id)
    async with svc.pool.acquire() as conn:
        run = await repository_forensics.run_by_id(conn, run_id)
    assert run is not None  # recorded above
    return run


async def latest_forensics(svc: Needs, principal: Principal, exam_id: uuid.UUID) -> ForensicsRun:
    async with svc.pool.acquire() as conn:
        await _owner(conn, principal, exam_id)
        run = await repository_forensics.latest_run(conn, exam_id)
    if run is None:
        raise not_found("forensics run")
    return run
