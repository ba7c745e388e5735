"""The schedule end to end: register, allocate, prepare (pre-created sittings, warm papers),
start on the allocated form only, the views and exports."""

from __future__ import annotations

import csv
import io
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import icalendar

from engine.services import Services
from tests.integration.conftest import Api
from tests.integration.scheduling.conftest import (
    World,
    event,
    forms,
    ok,
    problem,
    rooms,
    session,
)


def _span(session: dict[str, Any], zone: str, label: str) -> str:
    """What a timetable should print for the session in that zone, worked out here with
    zoneinfo alone (not with engine.scheduling.zones, the code under test)."""
    starts = datetime.fromisoformat(session["starts_at"]).astimezone(ZoneInfo(zone))
    ends = datetime.fromisoformat(session["ends_at"]).astimezone(ZoneInfo(zone))
    days = (ends.date() - starts.date()).days
    tail = f" (+{days} day)" if days == 1 else (f" (+{days} days)" if days else "")
    return f"{starts:%Y-%m-%d %H:%M}–{ends:%H:%M} {label}{tail}"


async def _csv(r: object) -> list[dict[str, str]]:
    assert r.status_code == 200, r.text  # type: ignore[attr-defined]
    assert r.headers["content-type"].startswith("text/csv")  # type: ignore[attr-defined]
    return list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))  # type: ignore[attr-defined]


async def test_register_allocate_prepare_and_start_on_the_allocated_form(
    api: Api, world: World, svc: Services
) -> None:
    w = world
    made = await rooms(api, w)
    f1, f2 = await forms(api, w.admin, 2)
    event_id = await event(api, w.admin)
    s1 = await session(api, w.admin, event_id, [f1, f2], starts_in_s=-30)
    reg_a = await ok(
        await api.call(
            "POST",
            f"/v1/scheduling/events/{event_id}/registrations",
            w.a_admin,
            json={"class_id": str(w.class_a1), "session_ids": [s1["id"]]},
        ),
        201,
    )
    assert reg_a["status"] == "registered" and reg_a["seats"] == {s1["id"]: 5}
    await ok(
        await api.call(
            "POST",
            f"/v1/scheduling/events/{event_id}/registrations",
            w.b_admin,
            json={"class_id": str(w.class_b1), "session_ids": [s1["id"]]},
        ),
        201,
    )

    report = await ok(
        await api.call("POST", f"/v1/scheduling/events/{event_id}/allocation", w.admin)
    )
    assert report == {"sessions": 1, "placed": 8, "unplaced": []}
    again = await ok(
        await api.call("POST", f"/v1/scheduling/events/{event_id}/allocation", w.admin)
    )
    assert again == report
    async with svc.pool.acquire() as conn:
        seats = await conn.fetch(
            "SELECT student_id, room_id, seat, exam_id FROM seat_allocations WHERE session_id = $1",
            uuid.UUID(s1["id"]),
        )
    assert len(seats) == 8
    lab1 = [r for r in seats if str(r["room_id"]) == made["Lab 1"]]
    assert len(lab1) == 4 and sorted(r["seat"] for r in lab1) == [1, 2, 3, 4]
    assert set(Counter(str(r["exam_id"]) for r in lab1).values()) == {2}

    # my exams: the room, the seat and the time in the student's own zone
    mine_a = await ok(await api.call("GET", "/v1/scheduling/my-exams", w.a1[0]))
    mine_b = await ok(await api.call("GET", "/v1/scheduling/my-exams", w.b1[0]))
    assert len(mine_a) == 1 and mine_a[0]["room"] in ("Lab 1", "Lab 2") and mine_a[0]["seat"]
    # the label is the session's own span in each school's zone, whatever the time of day the
    # test runs at (a 90-minute session may cross midnight in WIT, and then says "(+1 day)")
    assert mine_a[0]["local"] == _span(s1, "Asia/Jakarta", "WIB")
    assert mine_b[0]["local"] == _span(s1, "Asia/Jayapura", "WIT")
    assert mine_a[0]["sitting_id"] is None
    form_of = {
        u: (await ok(await api.call("GET", "/v1/scheduling/my-exams", u)))[0]["exam_id"]
        for u in w.a1
    }
    ics = await api.call("GET", "/v1/scheduling/my-exams.ics", w.a1[0])
    assert ics.headers["content-type"].startswith("text/calendar")
    vevents = list(icalendar.Calendar.from_ical(ics.content).walk("VEVENT"))
    assert len(vevents) == 1 and "seat" in str(vevents[0]["location"])

    prepared = await ok(
        await api.call("POST", f"/v1/scheduling/sessions/{s1['id']}/prepare", w.admin)
    )
    assert len(prepared["forms_warmed"]) == 2
    # the pods' warm-up loop prepares due sessions too (engine/scheduling/warmup.py), and this
    # one opened 30 s ago: whichever ran first created them, and there are eight in all
    async with svc.pool.acquire() as conn:
        pre = await conn.fetchval(
            "SELECT count(*) FROM sittings WHERE exam_id = ANY($1::uuid[]) AND state = 'created'",
            [uuid.UUID(f1), uuid.UUID(f2)],
        )
    assert pre == 8 and prepared["sittings_created"] in (0, 8)
    again = await ok(await api.call("POST", f"/v1/scheduling/sessions/{s1['id']}/prepare", w.admin))
    assert again["sittings_created"] == 0  # idempotent
    mine = await ok(await api.call("GET", "/v1/scheduling/my-exams", w.a1[0]))
    pre_created = mine[0]["sitting_id"]
    assert pre_created is not None

    # the start finds the pre-created sitting; the other form never opens for this student
    started = await api.start(w.a1[0], form_of[w.a1[0]])
    assert started["id"] == pre_created and started["state"] == "active"
    paper = await api.paper(w.a1[0], started["id"])
    assert paper["exam_version_id"] in prepared["forms_warmed"]
    other = f2 if form_of[w.a1[0]] == f1 else f1
    problem(await api.call("POST", f"/v1/exams/{other}/sittings", w.a1[0]), 409, "exam_closed")
    # a class that is not registered does not even see the form
    r = await api.call("POST", f"/v1/exams/{f1}/sittings", w.a2[0])
    problem(r, 404, "not_found")

    # room lists (a school sees its own), exam cards, timetable, overview
    rows = await _csv(
        await api.call("GET", f"/v1/scheduling/sessions/{s1['id']}/room-list.csv", w.a_teacher)
    )
    assert len(rows) == 5 and {r["school"] for r in rows} == {f"SMA Jakarta {w.tag}"}
    assert {r["form"] for r in rows} == {"A", "B"} and rows[0]["position"] == "R1-C1"
    rows = await _csv(
        await api.call("GET", f"/v1/scheduling/sessions/{s1['id']}/room-list.csv", w.admin)
    )
    assert len(rows) == 8
    cards = await _csv(
        await api.call("GET", f"/v1/scheduling/sessions/{s1['id']}/cards.csv", w.a_proctor)
    )
    assert len(cards) == 5
    assert {c["local_time"] for c in cards} == {_span(s1, "Asia/Jakarta", "WIB")}
    assert all(len(c["national_id"]) == 10 for c in cards)
    table = await ok(
        await api.call("GET", f"/v1/scheduling/schools/{w.school_b}/timetable", w.b_admin)
    )
    assert [(t["students"], t["status"], t["rooms"]) for t in table] == [
        (3, "registered", ["Lab B"])
    ]
    assert table[0]["local"] == _span(s1, "Asia/Jayapura", "WIT")
    overview = await ok(
        await api.call("GET", f"/v1/scheduling/events/{event_id}/overview", w.admin)
    )
    regions = {r["region"]: r for r in overview[0]["regions"]}
    assert regions["Jawa"]["allocated"] == 5 and regions["Jawa"]["seats"] == 7
    assert regions["Papua"]["allocated"] == 3 and regions["Papua"]["reserved_seats"] == 3
    forecast = await ok(
        await api.call("GET", f"/v1/scheduling/events/{event_id}/forecast?pod_rps=100", w.admin)
    )
    assert forecast["sessions"][0]["students"] == 8
    assert forecast["params"]["pod_rps"] == 100 and len(forecast["timeline"]) in (90, 91)


