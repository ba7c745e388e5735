"""Setting up a schedule: events, sessions and their forms, caps, school profiles, rooms."""

from __future__ import annotations

import secrets
import uuid
from typing import Any

from engine.accounts.scope import orgs_reached, reaches
from engine.kernel.errors import conflict, not_found, validation_failed
from engine.kernel.principal import Principal
from engine.scheduling import access, zones
from engine.scheduling.models import (
    Event,
    EventCreate,
    Room,
    RoomCreate,
    SchoolProfile,
    Session,
    SessionCreate,
    SessionUpdate,
)
from engine.scheduling.registration_service import promote_waiting
from engine.scheduling.repository import (
    EVENT_BY_ID,
    EVENTS_OF_ORGS,
    FORMS_CHECK,
    INSERT_EVENT,
    INSERT_FORMS,
    INSERT_ROOM,
    INSERT_SESSION,
    PROFILE,
    ROOMS_OF_ORG,
    SESSION_BY_ID,
    SESSIONS_OF_EVENT,
    SET_CAP,
    UPSERT_PROFILE,
)


def _event(row: Any) -> Event:
    return Event(row["id"], row["org_id"], row["title"], row["changes_close_at"], row["seed"])


def session_of(row: Any) -> Session:
    return Session(**{f: row[f] for f in Session.__struct_fields__})


async def create_event(pool: Any, principal: Principal, data: EventCreate) -> Event:
    access.require_organiser(principal)
    if data.changes_close_at.tzinfo is None:
        raise validation_failed("changes_close_at needs a time zone offset (e.g. Z or +07:00)")
    event_id = uuid.uuid4()
    seed = data.seed if data.seed is not None else secrets.randbits(62)
    async with pool.acquire() as conn:
        await conn.execute(
            INSERT_EVENT,
            event_id,
            principal.org_id,
            data.title,
            data.changes_close_at,
            seed,
            principal.user_id,
        )
        return _event(await conn.fetchrow(EVENT_BY_ID, event_id))


async def list_events(pool: Any, principal: Principal) -> list[Event]:
    async with pool.acquire() as conn:
        orgs = set(await orgs_reached(conn, principal)) if principal.role == "admin" else set()
        orgs |= set(await access.ancestors(conn, principal.org_id))
        return [_event(r) for r in await conn.fetch(EVENTS_OF_ORGS, list(orgs))]


async def add_session(
    pool: Any, principal: Principal, event_id: uuid.UUID, data: SessionCreate
) -> Session:
    if data.starts_at.tzinfo is None or data.ends_at.tzinfo is None:
        raise validation_failed("session times need a time zone offset (e.g. Z or +07:00)")
    if data.ends_at <= data.starts_at:
        raise validation_failed("ends_at must be after starts_at")
    forms = data.form_exam_ids
    if len(set(forms)) != len(forms):
        raise validation_failed("a form appears more than once in the session")
    session_id = uuid.uuid4()
    async with pool.acquire() as conn, conn.transaction():
        event = await access.event_to_manage(conn, principal, event_id)
        found = {r["id"]: r for r in await conn.fetch(FORMS_CHECK, forms)}
        errors = []
        for n, exam_id in enumerate(forms):
            row = found.get(exam_id)
            field = f"form_exam_ids[{n}]"
            if row is None or not await reaches(conn, principal, row["org_id"]):
                errors.append({"field": field, "message": "not a published exam of yours"})
            elif row["window_open"] > data.starts_at or row["window_close"] < data.ends_at:
                errors.append(
                    {"field": field, "message": "the exam's window does not cover the session"}
                )
        if errors:
            raise validation_failed("some forms cannot be used in this session", errors)
        await conn.execute(
            INSERT_SESSION,
            session_id,
            event_id,
            event["org_id"],
            data.label,
            data.kind,
            data.starts_at,
            data.ends_at,
            data.national_cap,
        )
        await conn.execute(INSERT_FORMS, session_id, forms)
        return session_of(await conn.fetchrow(SESSION_BY_ID, session_id))


async def list_sessions(pool: Any, principal: Principal, event_id: uuid.UUID) -> list[Session]:
    async with pool.acquire() as conn:
        await access.event_to_read(conn, principal, event_id)
        return [session_of(r) for r in await conn.fetch(SESSIONS_OF_EVENT, event_id)]


async def update_session(
    pool: Any, principal: Principal, session_id: uuid.UUID, data: SessionUpdate
) -> Session:
    """Change the national cap; raising it lets waiting registrations in (first come first)."""
    async with pool.acquire() as conn, conn.transaction():
        await access.session_to_manage(conn, principal, session_id)
        await conn.execute(SET_CAP, session_id, data.national_cap)
        await promote_waiting(conn, [session_id])
        return session_of(await conn.fetchrow(SESSION_BY_ID, session_id))


async def set_profile(
    pool: Any, principal: Principal, org_id: uuid.UUID, data: SchoolProfile
) -> SchoolProfile:
    try:
        zones.zone(data.time_zone)
    except zones.UnknownZone:
        raise validation_failed(
            "unknown time zone",
            [
                {
                    "field": "time_zone",
                    "message": "an IANA zone such as Asia/Jakarta (WIB), Asia/Makassar (WITA) or "
                    "Asia/Jayapura (WIT)",
                }
            ],
        ) from None
    async with pool.acquire() as conn:
        await access.school(conn, principal, org_id, manage=True)
        await conn.execute(UPSERT_PROFILE, org_id, data.region, data.time_zone)
    return data


async def get_profile(pool: Any, principal: Principal, org_id: uuid.UUID) -> SchoolProfile:
    async with pool.acquire() as conn:
        await access.school(conn, principal, org_id, manage=False)
        row = await conn.fetchrow(PROFILE, org_id)
    if row is None:
        raise not_found("school")
    return SchoolProfile(time_zone=row["time_zone"], region=row["region"])


def _room(row: Any) -> Room:
    return Room(**{f: row[f] for f in Room.__struct_fields__})


async def add_room(pool: Any, principal: Principal, org_id: uuid.UUID, data: RoomCreate) -> Room:
    async with pool.acquire() as conn:
        await access.school(conn, principal, org_id, manage=True)
        row = await conn.fetchrow(
            INSERT_ROOM, uuid.uuid4(), org_id, data.name, data.seats, data.columns
        )
    if row is None:
        raise conflict("room_exists", "This school already has a room of that name")
    return _room(row)


async def list_rooms(pool: Any, principal: Principal, org_id: uuid.UUID) -> list[Room]:
    async with pool.acquire() as conn:
        await access.school(conn, principal, org_id, manage=False)
        return [_room(r) for r in await conn.fetch(ROOMS_OF_ORG, org_id)]
