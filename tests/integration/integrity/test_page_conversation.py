"""The page's conversation (engine/integrity/conversation.py) against real Redis and
PostgreSQL: the heartbeat's clock, telemetry carried by a heartbeat or an answer batch stored
exactly as if sent to /telemetry, bad telemetry refused with the telemetry endpoint's codes and
nothing of the request stored, another student's sitting, a submitted one."""

from __future__ import annotations

import uuid
from typing import Any

from engine.integrity.stream import tag_key
from engine.services import Services
from tests.integration.conftest import RIGHT_ANSWERS, Api, School
from tests.integration.integrity.helpers import (
    SENT,
    batch,
    drain,
    telemetry_rows,
    telemetry_stream,
)


async def _beat(api: Api, student: str, sitting_id: str, body: Any) -> Any:
    kwargs = {"content": body} if isinstance(body, bytes) else {"json": body}
    return await api.call("POST", f"/v1/sittings/{sitting_id}/heartbeat", student, **kwargs)


async def _answers(
    api: Api, student: str, sitting_id: str, events: list[dict[str, Any]], telemetry: Any
) -> Any:
    body = {"events": events, "telemetry": telemetry}
    return await api.call("POST", f"/v1/sittings/{sitting_id}/answers", student, json=body)


def _event(paper: dict[str, Any], seq: int) -> dict[str, Any]:
    item = paper["sections"][0]["items"][0]
    response = next(a for a in RIGHT_ANSWERS if a["kind"] == item["kind"])
    return {"seq": seq, "item": item["id"], "response": response}


async def test_the_heartbeat_gives_the_clock_and_stores_its_telemetry(
    api: Api, school: School, svc: Services
) -> None:
    exam = await api.exam(school.teacher, limit_s=1800, grace_s=45)
    student = school.students[5]
    sitting = await api.start(student, exam["id"])
    keys = svc.keys_for(sitting["id"])
    deadline = int(await svc.redis.hget(keys.session, "deadline"))
    await svc.redis.hdel(keys.session, "seen")

    r = await _beat(api, student, sitting["id"], {})
    assert r.status_code == 200, r.text
    clock = r.json()
    assert clock["state"] == "active" and clock["deadline_ms"] == deadline
    assert clock["remaining_ms"] == deadline - clock["server_time_ms"]
    assert 1_700_000 < clock["remaining_ms"] <= 1_800_000
    assert clock["grace_ms"] == 45_000
    assert "telemetry" not in clock and "device_replaced" not in clock
    # the heartbeat marks the page as there, by the Redis clock (the proctor's "online")
    assert int(await svc.redis.hget(keys.session, "seen")) == clock["server_time_ms"]

    events = [{"type": "blur", "ts": SENT - 2_000}, {"type": "heartbeat", "ts": SENT}]
    r = await _beat(api, student, sitting["id"], {"telemetry": batch(events, seq=1)})
    assert r.status_code == 200, r.text
    assert r.json()["telemetry"] == {
        "accepted": 2,
        "duplicate": False,
        "dropped_rate": 0,
        "dropped_clock": 0,
    }
    # a resend of the same batch (the reply was lost) is stored once
    r = await _beat(api, student, sitting["id"], {"telemetry": batch(events, seq=1)})
    assert r.status_code == 200 and r.json()["telemetry"]["duplicate"] is True
    await drain(svc)
    rows = await telemetry_rows(svc, sitting["id"])
    assert [(row["batch_seq"], row["type"]) for row in rows] == [
        (1, "blur"),
        (1, "heartbeat"),
        (1, "ip"),
    ]
    assert rows[1]["event"]["ts"] - rows[0]["event"]["ts"] == 2_000


async def test_telemetry_in_an_answer_batch_is_stored_as_if_sent_alone(
    api: Api, school: School, svc: Services
) -> None:
    exam = await api.exam(school.teacher)
    student = school.students[0]
    sitting = await api.start(student, exam["id"])
    paper = await api.paper(student, sitting["id"])
    telemetry = batch([{"type": "paste", "ts": SENT, "length": 12}], session="page-ans-0001")
    r = await _answers(api, student, sitting["id"], [_event(paper, 1)], telemetry)
    assert r.status_code == 200, r.text
    ack = r.json()
    assert ack["acked_seq"] == 1 and ack["remaining_ms"] > 0
    assert ack["telemetry"]["accepted"] == 1
    # an answer batch without telemetry keeps its small reply
    r = await api.answer(student, sitting["id"], [_event(paper, 2)])
    assert set(r.json()) == {"acked_seq", "remaining_ms"}
    await drain(svc)
    rows = await telemetry_rows(svc, sitting["id"])
    assert [(row["session"], row["type"]) for row in rows] == [
        ("page-ans-0001", "paste"),
        ("page-ans-0001", "ip"),
    ]
    assert rows[0]["event"]["length"] == 12
    assert await svc.store.latest_answers(uuid.UUID(sitting["id"]))


