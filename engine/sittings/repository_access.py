"""SQL of what accounts reads and writes about sittings: a student's access to an exam, the
rooms and sittings a proctor acts on, and the sitting events both record. Rows become Structs
here and nowhere else; every function runs on the caller's connection."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import msgspec

from engine.exams.models import PublishedVersion
from engine.kernel.sql import Connection
from engine.sittings.repository import StudentSitting

# everything a start reads, in one round trip: the exam's published version (the student's school
# owns it or is assigned it), the student's access to it, and their sitting if one exists
START_CONTEXT = """
SELECT e.id AS exam_id, e.org_id, v.id AS version_id, v.time_limit_s, v.window_open,
       v.window_close, v.grace_s, v.instant_results,
       a.extra_time_pct, a.class_restricted, a.in_class, a.own_time_limit_s,
       a.own_window_open, a.own_window_close, a.extra_s, a.device_policy,
       s.id AS sitting_id, s.exam_version_id AS sitting_version_id, s.state AS sitting_state,
       s.started_at, s.deadline, s.extra_time_s
FROM exams e
JOIN exam_versions v ON v.exam_id = e.id AND v.status = 'published'
LEFT JOIN LATERAL (
    SELECT u.extra_time_pct,
           EXISTS (SELECT 1 FROM exam_class_assignments c
                   WHERE c.exam_id = e.id AND c.org_id = u.org_id) AS class_restricted,
           EXISTS (SELECT 1 FROM exam_class_assignments c
                   WHERE c.exam_id = e.id AND c.class_id = u.class_id) AS in_class,
           o.time_limit_s AS own_time_limit_s, o.window_open AS own_window_open,
           o.window_close AS own_window_close, coalesce(o.extra_time_s, 0) AS extra_s,
           coalesce(p.device_policy, 'take_over') AS device_policy
    FROM users u
    LEFT JOIN exam_overrides o ON o.exam_id = e.id AND o.student_id = u.id
    LEFT JOIN exam_policies p ON p.exam_id = e.id
    WHERE u.id = $3
) a ON true
LEFT JOIN sittings s ON s.exam_id = e.id AND s.student_id = $3
WHERE e.id = $1 AND (e.org_id = $2 OR EXISTS (
    SELECT 1 FROM exam_assignments x WHERE x.exam_id = e.id AND x.org_id = $2))
"""
INSERT_EVENT = """
INSERT INTO sitting_events (sitting_id, exam_id, org_id, student_id, kind, actor_id, detail)
VALUES ($1, $2, $3, $4, $5, $6, $7)
"""
EXAM_OF_VERSION = "SELECT exam_id FROM exam_versions WHERE id = $1"
SITTING = """
SELECT s.id, s.org_id, s.exam_id, s.student_id, s.state, s.extra_time_s, v.time_limit_s
FROM sittings s JOIN exam_versions v ON v.id = s.exam_version_id WHERE s.id = $1
"""
ROOM = """
SELECT u.id AS student_id, u.username, u.display_name, s.id AS sitting_id,
       coalesce(s.state, 'not_started') AS state
FROM users u LEFT JOIN sittings s ON s.student_id = u.id AND s.exam_id = $1
WHERE u.class_id = $2 AND u.role = 'student'
ORDER BY u.display_name, u.username
"""
ROOM_SITTINGS = """
SELECT s.id, s.org_id, s.exam_id, s.student_id FROM sittings s JOIN users u ON u.id = s.student_id
WHERE s.exam_id = $1 AND u.class_id = $2 AND s.state IN ('created', 'active')
"""
SET_DEADLINE = "UPDATE sittings SET deadline = $2 WHERE id = $1 AND state = 'active'"
ADD_EXTRA = """
UPDATE sittings SET deadline = $2, extra_time_s = extra_time_s + $3 WHERE id = $1
"""


class StudentAccess(msgspec.Struct, frozen=True):
    """The student's standing accommodation, class assignment, override and the exam's device
    policy, for one exam."""

    extra_time_pct: int
    # the exam is assigned to some classes of the student's school...
    class_restricted: bool
    # ...and the student's class is one of them
    in_class: bool
    time_limit_s: int | None
    window_open: datetime | None
    window_close: datetime | None
    extra_s: int
    device_policy: str


class SittingEvent(msgspec.Struct, frozen=True):
    sitting_id: uuid.UUID
    exam_id: uuid.UUID
    org_id: uuid.UUID
    student_id: uuid.UUID
    kind: str
    actor_id: uuid.UUID | None
    detail: dict[str, Any]


class ProctoredSitting(msgspec.Struct, frozen=True):
    """A sitting, as much of it as its events name."""

    id: uuid.UUID
    org_id: uuid.UUID
    exam_id: uuid.UUID
    student_id: uuid.UUID


class SittingTime(ProctoredSitting, frozen=True):
    """A sitting with its state and time: what a proctor's single-sitting action checks."""

    state: str
    extra_time_s: int | None
    time_limit_s: int


