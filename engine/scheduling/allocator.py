"""The allocator: registered students → session, room, seat and form. Pure and deterministic for
a seed (no I/O, no clock), so the same inputs always print the same room lists.

Guarantees (property-tested in tests/unit/scheduling):
- a room never holds more students than it has seats, a session never more than its national
  cap, and a student is placed at most once and never in two overlapping sessions;
- a room hosts one session at a time: never two overlapping sessions, whether both are in this
  run or one was booked before it (``booked``: other events, prepared sessions, make-ups);
- within a room the forms are balanced within one student of each other, and two seats that
  are neighbours (left/right, front/back) get different forms whenever the session has two
  or more forms;
- the same inputs and seed give the same allocation.

Rooms are filled from seat 1 in reading order (rows of ``columns`` seats), so the occupied seats
of a room are always a prefix: the form of a seat is a function of its index (``form_slot``),
and a prefix of that sequence is balanced. Re-seating after a room is lost only appends to the
other rooms' prefixes, so the guarantees survive it.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Literal

import msgspec

Reason = Literal["no_seat", "schedule_clash", "no_unseen_form", "duplicate", "started"]


class RoomSpec(msgspec.Struct, frozen=True):
    id: str
    seats: int
    columns: int


class SessionSpec(msgspec.Struct, frozen=True):
    id: str
    starts: int  # epoch seconds (UTC)
    ends: int
    forms: tuple[str, ...]
    cap: int | None = None  # national cap on seats; None: only rooms limit it
    taken: int = 0  # seats of the cap already used by placements outside this run


class Demand(msgspec.Struct, frozen=True):
    student: str
    school: str
    # sessions this student may sit (a class split over several sessions): the allocator
    # places them in the one of these with the most room left at their school
    sessions: tuple[str, ...]
    # (starts, ends) of what the student already sits elsewhere: never overlapped
    busy: tuple[tuple[int, int], ...] = ()
    # forms this student has seen (a make-up needs one they have not)
    seen: frozenset[str] = frozenset()


class Placement(msgspec.Struct, frozen=True):
    student: str
    session: str
    school: str
    room: str
    seat: int  # 1-based, in reading order: row = (seat-1) // columns
    form: str


class Unplaced(msgspec.Struct, frozen=True):
    student: str
    reason: Reason


class Allocation(msgspec.Struct, frozen=True):
    placed: tuple[Placement, ...]
    unplaced: tuple[Unplaced, ...]


# room id -> the (starts, ends) of sessions already seated in it outside this run
Bookings = Mapping[str, Sequence[tuple[int, int]]]
NO_BOOKINGS: Bookings = {}


def free_rooms(rooms: Sequence[RoomSpec], session: SessionSpec, booked: Bookings) -> list[RoomSpec]:
    """The rooms no overlapping session holds: one proctor, one session, one paper timing."""
    window = (session.starts, session.ends)
    return [r for r in rooms if not any(overlaps(window, b) for b in booked.get(r.id, ()))]


def seat_label(seat: int | None, columns: int | None) -> str:
    """``R2-C3`` (row 2, column 3) for seat 9 in rows of 6; "" without a seat."""
    if seat is None or not columns:
        return ""
    row, col = divmod(seat - 1, columns)
    return f"R{row + 1}-C{col + 1}"


def form_slot(index: int, columns: int, forms: int) -> int:
    """Which of ``forms`` forms seat ``index`` (0-based, reading order) gets.

    ``index % forms`` already differs between left/right neighbours and, unless ``columns`` is
    a multiple of ``forms``, between front/back ones; when it is a multiple, each row is shifted
    by one so front/back differ too. Either way a prefix is balanced within one.
    """
    if forms <= 1:
        return 0
    shift = index // columns if columns % forms == 0 else 0
    return (index + shift) % forms


def room_offset(seed: int, session: str, room: str, forms: int) -> int:
    """Which form a room starts with: rotates forms between rooms, reproducibly."""
    return random.Random(f"{seed}:{session}:{room}").randrange(forms) if forms > 1 else 0


def seat_form(session: SessionSpec, room: RoomSpec, index: int, seed: int) -> str:
    k = len(session.forms)
    slot = (form_slot(index, room.columns, k) + room_offset(seed, session.id, room.id, k)) % k
    return session.forms[slot]


def overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    """Half-open intervals: a session ending at 10:00 does not clash with one starting then."""
    return a[0] < b[1] and b[0] < a[1]


def seeded_order(students: Sequence[str], seed: int) -> list[str]:
    order = sorted(students)
    random.Random(seed).shuffle(order)
    return order


def _rooms_in_order(rooms: Sequence[RoomSpec]) -> list[RoomSpec]:
    # the biggest rooms first: fewer rooms in use means fewer proctors needed
    return sorted(rooms, key=lambda r: (-r.seats, r.id))


class _Rooms:
    """Which rooms each (session, school) holds while students are chosen: a session takes a
    whole room, the next in ``_rooms_in_order`` that nothing overlapping it holds, when the
    rooms it has are full, so every chosen student has a seat and no room hosts two sessions at
    once."""

    def __init__(
        self,
        sessions: Sequence[SessionSpec],
        rooms: Mapping[str, Sequence[RoomSpec]],
        booked: Bookings,
    ) -> None:
        self.rooms = {school: _rooms_in_order(rs) for school, rs in rooms.items()}
        self.held: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for room_id, spans in booked.items():
            self.held[room_id].extend(spans)
        self.mine: dict[tuple[str, str], list[RoomSpec]] = defaultdict(list)
        self.used: dict[tuple[str, str], int] = defaultdict(int)
        # the seats a session could have at a school (rooms free of outside bookings): the
        # share of them in use decides which of a class's sessions a student goes to
        self.reach = {
            (s.id, school): sum(r.seats for r in free_rooms(rs, s, booked))
            for s in sessions
            for school, rs in rooms.items()
        }

    def _next_room(self, session: SessionSpec, school: str) -> RoomSpec | None:
        window = (session.starts, session.ends)
        return next(
            (
                r
                for r in self.rooms.get(school, ())
                if not any(overlaps(window, b) for b in self.held.get(r.id, ()))
            ),
            None,
        )

    def has_seat(self, session: SessionSpec, school: str) -> bool:
        key = (session.id, school)
        held = sum(r.seats for r in self.mine[key])
        return self.used[key] < held or self._next_room(session, school) is not None

    def load(self, session: SessionSpec, school: str) -> float:
        return self.used[(session.id, school)] / max(self.reach.get((session.id, school), 0), 1)

    def take(self, session: SessionSpec, school: str) -> None:
        key = (session.id, school)
        if self.used[key] >= sum(r.seats for r in self.mine[key]):
            room = self._next_room(session, school)
            assert room is not None  # has_seat said so
            self.mine[key].append(room)
            self.held[room.id].append((session.starts, session.ends))
        self.used[key] += 1


def allocate(
    sessions: Sequence[SessionSpec],
    rooms: Mapping[str, Sequence[RoomSpec]],
    demands: Sequence[Demand],
    seed: int,
    booked: Bookings = NO_BOOKINGS,
) -> Allocation:
    by_id = {s.id: s for s in sessions}
    holding = _Rooms(sessions, rooms, booked)
    used_national: dict[str, int] = defaultdict(int)
    demand_of: dict[str, Demand] = {}
    unplaced: list[Unplaced] = []
    for demand in demands:
        if demand.student in demand_of:
            unplaced.append(Unplaced(demand.student, "duplicate"))
        else:
            demand_of[demand.student] = demand
    chosen: dict[tuple[str, str], list[str]] = defaultdict(list)
    for student in seeded_order(list(demand_of), seed):
        demand = demand_of[student]
        free: list[tuple[float, int, SessionSpec]] = []
        clash = False
        for position, session_id in enumerate(demand.sessions):
            session = by_id.get(session_id)
            if session is None:
                continue
            if any(overlaps((session.starts, session.ends), b) for b in demand.busy):
                clash = True
                continue
            national_left = (
                None
                if session.cap is None
                else session.cap - session.taken - used_national[session.id]
            )
            if holding.has_seat(session, demand.school) and (
                national_left is None or national_left > 0
            ):
                free.append((holding.load(session, demand.school), position, session))
        if not free:
            unplaced.append(Unplaced(student, "schedule_clash" if clash else "no_seat"))
            continue
        session = min(free, key=lambda f: (f[0], f[1]))[2]
        holding.take(session, demand.school)
        used_national[session.id] += 1
        chosen[(session.id, demand.school)].append(student)
    placed: list[Placement] = []
    for (session_id, school), students in sorted(chosen.items()):
        own_rooms = holding.mine[(session_id, school)]
        placed.extend(_seat(by_id[session_id], school, own_rooms, students, seed))
    return Allocation(tuple(placed), tuple(unplaced))


def _seat(
    session: SessionSpec, school: str, rooms: Sequence[RoomSpec], students: list[str], seed: int
) -> list[Placement]:
    """Fill rooms from seat 1 in order; the seat decides the form."""
    placed: list[Placement] = []
    queue = iter(students)
    for room in _rooms_in_order(rooms):
        for index in range(room.seats):
            student = next(queue, None)
            if student is None:
                return placed
            placed.append(
                Placement(
                    student,
                    session.id,
                    school,
                    room.id,
                    index + 1,
                    seat_form(session, room, index, seed),
                )
            )
    return placed


def reseat_after_room_loss(
    session: SessionSpec,
    current: Sequence[Placement],
    lost_room: str,
    rooms: Sequence[RoomSpec],
    started: frozenset[str],
    seed: int,
    booked: Bookings = NO_BOOKINGS,
) -> Allocation:
    """One school's placements in one session after ``lost_room`` is gone.

    Everyone else keeps their seat. The lost room's students move, in their old seat order, to
    the next free seats of the remaining rooms (and get that seat's form); students who have
    already started cannot change form or room mid-sitting, so they are returned as unplaced
    ("started") for a make-up session, as are those for whom no seat is left ("no_seat").
    """
    kept = [p for p in current if p.room != lost_room]
    moving = sorted((p for p in current if p.room == lost_room), key=lambda p: p.seat)
    occupied: dict[str, set[int]] = defaultdict(set)
    for p in kept:
        occupied[p.room].add(p.seat - 1)
    placed, unplaced = list(kept), []
    free = (
        (room, index)
        # a room another session holds at the time is not free, whatever its empty seats
        for room in _rooms_in_order(
            free_rooms([r for r in rooms if r.id != lost_room], session, booked)
        )
        for index in range(room.seats)
        if index not in occupied[room.id]
    )
    for p in moving:
        if p.student in started:
            unplaced.append(Unplaced(p.student, "started"))
            continue
        slot = next(free, None)
        if slot is None:
            unplaced.append(Unplaced(p.student, "no_seat"))
            continue
        room, index = slot
        placed.append(
            Placement(
                p.student,
                session.id,
                p.school,
                room.id,
                index + 1,
                seat_form(session, room, index, seed),
            )
        )
    return Allocation(tuple(placed), tuple(unplaced))


def allocate_makeup(
    session: SessionSpec,
    rooms: Mapping[str, Sequence[RoomSpec]],
    demands: Sequence[Demand],
    seed: int,
    booked: Bookings = NO_BOOKINGS,
) -> Allocation:
    """Absent or interrupted students into a make-up session, each with a form they have not
    seen. The seat's own form is taken when it is unseen; otherwise the least used unseen form
    of the room (neighbours then may share a form: an unseen paper matters more)."""
    placed: list[Placement] = []
    unplaced: list[Unplaced] = []
    by_school: dict[str, list[Demand]] = defaultdict(list)
    seen_students: set[str] = set()
    for demand in demands:
        if demand.student in seen_students:
            unplaced.append(Unplaced(demand.student, "duplicate"))
            continue
        seen_students.add(demand.student)
        if any(overlaps((session.starts, session.ends), b) for b in demand.busy):
            unplaced.append(Unplaced(demand.student, "schedule_clash"))
        elif not set(session.forms) - demand.seen:
            unplaced.append(Unplaced(demand.student, "no_unseen_form"))
        else:
            by_school[demand.school].append(demand)
    taken = session.taken
    for school in sorted(by_school):
        of = {d.student: d for d in by_school[school]}
        queue = seeded_order(list(of), seed)
        for room in _rooms_in_order(free_rooms(rooms.get(school, ()), session, booked)):
            counts = dict.fromkeys(session.forms, 0)
            for index in range(room.seats):
                if not queue or (session.cap is not None and taken >= session.cap):
                    break
                demand = of[queue.pop(0)]
                form = seat_form(session, room, index, seed)
                if form in demand.seen:
                    form = min(
                        (f for f in session.forms if f not in demand.seen),
                        key=lambda f: (counts[f], session.forms.index(f)),
                    )
                counts[form] += 1
                taken += 1
                placed.append(
                    Placement(demand.student, session.id, school, room.id, index + 1, form)
                )
        unplaced.extend(Unplaced(s, "no_seat") for s in queue)
    return Allocation(tuple(placed), tuple(unplaced))
