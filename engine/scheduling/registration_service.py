"""Schools register their classes into sessions within capacity, or join a waiting list.

Seats are reserved at registration (the class's headcount split over its sessions) against the
school's active rooms and each session's national cap, with the sessions' rows locked, so two
schools registering at once cannot both take the last seats. Changes close at the event's
cut-off; after it only the organiser changes anything (caps, allocation, rooms).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from engine.kernel.clock import utc_now
from engine.kernel.errors import DomainError, conflict, not_found, validation_failed
from engine.kernel.principal import Principal
from engine.kernel.sql import Connection, Pool
from engine.scheduling import access
from engine.scheduling import repository as events
from engine.scheduling import repository_registrations as registrations
from engine.scheduling.models import Registration, RegistrationCreate, RegistrationStatus
from engine.scheduling.rules import shortfalls, split_seats


def cutoff_passed(closes_at: datetime) -> DomainError:
    return conflict(
        "cutoff_passed",
        "Changes to this event are closed",
        f"registrations could change until {closes_at.isoformat()}",
    )


def session_full(short: dict[str, str], free: dict[str, int]) -> DomainError:
    sessions = [
        {"session_id": s, "limit": why, "free_seats": free.get(s, 0)}
        for s, why in sorted(short.items())
    ]
    return DomainError(
        409,
        "session_full",
        "Not enough seats in a session",
        "a session is full for this class (your rooms or the national cap); ask "
        "for a place on the waiting list with join_waitlist, or pick other sessions",
        extra={"sessions": sessions},
    )


async def _fits(
    conn: Connection, org_id: uuid.UUID, wanted: dict[uuid.UUID, int]
) -> tuple[dict[str, str], dict[str, int]]:
    """What does not fit, and the free seats per session (for the problem's detail)."""
    ids = list(wanted)
    school_seats = await registrations.school_seats(conn, org_id)
    mine = await registrations.reserved_by_school(conn, ids, org_id)
    national = await registrations.reserved_nationally(conn, ids)
    caps = {s: (await events.session(conn, s)).national_cap for s in ids}
    short = shortfalls(
        {str(k): v for k, v in wanted.items()},
        school_seats,
        {str(k): v for k, v in mine.items()},
        {str(k): v for k, v in caps.items()},
        {str(k): v for k, v in national.items()},
    )
    free = {}
    for s in ids:
        left = school_seats - mine.get(s, 0)
        if (cap := caps[s]) is not None:
            left = min(left, cap - national.get(s, 0))
        free[str(s)] = max(0, left)
    return short, free


async def register(
    pool: Pool, principal: Principal, event_id: uuid.UUID, data: RegistrationCreate
) -> Registration:
    wanted_ids = list(dict.fromkeys(data.session_ids))
    async with pool.acquire() as conn, conn.transaction():
        klass = await registrations.class_by_id(conn, data.class_id)
        if klass is None:
            raise not_found("class")
        await access.school(conn, principal, klass.org_id, manage=True)
        event = await access.event_to_read(conn, principal, event_id)
        if utc_now() >= event.changes_close_at:
            raise cutoff_passed(event.changes_close_at)
        await registrations.lock_sessions(conn, wanted_ids)
        for n, session_id in enumerate(wanted_ids):
            found = await events.session_by_id(conn, session_id)
            if (
                found is None
                or found.session.event_id != event_id
                or found.session.kind != "regular"
            ):
                raise validation_failed(
                    "not a session of this event",
                    [{"field": f"session_ids[{n}]", "message": "a regular session of this event"}],
                )
        if await registrations.is_registered(conn, data.class_id, event_id):
            raise conflict(
                "already_registered",
                "This class is already registered in the event",
                "withdraw its registration first to choose other sessions",
            )
        clashes = await registrations.clashes(conn, data.class_id, event_id, wanted_ids)
        if clashes:
            raise DomainError(
                409,
                "schedule_clash",
                "The class already sits an overlapping session",
                "its students cannot be in two sessions at once",
                extra={
                    "sessions": [
                        {
                            "session_id": str(c.id),
                            "label": c.label,
                            "starts_at": c.starts_at.isoformat(),
                            "ends_at": c.ends_at.isoformat(),
                        }
                        for c in clashes
                    ]
                },
            )
        headcount = await registrations.class_headcount(conn, data.class_id)
        if headcount == 0:
            raise validation_failed("the class has no students to register")
        wanted = dict(zip(wanted_ids, split_seats(headcount, len(wanted_ids)), strict=True))
        short, free = await _fits(conn, klass.org_id, wanted)
        if short and not data.join_waitlist:
            raise session_full(short, free)
        status: RegistrationStatus = "waitlisted" if short else "registered"
        registration = Registration(
            uuid.uuid4(),
            event_id,
            klass.org_id,
            data.class_id,
            status,
            {str(k): v for k, v in wanted.items()},
        )
        await registrations.insert_registration(conn, registration, principal.user_id, wanted)
    return registration


async def withdraw(pool: Pool, principal: Principal, group_id: uuid.UUID) -> None:
    async with pool.acquire() as conn, conn.transaction():
        group = await registrations.group(conn, group_id)
        if group is None:
            raise not_found("registration")
        await access.school(conn, principal, group.org_id, manage=True)
        if utc_now() >= group.changes_close_at:
            raise cutoff_passed(group.changes_close_at)
        sessions = list(group.seats)
        await registrations.lock_sessions(conn, sessions)
        await registrations.delete_group(conn, group_id)
        await promote_waiting(conn, sessions)


async def promote_waiting(conn: Connection, session_ids: list[uuid.UUID]) -> list[uuid.UUID]:
    """Let waiting groups in, first come first served, as far as seats allow (a later small
    group may pass an earlier big one that still does not fit). Call with the sessions locked."""
    promoted = []
    for group_id in await registrations.waiting_groups(conn, session_ids):
        group = await registrations.group(conn, group_id)
        assert group is not None  # it touches a session locked here: nobody withdraws it now
        await registrations.lock_sessions(conn, list(group.seats))
        short, _ = await _fits(conn, group.org_id, group.seats)
        if not short:
            await registrations.promote_group(conn, group_id)
            promoted.append(group_id)
    return promoted


async def registrations_of_school(
    pool: Pool, principal: Principal, org_id: uuid.UUID
) -> list[Registration]:
    async with pool.acquire() as conn:
        await access.school(conn, principal, org_id, manage=False)
        return await registrations.registrations_of_school(conn, org_id)
