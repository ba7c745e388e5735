"""Allocation with the database: load the registrations, run the pure allocator, store seats.
Also re-seating when a room is lost, and make-up sessions."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

from engine.accounts.scope import reaches
from engine.kernel.errors import DomainError, conflict, not_found
from engine.kernel.principal import Principal
from engine.kernel.sql import Connection, Pool
from engine.scheduling import access
from engine.scheduling import repository_schools as schools
from engine.scheduling import repository_seats as seats
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
from engine.scheduling.repository_seats import Booking, NewAllocation


def _epoch(starts_at: datetime, ends_at: datetime) -> tuple[int, int]:
    return int(starts_at.timestamp()), int(ends_at.timestamp())


def _spec(
    session_id: uuid.UUID,
    starts_at: datetime,
    ends_at: datetime,
    forms: Iterable[uuid.UUID],
    national_cap: int | None = None,
) -> SessionSpec:
    starts, ends = _epoch(starts_at, ends_at)
    return SessionSpec(str(session_id), starts, ends, tuple(str(f) for f in forms), national_cap)


async def _rooms(conn: Connection, orgs: Iterable[uuid.UUID]) -> dict[str, list[RoomSpec]]:
    rooms: dict[str, list[RoomSpec]] = defaultdict(list)
    for r in await seats.active_rooms(conn, list(set(orgs))):
        rooms[str(r.org_id)].append(RoomSpec(str(r.id), r.seats, r.columns))
    return rooms


def _by_holder(bookings: Iterable[Booking]) -> dict[str, list[tuple[int, int]]]:
    held: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for b in bookings:
        held[str(b.holder_id)].append(_epoch(b.starts_at, b.ends_at))
    return held


async def _bookings(
    conn: Connection, rooms: dict[str, list[RoomSpec]], excluded: list[uuid.UUID]
) -> Bookings:
    """When each room is held by a session outside ``excluded`` (another event, a make-up)."""
    ids = [uuid.UUID(r.id) for school in rooms.values() for r in school]
    return _by_holder(await seats.room_bookings(conn, ids, excluded))


async def _busy(
    conn: Connection, students: list[uuid.UUID], sessions: list[uuid.UUID]
) -> dict[str, tuple[tuple[int, int], ...]]:
    busy = _by_holder(await seats.students_busy(conn, students, sessions))
    return {k: tuple(v) for k, v in busy.items()}


async def _store(conn: Connection, placements: Iterable[Placement]) -> int:
    rows = [
        NewAllocation(
            uuid.UUID(p.session),
            uuid.UUID(p.student),
            uuid.UUID(p.school),
            uuid.UUID(p.room),
            p.seat,
            uuid.UUID(p.form),
        )
        for p in placements
    ]
    await seats.insert_allocations(conn, rows)
    return len(rows)


def _unseated(unplaced: Iterable[Unplaced]) -> list[Unseated]:
    return [Unseated(uuid.UUID(u.student), u.reason) for u in unplaced]


async def allocate_event(pool: Pool, principal: Principal, event_id: uuid.UUID) -> AllocationReport:
    """Seat every registered student of the event's unprepared regular sessions (again: the
    same registrations and seed give the same seats)."""
    async with pool.acquire() as conn, conn.transaction():
        event = await access.event_to_manage(conn, principal, event_id)
        open_sessions = await seats.open_regular_sessions(conn, event_id)
        sessions = [
            _spec(s.id, s.starts_at, s.ends_at, s.forms, s.national_cap) for s in open_sessions
        ]
        session_ids = [s.id for s in open_sessions]
        registered = await seats.registered_classes(conn, session_ids)
        wanted: dict[uuid.UUID, list[str]] = defaultdict(list)
        for r in sorted(registered, key=lambda r: str(r.session_id)):
            wanted[r.class_id].append(str(r.session_id))
        students = await seats.students_of_classes(conn, list(wanted))
        busy = await _busy(conn, [s.id for s in students], session_ids)
        demands = [
            Demand(str(s.id), str(s.org_id), tuple(wanted[s.class_id]), busy.get(str(s.id), ()))
            for s in students
        ]
        rooms = await _rooms(conn, [s.org_id for s in students])
        booked = await _bookings(conn, rooms, session_ids)
        result = allocate(sessions, rooms, demands, event.seed, booked)
        await seats.delete_allocations(conn, session_ids)
        placed = await _store(conn, result.placed)
        await seats.mark_allocated(conn, session_ids)
    return AllocationReport(len(sessions), placed, _unseated(result.unplaced))


async def lose_room(
    pool: Pool, principal: Principal, room_id: uuid.UUID, shards: int
) -> AllocationReport:
    """Take a room out of service and re-seat its students in the school's other rooms in every
    session not yet over. Students who already started stay where the record has them, without
    a seat, for a make-up; so do those for whom no seat is left."""
    unplaced: list[Unplaced] = []
    moved = sessions_touched = 0
    async with pool.acquire() as conn, conn.transaction():
        room = await schools.room_by_id(conn, room_id)
        if room is None:
            raise not_found("room")
        school = str(room.org_id)
        await access.school(conn, principal, room.org_id, manage=True)
        await schools.take_out_of_service(conn, room_id)
        rooms = (await _rooms(conn, [room.org_id])).get(school, [])
        for s in await seats.sessions_using_room(conn, room_id):
            sessions_touched += 1
            spec = _spec(s.id, s.starts_at, s.ends_at, s.forms)
            placements = await seats.school_placements(conn, s.id, room.org_id)
            current = [
                Placement(
                    str(p.student_id), spec.id, school, str(p.room_id), p.seat, str(p.exam_id)
                )
                for p in placements
            ]
            started = frozenset(
                str(p.student_id) for p in placements if p.sitting_state not in (None, "created")
            )
            booked = await _bookings(conn, {school: rooms}, [s.id])
            result = reseat_after_room_loss(
                spec, current, str(room_id), rooms, started, s.seed, booked
            )
            sitting_of = {str(p.student_id): p.sitting_id for p in placements}
            before = {p.student: p for p in current}
            for p in result.placed:
                old = before[p.student]
                if (p.room, p.seat) == (old.room, old.seat):
                    continue
                moved += 1
                student_id = uuid.UUID(p.student)
                await seats.move_seat(
                    conn, s.id, student_id, uuid.UUID(p.room), p.seat, uuid.UUID(p.form)
                )
                sitting_id = sitting_of[p.student]
                if p.form != old.form and sitting_id is not None:
                    await seats.drop_unstarted_sitting(conn, s.id, student_id, sitting_id)
            for u in result.unplaced:
                await seats.unseat(conn, s.id, uuid.UUID(u.student))
            unplaced.extend(result.unplaced)
            if s.prepared_at is not None:
                # the moved students need their new form's sitting and window
                await prepare_in_transaction(conn, s.id, principal.user_id, shards)
    return AllocationReport(sessions_touched, moved, _unseated(unplaced))


async def makeup(
    pool: Pool, principal: Principal, session_id: uuid.UUID, data: MakeupRequest
) -> AllocationReport:
    """Seat absent or interrupted students in a make-up session, each on a form they have not
    seen. All or nothing: if anyone cannot be placed, nothing changes and the problem says who
    and why."""
    async with pool.acquire() as conn, conn.transaction():
        found = await access.session_to_manage(conn, principal, session_id)
        session = found.session
        if session.kind != "makeup":
            raise conflict("not_a_makeup_session", "This is not a make-up session")
        if session.prepared_at is not None:
            raise conflict(
                "session_prepared",
                "The session's sittings already exist",
                "make-up students are added before the session is prepared",
            )
        for other in data.from_session_ids:
            await access.session_to_manage(conn, principal, other)
        candidates = {s.id: s.org_id for s in await seats.allocated_in(conn, session_id)}
        for s in await seats.not_submitted(conn, data.from_session_ids):
            candidates[s.id] = s.org_id
        named = await seats.students_by_id(conn, data.student_ids)
        if len(named) != len(set(data.student_ids)):
            raise not_found("student")
        for s in named:
            if not await reaches(conn, principal, s.org_id):
                raise not_found("student")
            candidates[s.id] = s.org_id
        ids = list(candidates)
        seen: dict[uuid.UUID, set[str]] = defaultdict(set)
        # the make-up's own earlier allocation is not "seen": it is being redone
        for f in await seats.seen_forms(conn, ids, session_id):
            seen[f.student_id].add(str(f.exam_id))
        busy = await _busy(conn, ids, [session_id])
        spec = _spec(
            session.id,
            session.starts_at,
            session.ends_at,
            session.form_exam_ids,
            session.national_cap,
        )
        demands = [
            Demand(str(s), str(o), (spec.id,), busy.get(str(s), ()), frozenset(seen[s]))
            for s, o in candidates.items()
        ]
        rooms = await _rooms(conn, candidates.values())
        booked = await _bookings(conn, rooms, [session_id])
        result = allocate_makeup(spec, rooms, demands, found.event.seed, booked)
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
        await seats.delete_allocations(conn, [session_id])
        placed = await _store(conn, result.placed)
        await seats.mark_allocated(conn, [session_id])
    return AllocationReport(1, placed, [])
