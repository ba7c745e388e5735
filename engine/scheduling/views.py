"""What people read: the organiser's overview, a school's timetable, a student's "my exams",
their .ics exports, room lists and exam cards, and the capacity forecast."""

from __future__ import annotations

import uuid
from collections import defaultdict

from engine.accounts.scope import orgs_reached
from engine.kernel.errors import forbidden, validation_failed
from engine.kernel.principal import Principal
from engine.kernel.sql import Pool
from engine.scheduling import access, exports, zones
from engine.scheduling import repository as events
from engine.scheduling import repository_views as views
from engine.scheduling.forecast import Forecast, Params, SessionLoad, forecast
from engine.scheduling.models import MyExam, RegionRow, SessionOverview, TimetableEntry
from engine.scheduling.repository import SessionInEvent
from engine.scheduling.repository_views import SeatingRow, StudentExam


async def overview(pool: Pool, principal: Principal, event_id: uuid.UUID) -> list[SessionOverview]:
    async with pool.acquire() as conn:
        await access.event_to_manage(conn, principal, event_id)
        sessions = await events.sessions_of_event(conn, event_id)
        cells: dict[tuple[uuid.UUID, str], dict[str, int]] = defaultdict(
            lambda: dict.fromkeys(
                ("schools", "reserved", "waitlisted", "allocated", "seats", "unseated"), 0
            )
        )
        # a region's schools: those registered or those allocated there, whichever are more
        for r in await views.registrations_by_region(conn, event_id):
            cell = cells[(r.session_id, r.region)]
            cell["schools"] = max(cell["schools"], r.schools)
            cell["reserved"], cell["waitlisted"] = r.reserved, r.waitlisted
        for a in await views.allocations_by_region(conn, event_id):
            cell = cells[(a.session_id, a.region)]
            cell["schools"] = max(cell["schools"], a.schools)
            cell["allocated"], cell["unseated"] = a.allocated, a.unseated
        for seats in await views.seats_by_region(conn, event_id):
            cells[(seats.session_id, seats.region)]["seats"] = seats.seats
    result = []
    for s in sessions:
        regions = sorted((region, c) for (sid, region), c in cells.items() if sid == s.id)
        result.append(
            SessionOverview(
                s.id,
                s.label,
                s.kind,
                s.starts_at,
                s.ends_at,
                s.national_cap,
                [
                    RegionRow(
                        region,
                        c["schools"],
                        c["reserved"],
                        c["waitlisted"],
                        c["allocated"],
                        c["seats"],
                    )
                    for region, c in regions
                ],
                sum(c["unseated"] for _, c in regions),
            )
        )
    return result


async def timetable(pool: Pool, principal: Principal, org_id: uuid.UUID) -> list[TimetableEntry]:
    async with pool.acquire() as conn:
        await access.school(conn, principal, org_id, manage=False)
        rows = await views.timetable(conn, org_id)
    return [
        TimetableEntry(
            r.event_id,
            r.event_title,
            r.session_id,
            r.label,
            r.starts_at,
            r.ends_at,
            zones.local_span(r.starts_at, r.ends_at, r.time_zone),
            list(r.classes),
            "registered" if r.registered else "waitlisted",
            r.allocated if r.allocated_at is not None else r.reserved,
            list(r.rooms),
        )
        for r in rows
    ]


def _mine(r: StudentExam) -> MyExam:
    return MyExam(
        r.event_title,
        r.session_id,
        r.label,
        r.starts_at,
        r.ends_at,
        zones.local_span(r.starts_at, r.ends_at, r.time_zone),
        r.time_zone,
        r.exam_id,
        r.room,
        r.seat,
        r.sitting_id,
    )


async def my_exams(pool: Pool, principal: Principal) -> list[MyExam]:
    if principal.role != "student":
        raise forbidden("this is a student's own timetable")
    async with pool.acquire() as conn:
        return [_mine(r) for r in await views.student_exams(conn, principal.user_id)]