def _next_utc(hour: int, minute: int, *, after: datetime) -> datetime:
    """The first ``hour:minute`` UTC at or after ``after``: a clock the test sets, not the run's."""
    at = after.replace(hour=hour, minute=minute, second=0, microsecond=0)
    return at if at >= after else at + timedelta(days=1)


async def test_labels_at_a_set_hour_cross_midnight_only_where_they_do(
    api: Api, world: World
) -> None:
    # 16:30-18:00 UTC is 23:30-01:00 WIB (crosses midnight) and 01:30-03:00 WIT on the next
    # calendar day (does not): both cases on every run, whatever time of day it is
    w = world
    await rooms(api, w)
    (f1,) = await forms(api, w.admin, 1, hours=30)
    event_id = await event(api, w.admin)
    starts = _next_utc(16, 30, after=datetime.now(UTC) + timedelta(hours=3))
    s1 = await ok(
        await api.call(
            "POST",
            f"/v1/scheduling/events/{event_id}/sessions",
            w.admin,
            json={
                "label": "Sesi malam",
                "starts_at": starts.isoformat(),
                "ends_at": (starts + timedelta(minutes=90)).isoformat(),
                "form_exam_ids": [f1],
                "kind": "regular",
            },
        ),
        201,
    )
    for admin, class_id in ((w.a_admin, w.class_a1), (w.b_admin, w.class_b1)):
        await ok(
            await api.call(
                "POST",
                f"/v1/scheduling/events/{event_id}/registrations",
                admin,
                json={"class_id": str(class_id), "session_ids": [s1["id"]]},
            ),
            201,
        )
    await ok(await api.call("POST", f"/v1/scheduling/events/{event_id}/allocation", w.admin))

    utc_day, next_day = starts.date(), starts.date() + timedelta(days=1)
    wib = f"{utc_day} 23:30–01:00 WIB (+1 day)"
    wit = f"{next_day} 01:30–03:00 WIT"
    assert [
        m["local"] for m in await ok(await api.call("GET", "/v1/scheduling/my-exams", w.a1[0]))
    ] == [wib]
    assert [
        m["local"] for m in await ok(await api.call("GET", "/v1/scheduling/my-exams", w.b1[0]))
    ] == [wit]
    for org, admin, label in ((w.school_a, w.a_admin, wib), (w.school_b, w.b_admin, wit)):
        table = await ok(await api.call("GET", f"/v1/scheduling/schools/{org}/timetable", admin))
        assert [t["local"] for t in table] == [label]
    cards = await _csv(
        await api.call("GET", f"/v1/scheduling/sessions/{s1['id']}/cards.csv", w.a_proctor)
    )
    assert {c["local_time"] for c in cards} == {wib}


