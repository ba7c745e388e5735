"""Property tests of the allocator: capacity, no double-booking, balanced forms per room,
neighbouring seats with different forms, determinism for a seed; and the same after a room
is lost and for make-up sessions."""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.scheduling.allocator import (
    Allocation,
    Bookings,
    Demand,
    RoomSpec,
    SessionSpec,
    allocate,
    allocate_makeup,
    form_slot,
    overlaps,
    reseat_after_room_loss,
)

HOUR = 3600


@st.composite
def scenarios(
    draw: st.DrawFn,
) -> tuple[list[SessionSpec], dict[str, list[RoomSpec]], list[Demand], int]:
    n_sessions = draw(st.integers(1, 4))
    sessions = []
    for n in range(n_sessions):
        start = draw(st.integers(0, 6)) * HOUR
        forms = tuple(f"f{n}-{k}" for k in range(draw(st.integers(1, 4))))
        cap = draw(st.none() | st.integers(0, 40))
        sessions.append(
            SessionSpec(
                f"s{n}", start, start + 2 * HOUR, forms, cap, draw(st.integers(0, 5)) if cap else 0
            )
        )
    rooms = {}
    for school in ("A", "B", "C")[: draw(st.integers(1, 3))]:
        rooms[school] = [
            RoomSpec(f"{school}r{n}", draw(st.integers(1, 30)), draw(st.integers(1, 7)))
            for n in range(draw(st.integers(0, 3)))
        ]
    demands = []
    for n in range(draw(st.integers(0, 120))):
        school = draw(st.sampled_from([*rooms, "Z"]))  # Z: a school without rooms
        wanted = draw(
            st.lists(st.sampled_from([s.id for s in sessions]), min_size=1, max_size=3, unique=True)
        )
        busy = tuple(
            (b * HOUR, b * HOUR + HOUR) for b in draw(st.lists(st.integers(0, 10), max_size=2))
        )
        # a few students appear twice (bad input must not double-book them)
        student = f"p{draw(st.integers(0, 3))}" if draw(st.booleans()) and n % 7 == 0 else f"p{n}"
        demands.append(Demand(student, school, tuple(wanted), busy))
    return sessions, rooms, demands, draw(st.integers(0, 2**32))


def _check_rooms(
    result: Allocation, sessions: list[SessionSpec], rooms: dict[str, list[RoomSpec]]
) -> None:
    room_of = {r.id: r for rs in rooms.values() for r in rs}
    forms_of = {s.id: s.forms for s in sessions}
    by_room: dict[tuple[str, str], dict[int, str]] = defaultdict(dict)
    for p in result.placed:
        seats = by_room[(p.session, p.room)]
        assert p.seat not in seats, "two students in one seat"
        assert 1 <= p.seat <= room_of[p.room].seats
        assert p.form in forms_of[p.session]
        seats[p.seat] = p.form
    for (session, room_id), seats in by_room.items():
        room, k = room_of[room_id], len(forms_of[session])
        counts = Counter(seats.values())
        if len(seats) >= k:
            assert set(counts) == set(forms_of[session])
        assert max(counts.values()) - min(counts.get(f, 0) for f in forms_of[session]) <= 1
        if k >= 2:
            for seat, form in seats.items():
                right = seat + 1 if seat % room.columns else None
                behind = seat + room.columns
                for other in (right, behind):
                    if other in seats:
                        assert seats[other] != form, (seat, other, room)


def _check_one_session_per_room(
    result: Allocation, sessions: list[SessionSpec], booked: Bookings
) -> None:
    """No room hosts two sessions whose times overlap, nor one overlapping a booking."""
    by_id = {s.id: s for s in sessions}
    sessions_in: dict[str, set[str]] = defaultdict(set)
    for p in result.placed:
        sessions_in[p.room].add(p.session)
    for room, used in sessions_in.items():
        spans = sorted((by_id[s].starts, by_id[s].ends, s) for s in used)
        for (_, end, first), (start, _, second) in itertools.pairwise(spans):
            assert start >= end, f"room {room} holds {first} and {second} at once"
        for s in used:
            window = (by_id[s].starts, by_id[s].ends)
            assert not any(overlaps(window, b) for b in booked.get(room, ())), (room, s)


