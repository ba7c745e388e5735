"""Who may start a sitting: may this student sit the exam (class assignment), with which window
and time (overrides, accommodations), and from which device (the device lock).

Called by ``engine.sittings.service.start_sitting``; the database part rides on the connection
the start already holds, the device part is one script call.
"""

from __future__ import annotations

import uuid
from typing import Any

import msgspec

from engine.accounts.override_rules import effective_limit_s
from engine.exams.models import PublishedVersion
from engine.kernel.errors import DomainError, not_found
from engine.kernel.principal import Principal
from engine.kernel.sql import Pool
from engine.sittings import repository_access as sql
from engine.sittings.proctor_store import ProctorStore

# exam version -> its exam (never changes): bounded, refilled by one read per version
_exam_of_version: dict[str, uuid.UUID] = {}


def remember_exam_of_version(exam_version_id: str, exam_id: uuid.UUID) -> None:
    if len(_exam_of_version) >= 50_000:
        _exam_of_version.clear()
    _exam_of_version[exam_version_id] = exam_id


async def confine_card(pool: Pool, principal: Principal, exam_version_id: str | None) -> None:
    """An exam-card token opens its own exam's sittings only. Call it where
    ``principal.exam_id`` is set (a password sign-in has nothing to confine); the sitting's
    exam version is what the caller already read from the sitting's session."""
    if principal.exam_id is None:
        return
    if exam_version_id is None:
        raise not_found("sitting")
    exam = _exam_of_version.get(exam_version_id)
    if exam is None:
        async with pool.acquire() as conn:
            exam = await sql.exam_of_version(conn, uuid.UUID(exam_version_id))
        if exam is None:
            raise not_found("sitting")
        remember_exam_of_version(exam_version_id, exam)
    if exam != principal.exam_id:
        # as for a sitting of someone else: no hint that it exists
        raise not_found("sitting")


class Access(msgspec.Struct, frozen=True):
    device_policy: str = "take_over"


def admit(
    exam: PublishedVersion, found: sql.StudentAccess | None
) -> tuple[PublishedVersion, Access]:
    """The exam as this student sits it (their own window and time), and the device policy;
    not found when the exam is assigned to classes and theirs is not one of them."""
    if found is None or (found.class_restricted and not found.in_class):
        raise not_found("exam")
    limit = effective_limit_s(
        exam.time_limit_s, found.time_limit_s, found.extra_time_pct, found.extra_s
    )
    mine = msgspec.structs.replace(
        exam,
        time_limit_s=limit,
        window_open=found.window_open or exam.window_open,
        window_close=found.window_close or exam.window_close,
    )
    return mine, Access(device_policy=found.device_policy)


async def record_event(
    pool: Pool,
    sitting_id: uuid.UUID,
    exam_id: uuid.UUID,
    org_id: uuid.UUID,
    student_id: uuid.UUID,
    kind: str,
    actor_id: uuid.UUID | None,
    detail: dict[str, Any],
) -> None:
    async with pool.acquire() as conn:
        await sql.insert_sitting_event(
            conn, sql.SittingEvent(sitting_id, exam_id, org_id, student_id, kind, actor_id, detail)
        )


async def claim_device(
    pool: Pool,
    store: ProctorStore,
    principal: Principal,
    sitting_id: uuid.UUID,
    exam_id: uuid.UUID,
    access: Access,
) -> None:
    """One active device per sitting: take over (the old device's answers are refused from
    now on) or refuse, per the exam's policy; either is recorded for proctoring."""
    if not principal.device:
        return
    reply = await store.claim_device(sitting_id, principal.device, access.device_policy)
    if reply.status in ("ok", "no_session"):
        return
    kind = {
        "taken_over": "device_takeover",
        "refused": "device_refused",
        "replaced": "device_refused",
    }[reply.status]
    await record_event(
        pool,
        sitting_id,
        exam_id,
        principal.org_id,
        principal.user_id,
        kind,
        principal.user_id,
        {
            "device": principal.device,
            "other_device": reply.other_device,
            "policy": access.device_policy,
        },
    )
    if reply.status == "refused":
        raise DomainError(
            409,
            "device_locked",
            "This exam is open on another device",
            "this exam allows one device; ask your proctor to reset the device lock",
        )
    if reply.status == "replaced":
        raise DomainError(
            409,
            "device_replaced",
            "This sitting continues on another device",
            "the exam was opened on another device after this one",
        )