class RoomSeat(msgspec.Struct, frozen=True):
    """A student of the class and their sitting of the exam, if any."""

    student_id: uuid.UUID
    username: str
    display_name: str
    sitting_id: uuid.UUID | None
    state: str


class StartContext(msgspec.Struct, frozen=True):
    """What starting a sitting reads: the exam, the student's access (None when the student is
    unknown) and their sitting (None before the first start when none was pre-created)."""

    exam: PublishedVersion
    access: StudentAccess | None
    sitting: StudentSitting | None


async def start_context(
    conn: Connection, exam_id: uuid.UUID, org_id: uuid.UUID, student_id: uuid.UUID
) -> StartContext | None:
    """None when no published version of the exam is open to the student's school."""
    row = await conn.fetchrow(START_CONTEXT, exam_id, org_id, student_id)
    if row is None:
        return None
    exam = PublishedVersion(**{f: row[f] for f in PublishedVersion.__struct_fields__})
    access = (
        None
        if row["extra_time_pct"] is None
        else StudentAccess(
            extra_time_pct=row["extra_time_pct"],
            class_restricted=row["class_restricted"],
            in_class=row["in_class"],
            time_limit_s=row["own_time_limit_s"],
            window_open=row["own_window_open"],
            window_close=row["own_window_close"],
            extra_s=row["extra_s"],
            device_policy=row["device_policy"],
        )
    )
    sitting = (
        None
        if row["sitting_id"] is None
        else StudentSitting(
            id=row["sitting_id"],
            exam_version_id=row["sitting_version_id"],
            state=row["sitting_state"],
            started_at=row["started_at"],
            deadline=row["deadline"],
            extra_time_s=row["extra_time_s"],
        )
    )
    return StartContext(exam, access, sitting)


async def insert_sitting_event(conn: Connection, event: SittingEvent) -> None:
    await conn.execute(
        INSERT_EVENT,
        event.sitting_id,
        event.exam_id,
        event.org_id,
        event.student_id,
        event.kind,
        event.actor_id,
        event.detail,
    )


async def exam_of_version(conn: Connection, exam_version_id: uuid.UUID) -> uuid.UUID | None:
    exam_id: uuid.UUID | None = await conn.fetchval(EXAM_OF_VERSION, exam_version_id)
    return exam_id


async def sitting_time(conn: Connection, sitting_id: uuid.UUID) -> SittingTime | None:
    row = await conn.fetchrow(SITTING, sitting_id)
    return None if row is None else SittingTime(**dict(row))


async def room_seats(conn: Connection, exam_id: uuid.UUID, class_id: uuid.UUID) -> list[RoomSeat]:
    return [RoomSeat(**dict(r)) for r in await conn.fetch(ROOM, exam_id, class_id)]


async def running_sittings_of_room(
    conn: Connection, exam_id: uuid.UUID, class_id: uuid.UUID
) -> list[ProctoredSitting]:
    """The room's sittings not yet submitted."""
    rows = await conn.fetch(ROOM_SITTINGS, exam_id, class_id)
    return [ProctoredSitting(**dict(r)) for r in rows]


async def set_deadline(conn: Connection, sitting_id: uuid.UUID, deadline: datetime) -> None:
    """Only an active sitting's deadline moves."""
    await conn.execute(SET_DEADLINE, sitting_id, deadline)


async def add_extra_time(
    conn: Connection, sitting_id: uuid.UUID, deadline: datetime, seconds: int
) -> None:
    await conn.execute(ADD_EXTRA, sitting_id, deadline, seconds)
