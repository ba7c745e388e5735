"""Full sessions, waiting lists, cut-offs and clashes as clear problems; who may do what."""

from __future__ import annotations

import uuid

from engine.redis_adapter.paper_warmup import warm_key
from engine.scheduling.warmup import Warmup
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


def _reg(event_id: str) -> str:
    return f"/v1/scheduling/events/{event_id}/registrations"


async def test_full_sessions_waiting_lists_cutoffs_and_clashes(api: Api, world: World) -> None:
    w = world
    await rooms(api, w)  # school A: 7 seats
    (f1,) = await forms(api, w.admin, 1)
    event_id = await event(api, w.admin)
    s1 = await session(api, w.admin, event_id, [f1], starts_in_s=7200)
    s2 = await session(api, w.admin, event_id, [f1], starts_in_s=7200, cap=2)
    await ok(
        await api.call(
            "POST",
            _reg(event_id),
            w.a_admin,
            json={"class_id": str(w.class_a1), "session_ids": [s1["id"]]},
        ),
        201,
    )  # 5 of 7 seats
    body = problem(
        await api.call(
            "POST",
            _reg(event_id),
            w.a_admin,
            json={"class_id": str(w.class_a2), "session_ids": [s1["id"]]},
        ),
        409,
        "session_full",
    )
    assert body["extra"]["sessions"] == [
        {"session_id": s1["id"], "limit": "school_rooms", "free_seats": 2}
    ]
    # the national cap of 2 is hit by B's class of 3
    body = problem(
        await api.call(
            "POST",
            _reg(event_id),
            w.b_admin,
            json={"class_id": str(w.class_b1), "session_ids": [s2["id"]]},
        ),
        409,
        "session_full",
    )
    assert body["extra"]["sessions"][0]["limit"] == "national_cap"
    problem(
        await api.call(
            "POST",
            _reg(event_id),
            w.a_admin,
            json={"class_id": str(w.class_a1), "session_ids": [s2["id"]]},
        ),
        409,
        "already_registered",
    )

    waiting = await ok(
        await api.call(
            "POST",
            _reg(event_id),
            w.a_admin,
            json={"class_id": str(w.class_a2), "session_ids": [s1["id"]], "join_waitlist": True},
        ),
        201,
    )
    assert waiting["status"] == "waitlisted"
    first = await ok(
        await api.call("GET", f"/v1/scheduling/schools/{w.school_a}/registrations", w.a_teacher)
    )
    a1_group = next(g for g in first if g["class_id"] == str(w.class_a1))["group_id"]
    r = await api.call("DELETE", f"/v1/scheduling/registrations/{a1_group}", w.a_admin)
    assert r.status_code == 204, r.text
    after = await ok(
        await api.call("GET", f"/v1/scheduling/schools/{w.school_a}/registrations", w.a_admin)
    )
    assert [(g["class_id"], g["status"]) for g in after] == [(str(w.class_a2), "registered")]
    # raising the cap lets a waiting group in
    await ok(
        await api.call(
            "POST",
            _reg(event_id),
            w.b_admin,
            json={"class_id": str(w.class_b1), "session_ids": [s2["id"]], "join_waitlist": True},
        ),
        201,
    )
    await ok(
        await api.call(
            "PATCH", f"/v1/scheduling/sessions/{s2['id']}", w.admin, json={"national_cap": 3}
        )
    )
    b_regs = await ok(
        await api.call("GET", f"/v1/scheduling/schools/{w.school_b}/registrations", w.b_admin)
    )
    assert [g["status"] for g in b_regs] == ["registered"]

    # another event overlapping s1: class A2 (now in s1) would sit two sessions at once
    other_event = await event(api, w.admin)
    overlapping = await session(api, w.admin, other_event, [f1], starts_in_s=7200 + 1800)
    body = problem(
        await api.call(
            "POST",
            _reg(other_event),
            w.a_admin,
            json={"class_id": str(w.class_a2), "session_ids": [overlapping["id"]]},
        ),
        409,
        "schedule_clash",
    )
    assert body["extra"]["sessions"][0]["session_id"] == s1["id"]
    # ... while a session right after s1 ends (half-open) is fine
    after_s1 = await session(api, w.admin, other_event, [f1], starts_in_s=7200 + 90 * 60)
    await ok(
        await api.call(
            "POST",
            _reg(other_event),
            w.a_admin,
            json={"class_id": str(w.class_a2), "session_ids": [after_s1["id"]]},
        ),
        201,
    )

    closed = await event(api, w.admin, closes_in_s=-1)
    late = await session(api, w.admin, closed, [f1], starts_in_s=7200)
    problem(
        await api.call(
            "POST",
            _reg(closed),
            w.a_admin,
            json={"class_id": str(w.class_a1), "session_ids": [late["id"]]},
        ),
        409,
        "cutoff_passed",
    )


