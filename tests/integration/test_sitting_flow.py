"""A whole sitting over the real servers, and the rules of the hot path."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime
from typing import Any

from engine.services import Services
from engine.workers.runner import PERSIST_GROUP, Workers
from engine.workers.sweeper import sweep_once
from tests.integration.conftest import RIGHT_ANSWERS, Api, School
from tests.waiting import idle_at_least, past_deadline_and_grace, poll_until


def _items_in_order(paper: dict[str, Any]) -> list[dict[str, Any]]:
    return [item for section in paper["sections"] for item in section["items"]]


async def _persist_all(svc: Services) -> int:
    """Run every persister and grader consumer until the streams are drained."""
    workers = Workers(svc)
    total = 0
    for consumer in workers.consumers():
        await consumer.ensure_group()
        consumer.block_ms = 10
        while (n := await consumer.run_once()) > 0:
            total += n
    return total


async def _logged(svc: Services, sitting_id: str) -> list[tuple[int, str]]:
    async with svc.pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT seq, item_id FROM answer_log WHERE sitting_id = $1 ORDER BY seq",
            uuid.UUID(sitting_id),
        )
    return [(r["seq"], r["item_id"]) for r in rows]


async def test_full_sitting_from_sign_in_to_graded_result(
    api: Api, school: School, svc: Services
) -> None:
    exam = await api.exam(school.teacher)
    student = school.students[0]
    sitting = await api.start(student, exam["id"])
    assert sitting["state"] == "active"
    assert 0 < sitting["remaining_ms"] <= 3600 * 1000

    paper = await api.paper(student, sitting["id"])
    items = _items_in_order(paper)
    assert len(items) == 4 and paper["answers"] == {} and paper["last_seq"] == 0
    by_stem = {i["stem"]: i["id"] for i in items}
    stems = ["2 + 2 = ?", "Even numbers?", "π to two decimals", "First president of Indonesia"]
    # a wrong answer first, then the right one: the latest answer counts
    events = [
        {
            "seq": 1,
            "item": by_stem[stems[0]],
            "response": {"kind": "single_choice", "choice": "a"},
            "client_ts": 1,
        }
    ]
    events += [
        {"seq": n + 2, "item": by_stem[stem], "response": response}
        for n, (stem, response) in enumerate(zip(stems, RIGHT_ANSWERS, strict=True))
    ]
    r = await api.answer(student, sitting["id"], events[:3])
    assert r.status_code == 200 and r.json()["acked_seq"] == 3
    r = await api.answer(student, sitting["id"], events[3:])
    assert r.status_code == 200 and r.json()["acked_seq"] == 5

    resumed = await api.paper(student, sitting["id"])
    assert resumed["last_seq"] == 5
    assert resumed["answers"][by_stem[stems[0]]]["response"] == RIGHT_ANSWERS[0]
    assert _items_in_order(resumed) == items  # the same order after a reload

    r = await api.call("POST", f"/v1/sittings/{sitting['id']}/submit", student)
    assert r.status_code == 200, r.text
    outcome = r.json()
    assert outcome["state"] == "graded"
    assert outcome["result"]["points"] == 4.0 and outcome["result"]["max_points"] == 4.0

    r = await api.call("GET", f"/v1/sittings/{sitting['id']}/result", school.teacher)
    assert r.status_code == 200 and r.json()["result"]["points"] == 4.0
    await _persist_all(svc)
    assert [seq for seq, _ in await _logged(svc, sitting["id"])] == [1, 2, 3, 4, 5]


async def test_two_starts_make_one_sitting(api: Api, school: School, svc: Services) -> None:
    exam = await api.exam(school.teacher)
    student = school.students[1]
    first, second, third = await asyncio.gather(*(api.start(student, exam["id"]) for _ in range(3)))
    assert first["id"] == second["id"] == third["id"]
    assert first["deadline"] == second["deadline"]
    async with svc.pool.acquire() as conn:
        count = await conn.fetchval(
            "SELECT count(*) FROM sittings WHERE exam_id = $1", uuid.UUID(exam["id"])
        )
    assert count == 1


async def test_deadline_from_redis_clock_matches_the_rule(
    api: Api, school: School, svc: Services
) -> None:
    # the window closes before the time limit runs out: the window wins
    exam = await api.exam(school.teacher, closes_in_s=120, limit_s=3600)
    sitting = await api.start(school.students[2], exam["id"])
    session = await svc.store.session_fields(uuid.UUID(sitting["id"]), "started", "deadline")
    started, deadline = int(session[0] or 0), int(session[1] or 0)
    close_ms = int(datetime.fromisoformat(exam["window_close"]).timestamp() * 1000)
    # the window closes before the hour is up: the deadline is the close
    assert started + 3600 * 1000 > close_ms
    assert deadline == close_ms


async def test_resent_batch_is_acknowledged_and_stored_once(
    api: Api, school: School, svc: Services
) -> None:
    exam = await api.exam(school.teacher)
    student = school.students[3]
    sitting = await api.start(student, exam["id"])
    item = _items_in_order(await api.paper(student, sitting["id"]))[0]
    events = [
        {"seq": s, "item": item["id"], "response": {"kind": item["kind"], **_response_body(item)}}
        for s in (1, 2)
    ]
    for _ in range(3):
        r = await api.answer(student, sitting["id"], events)
        assert r.status_code == 200 and r.json()["acked_seq"] == 2
    # a gap: seq 4 without 3 is not stored, the ack says what is
    r = await api.answer(student, sitting["id"], [{**events[0], "seq": 4}])
    assert r.status_code == 200 and r.json()["acked_seq"] == 2
    await _persist_all(svc)
    assert [seq for seq, _ in await _logged(svc, sitting["id"])] == [1, 2]


def _response_body(item: dict[str, Any]) -> dict[str, Any]:
    match item["kind"]:
        case "single_choice":
            return {"choice": item["options"][0]["id"]}
        case "multiple_response":
            return {"choices": [item["options"][0]["id"]]}
        case "numeric":
            return {"value": 1.0}
        case _:
            return {"text": "x"}


async def test_answer_after_deadline_and_grace_is_refused_and_not_stored(
    api: Api, school: School, svc: Services
) -> None:
    exam = await api.exam(school.teacher, closes_in_s=1.5, grace_s=0)
    student = school.students[4]
    sitting = await api.start(student, exam["id"])
    item = _items_in_order(await api.paper(student, sitting["id"]))[0]
    event = {
        "seq": 1,
        "item": item["id"],
        "response": {"kind": item["kind"], **_response_body(item)},
    }
    await past_deadline_and_grace(svc.store, uuid.UUID(sitting["id"]))
    r = await api.answer(student, sitting["id"], [event])
    assert r.status_code == 409
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == "time_expired"
    await _persist_all(svc)
    assert await _logged(svc, sitting["id"]) == []
    answers = await svc.store.latest_answers(uuid.UUID(sitting["id"]))
    assert answers == {}


async def test_sweeper_auto_submits_at_the_deadline_and_grading_follows(
    api: Api, school: School, svc: Services
) -> None:
    exam = await api.exam(school.teacher, closes_in_s=1.5, grace_s=0)
    student = school.students[5]
    sitting = await api.start(student, exam["id"])
    item = _items_in_order(await api.paper(student, sitting["id"]))[0]
    r = await api.answer(
        student,
        sitting["id"],
        [
            {
                "seq": 1,
                "item": item["id"],
                "response": {"kind": item["kind"], **_response_body(item)},
            }
        ],
    )
    assert r.status_code == 200
    sitting_id = uuid.UUID(sitting["id"])
    await sweep_once(svc.store, svc.keyspace)
    assert await svc.store.session_fields(sitting_id, "state") == ["active"]  # not due yet
    await past_deadline_and_grace(svc.store, sitting_id)
    assert await sweep_once(svc.store, svc.keyspace) >= 1
    assert await svc.store.session_fields(sitting_id, "state") == ["submitted"]
    r = await api.answer(student, sitting["id"], [{"seq": 2, "item": item["id"], "response": None}])
    # the script looks at the state before the clock: a submitted sitting says so
    assert r.json()["code"] == "sitting_submitted"
    await _persist_all(svc)
    async with svc.pool.acquire() as conn:
        row = await conn.fetchrow(
            "SELECT state, submitted_by, submitted_at, deadline, max_points FROM sittings "
            "WHERE id = $1",
            uuid.UUID(sitting["id"]),
        )
    assert row["state"] == "graded" and row["submitted_by"] == "deadline"
    assert row["submitted_at"] <= row["deadline"] and row["max_points"] == 4.0


async def test_persister_dying_between_xadd_and_xack_loses_nothing(
    api: Api, school: School, svc: Services
) -> None:
    exam = await api.exam(school.teacher)
    student = school.students[0]
    sitting = await api.start(student, exam["id"])
    items = _items_in_order(await api.paper(student, sitting["id"]))
    events = [
        {
            "seq": n + 1,
            "item": items[n % 4]["id"],
            "response": {"kind": items[n % 4]["kind"], **_response_body(items[n % 4])},
        }
        for n in range(40)
    ]
    for start in range(0, 40, 5):
        r = await api.answer(student, sitting["id"], events[start : start + 5])
        assert r.status_code == 200
    acked = r.json()["acked_seq"]
    assert acked == 40

    shard_stream = svc.keys_for(sitting["id"]).stream
    dying = Workers(svc, name="dying")
    (victim,) = [
        c for c in dying.consumers() if c.stream == shard_stream and c.group == PERSIST_GROUP
    ]
    await victim.ensure_group()
    read = await victim.read_new()
    assert len(read) >= 8  # one entry per batch (engine/sittings/answer_stream.py)
    # it wrote half of them to PostgreSQL, then died before XACK
    await victim.handler(read[:4])
    pending = await svc.redis.xpending(shard_stream, PERSIST_GROUP)
    assert pending["pending"] >= 8

    survivor = Workers(svc, name="survivor")
    (heir,) = [
        c for c in survivor.consumers() if c.stream == shard_stream and c.group == PERSIST_GROUP
    ]
    heir.claim_idle_ms = 50
    await poll_until(lambda: idle_at_least(svc.redis, shard_stream, PERSIST_GROUP, 50), 5)
    assert await heir.run_once() >= 8  # claimed from the dead consumer
    assert (await svc.redis.xpending(shard_stream, PERSIST_GROUP))["pending"] == 0
    logged = await _logged(svc, sitting["id"])
    assert [seq for seq, _ in logged] == list(range(1, acked + 1))  # all, exactly once


async def test_navigation_rule_travels_with_the_paper(api: Api, school: School) -> None:
    linear = await api.exam(school.teacher, navigation="linear")
    free = await api.exam(school.teacher)
    assert (linear["navigation"], free["navigation"]) == ("linear", "free")
    for exam, expected in ((linear, "linear"), (free, "free")):
        sitting = await api.start(school.students[2], exam["id"])
        assert (await api.paper(school.students[2], sitting["id"]))["navigation"] == expected
    r = await api.call(
        "POST",
        "/v1/exams",
        school.teacher,
        json={
            "title": "x",
            "time_limit_s": 600,
            "navigation": "sideways",
            "sections": [{"title": "A", "items": [str(uuid.uuid4())]}],
            "window_open": "2026-01-01T00:00:00Z",
            "window_close": "2026-01-02T00:00:00Z",
        },
    )
    assert r.status_code == 400 and r.json()["code"] == "validation_failed"


async def test_a_batch_of_submitted_sittings_is_graded_in_bulk_once(
    api: Api, school: School, svc: Services
) -> None:
    from engine.sittings.grader import grade_sittings

    exam = await api.exam(school.teacher, instant=False)
    students = school.students[3:6]
    sittings = [await api.start(student, exam["id"]) for student in students]
    # the first answers everything right, the second one item, the third nothing
    for n, (student, sitting) in enumerate(zip(students, sittings, strict=True)):
        by_stem = {
            i["stem"]: i["id"] for i in _items_in_order(await api.paper(student, sitting["id"]))
        }
        stems = ["2 + 2 = ?", "Even numbers?", "π to two decimals", "First president of Indonesia"]
        events = [
            {"seq": k + 1, "item": by_stem[stem], "response": response}
            for k, (stem, response) in enumerate(zip(stems, RIGHT_ANSWERS, strict=True))
        ][: [4, 1, 0][n]]
        if events:
            assert (await api.answer(student, sitting["id"], events)).status_code == 200
        r = await api.call("POST", f"/v1/sittings/{sitting['id']}/submit", student)
        assert r.status_code == 200 and r.json()["state"] == "submitted"
    ids = [uuid.UUID(s["id"]) for s in sittings]
    unknown = uuid.uuid4()

    assert await grade_sittings(svc.pool, svc.store, svc.keys, [*ids, unknown], svc.cpu) == 3
    # graded already: a redelivered job changes nothing
    assert await grade_sittings(svc.pool, svc.store, svc.keys, ids, svc.cpu) == 0
    async with svc.pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT s.id, s.state, s.points, s.submitted_by, r.points AS result_points, "
            "r.max_points FROM sittings s JOIN results r ON r.sitting_id = s.id "
            "WHERE s.id = ANY($1::uuid[])",
            ids,
        )
    by_id = {r["id"]: r for r in rows}
    assert [by_id[i]["points"] for i in ids] == [4.0, 1.0, 0.0]
    assert [by_id[i]["result_points"] for i in ids] == [4.0, 1.0, 0.0]
    assert {(r["state"], r["submitted_by"], r["max_points"]) for r in rows} == {
        ("graded", "student", 4.0)
    }