async def test_a_lost_room_reseats_its_students_and_make_ups_get_an_unseen_form(
    api: Api, world: World, svc: Services
) -> None:
    w = world
    made = await rooms(api, w)
    f1, f2, f3 = await forms(api, w.admin, 3, hours=8)
    event_id = await event(api, w.admin)
    s1 = await session(api, w.admin, event_id, [f1, f2], starts_in_s=7200)
    await ok(
        await api.call(
            "POST",
            f"/v1/scheduling/events/{event_id}/registrations",
            w.a_admin,
            json={"class_id": str(w.class_a1), "session_ids": [s1["id"]]},
        ),
        201,
    )
    await ok(await api.call("POST", f"/v1/scheduling/events/{event_id}/allocation", w.admin))
    await ok(await api.call("POST", f"/v1/scheduling/sessions/{s1['id']}/prepare", w.admin))

    # Lab 2 (3 seats) is lost: Lab 1 has 4 seats, all taken by then? 5 students: 4 + 1
    lost = await ok(await api.call("POST", f"/v1/scheduling/rooms/{made['Lab 2']}/lost", w.a_admin))
    assert lost["sessions"] == 1
    async with svc.pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT student_id, room_id FROM seat_allocations WHERE session_id = $1",
            uuid.UUID(s1["id"]),
        )
    assert all(str(r["room_id"]) != made["Lab 2"] for r in rows)
    unseated = {u["student_id"] for u in lost["unplaced"]}
    assert len(unseated) == 1 and lost["unplaced"][0]["reason"] == "no_seat"
    assert sum(r["room_id"] is None for r in rows) == 1

    # the unseated student and one more sit a make-up on a form they have not seen
    makeup = await session(
        api, w.admin, event_id, [f1, f3], starts_in_s=4 * 3600, minutes=60, kind="makeup"
    )
    seated = next(str(w.ids[u]) for u in w.a1 if str(w.ids[u]) not in unseated)
    names = [str(next(iter(unseated))), seated]
    report = await ok(
        await api.call(
            "POST",
            f"/v1/scheduling/sessions/{makeup['id']}/makeup",
            w.admin,
            json={"student_ids": names},
        )
    )
    assert report["placed"] == 2
    async with svc.pool.acquire() as conn:
        given = await conn.fetch(
            "SELECT m.exam_id AS now, r.exam_id AS before FROM seat_allocations m "
            "JOIN seat_allocations r ON r.student_id = m.student_id AND r.session_id = $2 "
            "WHERE m.session_id = $1",
            uuid.UUID(makeup["id"]),
            uuid.UUID(s1["id"]),
        )
    assert len(given) == 2 and all(g["now"] != g["before"] for g in given)

    # a make-up whose only form the student has seen is refused, and nothing changes
    seen = (await ok(await api.call("GET", "/v1/scheduling/my-exams", w.a1[2])))[0]["exam_id"]
    only_seen = await session(
        api, w.admin, event_id, [seen], starts_in_s=5 * 3600, minutes=60, kind="makeup"
    )
    body = problem(
        await api.call(
            "POST",
            f"/v1/scheduling/sessions/{only_seen['id']}/makeup",
            w.admin,
            json={"student_ids": [str(w.ids[w.a1[2]])]},
        ),
        409,
        "no_unseen_form",
    )
    assert body["extra"]["students"] == [
        {"student_id": str(w.ids[w.a1[2]]), "reason": "no_unseen_form"}
    ]
    async with svc.pool.acquire() as conn:
        assert (
            await conn.fetchval(
                "SELECT count(*) FROM seat_allocations WHERE session_id = $1",
                uuid.UUID(only_seen["id"]),
            )
            == 0
        )
    # a make-up overlapping the student's own session is a clash
    clash = await session(api, w.admin, event_id, [f3], starts_in_s=7300, minutes=30, kind="makeup")
    problem(
        await api.call(
            "POST",
            f"/v1/scheduling/sessions/{clash['id']}/makeup",
            w.admin,
            json={"student_ids": [str(w.ids[w.a1[1]])]},
        ),
        409,
        "schedule_clash",
    )
