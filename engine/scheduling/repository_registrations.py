"""SQL of registrations: classes, the seats they reserve in sessions, the waiting list."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import msgspec

from engine.kernel.sql import Connection
from engine.scheduling.models import Registration

CLASS_BY_ID = "SELECT id, org_id, name FROM classes WHERE id = $1"
CLASS_HEADCOUNT = "SELECT count(*) FROM users WHERE class_id = $1 AND role = 'student'"
# taken in id order so two registrations for overlapping sessions cannot deadlock
LOCK_SESSIONS = "SELECT id FROM exam_sessions WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE"
SCHOOL_SEATS = """
SELECT coalesce(sum(seats), 0) FROM school_rooms WHERE org_id = $1 AND active
"""
RESERVED_BY_SCHOOL = """
SELECT session_id, sum(seats)::int AS seats FROM session_registrations
WHERE status = 'registered' AND session_id = ANY($1::uuid[]) AND org_id = $2
GROUP BY session_id
"""
RESERVED_NATIONALLY = """
SELECT session_id, sum(seats)::int AS seats FROM session_registrations
WHERE status = 'registered' AND session_id = ANY($1::uuid[]) GROUP BY session_id
"""
ALREADY_REGISTERED = """
SELECT group_id FROM session_registrations WHERE class_id = $1 AND event_id = $2 LIMIT 1
"""
# the class's sessions in other events that overlap the wanted ones: its students would clash
CLASHES = """
SELECT s.id, s.label, s.starts_at, s.ends_at
FROM session_registrations r JOIN exam_sessions s ON s.id = r.session_id
WHERE r.class_id = $1 AND r.event_id <> $2 AND EXISTS (
    SELECT 1 FROM exam_sessions c
    WHERE c.id = ANY($3::uuid[]) AND c.starts_at < s.ends_at AND s.starts_at < c.ends_at)
"""
INSERT_REGISTRATION = """
INSERT INTO session_registrations (id, group_id, event_id, session_id, org_id, class_id, seats,
                                   status, registered_by)
SELECT gen_random_uuid(), $1, $2, s, $3, $4, n, $5, $6
FROM unnest($7::uuid[], $8::int[]) AS t (s, n)
"""
GROUP_ROWS = """
SELECT r.group_id, r.event_id, r.session_id, r.org_id, r.class_id, r.seats, r.status,
       e.changes_close_at
FROM session_registrations r JOIN exam_events e ON e.id = r.event_id
WHERE r.group_id = $1 ORDER BY r.session_id
"""
DELETE_GROUP = "DELETE FROM session_registrations WHERE group_id = $1"
REGISTRATIONS_OF_ORG = """
SELECT group_id, event_id, session_id, org_id, class_id, seats, status
FROM session_registrations WHERE org_id = $1 ORDER BY created_at, session_id
"""
# waiting groups touching these sessions, first come first served
WAITING_GROUPS = """
SELECT group_id, min(created_at) AS since FROM session_registrations
WHERE status = 'waitlisted' AND group_id IN (
    SELECT group_id FROM session_registrations WHERE session_id = ANY($1::uuid[]))
GROUP BY group_id ORDER BY since, group_id
"""
PROMOTE_GROUP = """
UPDATE session_registrations SET status = 'registered' WHERE group_id = $1
"""


class SchoolClass(msgspec.Struct, frozen=True):
    id: uuid.UUID
    org_id: uuid.UUID
    name: str


class ClashingSession(msgspec.Struct, frozen=True):
    id: uuid.UUID
    label: str
    starts_at: datetime
    ends_at: datetime


class RegistrationGroup(msgspec.Struct, frozen=True):
    """One registration of a class: its school, the event's cut-off, the seats per session."""

    org_id: uuid.UUID
    changes_close_at: datetime
    seats: dict[uuid.UUID, int]  # in session id order


