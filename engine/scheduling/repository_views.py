"""SQL of the schedule's views and exports: the organiser's overview, a school's timetable, a
student's exams, seating lists and the load each session brings."""

from __future__ import annotations

import uuid
from datetime import datetime

import msgspec

from engine.kernel.sql import Connection
from engine.scheduling.forecast import SessionLoad

OVERVIEW_REGISTRATIONS = """
SELECT r.session_id, coalesce(p.region, '') AS region, count(DISTINCT r.org_id) AS schools,
       coalesce(sum(r.seats) FILTER (WHERE r.status = 'registered'), 0)::int AS reserved,
       coalesce(sum(r.seats) FILTER (WHERE r.status = 'waitlisted'), 0)::int AS waitlisted
FROM session_registrations r LEFT JOIN school_profiles p ON p.org_id = r.org_id
WHERE r.event_id = $1 GROUP BY 1, 2
"""
OVERVIEW_ALLOCATED = """
SELECT a.session_id, coalesce(p.region, '') AS region, count(DISTINCT a.org_id) AS schools,
       count(*) FILTER (WHERE a.room_id IS NOT NULL) AS allocated,
       count(*) FILTER (WHERE a.room_id IS NULL) AS unseated
FROM seat_allocations a JOIN exam_sessions s ON s.id = a.session_id
LEFT JOIN school_profiles p ON p.org_id = a.org_id
WHERE s.event_id = $1 GROUP BY 1, 2
"""
# the seats of the schools taking part in each session (their active rooms)
OVERVIEW_SEATS = """
SELECT x.session_id, coalesce(p.region, '') AS region, coalesce(sum(rm.seats), 0)::int AS seats
FROM (
    SELECT DISTINCT session_id, org_id FROM session_registrations
    WHERE event_id = $1 AND status = 'registered'
    UNION
    SELECT a.session_id, a.org_id FROM seat_allocations a
    JOIN exam_sessions s ON s.id = a.session_id WHERE s.event_id = $1
) x
JOIN school_rooms rm ON rm.org_id = x.org_id AND rm.active
LEFT JOIN school_profiles p ON p.org_id = x.org_id
GROUP BY 1, 2
"""
TIMETABLE = """
SELECT e.id AS event_id, e.title AS event_title, s.id AS session_id, s.label, s.starts_at,
       s.ends_at,
       ARRAY(SELECT c.name FROM session_registrations r JOIN classes c ON c.id = r.class_id
             WHERE r.session_id = s.id AND r.org_id = $1 ORDER BY c.name) AS classes,
       EXISTS (SELECT 1 FROM session_registrations r WHERE r.session_id = s.id
               AND r.org_id = $1 AND r.status = 'registered')
       OR EXISTS (SELECT 1 FROM seat_allocations a WHERE a.session_id = s.id
                  AND a.org_id = $1) AS registered,
       (SELECT coalesce(sum(seats), 0) FROM session_registrations r WHERE r.session_id = s.id
        AND r.org_id = $1 AND r.status = 'registered')::int AS reserved,
       (SELECT count(*) FROM seat_allocations a WHERE a.session_id = s.id
        AND a.org_id = $1)::int AS allocated,
       s.allocated_at,
       ARRAY(SELECT DISTINCT rm.name FROM seat_allocations a
             JOIN school_rooms rm ON rm.id = a.room_id
             WHERE a.session_id = s.id AND a.org_id = $1 ORDER BY rm.name) AS rooms,
       coalesce((SELECT time_zone FROM school_profiles WHERE org_id = $1),
                'Asia/Jakarta') AS time_zone
FROM exam_sessions s JOIN exam_events e ON e.id = s.event_id
WHERE EXISTS (SELECT 1 FROM session_registrations r WHERE r.session_id = s.id AND r.org_id = $1)
   OR EXISTS (SELECT 1 FROM seat_allocations a WHERE a.session_id = s.id AND a.org_id = $1)
ORDER BY s.starts_at, s.id
"""
MY_EXAMS = """
SELECT e.title AS event_title, s.id AS session_id, s.label, s.starts_at, s.ends_at,
       a.exam_id, rm.name AS room, a.seat, a.sitting_id, o.name AS school,
       coalesce(p.time_zone, 'Asia/Jakarta') AS time_zone
FROM seat_allocations a
JOIN exam_sessions s ON s.id = a.session_id
JOIN exam_events e ON e.id = s.event_id
JOIN orgs o ON o.id = a.org_id
LEFT JOIN school_rooms rm ON rm.id = a.room_id
LEFT JOIN school_profiles p ON p.org_id = a.org_id
WHERE a.student_id = $1
ORDER BY s.starts_at, s.id
"""
# one row per seated (or unseated) student of a session, for room lists and exam cards
SEATING = """
SELECT o.name AS school, coalesce(o.code, '') AS school_code, rm.name AS room, rm.columns,
       a.seat, u.username, u.display_name, coalesce(u.national_id, '') AS national_id,
       coalesce(c.name, '') AS class_name, f.position AS form_position,
       coalesce(p.time_zone, 'Asia/Jakarta') AS time_zone
FROM seat_allocations a
JOIN users u ON u.id = a.student_id
JOIN orgs o ON o.id = a.org_id
LEFT JOIN session_forms f ON f.session_id = a.session_id AND f.exam_id = a.exam_id
LEFT JOIN school_rooms rm ON rm.id = a.room_id
LEFT JOIN classes c ON c.id = u.class_id
LEFT JOIN school_profiles p ON p.org_id = a.org_id
WHERE a.session_id = $1 AND a.org_id = ANY($2::uuid[])
ORDER BY o.name, rm.name NULLS LAST, a.seat, u.username
"""
# how many students each session of an event seats (allocated, else reserved)
SESSION_LOADS = """
SELECT s.id, s.label, s.starts_at, s.ends_at,
       greatest(
           (SELECT count(*) FROM seat_allocations a WHERE a.session_id = s.id),
           (SELECT coalesce(sum(seats), 0) FROM session_registrations r
            WHERE r.session_id = s.id AND r.status = 'registered'))::int AS students
FROM exam_sessions s WHERE s.event_id = $1 ORDER BY s.starts_at, s.id
"""


