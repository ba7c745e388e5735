"""Who sits an exam and how: assignment to classes, per-student overrides, the device policy,
the exams a student sees, and printable exam cards."""

from __future__ import annotations

import uuid
from typing import Any

from engine.accounts import audit, card_sheets
from engine.accounts.audit import Actor
from engine.accounts.models import (
    ClassAssignment,
    ClassAssignments,
    ExamPolicy,
    MyExam,
    Override,
    OverrideSet,
)
from engine.accounts.override_rules import ExamTerms, override_errors
from engine.accounts.people import class_in_scope, user_in_scope
from engine.accounts.scope import orgs_reached, reaches, require_org
from engine.accounts.sitting_access import effective_limit_s
from engine.auth import cards, revocation
from engine.kernel.errors import forbidden, not_found, validation_failed
from engine.kernel.principal import Principal
from engine.services import Services

EXAM_ORG = "SELECT org_id, title FROM exams WHERE id = $1"
ASSIGNED_TO = """
SELECT org_id FROM exam_assignments WHERE exam_id = $1 AND org_id = ANY($2::uuid[]) LIMIT 1
"""
ASSIGN_CLASS = """
INSERT INTO exam_class_assignments (exam_id, class_id, org_id) VALUES ($1, $2, $3)
ON CONFLICT DO NOTHING
"""
ASSIGN_ORG = "INSERT INTO exam_assignments (exam_id, org_id) VALUES ($1, $2) ON CONFLICT DO NOTHING"
CLASSES_ASSIGNED = """
SELECT class_id FROM exam_class_assignments WHERE exam_id = $1 AND org_id = ANY($2::uuid[])
ORDER BY class_id
"""
UPSERT_OVERRIDE = """
INSERT INTO exam_overrides (exam_id, student_id, org_id, time_limit_s, window_open, window_close,
                            extra_time_s, updated_by)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
ON CONFLICT (exam_id, student_id) DO UPDATE SET time_limit_s = $4, window_open = $5,
    window_close = $6, extra_time_s = $7, updated_by = $8, updated_at = now()
"""
UPSERT_POLICY = """
INSERT INTO exam_policies (exam_id, device_policy, updated_by) VALUES ($1, $2, $3)
ON CONFLICT (exam_id) DO UPDATE SET device_policy = $2, updated_by = $3, updated_at = now()
"""
# a student sees the published exams of their school or assigned to it, and, where the exam is
# assigned to classes of their school, only if their class is one of them
MY_EXAMS = """
SELECT e.id, e.title, coalesce(o.window_open, v.window_open) AS window_open,
       coalesce(o.window_close, v.window_close) AS window_close, v.time_limit_s,
       o.time_limit_s AS override_limit_s, coalesce(o.extra_time_s, 0) AS extra_s,
       u.extra_time_pct
FROM users u
JOIN exams e ON e.org_id = u.org_id OR EXISTS (
    SELECT 1 FROM exam_assignments a WHERE a.exam_id = e.id AND a.org_id = u.org_id)
JOIN exam_versions v ON v.exam_id = e.id AND v.status = 'published'
LEFT JOIN exam_overrides o ON o.exam_id = e.id AND o.student_id = u.id
WHERE u.id = $1 AND (
    NOT EXISTS (SELECT 1 FROM exam_class_assignments x
                WHERE x.exam_id = e.id AND x.org_id = u.org_id)
    OR EXISTS (SELECT 1 FROM exam_class_assignments x
               WHERE x.exam_id = e.id AND x.class_id = u.class_id))
ORDER BY window_open, e.title
"""
CARD_STUDENTS = """
SELECT u.id, u.org_id, u.username, u.display_name, u.national_id,
       coalesce(c.name, '') AS class_name, s.name AS school
FROM users u JOIN orgs s ON s.id = u.org_id LEFT JOIN classes c ON c.id = u.class_id
WHERE u.role = 'student' AND u.org_id = ANY($2::uuid[]) AND u.removed_at IS NULL
  AND ($3::uuid IS NULL OR u.class_id = $3)
  AND (u.org_id = (SELECT org_id FROM exams WHERE id = $1) OR EXISTS (
      SELECT 1 FROM exam_assignments a WHERE a.exam_id = $1 AND a.org_id = u.org_id))
  AND (NOT EXISTS (SELECT 1 FROM exam_class_assignments x
                   WHERE x.exam_id = $1 AND x.org_id = u.org_id)
       OR EXISTS (SELECT 1 FROM exam_class_assignments x
                  WHERE x.exam_id = $1 AND x.class_id = u.class_id))
ORDER BY s.name, c.name, u.display_name, u.username
"""
UPSERT_CARD = """
INSERT INTO exam_cards (exam_id, student_id, org_id, code_hash, issued_by)
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (exam_id, student_id) DO UPDATE SET code_hash = $4, issued_by = $5, issued_at = now()
"""
CARDS_HELD = """
SELECT student_id FROM exam_cards WHERE exam_id = $1 AND student_id = ANY($2::uuid[])
"""
# the version students sit if there is one, else the newest draft (as GET /v1/exams/{id})
EXAM_TERMS = """
SELECT time_limit_s, window_open, window_close FROM exam_versions WHERE exam_id = $1
ORDER BY (status = 'published') DESC, version DESC LIMIT 1
"""
PUBLISHED_WINDOW = """
SELECT window_open, window_close FROM exam_versions WHERE exam_id = $1 AND status = 'published'
"""


