"""What a proctor does reaches the student's page through its heartbeat (POST /heartbeat), the
request the page sends when it has no answers to send: the clock stops while paused, extra
time moves the deadline, a take-over by another device is named; and the heartbeat keeps the
seat online in the proctor's room."""

from __future__ import annotations

from typing import Any

from engine.services import Services
from tests.integration.accounts.conftest import Tenants
from tests.integration.accounts.test_accounts_proctor_actions import _device, _student
from tests.integration.conftest import Api
from tests.waiting import poll_until


async def _beat(api: Api, headers: dict[str, str], sitting: str) -> dict[str, Any]:
    r = await api.client.post(f"/v1/sittings/{sitting}/heartbeat", headers=headers, json={})
    assert r.status_code == 200, r.text
    clock: dict[str, Any] = r.json()
    return clock


async def test_pause_and_extra_time_reach_the_page_through_the_heartbeat(
    api: Api, svc: Services, tenants: Tenants
) -> None:
    student, proctor = await _student(api, tenants), tenants.a.users["proctor"]
    exam = await api.exam(tenants.a.users["teacher"], limit_s=600)
    page = await _device(api, student)
    r = await api.client.post(f"/v1/exams/{exam['id']}/sittings", headers=page)
    sitting = r.json()["id"]
    first = await _beat(api, page, sitting)
    assert first["state"] == "active" and 590_000 < first["remaining_ms"] <= 600_000

    r = await api.call("POST", f"/v1/sittings/{sitting}/pause", proctor)
    assert r.status_code == 200
    paused = await _beat(api, page, sitting)
    later: list[dict[str, Any]] = []

    async def clock_moved() -> bool:
        later.append(await _beat(api, page, sitting))
        return bool(later[-1]["server_time_ms"] >= paused["server_time_ms"] + 50)

    await poll_until(clock_moved, 5)
    # the page's clock stands still while paused, and the heartbeat says why
    assert paused["state"] == later[-1]["state"] == "paused"
    assert paused["remaining_ms"] == later[-1]["remaining_ms"]
    r = await api.call("POST", f"/v1/sittings/{sitting}/resume", proctor)
    assert r.status_code == 200
    resumed = await _beat(api, page, sitting)
    assert resumed["state"] == "active" and resumed["deadline_ms"] == r.json()["deadline_ms"]

    r = await api.call("POST", f"/v1/sittings/{sitting}/extra-time", proctor, json={"seconds": 300})
    assert r.status_code == 200
    extended = await _beat(api, page, sitting)
    assert extended["deadline_ms"] == resumed["deadline_ms"] + 300_000
    assert extended["remaining_ms"] == extended["deadline_ms"] - extended["server_time_ms"]
    assert extended["remaining_ms"] > 890_000


async def test_a_page_taken_over_by_another_device_is_told_and_the_seat_stays_online(
    api: Api, svc: Services, tenants: Tenants
) -> None:
    student, proctor = await _student(api, tenants), tenants.a.users["proctor"]
    exam = await api.exam(tenants.a.users["teacher"])
    first = await _device(api, student)
    r = await api.client.post(f"/v1/exams/{exam['id']}/sittings", headers=first)
    sitting = r.json()["id"]
    keys = svc.keys_for(sitting)
    room = f"/v1/exams/{exam['id']}/rooms/{tenants.a.class_id}"

    async def online() -> bool:
        r = await api.call("GET", room, proctor)
        return bool(next(s for s in r.json()["seats"] if s["sitting_id"] == sitting)["online"])

    # a page idle for longer than the online window: offline, until its next heartbeat
    window_ms = svc.settings.online_window_s * 1000
    old = int(await svc.redis.hget(keys.session, "started")) - window_ms - 1000
    await svc.redis.hset(keys.session, mapping={"seen": old, "started": old})
    assert not await online()
    assert "device_replaced" not in await _beat(api, first, sitting)
    assert await online()

    second = await _device(api, student)
    r = await api.client.post(f"/v1/exams/{exam['id']}/sittings", headers=second)
    assert r.status_code == 200
    seen = await svc.redis.hget(keys.session, "seen")
    clock = await _beat(api, first, sitting)
    assert clock["device_replaced"] is True and clock["state"] == "active"
    # the replaced page does not count as the sitting being there
    assert await svc.redis.hget(keys.session, "seen") == seen
    assert "device_replaced" not in await _beat(api, second, sitting)
