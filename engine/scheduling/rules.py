"""Registration rules as plain functions: how a class splits over sessions, and what is full."""

from __future__ import annotations

from collections.abc import Mapping


def split_seats(students: int, sessions: int) -> list[int]:
    """``students`` over ``sessions`` as evenly as possible, the first ones taking the rest."""
    if sessions <= 0:
        raise ValueError("at least one session")
    base, rest = divmod(students, sessions)
    return [base + (1 if n < rest else 0) for n in range(sessions)]


def shortfalls(
    wanted: Mapping[str, int],
    school_seats: int,
    school_reserved: Mapping[str, int],
    caps: Mapping[str, int | None],
    national_reserved: Mapping[str, int],
) -> dict[str, str]:
    """Session id → why it cannot take ``wanted`` more seats ("school_rooms" or "national_cap");
    empty when everything fits."""
    short = {}
    for session, seats in wanted.items():
        if school_reserved.get(session, 0) + seats > school_seats:
            short[session] = "school_rooms"
            continue
        cap = caps.get(session)
        if cap is not None and national_reserved.get(session, 0) + seats > cap:
            short[session] = "national_cap"
    return short
