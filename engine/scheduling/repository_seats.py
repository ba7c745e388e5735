"""SQL of seat allocations: allocating an event, re-seating after a lost room, make-ups.

Rows become Structs here and nowhere else; every function runs on the caller's connection,
inside the transaction that allocates.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

import msgspec

from engine.kernel.sql import Connection

# sessions whose seats may still change: not yet prepared (no sittings exist for them)
OPEN_REGULAR_SESSIONS = """
SELECT s.id, s.starts_at, s.ends_at, s.national_cap,
       ARRAY(SELECT exam_id FROM session_forms f WHERE f.session_id = s.id ORDER BY position)
           AS forms
FROM exam_sessions s
WHERE s.event_id = $1 AND s.kind = 'regular' AND s.prepared_at IS NULL
ORDER BY s.starts_at, s.id
"""
REGISTERED_CLASSES = """
SELECT session_id, class_id FROM session_registrations
WHERE session_id = ANY($1::uuid[]) AND status = 'registered'
"""
STUDENTS_OF_CLASSES = """
SELECT id, class_id, org_id FROM users WHERE class_id = ANY($1::uuid[]) AND role = 'student'
"""
ACTIVE_ROOMS = """
SELECT id, org_id, seats, columns FROM school_rooms WHERE org_id = ANY($1::uuid[]) AND active
"""
# what these students already sit outside the sessions being allocated
BUSY = """
SELECT a.student_id, s.starts_at, s.ends_at
FROM seat_allocations a JOIN exam_sessions s ON s.id = a.session_id
WHERE a.student_id = ANY($1::uuid[]) AND NOT (a.session_id = ANY($2::uuid[]))
"""
# when these rooms are held by sessions outside those being (re)seated: a room hosts one at a time
ROOM_BOOKINGS = """
SELECT DISTINCT a.room_id, s.starts_at, s.ends_at
FROM seat_allocations a JOIN exam_sessions s ON s.id = a.session_id
WHERE a.room_id = ANY($1::uuid[]) AND NOT (a.session_id = ANY($2::uuid[]))
"""
DELETE_ALLOCATIONS = "DELETE FROM seat_allocations WHERE session_id = ANY($1::uuid[])"
INSERT_ALLOCATIONS = """
INSERT INTO seat_allocations (session_id, student_id, org_id, room_id, seat, exam_id)
SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::int[], $6::uuid[])
"""
MARK_ALLOCATED = "UPDATE exam_sessions SET allocated_at = now() WHERE id = ANY($1::uuid[])"

# -- lost rooms ------------------------------------------------------------------------------
# sessions not yet over that seat someone in the room
SESSIONS_USING_ROOM = """
SELECT DISTINCT s.id, s.starts_at, s.ends_at, s.prepared_at, e.seed,
       ARRAY(SELECT exam_id FROM session_forms f WHERE f.session_id = s.id ORDER BY position)
           AS forms
FROM seat_allocations a JOIN exam_sessions s ON s.id = a.session_id
JOIN exam_events e ON e.id = s.event_id
WHERE a.room_id = $1 AND s.ends_at > now()
"""
SCHOOL_PLACEMENTS = """
SELECT a.student_id, a.room_id, a.seat, a.exam_id, a.sitting_id, st.state AS sitting_state
FROM seat_allocations a LEFT JOIN sittings st ON st.id = a.sitting_id
WHERE a.session_id = $1 AND a.org_id = $2 AND a.room_id IS NOT NULL
"""
MOVE_SEAT = """
UPDATE seat_allocations SET room_id = $3, seat = $4, exam_id = $5
WHERE session_id = $1 AND student_id = $2
"""
UNSEAT = """
UPDATE seat_allocations SET room_id = NULL, seat = NULL WHERE session_id = $1 AND student_id = $2
"""
# a pre-created sitting that nobody started can go: the new form gets its own at prepare
UNLINK_SITTING = """
UPDATE seat_allocations SET sitting_id = NULL WHERE session_id = $1 AND student_id = $2
"""
DROP_UNSTARTED_SITTING = "DELETE FROM sittings WHERE id = $1 AND state = 'created'"

# -- make-ups --------------------------------------------------------------------------------
# who of these sessions did not submit: no sitting, or one never finished
NOT_SUBMITTED = """
SELECT a.student_id, a.org_id FROM seat_allocations a
LEFT JOIN sittings st ON st.exam_id = a.exam_id AND st.student_id = a.student_id
WHERE a.session_id = ANY($1::uuid[])
  AND (st.id IS NULL OR st.state IN ('created', 'active'))