@st.composite
def bookings(draw: st.DrawFn, rooms: dict[str, list[RoomSpec]]) -> Bookings:
    """Some rooms already held (another event, a make-up) for an hour or two."""
    held: dict[str, list[tuple[int, int]]] = {}
    for room in (r for rs in rooms.values() for r in rs):
        starts = draw(st.lists(st.integers(0, 8), max_size=2))
        if starts:
            held[room.id] = [(h * HOUR, h * HOUR + draw(st.integers(1, 2)) * HOUR) for h in starts]
    return held


@settings(max_examples=120, deadline=None)
@given(scenarios(), st.data())
def test_allocation_respects_capacity_and_never_double_books(
    case: tuple, data: st.DataObject
) -> None:
    sessions, rooms, demands, seed = case
    booked = data.draw(bookings(rooms))
    result = allocate(sessions, rooms, demands, seed, booked)
    _check_one_session_per_room(result, sessions, booked)
    by_id = {s.id: s for s in sessions}
    placed_students = [p.student for p in result.placed]
    assert len(placed_students) == len(set(placed_students)), "a student placed twice"
    every = {d.student for d in demands}
    assert set(placed_students) | {u.student for u in result.unplaced} == every
    first_demand = {}
    for d in demands:
        first_demand.setdefault(d.student, d)
    for p in result.placed:
        demand = first_demand[p.student]
        assert p.session in demand.sessions and p.school == demand.school
        session = by_id[p.session]
        assert not any(overlaps((session.starts, session.ends), b) for b in demand.busy)
    per_session = Counter(p.session for p in result.placed)
    for s in sessions:
        if s.cap is not None:
            assert per_session[s.id] + s.taken <= max(s.cap, s.taken)
    _check_rooms(result, sessions, rooms)


@settings(max_examples=60, deadline=None)
@given(scenarios())
def test_allocation_is_deterministic_for_a_seed(case: tuple) -> None:
    sessions, rooms, demands, seed = case
    first = allocate(sessions, rooms, demands, seed)
    again = allocate(
        sessions,
        rooms,
        list(reversed(demands)) if len({d.student for d in demands}) == len(demands) else demands,
        seed,
    )
    assert first == again


def test_two_sessions_at_the_same_time_get_a_room_each() -> None:
    # two classes of 30 sitting different forms in the same hour, two labs of 32: one each
    sessions = [SessionSpec(name, 0, 2 * HOUR, (f"{name}-a", f"{name}-b")) for name in "XY"]
    rooms = {"A": [RoomSpec("lab1", 32, 8), RoomSpec("lab2", 32, 8)]}
    demands = [Demand(f"{s}{n}", "A", (s,)) for s in "XY" for n in range(30)]
    result = allocate(sessions, rooms, demands, 3)
    assert not result.unplaced
    rooms_of = {s: {p.room for p in result.placed if p.session == s} for s in "XY"}
    assert len(rooms_of["X"]) == len(rooms_of["Y"]) == 1 and rooms_of["X"] != rooms_of["Y"]
    # a third class at that hour finds no room free, however many seats are empty
    more = [*demands, *(Demand(f"Z{n}", "A", ("Z",)) for n in range(2))]
    z = SessionSpec("Z", HOUR, 3 * HOUR, ("z",))
    crowded = allocate([*sessions, z], rooms, more, 3)
    _check_one_session_per_room(crowded, [*sessions, z], {})
    assert sum(p.session == "Z" for p in crowded.placed) == 0
    assert {u.student: u.reason for u in crowded.unplaced if u.student[0] == "Z"} == {
        "Z0": "no_seat",
        "Z1": "no_seat",
    }
    # a room booked elsewhere at that hour is not used at all: one class gets the other room
    # whole, the other is reported without a seat (never half of each)
    booked = {"lab1": [(HOUR, 2 * HOUR)]}
    elsewhere = allocate(sessions, rooms, demands, 3, booked)
    assert {p.room for p in elsewhere.placed} == {"lab2"}
    assert len({p.session for p in elsewhere.placed}) == 1 and len(elsewhere.placed) == 30
    assert len(elsewhere.unplaced) == 30 and {u.reason for u in elsewhere.unplaced} == {"no_seat"}