async def class_by_id(conn: Connection, class_id: uuid.UUID) -> SchoolClass | None:
    row = await conn.fetchrow(CLASS_BY_ID, class_id)
    return None if row is None else SchoolClass(**dict(row))


async def class_headcount(conn: Connection, class_id: uuid.UUID) -> int:
    return int(await conn.fetchval(CLASS_HEADCOUNT, class_id))


async def lock_sessions(conn: Connection, session_ids: list[uuid.UUID]) -> None:
    """Hold these sessions' rows until the transaction ends: seats are counted and taken
    under the lock, so two schools cannot both take the last ones."""
    await conn.execute(LOCK_SESSIONS, session_ids)


async def school_seats(conn: Connection, org_id: uuid.UUID) -> int:
    """The seats of the school's active rooms."""
    return int(await conn.fetchval(SCHOOL_SEATS, org_id))


async def reserved_by_school(
    conn: Connection, session_ids: list[uuid.UUID], org_id: uuid.UUID
) -> dict[uuid.UUID, int]:
    rows = await conn.fetch(RESERVED_BY_SCHOOL, session_ids, org_id)
    return {r["session_id"]: r["seats"] for r in rows}


async def reserved_nationally(
    conn: Connection, session_ids: list[uuid.UUID]
) -> dict[uuid.UUID, int]:
    return {r["session_id"]: r["seats"] for r in await conn.fetch(RESERVED_NATIONALLY, session_ids)}


async def is_registered(conn: Connection, class_id: uuid.UUID, event_id: uuid.UUID) -> bool:
    return await conn.fetchval(ALREADY_REGISTERED, class_id, event_id) is not None


async def clashes(
    conn: Connection, class_id: uuid.UUID, event_id: uuid.UUID, session_ids: list[uuid.UUID]
) -> list[ClashingSession]:
    rows = await conn.fetch(CLASHES, class_id, event_id, session_ids)
    return [ClashingSession(**dict(r)) for r in rows]


async def insert_registration(
    conn: Connection,
    registration: Registration,
    registered_by: uuid.UUID,
    wanted: dict[uuid.UUID, int],
) -> None:
    """One row per session of ``wanted`` (session → seats), all under the registration's group."""
    await conn.execute(
        INSERT_REGISTRATION,
        registration.group_id,
        registration.event_id,
        registration.org_id,
        registration.class_id,
        registration.status,
        registered_by,
        list(wanted),
        list(wanted.values()),
    )


async def group(conn: Connection, group_id: uuid.UUID) -> RegistrationGroup | None:
    rows = await conn.fetch(GROUP_ROWS, group_id)
    if not rows:
        return None
    return RegistrationGroup(
        rows[0]["org_id"],
        rows[0]["changes_close_at"],
        {r["session_id"]: r["seats"] for r in rows},
    )


async def delete_group(conn: Connection, group_id: uuid.UUID) -> None:
    await conn.execute(DELETE_GROUP, group_id)


async def registrations_of_school(conn: Connection, org_id: uuid.UUID) -> list[Registration]:
    """A school's registrations, oldest first (a group is where its first row is)."""
    groups: dict[uuid.UUID, list[Any]] = {}
    for r in await conn.fetch(REGISTRATIONS_OF_ORG, org_id):
        groups.setdefault(r["group_id"], []).append(r)
    return [
        Registration(
            rows[0]["group_id"],
            rows[0]["event_id"],
            rows[0]["org_id"],
            rows[0]["class_id"],
            rows[0]["status"],
            {str(r["session_id"]): r["seats"] for r in rows},
        )
        for rows in groups.values()
    ]


async def waiting_groups(conn: Connection, session_ids: list[uuid.UUID]) -> list[uuid.UUID]:
    """Waiting groups touching these sessions, first come first served."""
    return [r["group_id"] for r in await conn.fetch(WAITING_GROUPS, session_ids)]


async def promote_group(conn: Connection, group_id: uuid.UUID) -> None:
    await conn.execute(PROMOTE_GROUP, group_id)