"""
STUDENTS_BY_ID = """
SELECT id, org_id FROM users WHERE id = ANY($1::uuid[]) AND role = 'student'
"""
# every form a student was given or has a sitting of: a make-up needs one outside these
SEEN_FORMS = """
SELECT student_id, exam_id FROM seat_allocations
WHERE student_id = ANY($1::uuid[]) AND session_id <> $2
UNION SELECT student_id, exam_id FROM sittings WHERE student_id = ANY($1::uuid[])
"""
ALLOCATED_IN = "SELECT student_id, org_id FROM seat_allocations WHERE session_id = $1"


class OpenSession(msgspec.Struct, frozen=True):
    id: uuid.UUID
    starts_at: datetime
    ends_at: datetime
    national_cap: int | None
    forms: list[uuid.UUID]


class RegisteredClass(msgspec.Struct, frozen=True):
    """A class's reservation in one session."""

    session_id: uuid.UUID
    class_id: uuid.UUID


class ClassStudent(msgspec.Struct, frozen=True):
    id: uuid.UUID
    class_id: uuid.UUID
    org_id: uuid.UUID


class SchoolStudent(msgspec.Struct, frozen=True):
    id: uuid.UUID
    org_id: uuid.UUID


class ActiveRoom(msgspec.Struct, frozen=True):
    id: uuid.UUID
    org_id: uuid.UUID
    seats: int
    columns: int


class Booking(msgspec.Struct, frozen=True):
    """A student or a room held from ``starts_at`` to ``ends_at`` by another session."""

    holder_id: uuid.UUID
    starts_at: datetime
    ends_at: datetime


class SessionUsingRoom(msgspec.Struct, frozen=True):
    id: uuid.UUID
    starts_at: datetime
    ends_at: datetime
    prepared_at: datetime | None
    seed: int
    forms: list[uuid.UUID]


class SchoolPlacement(msgspec.Struct, frozen=True):
    """Where a student of the school sits, and the state of their pre-created sitting."""

    student_id: uuid.UUID
    room_id: uuid.UUID
    seat: int
    exam_id: uuid.UUID
    sitting_id: uuid.UUID | None
    sitting_state: str | None  # None: no sitting yet


class SeenForm(msgspec.Struct, frozen=True):
    student_id: uuid.UUID
    exam_id: uuid.UUID


class NewAllocation(msgspec.Struct, frozen=True):
    session_id: uuid.UUID
    student_id: uuid.UUID
    org_id: uuid.UUID
    room_id: uuid.UUID
    seat: int
    exam_id: uuid.UUID


async def open_regular_sessions(conn: Connection, event_id: uuid.UUID) -> list[OpenSession]:
    return [OpenSession(**dict(r)) for r in await conn.fetch(OPEN_REGULAR_SESSIONS, event_id)]


async def registered_classes(
    conn: Connection, session_ids: list[uuid.UUID]
) -> list[RegisteredClass]:
    rows = await conn.fetch(REGISTERED_CLASSES, session_ids)
    return [RegisteredClass(**dict(r)) for r in rows]


async def students_of_classes(conn: Connection, class_ids: list[uuid.UUID]) -> list[ClassStudent]:
    return [ClassStudent(**dict(r)) for r in await conn.fetch(STUDENTS_OF_CLASSES, class_ids)]