async def test_a_class_split_over_sessions_is_balanced(api: Api, world: World) -> None:
    w = world
    await rooms(api, w)
    (f1,) = await forms(api, w.admin, 1)
    event_id = await event(api, w.admin)
    s1 = await session(api, w.admin, event_id, [f1], starts_in_s=7200, minutes=60)
    s2 = await session(api, w.admin, event_id, [f1], starts_in_s=7200 + 3600, minutes=60)
    reg = await ok(
        await api.call(
            "POST",
            _reg(event_id),
            w.a_admin,
            json={"class_id": str(w.class_a2), "session_ids": [s1["id"], s2["id"]]},
        ),
        201,
    )
    assert sorted(reg["seats"].values()) == [3, 3]
    report = await ok(
        await api.call("POST", f"/v1/scheduling/events/{event_id}/allocation", w.admin)
    )
    assert report["placed"] == 6
    table = await ok(
        await api.call("GET", f"/v1/scheduling/schools/{w.school_a}/timetable", w.a_teacher)
    )
    assert [t["students"] for t in table] == [3, 3]


async def test_who_may_do_what(api: Api, world: World) -> None:
    w = world
    await rooms(api, w)
    (f1,) = await forms(api, w.admin, 1)
    event_id = await event(api, w.admin)
    s1 = await session(api, w.admin, event_id, [f1], starts_in_s=7200)
    body = {"class_id": str(w.class_a1), "session_ids": [s1["id"]]}
    # only the organiser creates events and sessions, allocates and sees the overview
    for user in (w.a_admin, w.a_teacher, w.a1[0]):
        r = await api.call(
            "POST",
            "/v1/scheduling/events",
            user,
            json={"title": "x", "changes_close_at": "2030-01-01T00:00:00Z"},
        )
        assert r.status_code == 403, r.text
        r = await api.call("GET", f"/v1/scheduling/events/{event_id}/overview", user)
        problem(r, 403, "forbidden")
    # teachers read but do not register; students do neither
    problem(await api.call("POST", _reg(event_id), w.a_teacher, json=body), 403, "forbidden")
    problem(await api.call("POST", _reg(event_id), w.a1[0], json=body), 403, "forbidden")
    # another school's admin cannot register A's class, nor read A's rooms
    problem(await api.call("POST", _reg(event_id), w.b_admin, json=body), 404, "not_found")
    problem(
        await api.call("GET", f"/v1/scheduling/schools/{w.school_a}/rooms", w.b_admin),
        404,
        "not_found",
    )
    # another organiser sees neither the event nor the sessions' room lists
    problem(
        await api.call("GET", f"/v1/scheduling/events/{event_id}/overview", w.other_admin),
        404,
        "not_found",
    )
    problem(
        await api.call("GET", f"/v1/scheduling/sessions/{s1['id']}/room-list.csv", w.other_admin),
        404,
        "not_found",
    )
    # a school outside the organiser's tree cannot register into its event
    problem(
        await api.call(
            "POST",
            _reg(event_id),
            w.other_school_admin,
            json={"class_id": str(w.other_class), "session_ids": [s1["id"]]},
        ),
        404,
        "not_found",
    )
    # the organiser above a school may act for it; a student sees only their own exams
    await ok(await api.call("POST", _reg(event_id), w.admin, json=body), 201)
    await ok(await api.call("POST", f"/v1/scheduling/events/{event_id}/allocation", w.admin))
    assert len(await ok(await api.call("GET", "/v1/scheduling/my-exams", w.a1[0]))) == 1
    assert await ok(await api.call("GET", "/v1/scheduling/my-exams", w.b1[0])) == []
    r = await api.call("GET", "/v1/scheduling/my-exams", w.a_teacher)
    assert r.status_code == 403
    # bad input: unknown zone, a session ending before it starts, forms that are not exams
    problem(
        await api.call(
            "PUT",
            f"/v1/scheduling/schools/{w.school_a}/profile",
            w.a_admin,
            json={"time_zone": "Asia/Atlantis"},
        ),
        400,
        "validation_failed",
    )
    r = await api.call(
        "POST",
        f"/v1/scheduling/events/{event_id}/sessions",
        w.admin,
        json={
            "label": "x",
            "starts_at": "2030-01-01T02:00:00+07:00",
            "ends_at": "2030-01-01T01:00:00+07:00",
            "form_exam_ids": [f1],
        },
    )
    problem(r, 400, "validation_failed")
    r = await api.call(
        "POST",
        f"/v1/scheduling/events/{event_id}/sessions",
        w.admin,
        json={
            "label": "x",
            "starts_at": "2030-01-01T00:00:00Z",
            "ends_at": "2030-01-01T01:00:00Z",
            "form_exam_ids": [str(uuid.uuid4()), f1],
        },
    )
    body = problem(r, 400, "validation_failed")
    assert [e["field"] for e in body["errors"]] == ["form_exam_ids[0]", "form_exam_ids[1]"]


