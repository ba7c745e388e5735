"""SQL of events, their sessions and forms, and the organisations above a school.

Rows become Structs here and nowhere else; every function runs on the caller's connection, so
it takes part in the caller's transaction and its locks.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import msgspec

from engine.accounts.repository import ORG_AND_ANCESTORS
from engine.kernel.sql import Connection, required
from engine.scheduling.models import Event, Session, SessionCreate

INSERT_EVENT = """
INSERT INTO exam_events (id, org_id, title, changes_close_at, seed, created_by)
VALUES ($1, $2, $3, $4, $5, $6)
"""
EVENT_COLUMNS = "id, org_id, title, changes_close_at, seed"
EVENT_BY_ID = f"SELECT {EVENT_COLUMNS} FROM exam_events WHERE id = $1"
EVENTS_OF_ORGS = f"""
SELECT {EVENT_COLUMNS} FROM exam_events WHERE org_id = ANY($1::uuid[]) ORDER BY created_at DESC
"""
# the forms must be published exams; their own window must cover the session
FORMS_CHECK = """
SELECT e.id, e.org_id, v.window_open, v.window_close
FROM exams e JOIN exam_versions v ON v.exam_id = e.id AND v.status = 'published'
WHERE e.id = ANY($1::uuid[])
"""
INSERT_SESSION = """
INSERT INTO exam_sessions (id, event_id, org_id, label, kind, starts_at, ends_at, national_cap)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
"""
INSERT_FORMS = """
INSERT INTO session_forms (session_id, exam_id, position)
SELECT $1, f, n - 1 FROM unnest($2::uuid[]) WITH ORDINALITY AS t (f, n)
"""
SESSION_COLUMNS = """
s.id, s.event_id, s.label, s.kind, s.starts_at, s.ends_at, s.national_cap, s.allocated_at,
s.prepared_at,
ARRAY(SELECT exam_id FROM session_forms f WHERE f.session_id = s.id ORDER BY position)
    AS form_exam_ids
"""
SESSION_BY_ID = f"""
SELECT {SESSION_COLUMNS}, e.org_id AS event_org_id, e.changes_close_at, e.seed, e.title
FROM exam_sessions s JOIN exam_events e ON e.id = s.event_id WHERE s.id = $1
"""
SESSIONS_OF_EVENT = f"""
SELECT {SESSION_COLUMNS} FROM exam_sessions s WHERE s.event_id = $1 ORDER BY s.starts_at, s.id
"""
SET_CAP = "UPDATE exam_sessions SET national_cap = $2 WHERE id = $1"


class PublishedForm(msgspec.Struct, frozen=True):
    """A published exam offered as a session's form, and the window its version opens."""

    id: uuid.UUID
    org_id: uuid.UUID
    window_open: datetime
    window_close: datetime


class SessionInEvent(msgspec.Struct, frozen=True):
    """A session with the event it belongs to: who runs it, its cut-off and its seed."""

    session: Session
    event: Event


def _session(row: Any) -> Session:
    return Session(**{f: row[f] for f in Session.__struct_fields__})


async def org_and_ancestors(conn: Connection, org_id: uuid.UUID) -> list[uuid.UUID]:
    return [r["id"] for r in await conn.fetch(ORG_AND_ANCESTORS, org_id)]


async def insert_event(conn: Connection, event: Event, created_by: uuid.UUID) -> Event:
    """The event as stored: its cut-off reads back in UTC, as every later read shows it."""
    await conn.execute(
        INSERT_EVENT,
        event.id,
        event.org_id,
        event.title,
        event.changes_close_at,
        event.seed,
        created_by,
    )
    return Event(
        **dict(required(await conn.fetchrow(EVENT_BY_ID, event.id), "the event just made"))
    )


async def event_by_id(conn: Connection, event_id: uuid.UUID) -> Event | None:
    row = await conn.fetchrow(EVENT_BY_ID, event_id)
    return None if row is None else Event(**dict(row))


async def events_of_orgs(conn: Connection, org_ids: list[uuid.UUID]) -> list[Event]:
    return [Event(**dict(r)) for r in await conn.fetch(EVENTS_OF_ORGS, org_ids)]


async def published_forms(
    conn: Connection, exam_ids: list[uuid.UUID]
) -> dict[uuid.UUID, PublishedForm]:
    """The published exams among ``exam_ids``, by id (the others are missing)."""
    return {r["id"]: PublishedForm(**dict(r)) for r in await conn.fetch(FORMS_CHECK, exam_ids)}


async def insert_session(
    conn: Connection, session_id: uuid.UUID, event: Event, data: SessionCreate
) -> Session:
    """The session and its forms, in the order given (a form's position is its letter)."""
    await conn.execute(
        INSERT_SESSION,
        session_id,
        event.id,
        event.org_id,
        data.label,
        data.kind,
        data.starts_at,
        data.ends_at,
        data.national_cap,
    )
    await conn.execute(INSERT_FORMS, session_id, data.form_exam_ids)
    return await session(conn, session_id)


async def session_by_id(conn: Connection, session_id: uuid.UUID) -> SessionInEvent | None:
    row = await conn.fetchrow(SESSION_BY_ID, session_id)
    if row is None:
        return None
    event = Event(
        row["event_id"], row["event_org_id"], row["title"], row["changes_close_at"], row["seed"]
    )
    return SessionInEvent(_session(row), event)


async def session(conn: Connection, session_id: uuid.UUID) -> Session:
    """A session the caller's transaction wrote or has checked."""
    return _session(await conn.fetchrow(SESSION_BY_ID, session_id))


async def sessions_of_event(conn: Connection, event_id: uuid.UUID) -> list[Session]:
    return [_session(r) for r in await conn.fetch(SESSIONS_OF_EVENT, event_id)]


async def set_national_cap(conn: Connection, session_id: uuid.UUID, cap: int | None) -> None:
    await conn.execute(SET_CAP, session_id, cap)