class RegionRegistrations(msgspec.Struct, frozen=True):
    session_id: uuid.UUID
    region: str
    schools: int
    reserved: int
    waitlisted: int


class RegionAllocations(msgspec.Struct, frozen=True):
    session_id: uuid.UUID
    region: str
    schools: int
    allocated: int
    unseated: int


class RegionSeats(msgspec.Struct, frozen=True):
    session_id: uuid.UUID
    region: str
    seats: int


class TimetableRow(msgspec.Struct, frozen=True):
    event_id: uuid.UUID
    event_title: str
    session_id: uuid.UUID
    label: str
    starts_at: datetime
    ends_at: datetime
    classes: list[str]
    registered: bool  # false: only waiting
    reserved: int
    allocated: int
    allocated_at: datetime | None
    rooms: list[str]
    time_zone: str


class StudentExam(msgspec.Struct, frozen=True):
    event_title: str
    session_id: uuid.UUID
    label: str
    starts_at: datetime
    ends_at: datetime
    exam_id: uuid.UUID
    room: str | None
    seat: int | None
    sitting_id: uuid.UUID | None
    school: str
    time_zone: str


class SeatingRow(msgspec.Struct, frozen=True):
    """A student of a session, seated (or not), for room lists and exam cards."""

    school: str
    school_code: str
    room: str | None
    columns: int | None
    seat: int | None
    username: str
    display_name: str
    national_id: str
    class_name: str
    form_position: int | None
    time_zone: str


async def registrations_by_region(
    conn: Connection, event_id: uuid.UUID
) -> list[RegionRegistrations]:
    rows = await conn.fetch(OVERVIEW_REGISTRATIONS, event_id)
    return [RegionRegistrations(**dict(r)) for r in rows]


async def allocations_by_region(conn: Connection, event_id: uuid.UUID) -> list[RegionAllocations]:
    rows = await conn.fetch(OVERVIEW_ALLOCATED, event_id)
    return [RegionAllocations(**dict(r)) for r in rows]


async def seats_by_region(conn: Connection, event_id: uuid.UUID) -> list[RegionSeats]:
    return [RegionSeats(**dict(r)) for r in await conn.fetch(OVERVIEW_SEATS, event_id)]


async def timetable(conn: Connection, org_id: uuid.UUID) -> list[TimetableRow]:
    return [TimetableRow(**dict(r)) for r in await conn.fetch(TIMETABLE, org_id)]


async def student_exams(conn: Connection, student_id: uuid.UUID) -> list[StudentExam]:
    return [StudentExam(**dict(r)) for r in await conn.fetch(MY_EXAMS, student_id)]


async def seating(
    conn: Connection, session_id: uuid.UUID, org_ids: list[uuid.UUID]
) -> list[SeatingRow]:
    return [SeatingRow(**dict(r)) for r in await conn.fetch(SEATING, session_id, org_ids)]


async def session_loads(conn: Connection, event_id: uuid.UUID) -> list[SessionLoad]:
    """How many students each session of the event seats: allocated, else reserved."""
    return [
        SessionLoad(str(r["id"]), r["label"], r["starts_at"], r["ends_at"], r["students"])
        for r in await conn.fetch(SESSION_LOADS, event_id)
    ]