async def test_every_pod_warms_announced_papers_and_one_prepares_due_sessions(
    api: Api, world: World, svc: Services
) -> None:
    w = world
    await rooms(api, w)
    (f1,) = await forms(api, w.admin, 1)
    event_id = await event(api, w.admin)
    s1 = await session(api, w.admin, event_id, [f1], starts_in_s=600)  # within the lead time
    await ok(
        await api.call(
            "POST",
            _reg(event_id),
            w.b_admin,
            json={"class_id": str(w.class_b1), "session_ids": [s1["id"]]},
        ),
        201,
    )
    await ok(await api.call("POST", f"/v1/scheduling/events/{event_id}/allocation", w.admin))
    # a second pod: the same servers, its own (empty) memory tier
    pod = Services(settings=svc.settings, pool=svc.pool, redis=svc.redis)
    warmup = Warmup(pod)
    await warmup.tick()  # wins the lock (or another pod did: preparing is idempotent)
    async with svc.pool.acquire() as conn:
        n = await conn.fetchval(
            "SELECT count(sitting_id) FROM seat_allocations WHERE session_id = $1",
            uuid.UUID(s1["id"]),
        )
        version = await conn.fetchval(
            "SELECT id FROM exam_versions WHERE exam_id = $1", uuid.UUID(f1)
        )
    assert n == 3
    assert await svc.redis.zscore(warm_key(svc.settings.redis_namespace), str(version)) is not None
    # another pod that prepared nothing loads the announced paper from Redis on its poll
    other = Services(settings=svc.settings, pool=svc.pool, redis=svc.redis)
    other_warmup = Warmup(other)
    loaded = await other_warmup.warm()
    assert str(version) in loaded
    assert other.papers.stats["redis_hit"] + other.papers.stats["miss"] == len(loaded)
    await other.papers.get(str(version))
    assert other.papers.stats["memory_hit"] == 1  # the stampede's paper: this pod's memory
    assert await other_warmup.warm() == []  # nothing new to load
