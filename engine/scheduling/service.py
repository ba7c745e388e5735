"""Setting up a schedule: events, sessions and their forms, caps, school profiles, rooms."""

from __future__ import annotations

import secrets
import uuid

from engine.accounts.scope import orgs_reached, reaches
from engine.kernel.errors import conflict, not_found, validation_failed
from engine.kernel.principal import Principal
from engine.kernel.sql import Pool
from engine.scheduling import access, zones
from engine.scheduling import repository as events
from engine.scheduling import repository_schools as schools
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


async def create_event(pool: Pool, principal: Principal, data: EventCreate) -> Event:
    access.require_organiser(principal)
    if data.changes_close_at.tzinfo is None:
        raise validation_failed("changes_close_at needs a time zone offset (e.g. Z or +07:00)")
    seed = data.seed if data.seed is not None else secrets.randbits(62)
    event = Event(uuid.uuid4(), principal.org_id, data.title, data.changes_close_at, seed)
    async with pool.acquire() as conn:
        return await events.insert_event(conn, event, principal.user_id)


async def list_events(pool: Pool, principal: Principal) -> list[Event]:
    async with pool.acquire() as conn:
        orgs = set(await orgs_reached(conn, principal)) if principal.role == "admin" else set()
        orgs |= set(await events.org_and_ancestors(conn, principal.org_id))
        return await events.events_of_orgs(conn, list(orgs))


async def add_session(
    pool: Pool, principal: Principal, event_id: uuid.UUID, data: SessionCreate
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
        published = await events.published_forms(conn, forms)
        errors = []
        for n, exam_id in enumerate(forms):
            form = published.get(exam_id)
            field = f"form_exam_ids[{n}]"
            if form is None or not await reaches(conn, principal, form.org_id):
                errors.append({"field": field, "message": "not a published exam of yours"})
            elif form.window_open > data.starts_at or form.window_close < data.ends_at:
                errors.append(
                    {"field": field, "message": "the exam's window does not cover the session"}
                )
        if errors:
            raise validation_failed("some forms cannot be used in this session", errors)
        return await events.insert_session(conn, session_id, event, data)


async def list_sessions(pool: Pool, principal: Principal, event_id: uuid.UUID) -> list[Session]:
    async with pool.acquire() as conn:
        await access.event_to_read(conn, principal, event_id)
        return await events.sessions_of_event(conn, event_id)


async def update_session(
    pool: Pool, principal: Principal, session_id: uuid.UUID, data: SessionUpdate
) -> Session:
    """Change the national cap; raising it lets waiting registrations in (first come first)."""
    async with pool.acquire() as conn, conn.transaction():
        await access.session_to_manage(conn, principal, session_id)
        await events.set_national_cap(conn, session_id, data.national_cap)
        await promote_waiting(conn, [session_id])
        return await events.session(conn, session_id)


async def set_profile(
    pool: Pool, principal: Principal, org_id: uuid.UUID, data: SchoolProfile
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
        await schools.set_profile(conn, org_id, data)
    return data


async def get_profile(pool: Pool, principal: Principal, org_id: uuid.UUID) -> SchoolProfile:
    async with pool.acquire() as conn:
        await access.school(conn, principal, org_id, manage=False)
        profile = await schools.profile(conn, org_id)
    if profile is None:
        raise not_found("school")
    return profile


async def add_room(pool: Pool, principal: Principal, org_id: uuid.UUID, data: RoomCreate) -> Room:
    async with pool.acquire() as conn:
        await access.school(conn, principal, org_id, manage=True)
        room = await schools.insert_room(conn, uuid.uuid4(), org_id, data)
    if room is None:
        raise conflict("room_exists", "This school already has a room of that name")
    return room


async def list_rooms(pool: Pool, principal: Principal, org_id: uuid.UUID) -> list[Room]:
    async with pool.acquire() as conn:
        await access.school(conn, principal, org_id, manage=False)
        return await schools.rooms_of_school(conn, org_id)