async def exam_in_reach(
    conn: Any, principal: Principal, exam_id: uuid.UUID, owner_only: bool = False
) -> tuple[uuid.UUID, str]:
    """The exam's organisation and title, if the caller's organisation owns the exam (or is
    above its owner) or, unless ``owner_only``, the exam is assigned to it."""
    row = await conn.fetchrow(EXAM_ORG, exam_id)
    if row is None:
        raise not_found("exam")
    if await reaches(conn, principal, row["org_id"]):
        return row["org_id"], row["title"]
    if not owner_only and await conn.fetchval(
        ASSIGNED_TO, exam_id, await orgs_reached(conn, principal)
    ):
        return row["org_id"], row["title"]
    raise not_found("exam")


async def assign_classes(
    svc: Services, actor: Actor, exam_id: uuid.UUID, data: ClassAssignment
) -> ClassAssignments:
    p = actor.principal
    async with svc.pool.acquire() as conn, conn.transaction():
        await exam_in_reach(conn, p, exam_id)
        for class_id in dict.fromkeys(data.class_ids):
            found = await class_in_scope(conn, p, class_id)
            await conn.execute(ASSIGN_ORG, exam_id, found.org_id)
            await conn.execute(ASSIGN_CLASS, exam_id, class_id, found.org_id)
            await audit.record(
                conn,
                actor,
                "exam.assign_class",
                org_id=found.org_id,
                target=exam_id,
                detail={"class_id": str(class_id)},
            )
        rows = await conn.fetch(CLASSES_ASSIGNED, exam_id, await orgs_reached(conn, p))
    return ClassAssignments(exam_id, [r["class_id"] for r in rows])


async def set_override(
    svc: Services, actor: Actor, exam_id: uuid.UUID, student_id: uuid.UUID, data: OverrideSet
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
        terms = await conn.fetchrow(EXAM_TERMS, exam_id)
        if terms is None:
            raise not_found("exam")
        errors = override_errors(data, ExamTerms(**dict(terms)))
        if errors:
            raise validation_failed("the override strays too far from the exam", errors)
        await conn.execute(
            UPSERT_OVERRIDE,
            exam_id,
            student_id,
            student.org_id,
            data.time_limit_s,
            data.window_open,
            data.window_close,
            data.extra_time_s,
            p.user_id,
        )
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


async def set_policy(
    svc: Services, actor: Actor, exam_id: uuid.UUID, data: ExamPolicy
) -> ExamPolicy:
    async with svc.pool.acquire() as conn, conn.transaction():
        org_id, _ = await exam_in_reach(conn, actor.principal, exam_id, owner_only=True)
        await conn.execute(UPSERT_POLICY, exam_id, data.device_policy, actor.principal.user_id)
        await audit.record(
            conn,
            actor,
            "exam.policy",
            org_id=org_id,
            target=exam_id,
            detail={"device_policy": data.device_policy},
        )
    return data


async def my_exams(svc: Services, principal: Principal) -> list[MyExam]:
    async with svc.pool.acquire() as conn:
        rows = await conn.fetch(MY_EXAMS, principal.user_id)
    return [
        MyExam(
            id=r["id"],
            title=r["title"],
            window_open=r["window_open"],
            window_close=r["window_close"],
            time_limit_s=r["override_limit_s"] or r["time_limit_s"],
            extra_time_s=effective_limit_s(
                r["time_limit_s"], r["override_limit_s"], r["extra_time_pct"], r["extra_s"]
            )
            - (r["override_limit_s"] or r["time_limit_s"]),
        )
        for r in rows
        if principal.exam_id in (None, r["id"])
    ]


async def issue_cards(
    svc: Services,
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
        window = await conn.fetchrow(PUBLISHED_WINDOW, exam_id)
        students = await conn.fetch(CARD_STUDENTS, exam_id, orgs, class_id)
        issued = [(s, cards.new_code()) for s in students]
        # a card issued again is the remedy for a lost one: what the old card signed in with
        # must stop working too (revoked below, once the new codes are stored)
        replaced = await conn.fetch(CARDS_HELD, exam_id, [s["id"] for s in students])
        org_of = {s["id"]: s["org_id"] for s in students}
        await conn.executemany(
            UPSERT_CARD,
            [
                (exam_id, s["id"], org_of[s["id"]], cards.digest(code), p.user_id)
                for s, code in issued
            ],
        )
        for school in sorted({org_of[s["id"]] for s in students}):
            await audit.record(
                conn,
                actor,
                "exam.cards_issue",
                org_id=school,
                target=exam_id,
                detail={
                    "class_id": str(class_id) if class_id else None,
                    "cards": sum(org_of[s["id"]] == school for s in students),
                },
            )
    await revocation.revoke(
        svc.redis,
        svc.settings.redis_namespace,
        [revocation.card_subject(r["student_id"], exam_id) for r in replaced],
    )
    sheet = [
        card_sheets.Card(
            username=s["username"],
            display_name=s["display_name"],
            national_id=s["national_id"] or "",
            class_name=s["class_name"],
            school=s["school"],
            exam=title,
            code=code,
            valid_from=window["window_open"].isoformat() if window else "",
            valid_until=window["window_close"].isoformat() if window else "",
        )
        for s, code in issued
    ]
    return card_sheets.render(sheet, fmt)
