"""Schools register their classes into sessions within capacity, or join a waiting list.

Seats are reserved at registration (the class's headcount split over its sessions) against the
school's active rooms and each session's national cap, with the sessions' rows locked, so two
schools registering at once cannot both take the last seats. Changes close at the event's
cut-off; after it only the organiser changes anything (caps, allocation, rooms).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from engine.kernel.clock import utc_now
from engine.kernel.errors import DomainError, conflict, not_found, validation_failed
from engine.kernel.principal import Principal
from engine.scheduling import access
from engine.scheduling.models import Registration, RegistrationCreate, RegistrationStatus
from engine.scheduling.repository import (
    ALREADY_REGISTERED,
    CLASHES,
    CLASS_BY_ID,
    CLASS_HEADCOUNT,
    DELETE_GROUP,
    GROUP_ROWS,
    INSERT_REGISTRATION,
    LOCK_SESSIONS,
    PROMOTE_GROUP,
    REGISTRATIONS_OF_ORG,
    RESERVED_BY_SCHOOL,
    RESERVED_NATIONALLY,
    SCHOOL_SEATS,
    SESSION_BY_ID,
    WAITING_GROUPS,
)
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
    conn: Any, org_id: uuid.UUID, wanted: dict[uuid.UUID, int]
) -> tuple[dict[str, str], dict[str, int]]:
    """What does not fit, and the free seats per session (for the problem's detail)."""
    ids = list(wanted)
    school_seats = int(await conn.fetchval(SCHOOL_SEATS, org_id))
    mine = {r["session_id"]: r["seats"] for r in await conn.fetch(RESERVED_BY_SCHOOL, ids, org_id)}
    national = {r["session_id"]: r["seats"] for r in await conn.fetch(RESERVED_NATIONALLY, ids)}
    caps = {s: (await conn.fetchrow(SESSION_BY_ID, s))["national_cap"] for s in ids}
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
        if caps[s] is not None:
            left = min(left, caps[s] - national.get(s, 0))
        free[str(s)] = max(0, left)
    return short, free


async def register(
    pool: Any, principal: Principal, event_id: uuid.UUID, data: RegistrationCreate
) -> Registration:
    wanted_ids = list(dict.fromkeys(data.session_ids))
    async with pool.acquire() as conn, conn.transaction():
        klass = await conn.fetchrow(CLASS_BY_ID, data.class_id)
        if klass is None:
            raise not_found("class")
        await access.school(conn, principal, klass["org_id"], manage=True)
        event = await access.event_to_read(conn, principal, event_id)
        if utc_now() >= event["changes_close_at"]:
            raise cutoff_passed(event["changes_close_at"])
        await conn.execute(LOCK_SESSIONS, wanted_ids)
        for n, session_id in enumerate(wanted_ids):
            row = await conn.fetchrow(SESSION_BY_ID, session_id)
            if row is None or row["event_id"] != event_id or row["kind"] != "regular":
                raise validation_failed(
                    "not a session of this event",
                    [{"field": f"session_ids[{n}]", "message": "a regular session of this event"}],
                )
        if await conn.fetchval(ALREADY_REGISTERED, data.class_id, event_id) is not None:
            raise conflict(
                "already_registered",
                "This class is already registered in the event",
                "withdraw its registration first to choose other sessions",
            )
        clashes = await conn.fetch(CLASHES, data.class_id, event_id, wanted_ids)
        if clashes:
            raise DomainError(
                409,
                "schedule_clash",
                "The class already sits an overlapping session",
                "its students cannot be in two sessions at once",
                extra={
                    "sessions": [
                        {
                            "session_id": str(c["id"]),
                            "label": c["label"],
                            "starts_at": c["starts_at"].isoformat(),
                            "ends_at": c["ends_at"].isoformat(),
                        }
                        for c in clashes
                    ]
                },
            )
        headcount = int(await conn.fetchval(CLASS_HEADCOUNT, data.class_id))
        if headcount == 0:
            raise validation_failed("the class has no students to register")
        wanted = dict(zip(wanted_ids, split_seats(headcount, len(wanted_ids)), strict=True))
        short, free = await _fits(conn, klass["org_id"], wanted)
        if short and not data.join_waitlist:
            raise session_full(short, free)
        status: RegistrationStatus = "waitlisted" if short else "registered"
        group_id = uuid.uuid4()
        await conn.execute(
            INSERT_REGISTRATION,
            group_id,
            event_id,
            klass["org_id"],
            data.class_id,
            status,
            principal.user_id,
            list(wanted),
            list(wanted.values()),
        )
    return Registration(
        group_id,
        event_id,
        klass["org_id"],
        data.class_id,
        status,
        {str(k): v for k, v in wanted.items()},
    )


def _group(rows: list[Any]) -> Registration:
    first = rows[0]
    return Registration(
        first["group_id"],
        first["event_id"],
        first["org_id"],
        first["class_id"],
        first["status"],
        {str(r["session_id"]): r["seats"] for r in rows},
    )


async def withdraw(pool: Any, principal: Principal, group_id: uuid.UUID) -> None:
    async with pool.acquire() as conn, conn.transaction():
        rows = await conn.fetch(GROUP_ROWS, group_id)
        if not rows:
            raise not_found("registration")
        await access.school(conn, principal, rows[0]["org_id"], manage=True)
        if utc_now() >= rows[0]["changes_close_at"]:
            raise cutoff_passed(rows[0]["changes_close_at"])
        sessions = [r["session_id"] for r in rows]
        await conn.execute(LOCK_SESSIONS, sessions)
        await conn.execute(DELETE_GROUP, group_id)
        await promote_waiting(conn, sessions)


async def promote_waiting(conn: Any, session_ids: list[uuid.UUID]) -> list[uuid.UUID]:
    """Let waiting groups in, first come first served, as far as seats allow (a later small
    group may pass an earlier big one that still does not fit). Call with the sessions locked."""
    promoted = []
    for waiting in await conn.fetch(WAITING_GROUPS, session_ids):
        rows = await conn.fetch(GROUP_ROWS, waiting["group_id"])
        await conn.execute(LOCK_SESSIONS, [r["session_id"] for r in rows])
        short, _ = await _fits(conn, rows[0]["org_id"], {r["session_id"]: r["seats"] for r in rows})
        if not short:
            await conn.execute(PROMOTE_GROUP, waiting["group_id"])
            promoted.append(waiting["group_id"])
    return promoted


async def registrations_of_school(
    pool: Any, principal: Principal, org_id: uuid.UUID
) -> list[Registration]:
    async with pool.acquire() as conn:
        await access.school(conn, principal, org_id, manage=False)
        rows = await conn.fetch(REGISTRATIONS_OF_ORG, org_id)
    groups: dict[uuid.UUID, list[Any]] = {}
    for r in rows:
        groups.setdefault(r["group_id"], []).append(r)
    return [_group(g) for g in groups.values()]
