"""Allocation with the database: load the registrations, run the pure allocator, store seats.
Also re-seating when a room is lost, and make-up sessions."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from engine.accounts.scope import reaches
from engine.kernel.errors import DomainError, conflict, not_found
from engine.kernel.principal import Principal
from engine.scheduling import access
from engine.scheduling.allocator import (
    Bookings,
    Demand,
    Placement,
    RoomSpec,
    SessionSpec,
    Unplaced,
    allocate,
    allocate_makeup,
    reseat_after_room_loss,
)
from engine.scheduling.models import AllocationReport, MakeupRequest, Unseated
from engine.scheduling.prepare import prepare_in_transaction
from engine.scheduling.repository import ROOM_BY_ID, SET_ROOM_LOST
from engine.scheduling.repository_seats import (
    ACTIVE_ROOMS,
    ALLOCATED_IN,
    BUSY,
    DELETE_ALLOCATIONS,
    DROP_UNSTARTED_SITTING,
    INSERT_ALLOCATIONS,
    MARK_ALLOCATED,
    MOVE_SEAT,
    NOT_SUBMITTED,
    OPEN_REGULAR_SESSIONS,
    REGISTERED_ROWS,
    ROOM_BOOKINGS,
    SCHOOL_PLACEMENTS,
    SEEN_FORMS,
    SESSIONS_USING_ROOM,
    STUDENTS_BY_ID,
    STUDENTS_OF_CLASSES,
    UNLINK_SITTING,
    UNSEAT,
)


def _epoch(row: Any) -> tuple[int, int]:
    return int(row["starts_at"].timestamp()), int(row["ends_at"].timestamp())


def _spec(row: Any, forms_key: str = "forms") -> SessionSpec:
    starts, ends = _epoch(row)
    return SessionSpec(
        str(row["id"]), starts, ends, tuple(str(f) for f in row[forms_key]), row.get("national_cap")
    )


async def _rooms(conn: Any, orgs: Iterable[uuid.UUID]) -> dict[str, list[RoomSpec]]:
    rooms: dict[str, list[RoomSpec]] = defaultdict(list)
    for r in await conn.fetch(ACTIVE_ROOMS, list(set(orgs))):
        rooms[str(r["org_id"])].append(RoomSpec(str(r["id"]), r["seats"], r["columns"]))
    return rooms


async def _bookings(
    conn: Any, rooms: dict[str, list[RoomSpec]], excluded: list[uuid.UUID]
) -> Bookings:
    """When each room is held by a session outside ``excluded`` (another event, a make-up)."""
    ids = [uuid.UUID(r.id) for school in rooms.values() for r in school]
    booked: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for r in await conn.fetch(ROOM_BOOKINGS, ids, excluded):
        booked[str(r["room_id"])].append(_epoch(r))
    return booked


async def _busy(
    conn: Any, students: list[uuid.UUID], sessions: list[uuid.UUID]
) -> dict[str, tuple[tuple[int, int], ...]]:
    busy: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for r in await conn.fetch(BUSY, students, sessions):
        busy[str(r["student_id"])].append(_epoch(r))
    return {k: tuple(v) for k, v in busy.items()}


async def _store(conn: Any, placements: Iterable[Placement]) -> int:
    rows = list(placements)
    await conn.execute(
        INSERT_ALLOCATIONS,
        *(
            [uuid.UUID(getattr(p, f)) if f != "seat" else p.seat for p in rows]
            for f in ("session", "student", "school", "room", "seat", "form")
        ),
    )
    return len(rows)


def _unseated(unplaced: Iterable[Unplaced]) -> list[Unseated]:
    return [Unseated(uuid.UUID(u.student), u.reason) for u in unplaced]


async def allocate_event(pool: Any, principal: Principal, event_id: uuid.UUID) -> AllocationReport:
    """Seat every registered student of the event's unprepared regular sessions (again: the
    same registrations and seed give the same seats)."""
    async with pool.acquire() as conn, conn.transaction():
        event = await access.event_to_manage(conn, principal, event_id)
        session_rows = await conn.fetch(OPEN_REGULAR_SESSIONS, event_id)
        sessions = [_spec(r) for r in session_rows]
        session_ids = [r["id"] for r in session_rows]
        registered = await conn.fetch(REGISTERED_ROWS, session_ids)
        wanted: dict[uuid.UUID, list[str]] = defaultdict(list)
        for r in sorted(registered, key=lambda r: str(r["session_id"])):
            wanted[r["class_id"]].append(str(r["session_id"]))
        students = await conn.fetch(STUDENTS_OF_CLASSES, list(wanted))
        busy = await _busy(conn, [s["id"] for s in students], session_ids)
        demands = [
            Demand(
                str(s["id"]),
                str(s["org_id"]),
                tuple(wanted[s["class_id"]]),
                busy.get(str(s["id"]), ()),
            )
            for s in students
        ]
        rooms = await _rooms(conn, [s["org_id"] for s in students])
        booked = await _bookings(conn, rooms, session_ids)
        result = allocate(sessions, rooms, demands, event["seed"], booked)
        await conn.execute(DELETE_ALLOCATIONS, session_ids)
        placed = await _store(conn, result.placed)
        await conn.execute(MARK_ALLOCATED, session_ids)
    return AllocationReport(len(sessions), placed, _unseated(result.unplaced))


async def lose_room(
    pool: Any, principal: Principal, room_id: uuid.UUID, shards: int
) -> AllocationReport:
    """Take a room out of service and re-seat its students in the school's other rooms in every
    session not yet over. Students who already started stay where the record has them, without
    a seat, for a make-up; so do those for whom no seat is left."""
    unplaced: list[Unplaced] = []
    moved = sessions_touched = 0
    async with pool.acquire() as conn, conn.transaction():
        room = await conn.fetchrow(ROOM_BY_ID, room_id)
        if room is None:
            raise not_found("room")
        await access.school(conn, principal, room["org_id"], manage=True)
        await conn.execute(SET_ROOM_LOST, room_id)
        rooms = (await _rooms(conn, [room["org_id"]])).get(str(room["org_id"]), [])
        for s in await conn.fetch(SESSIONS_USING_ROOM, room_id):
            sessions_touched += 1
            spec = _spec(s)
            rows = await conn.fetch(SCHOOL_PLACEMENTS, s["id"], room["org_id"])
            current = [
                Placement(
                    str(r["student_id"]),
                    spec.id,
                    str(room["org_id"]),
                    str(r["room_id"]),
                    r["seat"],
                    str(r["exam_id"]),
                )
                for r in rows
            ]
            started = frozenset(
                str(r["student_id"]) for r in rows if r["sitting_state"] not in (None, "created")
            )
            booked = await _bookings(conn, {str(room["org_id"]): rooms}, [s["id"]])
            result = reseat_after_room_loss(
                spec, current, str(room_id), rooms, started, s["seed"], booked
            )
            sitting_of = {str(r["student_id"]): r["sitting_id"] for r in rows}
            before = {p.student: p for p in current}
            for p in result.placed:
                old = before[p.student]
                if (p.room, p.seat) == (old.room, old.seat):
                    continue
                moved += 1
                await conn.execute(
                    MOVE_SEAT,
                    s["id"],
                    uuid.UUID(p.student),
                    uuid.UUID(p.room),
                    p.seat,
                    uuid.UUID(p.form),
                )
                if p.form != old.form and sitting_of[p.student] is not None:
                    await conn.execute(UNLINK_SITTING, s["id"], uuid.UUID(p.student))
                    await conn.execute(DROP_UNSTARTED_SITTING, sitting_of[p.student])
            for u in result.unplaced:
                await conn.execute(UNSEAT, s["id"], uuid.UUID(u.student))
            unplaced.extend(result.unplaced)
            if s["prepared_at"] is not None:
                # the moved students need their new form's sitting and window
                await prepare_in_transaction(conn, s["id"], principal.user_id, shards)
    return AllocationReport(sessions_touched, moved, _unseated(unplaced))


async def makeup(
    pool: Any, principal: Principal, session_id: uuid.UUID, data: MakeupRequest
) -> AllocationReport:
    """Seat absent or interrupted students in a make-up session, each on a form they have not
    seen. All or nothing: if anyone cannot be placed, nothing changes and the problem says who
    and why."""
    async with pool.acquire() as conn, conn.transaction():
        session = await access.session_to_manage(conn, principal, session_id)
        if session["kind"] != "makeup":
            raise conflict("not_a_makeup_session", "This is not a make-up session")
        if session["prepared_at"] is not None:
            raise conflict(
                "session_prepared",
                "The session's sittings already exist",
                "make-up students are added before the session is prepared",
            )
        for other in data.from_session_ids:
            await access.session_to_manage(conn, principal, other)
        candidates = {
            r["student_id"]: r["org_id"] for r in await conn.fetch(ALLOCATED_IN, session_id)
        }
        for r in await conn.fetch(NOT_SUBMITTED, data.from_session_ids):
            candidates[r["student_id"]] = r["org_id"]
        named = await conn.fetch(STUDENTS_BY_ID, data.student_ids)
        if len(named) != len(set(data.student_ids)):
            raise not_found("student")
        for r in named:
            if not await reaches(conn, principal, r["org_id"]):
                raise not_found("student")
            candidates[r["id"]] = r["org_id"]
        ids = list(candidates)
        seen: dict[uuid.UUID, set[str]] = defaultdict(set)
        # the make-up's own earlier allocation is not "seen": it is being redone
        for r in await conn.fetch(SEEN_FORMS, ids, session_id):
            seen[r["student_id"]].add(str(r["exam_id"]))
        busy = await _busy(conn, ids, [session_id])
        spec = _spec(session, "form_exam_ids")
        demands = [
            Demand(str(s), str(o), (spec.id,), busy.get(str(s), ()), frozenset(seen[s]))
            for s, o in candidates.items()
        ]
        rooms = await _rooms(conn, candidates.values())
        booked = await _bookings(conn, rooms, [session_id])
        result = allocate_makeup(spec, rooms, demands, session["seed"], booked)
        if result.unplaced:
            first = result.unplaced[0].reason
            code = {"no_seat": "session_full"}.get(first, first)
            raise DomainError(
                409,
                code,
                "Some students cannot be placed in the make-up session",
                "nothing was changed; see students for who and why",
                extra={
                    "students": [
                        {"student_id": u.student, "reason": u.reason} for u in result.unplaced
                    ]
                },
            )
        await conn.execute(DELETE_ALLOCATIONS, [session_id])
        placed = await _store(conn, result.placed)
        await conn.execute(MARK_ALLOCATED, [session_id])
    return AllocationReport(1, placed, [])
