"""SQL of who sits an exam and how: the exam's owner and assignments, class assignments,
per-student overrides, the device policy, the exams a student sees and the exam cards. Rows
become Structs here and nowhere else; every function runs on the caller's connection."""

from __future__ import annotations

import uuid
from datetime import datetime

import msgspec

from engine.accounts.models import OverrideSet
from engine.accounts.override_rules import ExamTerms
from engine.kernel.sql import Connection

EXAM_ORG = "SELECT id, org_id, title FROM exams WHERE id = $1"
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
NEWEST_EXAM_BY = """
SELECT e.id, e.org_id, e.title FROM exams e JOIN users u ON u.id = e.created_by
WHERE u.username = $1 ORDER BY e.created_at DESC LIMIT 1
"""


class ExamOwner(msgspec.Struct, frozen=True):
    """An exam, the organisation that owns it and its title."""

    id: uuid.UUID
    org_id: uuid.UUID
    title: str


class StudentExam(msgspec.Struct, frozen=True):
    """A published exam a student sees, with the exam's time and the student's own."""

    id: uuid.UUID
    title: str
    # the override's window where there is one
    window_open: datetime
    window_close: datetime
    time_limit_s: int
    override_limit_s: int | None
    extra_s: int
    extra_time_pct: int


class CardStudent(msgspec.Struct, frozen=True):
    id: uuid.UUID
    org_id: uuid.UUID
    username: str
    display_name: str
    national_id: str | None
    class_name: str
    school: str


class IssuedCard(msgspec.Struct, frozen=True):
    student_id: uuid.UUID
    org_id: uuid.UUID
    code_hash: bytes


class Window(msgspec.Struct, frozen=True):
    window_open: datetime
    window_close: datetime


async def exam_owner(conn: Connection, exam_id: uuid.UUID) -> ExamOwner | None:
    row = await conn.fetchrow(EXAM_ORG, exam_id)
    return None if row is None else ExamOwner(**dict(row))


async def assigned_to_any(conn: Connection, exam_id: uuid.UUID, org_ids: list[uuid.UUID]) -> bool:
    return await conn.fetchval(ASSIGNED_TO, exam_id, org_ids) is not None


async def assign_class(
    conn: Connection, exam_id: uuid.UUID, class_id: uuid.UUID, org_id: uuid.UUID
) -> None:
    """The exam assigned to the class's school and to the class (either may be already)."""
    await conn.execute(ASSIGN_ORG, exam_id, org_id)
    await conn.execute(ASSIGN_CLASS, exam_id, class_id, org_id)


async def classes_assigned(
    conn: Connection, exam_id: uuid.UUID, org_ids: list[uuid.UUID]
) -> list[uuid.UUID]:
    return [r["class_id"] for r in await conn.fetch(CLASSES_ASSIGNED, exam_id, org_ids)]


async def exam_terms(conn: Connection, exam_id: uuid.UUID) -> ExamTerms | None:
    row = await conn.fetchrow(EXAM_TERMS, exam_id)
    return None if row is None else ExamTerms(**dict(row))


async def upsert_override(
    conn: Connection,
    exam_id: uuid.UUID,
    student_id: uuid.UUID,
    org_id: uuid.UUID,
    override: OverrideSet,
    updated_by: uuid.UUID,
) -> None:
    await conn.execute(
        UPSERT_OVERRIDE,
        exam_id,
        student_id,
        org_id,
        override.time_limit_s,
        override.window_open,
        override.window_close,
        override.extra_time_s,
        updated_by,
    )


async def upsert_policy(
    conn: Connection, exam_id: uuid.UUID, device_policy: str, updated_by: uuid.UUID
) -> None:
    await conn.execute(UPSERT_POLICY, exam_id, device_policy, updated_by)


async def exams_of_student(conn: Connection, student_id: uuid.UUID) -> list[StudentExam]:
    return [StudentExam(**dict(r)) for r in await conn.fetch(MY_EXAMS, student_id)]


async def card_students(
    conn: Connection, exam_id: uuid.UUID, org_ids: list[uuid.UUID], class_id: uuid.UUID | None
) -> list[CardStudent]:
    """The students of these organisations (and class) who sit the exam."""
    rows = await conn.fetch(CARD_STUDENTS, exam_id, org_ids, class_id)
    return [CardStudent(**dict(r)) for r in rows]


async def card_holders(
    conn: Connection, exam_id: uuid.UUID, student_ids: list[uuid.UUID]
) -> list[uuid.UUID]:
    """Those of the students who hold a card for the exam."""
    rows = await conn.fetch(CARDS_HELD, exam_id, student_ids)
    return [r["student_id"] for r in rows]


async def upsert_cards(
    conn: Connection, exam_id: uuid.UUID, cards: list[IssuedCard], issued_by: uuid.UUID
) -> None:
    await conn.executemany(
        UPSERT_CARD, [(exam_id, c.student_id, c.org_id, c.code_hash, issued_by) for c in cards]
    )


async def published_window(conn: Connection, exam_id: uuid.UUID) -> Window | None:
    row = await conn.fetchrow(PUBLISHED_WINDOW, exam_id)
    return None if row is None else Window(**dict(row))


async def newest_exam_created_by(conn: Connection, username: str) -> ExamOwner | None:
    row = await conn.fetchrow(NEWEST_EXAM_BY, username)
    return None if row is None else ExamOwner(**dict(row))