def test_a_class_split_over_sessions_is_balanced_across_them() -> None:
    sessions = [
        SessionSpec(f"s{n}", n * 3 * HOUR, n * 3 * HOUR + 2 * HOUR, ("a", "b")) for n in range(3)
    ]
    rooms = {"A": [RoomSpec("lab", 20, 5)]}
    demands = [Demand(f"p{n}", "A", ("s0", "s1", "s2")) for n in range(45)]
    result = allocate(sessions, rooms, demands, 7)
    assert sorted(Counter(p.session for p in result.placed).values()) == [15, 15, 15]
    assert not result.unplaced


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 12), st.integers(2, 5), st.integers(0, 60))
def test_form_slot_gives_neighbours_different_forms(columns: int, forms: int, n: int) -> None:
    slots = [form_slot(i, columns, forms) for i in range(n)]
    for i in range(n):
        if i + 1 < n and (i + 1) % columns:
            assert slots[i] != slots[i + 1]
        if i + columns < n:
            assert slots[i] != slots[i + columns]
    counts = Counter(slots)
    assert not counts or max(counts.values()) - min(counts.get(f, 0) for f in range(forms)) <= 1


@settings(max_examples=80, deadline=None)
@given(scenarios(), st.data())
def test_reseating_after_a_room_is_lost_keeps_every_guarantee(
    case: tuple, data: st.DataObject
) -> None:
    sessions, rooms, demands, seed = case
    result = allocate(sessions, rooms, demands, seed)
    groups = sorted({(p.session, p.school) for p in result.placed})
    if not groups:
        return
    session_id, school = data.draw(st.sampled_from(groups))
    session = next(s for s in sessions if s.id == session_id)
    current = [p for p in result.placed if p.session == session_id and p.school == school]
    lost = data.draw(st.sampled_from(sorted({p.room for p in current})))
    started = frozenset(data.draw(st.lists(st.sampled_from([p.student for p in current]))))
    # the rooms other sessions hold at the time: the moving students may not go there
    others = [s for s in sessions if s.id != session_id]
    booked: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for p in result.placed:
        if p.session != session_id:
            other = next(s for s in others if s.id == p.session)
            booked[p.room].append((other.starts, other.ends))
    after = reseat_after_room_loss(session, current, lost, rooms[school], started, seed, booked)
    assert all(p.room != lost for p in after.placed)
    moved = [p for p in after.placed if before_seat_of(current, p.student)[0] == lost]
    _check_one_session_per_room(Allocation(tuple(moved), ()), sessions, booked)
    before_seat = {p.student: (p.room, p.seat) for p in current}
    for p in after.placed:
        if before_seat[p.student][0] != lost:
            assert (p.room, p.seat) == before_seat[p.student], "an unaffected student moved"
    assert {p.student for p in after.placed} | {u.student for u in after.unplaced} == set(
        before_seat
    )
    assert all(u.reason in ("started", "no_seat") for u in after.unplaced)
    assert not started & {p.student for p in after.placed if before_seat[p.student][0] == lost}
    _check_rooms(after, sessions, rooms)


def before_seat_of(current: list, student: str) -> tuple[str, int]:
    return next((p.room, p.seat) for p in current if p.student == student)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.frozensets(st.sampled_from(["a", "b", "c"])), max_size=40),
    st.integers(1, 12),
    st.integers(1, 6),
    st.integers(0, 1000),
)
def test_make_up_gives_an_unseen_form_within_capacity(
    seen: list[frozenset[str]], seats: int, columns: int, seed: int
) -> None:
    session = SessionSpec("mk", 0, HOUR, ("a", "b", "c"), cap=30)
    rooms = {"A": [RoomSpec("r1", seats, columns), RoomSpec("r2", 5, 2)]}
    demands = [Demand(f"p{n}", "A", ("mk",), seen=s) for n, s in enumerate(seen)]
    result = allocate_makeup(session, rooms, demands, seed)
    seen_of = {d.student: d.seen for d in demands}
    assert len(result.placed) <= min(30, seats + 5)
    for p in result.placed:
        assert p.form not in seen_of[p.student]
    assert len({(p.room, p.seat) for p in result.placed}) == len(result.placed)
    for u in result.unplaced:
        if u.reason == "no_unseen_form":
            assert seen_of[u.student] >= {"a", "b", "c"}
    assert len(result.placed) + len(result.unplaced) == len(demands)
    assert allocate_makeup(session, rooms, demands, seed) == result
    # with r1 held by another session at the time, only r2's five seats remain
    held = allocate_makeup(session, rooms, demands, seed, {"r1": [(HOUR // 2, 2 * HOUR)]})
    assert all(p.room == "r2" for p in held.placed) and len(held.placed) <= 5