async def active_rooms(conn: Connection, org_ids: list[uuid.UUID]) -> list[ActiveRoom]:
    return [ActiveRoom(**dict(r)) for r in await conn.fetch(ACTIVE_ROOMS, org_ids)]


async def students_busy(
    conn: Connection, student_ids: list[uuid.UUID], outside_sessions: list[uuid.UUID]
) -> list[Booking]:
    rows = await conn.fetch(BUSY, student_ids, outside_sessions)
    return [Booking(r["student_id"], r["starts_at"], r["ends_at"]) for r in rows]


async def room_bookings(
    conn: Connection, room_ids: list[uuid.UUID], outside_sessions: list[uuid.UUID]
) -> list[Booking]:
    rows = await conn.fetch(ROOM_BOOKINGS, room_ids, outside_sessions)
    return [Booking(r["room_id"], r["starts_at"], r["ends_at"]) for r in rows]


async def delete_allocations(conn: Connection, session_ids: list[uuid.UUID]) -> None:
    await conn.execute(DELETE_ALLOCATIONS, session_ids)


async def insert_allocations(conn: Connection, allocations: Sequence[NewAllocation]) -> None:
    await conn.execute(
        INSERT_ALLOCATIONS,
        *([getattr(a, f) for a in allocations] for f in NewAllocation.__struct_fields__),
    )


async def mark_allocated(conn: Connection, session_ids: list[uuid.UUID]) -> None:
    await conn.execute(MARK_ALLOCATED, session_ids)


async def sessions_using_room(conn: Connection, room_id: uuid.UUID) -> list[SessionUsingRoom]:
    return [SessionUsingRoom(**dict(r)) for r in await conn.fetch(SESSIONS_USING_ROOM, room_id)]


async def school_placements(
    conn: Connection, session_id: uuid.UUID, org_id: uuid.UUID
) -> list[SchoolPlacement]:
    rows = await conn.fetch(SCHOOL_PLACEMENTS, session_id, org_id)
    return [SchoolPlacement(**dict(r)) for r in rows]


async def move_seat(
    conn: Connection,
    session_id: uuid.UUID,
    student_id: uuid.UUID,
    room_id: uuid.UUID,
    seat: int,
    exam_id: uuid.UUID,
) -> None:
    await conn.execute(MOVE_SEAT, session_id, student_id, room_id, seat, exam_id)


async def unseat(conn: Connection, session_id: uuid.UUID, student_id: uuid.UUID) -> None:
    await conn.execute(UNSEAT, session_id, student_id)


async def drop_unstarted_sitting(
    conn: Connection, session_id: uuid.UUID, student_id: uuid.UUID, sitting_id: uuid.UUID
) -> None:
    """The student's seat forgets the sitting, which goes if nobody started it."""
    await conn.execute(UNLINK_SITTING, session_id, student_id)
    await conn.execute(DROP_UNSTARTED_SITTING, sitting_id)


async def not_submitted(conn: Connection, session_ids: list[uuid.UUID]) -> list[SchoolStudent]:
    rows = await conn.fetch(NOT_SUBMITTED, session_ids)
    return [SchoolStudent(r["student_id"], r["org_id"]) for r in rows]


async def students_by_id(conn: Connection, student_ids: list[uuid.UUID]) -> list[SchoolStudent]:
    return [SchoolStudent(**dict(r)) for r in await conn.fetch(STUDENTS_BY_ID, student_ids)]


async def seen_forms(
    conn: Connection, student_ids: list[uuid.UUID], makeup_id: uuid.UUID
) -> list[SeenForm]:
    return [SeenForm(**dict(r)) for r in await conn.fetch(SEEN_FORMS, student_ids, makeup_id)]


async def allocated_in(conn: Connection, session_id: uuid.UUID) -> list[SchoolStudent]:
    rows = await conn.fetch(ALLOCATED_IN, session_id)
    return [SchoolStudent(r["student_id"], r["org_id"]) for r in rows]