async def test_bad_telemetry_refuses_the_whole_request_with_the_telemetry_codes(
    api: Api, school: School, svc: Services
) -> None:
    exam = await api.exam(school.teacher)
    student = school.students[1]
    sitting = await api.start(student, exam["id"])
    paper = await api.paper(student, sitting["id"])
    stream = telemetry_stream(svc, sitting["id"])
    before = await svc.redis.xlen(stream)
    huge = [{"type": "heartbeat", "ts": 1}] * 200
    bad: list[tuple[Any, int, str]] = [
        # clipboard text is never collected: an extra field refuses the whole request
        (
            batch([{"type": "copy", "ts": 1, "length": 5, "text": "jawaban"}]),
            400,
            "validation_failed",
        ),
        (batch([{"type": "keylogger", "ts": 1}]), 400, "validation_failed"),
        (batch([]), 400, "validation_failed"),
        (batch([{"type": "blur", "ts": "1"}]), 400, "validation_failed"),  # strict, as /telemetry
        ({"session": "x", "batch_seq": 0, "sent_at": 1, "events": []}, 400, "validation_failed"),
        (
            batch(
                [
                    {**e, "type": "device", "fingerprint": "f" * 128, "user_agent": "u" * 300}
                    for e in huge
                ]
            ),
            413,
            "payload_too_large",
        ),
    ]
    for telemetry, status, code in bad:
        for r in (
            await _beat(api, student, sitting["id"], {"telemetry": telemetry}),
            await _answers(api, student, sitting["id"], [_event(paper, 1)], telemetry),
        ):
            assert r.status_code == status, r.text
            problem = r.json()
            assert problem["code"] == code and problem["extra"]["part"] == "telemetry", problem
            assert r.headers["content-type"].startswith("application/problem+json")
    r = await _beat(api, student, sitting["id"], {"telemetry": bad[0][0]})
    (error,) = r.json()["errors"]
    assert error["field"] == "$.telemetry.events[0]" and "text" in error["message"]
    # nothing of any of those requests was stored: no telemetry, no page state, no answer
    assert await svc.redis.xlen(stream) == before
    assert not await svc.redis.exists(tag_key(svc.keyspace, uuid.UUID(sitting["id"]), "ti"))
    assert await svc.store.latest_answers(uuid.UUID(sitting["id"])) == {}
    assert await svc.redis.hget(svc.keys_for(sitting["id"]).session, "last_seq") == b"0"
    # the same answers without the refused part go in
    r = await api.answer(student, sitting["id"], [_event(paper, 1)])
    assert r.status_code == 200 and r.json()["acked_seq"] == 1


async def test_telemetry_over_the_page_rate_refuses_the_answers_it_came_with(
    api: Api, school: School, svc: Services
) -> None:
    exam = await api.exam(school.teacher)
    student = school.students[2]
    sitting = await api.start(student, exam["id"])
    paper = await api.paper(student, sitting["id"])
    beats = [{"type": "heartbeat", "ts": SENT - 1000 + n} for n in range(200)]
    # heartbeats of 200 events until the sitting's window (600 a minute) is spent
    statuses = []
    for seq in range(1, 6):
        r = await _beat(api, student, sitting["id"], {"telemetry": batch(beats, seq=seq)})
        statuses.append(r.status_code)
        if r.status_code == 429:
            break
    assert statuses[-1] == 429 and set(statuses[:-1]) == {200}, statuses
    r = await _answers(api, student, sitting["id"], [_event(paper, 1)], batch(beats, seq=9))
    assert r.status_code == 429 and r.json()["code"] == "rate_limited", r.text
    assert r.json()["extra"]["part"] == "telemetry" and r.headers["retry-after"]
    assert await svc.store.latest_answers(uuid.UUID(sitting["id"])) == {}


async def test_heartbeat_of_another_students_sitting_and_of_a_submitted_one(
    api: Api, school: School, svc: Services
) -> None:
    exam = await api.exam(school.teacher)
    student = school.students[3]
    sitting = await api.start(student, exam["id"])
    paper = await api.paper(student, sitting["id"])
    stream = telemetry_stream(svc, sitting["id"])
    before = await svc.redis.xlen(stream)
    seen = await svc.redis.hget(svc.keys_for(sitting["id"]).session, "seen")
    good = {"telemetry": batch([{"type": "heartbeat", "ts": SENT}], seq=1)}
    for other in (school.students[4], school.other_student):
        r = await _beat(api, other, sitting["id"], good)
        assert r.status_code == 404 and r.json()["code"] == "not_found"
    r = await _beat(api, school.teacher, sitting["id"], good)
    assert r.status_code == 403
    r = await _beat(api, student, str(uuid.uuid4()), good)
    assert r.status_code == 404
    assert await svc.redis.xlen(stream) == before
    # a stranger's heartbeat does not make the sitting look online
    assert await svc.redis.hget(svc.keys_for(sitting["id"]).session, "seen") == seen

    r = await api.call("POST", f"/v1/sittings/{sitting['id']}/submit", student)
    assert r.status_code == 200
    r = await _beat(api, student, sitting["id"], good)
    assert r.status_code == 200, r.text
    clock = r.json()
    # what the page needs to show the end: the state; no telemetry is taken any more
    assert clock["state"] == "submitted" and "telemetry" not in clock
    assert await svc.redis.xlen(stream) == before
    r = await _answers(api, student, sitting["id"], [_event(paper, 1)], good["telemetry"])
    assert r.status_code == 409 and r.json()["code"] == "sitting_submitted", r.text
    assert await svc.redis.xlen(stream) == before