async def my_exams_ics(pool: Pool, principal: Principal) -> bytes:
    if principal.role != "student":
        raise forbidden("this is a student's own timetable")
    async with pool.acquire() as conn:
        rows = await views.student_exams(conn, principal.user_id)
    entries = [
        exports.CalendarEntry(
            uid=f"{r.session_id}-{principal.user_id}@ujian",
            summary=f"{r.event_title}: {r.label}",
            starts_at=r.starts_at,
            ends_at=r.ends_at,
            location=", ".join(
                x for x in (r.school, r.room, f"seat {r.seat}" if r.seat else "") if x
            ),
            description=zones.local_span(r.starts_at, r.ends_at, r.time_zone),
        )
        for r in rows
    ]
    return exports.ics(entries, "My exams")


async def timetable_ics(pool: Pool, principal: Principal, org_id: uuid.UUID) -> bytes:
    entries = [
        exports.CalendarEntry(
            uid=f"{t.session_id}-{org_id}@ujian",
            summary=f"{t.event_title}: {t.label}",
            starts_at=t.starts_at,
            ends_at=t.ends_at,
            location=", ".join(t.rooms),
            description=f"{t.local}; classes {', '.join(t.classes)}; {t.students} students",
        )
        for t in await timetable(pool, principal, org_id)
    ]
    return exports.ics(entries, "Exam timetable")


async def _seating(
    pool: Pool, principal: Principal, session_id: uuid.UUID, org_id: uuid.UUID | None
) -> tuple[SessionInEvent, list[SeatingRow]]:
    async with pool.acquire() as conn:
        found = await access.session_to_read(conn, principal, session_id)
        if org_id is not None:
            await access.school(conn, principal, org_id, manage=False)
            orgs = [org_id]
        elif principal.role == "admin":
            orgs = await orgs_reached(conn, principal)
        else:
            await access.school(conn, principal, principal.org_id, manage=False)
            orgs = [principal.org_id]
        return found, await views.seating(conn, session_id, orgs)


ROOM_LIST_HEADER = (
    "school",
    "room",
    "seat",
    "position",
    "form",
    "national_id",
    "name",
    "username",
    "class",
)
CARD_HEADER = (
    "name",
    "national_id",
    "username",
    "school",
    "school_code",
    "event",
    "session",
    "local_time",
    "room",
    "seat",
    "position",
    "form",
)


async def room_list_csv(
    pool: Pool, principal: Principal, session_id: uuid.UUID, org_id: uuid.UUID | None
) -> bytes:
    _, rows = await _seating(pool, principal, session_id, org_id)
    return exports.csv_bytes(
        ROOM_LIST_HEADER,
        (
            (
                r.school,
                r.room or "(no seat)",
                r.seat or "",
                exports.seat_label(r.seat, r.columns),
                exports.form_letter(r.form_position),
                r.national_id,
                r.display_name,
                r.username,
                r.class_name,
            )
            for r in rows
        ),
    )


async def cards_csv(
    pool: Pool, principal: Principal, session_id: uuid.UUID, org_id: uuid.UUID | None
) -> bytes:
    """One exam card per student (the sign-in code cards are issued by accounts)."""
    found, rows = await _seating(pool, principal, session_id, org_id)
    session = found.session
    return exports.csv_bytes(
        CARD_HEADER,
        (
            (
                r.display_name,
                r.national_id,
                r.username,
                r.school,
                r.school_code,
                found.event.title,
                session.label,
                zones.local_span(session.starts_at, session.ends_at, r.time_zone),
                r.room or "",
                r.seat or "",
                exports.seat_label(r.seat, r.columns),
                exports.form_letter(r.form_position),
            )
            for r in rows
        ),
    )


async def event_forecast(
    pool: Pool, principal: Principal, event_id: uuid.UUID, params: Params
) -> Forecast:
    async with pool.acquire() as conn:
        await access.event_to_manage(conn, principal, event_id)
        loads = await views.session_loads(conn, event_id)
    return forecast_of(loads, params)


def forecast_of(loads: list[SessionLoad], params: Params) -> Forecast:
    try:
        return forecast(loads, params)
    except ValueError as err:
        raise validation_failed(str(err)) from None
