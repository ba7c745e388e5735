"""Proctor actions through the API and what they do in Redis: pausing stops the clock, resuming
moves the deadline by exactly the paused time (and the deadline set with it), extra time, the
room as a whole, and the one-device lock (take over or refuse), all recorded."""

from __future__ import annotations

import uuid
from typing import Any

from engine.services import Services
from tests.integration.accounts.conftest import Tenants
from tests.integration.conftest import PASSWORD, RIGHT_ANSWERS, Api
from tests.waiting import poll_until


async def _student(api: Api, tenants: Tenants) -> str:
    username = f"p-{uuid.uuid4().hex[:10]}"
    admin = tenants.a.users["school_admin"]
    r = await api.call(
        "POST",
        f"/v1/orgs/{tenants.a.school}/users",
        admin,
        json={
            "username": username,
            "display_name": username,
            "role": "student",
            "password": PASSWORD,
            "class_id": str(tenants.a.class_id),
        },
    )
    assert r.status_code == 201, r.text
    return username


async def _device(api: Api, username: str) -> dict[str, str]:
    r = await api.client.post("/v1/auth/token", json={"username": username, "password": PASSWORD})
    assert r.status_code == 201
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


async def _answer(
    api: Api, headers: dict[str, str], sitting: str, paper: dict[str, Any], seq: int
) -> Any:
    item = paper["sections"][0]["items"][0]
    response = next(a for a in RIGHT_ANSWERS if a["kind"] == item["kind"])
    return await api.client.post(
        f"/v1/sittings/{sitting}/answers",
        headers=headers,
        json={"events": [{"seq": seq, "item": item["id"], "response": response}]},
    )


async def _events(svc: Services, sitting: str) -> list[tuple[str, dict[str, Any]]]:
    async with svc.pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT kind, detail FROM sitting_events WHERE sitting_id = $1 ORDER BY id",
            uuid.UUID(sitting),
        )
    return [(r["kind"], r["detail"]) for r in rows]


async def test_pause_stops_the_clock_and_resume_moves_the_deadline(
    api: Api, svc: Services, tenants: Tenants
) -> None:
    student, proctor = await _student(api, tenants), tenants.a.users["proctor"]
    exam = await api.exam(tenants.a.users["teacher"], grace_s=30)
    sitting = (await api.start(student, exam["id"]))["id"]
    paper = await api.paper(student, sitting)
    device = await _device(api, student)  # a second sign-in: takes the sitting over
    r = await api.client.post(f"/v1/exams/{exam['id']}/sittings", headers=device)
    assert r.status_code == 200
    keys = svc.keys_for(sitting)
    before = int(await svc.redis.hget(keys.session, "deadline"))
    r = await api.call("POST", f"/v1/sittings/{sitting}/pause", proctor)
    assert r.status_code == 200 and r.json()["paused"] is True
    assert await svc.redis.zscore(keys.deadlines, sitting) is None
    r = await _answer(api, device, sitting, paper, 1)
    assert r.status_code == 409 and r.json()["code"] == "sitting_paused"
    assert await svc.redis.hget(keys.session, "last_seq") == b"0"
    # the student's timer stands still while paused, and says why
    first = (await api.client.get(f"/v1/sittings/{sitting}/timer", headers=device)).json()
    timers = [first]

    async def clock_moved() -> bool:
        r = await api.client.get(f"/v1/sittings/{sitting}/timer", headers=device)
        timers.append(r.json())
        # the server's clock 50 ms on: the pause below has lasted at least that long
        return bool(timers[-1]["server_time_ms"] >= first["server_time_ms"] + 50)

    await poll_until(clock_moved, 5)
    second = timers[-1]
    assert first["state"] == second["state"] == "paused"
    assert first["remaining_ms"] == second["remaining_ms"] > 0
    assert second["server_time_ms"] > first["server_time_ms"]
    r = await api.call("POST", f"/v1/sittings/{sitting}/resume", proctor)
    assert r.status_code == 200 and r.json()["status"] == "resumed"
    kind, detail = (await _events(svc, sitting))[-1]
    assert kind == "resumed" and detail["paused_for_ms"] >= 50
    after = r.json()["deadline_ms"]
    assert after == before + detail["paused_for_ms"]
    assert await svc.redis.zscore(keys.deadlines, sitting) == after + 30_000
    assert (await _answer(api, device, sitting, paper, 1)).status_code == 200
    r = await api.call("POST", f"/v1/sittings/{sitting}/extra-time", proctor, json={"seconds": 120})
    assert r.json()["deadline_ms"] == after + 120_000
    assert await svc.redis.zscore(keys.deadlines, sitting) == after + 150_000
    async with svc.pool.acquire() as conn:
        row = await conn.fetchrow(
            "SELECT extra_time_s, deadline FROM sittings WHERE id = $1", uuid.UUID(sitting)
        )
    assert row["extra_time_s"] == 120
    assert int(row["deadline"].timestamp() * 1000) == after + 120_000
    kinds = [k for k, _ in await _events(svc, sitting)]
    assert kinds == ["device_takeover", "paused", "resumed", "extra_time"]
    r = await api.call(
        "GET",
        f"/v1/audit?action=sitting.paused&org_id={tenants.a.school}",
        tenants.a.users["school_admin"],
    )
    assert any(e["target"] == sitting and e["ip"] for e in r.json())


