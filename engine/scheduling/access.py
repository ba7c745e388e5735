"""Who may see and change what in scheduling.

- The organiser (``admin``) runs events of its organisation (or one below it): sessions, forms,
  caps, allocation, make-ups, preparation, the national overview and the forecast.
- A school's ``school_admin`` (or an organiser above the school) manages its rooms, profile and
  registrations; its teachers and proctors read its timetable, room lists and exam cards.
- A student reads their own exams.
Anything outside a caller's reach is "not found" (engine.accounts.scope), never "forbidden".
"""

from __future__ import annotations

import uuid

from engine.accounts.scope import reaches
from engine.kernel.errors import forbidden, not_found
from engine.kernel.principal import Principal
from engine.kernel.sql import Connection
from engine.scheduling import repository
from engine.scheduling.models import Event
from engine.scheduling.repository import SessionInEvent

SCHOOL_MANAGERS = frozenset({"admin", "school_admin"})
SCHOOL_READERS = frozenset({"admin", "school_admin", "teacher", "proctor"})


def require_organiser(principal: Principal) -> None:
    if principal.role != "admin":
        raise forbidden("only the organiser (an admin account) manages events")


async def event_to_manage(conn: Connection, principal: Principal, event_id: uuid.UUID) -> Event:
    require_organiser(principal)
    event = await repository.event_by_id(conn, event_id)
    if event is None or not await reaches(conn, principal, event.org_id):
        raise not_found("event")
    return event


async def can_see_event_org(conn: Connection, principal: Principal, event_org: uuid.UUID) -> bool:
    """Organisers above or at the event's organisation, and schools below it."""
    if principal.role == "admin" and await reaches(conn, principal, event_org):
        return True
    return event_org in await repository.org_and_ancestors(conn, principal.org_id)


async def event_to_read(conn: Connection, principal: Principal, event_id: uuid.UUID) -> Event:
    event = await repository.event_by_id(conn, event_id)
    if event is None or not await can_see_event_org(conn, principal, event.org_id):
        raise not_found("event")
    return event


async def session_to_manage(
    conn: Connection, principal: Principal, session_id: uuid.UUID
) -> SessionInEvent:
    require_organiser(principal)
    found = await repository.session_by_id(conn, session_id)
    if found is None or not await reaches(conn, principal, found.event.org_id):
        raise not_found("session")
    return found


async def session_to_read(
    conn: Connection, principal: Principal, session_id: uuid.UUID
) -> SessionInEvent:
    found = await repository.session_by_id(conn, session_id)
    if found is None or not await can_see_event_org(conn, principal, found.event.org_id):
        raise not_found("session")
    return found


async def school(
    conn: Connection, principal: Principal, org_id: uuid.UUID, *, manage: bool
) -> None:
    """The caller may read (or, with ``manage``, change) this school's scheduling data."""
    allowed = SCHOOL_MANAGERS if manage else SCHOOL_READERS
    if principal.role not in allowed:
        if principal.role in SCHOOL_READERS:
            raise forbidden("only a school admin or the organiser changes a school's schedule")
        raise not_found("school")
    if not await reaches(conn, principal, org_id):
        raise not_found("school")
