"""Who sits an exam and how: assignment to classes, per-student overrides, the device policy,
the exams a student sees, and printable exam cards."""

from __future__ import annotations

import uuid
from typing import Protocol

from engine.accounts import audit, card_sheets
from engine.accounts import repository_exam_access as sql
from engine.accounts.audit import Actor
from engine.accounts.models import (
    ClassAssignment,
    ClassAssignments,
    ExamPolicy,
    MyExam,
    Override,
    OverrideSet,
)
from engine.accounts.override_rules import effective_limit_s, override_errors
from engine.accounts.people import class_in_scope, user_in_scope
from engine.accounts.scope import orgs_reached, reaches, require_org
from engine.auth import cards, revocation
from engine.kernel.errors import forbidden, not_found, validation_failed
from engine.kernel.principal import Principal
from engine.kernel.sql import Connection
from engine.ports import WithPool, WithRedis, WithSettings


class Needs(WithPool, WithRedis, WithSettings, Protocol):
    """What this module's services use of the process's collaborators (engine/ports.py)."""


async def exam_in_reach(
    conn: Connection, principal: Principal, exam_id: uuid.UUID, owner_only: bool = False
) -> tuple[uuid.UUID, str]:
    """The exam's organisation and title, if the caller's organisation owns the exam (or is
    above its owner) or, unless ``owner_only``, the exam is assigned to it."""
    exam = await sql.exam_owner(conn, exam_id)
    if exam is None:
        raise not_found("exam")
    if await reaches(conn, principal, exam.org_id):
        return exam.org_id, exam.title
    if not owner_only and await sql.assigned_to_any(
        conn, exam_id, await orgs_reached(conn, principal)
    ):
        return exam.org_id, exam.title
    raise not_found("exam")


async def assign_classes(
    svc: Needs, actor: Actor, exam_id: uuid.UUID, data: ClassAssignment
) -> ClassAssignments:
    p = actor.principal
    async with svc.pool.acquire() as conn, conn.transaction():
        await exam_in_reach(conn, p, exam_id)
        for class_id in dict.fromkeys(data.class_ids):
            found = await class_in_scope(conn, p, class_id)
            await sql.assign_class(conn, exam_id, class_id, found.org_id)
            await audit.record(
                conn,
                actor,
                "exam.assign_class",
                org_id=found.org_id,
                target=exam_id,
                detail={"class_id": str(class_id)},
            )
        assigned = await sql.classes_assigned(conn, exam_id, await orgs_reached(conn, p))
    return ClassAssignments(exam_id, assigned)


async def set_override(
    svc: Needs, actor: Actor, exam_id: uuid.UUID, student_id: uuid.UUID, data: OverrideSet
) -> Override:
    """A student's own window, time limit or extra time on one exam.

    Who: staff of the exam's own organisation (or an organiser admin above it), for students
    they reach; on an exam another organisation assigned to their school, only the school's
    admin, for the school's own students (a teacher there asks them). Within what:
    ``override_rules`` (the exam's window give or take two weeks, at most twice its limit).
    """
    p = actor.principal
    async with svc.pool.acquire() as conn, conn.transaction():
        exam_org, _ = await exam_in_reach(conn, p, exam_id)
        student = await user_in_scope(conn, p, student_id)
        if student.role != "student":
            raise not_found("student")
        if not await reaches(conn, p, exam_org) and p.role != "school_admin":
            raise forbidden(
                "this exam belongs to another organisation: its staff or your "
                "school admin set a student's window and time"
            )
        terms = await sql.exam_terms(conn, exam_id)
        if terms is None:
            raise not_found("exam")
        errors = override_errors(data, terms)
        if errors:
            raise validation_failed("the override strays too far from the exam", errors)
        await sql.upsert_override(conn, exam_id, student_id, student.org_id, data, p.user_id)
        await audit.record(
            conn,
            actor,
            "exam.override",
            org_id=student.org_id,
            target=exam_id,
            detail={
                "student_id": str(student_id),
                "time_limit_s": data.time_limit_s,
                "extra_time_s": data.extra_time_s,
            },
        )
    return Override(
        exam_id,
        student_id,
        data.time_limit_s,
        data.window_open,
        data.window_close,
        data.extra_time_s,
    )


async def set_policy(svc: Needs, actor: Actor, exam_id: uuid.UUID, data: ExamPolicy) -> ExamPolicy:
    async with svc.pool.acquire() as conn, conn.transaction():
        org_id, _ = await exam_in_reach(conn, actor.principal, exam_id, owner_only=True)
        await sql.upsert_policy(conn, exam_id, data.device_policy, actor.principal.user_id)
        await audit.record(
            conn,
            actor,
            "exam.policy",
            org_id=org_id,
            target=exam_id,
            detail={"device_policy": data.device_policy},
        )
    return data


async def my_exams(svc: Needs, principal: Principal) -> list[MyExam]:
    async with svc.pool.acquire() as conn:
        exams = await sql.exams_of_student(conn, principal.user_id)
    return [
        MyExam(
            id=e.id,
            title=e.title,
            window_open=e.window_open,
            window_close=e.window_close,
            time_limit_s=e.override_limit_s or e.time_limit_s,
            extra_time_s=effective_limit_s(
                e.time_limit_s, e.override_limit_s, e.extra_time_pct, e.extra_s
            )
            - (e.override_limit_s or e.time_limit_s),
        )
        for e in exams
        if principal.exam_id in (None, e.id)
    ]


async def issue_cards(
    svc: Needs,
    actor: Actor,
    exam_id: uuid.UUID,
    org_id: uuid.UUID | None,
    class_id: uuid.UUID | None,
    fmt: str,
) -> bytes:
    """New cards for the students in reach (optionally one school or class), replacing their
    earlier ones; the file to print is the only place the codes ever appear."""
    p = actor.principal
    async with svc.pool.acquire() as conn, conn.transaction():
        _, title = await exam_in_reach(conn, p, exam_id)
        orgs = [await require_org(conn, p, org_id)] if org_id else await orgs_reached(conn, p)
        if class_id is not None:
            await class_in_scope(conn, p, class_id)
        window = await sql.published_window(conn, exam_id)
        students = await sql.card_students(conn, exam_id, orgs, class_id)
        issued = [(s, cards.new_code()) for s in students]
        # a card issued again is the remedy for a lost one: what the old card signed in with
        # must stop working too (revoked below, once the new codes are stored)
        replaced = await sql.card_holders(conn, exam_id, [s.id for s in students])
        org_of = {s.id: s.org_id for s in students}
        await sql.upsert_cards(
            conn,
            exam_id,
            [sql.IssuedCard(s.id, org_of[s.id], cards.digest(code)) for s, code in issued],
            p.user_id,
        )
        for school in sorted({org_of[s.id] for s in students}):
            await audit.record(
                conn,
                actor,
                "exam.cards_issue",
                org_id=school,
                target=exam_id,
                detail={
                    "class_id": str(class_id) if class_id else None,
                    "cards": sum(org_of[s.id] == school for s in students),
                },
            )
    await revocation.revoke(
        svc.redis,
        svc.settings.redis_namespace,
        [revocation.card_subject(student_id, exam_id) for student_id in replaced],
    )
    sheet = [
        card_sheets.Card(
            username=s.username,
            display_name=s.display_name,
            national_id=s.national_id or "",
            class_name=s.class_name,
            school=s.school,
            exam=title,
            code=code,
            valid_from=window.window_open.isoformat() if window else "",
            valid_until=window.window_close.isoformat() if window else "",
        )
        for s, code in issued
    ]
    return card_sheets.render(sheet, fmt)