async def test_the_whole_room_pauses_and_resumes(api: Api, svc: Services, tenants: Tenants) -> None:
    exam = await api.exam(tenants.a.users["teacher"])
    students = [await _student(api, tenants) for _ in range(3)]
    sittings = [(await api.start(s, exam["id"]))["id"] for s in students]
    room = f"/v1/exams/{exam['id']}/rooms/{tenants.a.class_id}"
    r = await api.call("GET", room, tenants.a.users["proctor"])
    seats = {s["sitting_id"]: s for s in r.json()["seats"] if s["sitting_id"]}
    assert set(sittings) <= set(seats)
    assert all(seats[s]["online"] and seats[s]["device_locked"] for s in sittings)
    r = await api.call("POST", room + "/pause", tenants.a.users["proctor"])
    assert {o["sitting_id"] for o in r.json()["sittings"] if o["paused"]} >= set(sittings)
    paper = await api.paper(students[0], sittings[0])
    r = await _answer(api, await api.headers(students[0]), sittings[0], paper, 1)
    assert r.json()["code"] == "sitting_paused"
    r = await api.call("GET", room, tenants.a.users["proctor"])
    assert all(s["paused"] for s in r.json()["seats"] if s["sitting_id"] in sittings)
    r = await api.call("POST", room + "/resume", tenants.a.users["proctor"])
    assert {o["sitting_id"] for o in r.json()["sittings"] if o["status"] == "resumed"} >= set(
        sittings
    )
    assert (
        await _answer(api, await api.headers(students[0]), sittings[0], paper, 1)
    ).status_code == 200


async def test_a_second_device_takes_over_or_is_refused(
    api: Api, svc: Services, tenants: Tenants
) -> None:
    teacher = tenants.a.users["teacher"]
    exam = await api.exam(teacher)
    student = await _student(api, tenants)
    first = await _device(api, student)
    r = await api.client.post(f"/v1/exams/{exam['id']}/sittings", headers=first)
    sitting = r.json()["id"]
    paper = await api.paper(student, sitting)
    second = await _device(api, student)
    assert (
        await api.client.post(f"/v1/exams/{exam['id']}/sittings", headers=second)
    ).status_code == 200
    r = await _answer(api, first, sitting, paper, 1)
    assert r.status_code == 409 and r.json()["code"] == "device_replaced"
    r = await api.client.post(f"/v1/exams/{exam['id']}/sittings", headers=first)
    assert r.status_code == 409 and r.json()["code"] == "device_replaced"
    assert (await _answer(api, second, sitting, paper, 1)).status_code == 200
    # the refusing policy: a second device waits for the proctor
    r = await api.call(
        "PUT", f"/v1/exams/{exam['id']}/policy", teacher, json={"device_policy": "refuse"}
    )
    assert r.status_code == 200
    other = await _student(api, tenants)
    one, two = await _device(api, other), await _device(api, other)
    r = await api.client.post(f"/v1/exams/{exam['id']}/sittings", headers=one)
    other_sitting = r.json()["id"]
    r = await api.client.post(f"/v1/exams/{exam['id']}/sittings", headers=two)
    assert r.status_code == 409 and r.json()["code"] == "device_locked"
    r = await api.call(
        "POST", f"/v1/sittings/{other_sitting}/device-reset", tenants.a.users["proctor"]
    )
    assert r.status_code == 200
    assert (
        await api.client.post(f"/v1/exams/{exam['id']}/sittings", headers=two)
    ).status_code == 200
    assert [k for k, _ in await _events(svc, sitting)] == ["device_takeover", "device_refused"]
    assert [k for k, _ in await _events(svc, other_sitting)] == ["device_refused", "device_reset"]
