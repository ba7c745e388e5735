"""Redis memory per active sitting (issue 23: ``redis_bytes_per_sitting`` ≤ 20 KB).

A real sitting of WORKLOAD.md's exam (150 items: 120 single choice of 5 options, 15 multiple
response, 10 numeric, 5 short text) answered through the API as the student page sends it:
every item once, a third changed again, batches of up to 5, a ``Date.now()`` client_ts. Then
MEMORY USAGE of the sitting's own keys (session and latest answers), as
bench/bench_deadline_burst.py measures them. The answers hash stays a listpack only while
every value fits Redis's default ``hash-max-listpack-value`` (this may be a test server with
the defaults), so the encoding is checked too: a larger stored value would turn it into a
hashtable, 21 KB for the same answers (engine/sittings/latest.py).
"""

from __future__ import annotations

import random
import time
import uuid
from typing import Any

from engine.services import Services
from engine.sittings.models import AnswerEvent
from engine.sittings.store import SittingStore
from engine.workers.runner import Workers
from grading.types import SingleChoiceResponse
from tests.integration.conftest import Api, School

BUDGET_BYTES = 20_000
LETTERS = "abcde"


def _workload_items() -> list[dict[str, Any]]:
    options = [{"id": o, "text": f"option {o}"} for o in LETTERS]
    items: list[dict[str, Any]] = [
        {"kind": "single_choice", "stem": f"Q{n}", "correct": "a", "options": options}
        for n in range(120)
    ]
    items += [
        {"kind": "multiple_response", "stem": f"M{n}", "correct": ["a", "c"], "options": options}
        for n in range(15)
    ]
    items += [
        {"kind": "numeric", "stem": f"N{n}", "value": 3.14, "absolute_tolerance": 0.01}
        for n in range(10)
    ]
    items += [{"kind": "short_text", "stem": f"T{n}", "accepted": ["Soekarno"]} for n in range(5)]
    return items


def _response(item: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    match item["kind"]:
        case "single_choice":
            return {"kind": "single_choice", "choice": rng.choice(LETTERS)}
        case "multiple_response":
            return {"kind": "multiple_response", "choices": rng.sample(LETTERS, rng.randint(1, 3))}
        case "numeric":
            return {"kind": "numeric", "value": round(rng.uniform(0, 15), 2)}
        case _:
            return {"kind": "short_text", "text": f"jawaban {rng.randint(0, 9)}"}


def _unordered(answer: dict[str, Any]) -> dict[str, Any]:
    """A multiple response's choices are a set: their order is not kept."""
    response = answer["response"]
    if response.get("kind") == "multiple_response":
        response = {**response, "choices": sorted(response["choices"])}
    return {**answer, "response": response}


async def _persist_all(svc: Services) -> None:
    """Drain the answer streams, so what remains is the sitting's own keys."""
    for consumer in Workers(svc).consumers():
        await consumer.ensure_group()
        consumer.block_ms = 10
        while await consumer.run_once() > 0:
            pass


async def test_an_answered_sitting_of_150_items_takes_at_most_20_kb_of_redis(
    api: Api, school: School, svc: Services
) -> None:
    exam = await api.exam(school.teacher, items=_workload_items(), limit_s=10800, instant=False)
    student = school.students[3]
    sitting = await api.start(student, exam["id"])
    paper = await api.paper(student, sitting["id"])
    items = [item for section in paper["sections"] for item in section["items"]]
    assert len(items) == 150
    rng = random.Random(23)
    plan = [(item, _response(item, rng)) for item in items]
    plan += [(item, _response(item, rng)) for item in rng.sample(items, 50)]
    events = [
        {
            "seq": seq,
            "item": item["id"],
            "response": response,
            "client_ts": int(time.time() * 1000) + seq,
        }
        for seq, (item, response) in enumerate(plan, 1)
    ]
    at = 0
    while at < len(events):
        size = rng.randint(1, 5)
        r = await api.answer(student, sitting["id"], events[at : at + size])
        assert r.status_code == 200, r.text
        at += size
    assert r.json()["acked_seq"] == 200
    await _persist_all(svc)

    keys = svc.keys_for(sitting["id"])
    assert await svc.redis.hlen(keys.answers) == 150
    used = {k: await svc.redis.memory_usage(k, samples=0) for k in (keys.session, keys.answers)}
    assert sum(used.values()) <= BUDGET_BYTES, used
    encoding = (await svc.redis.object("encoding", keys.answers)).decode()
    assert encoding in {"listpack", "ziplist"}  # ziplist: the same, under Redis 6

    # what the compact values hold is what the page is given back, in the shape it always was
    latest = {e["item"]: _unordered(e) for e in events}
    resumed = await api.paper(student, sitting["id"])
    assert {k: _unordered(v) for k, v in resumed["answers"].items()} == latest
    assert resumed["last_seq"] == 200


async def test_values_written_in_the_old_format_are_still_read(
    api: Api, school: School, svc: Services
) -> None:
    """A rolling upgrade: an answer stored by the previous release (its JSON record, which
    ``latest_answer_format = "json"`` still writes) and one stored by this release, in one
    sitting's hash, both come back on the paper and are graded."""
    exam = await api.exam(school.teacher)
    student = school.students[4]
    sitting = await api.start(student, exam["id"])
    sid = uuid.UUID(sitting["id"])
    paper = await api.paper(student, sitting["id"])
    by_kind = {i["kind"]: i["id"] for s in paper["sections"] for i in s["items"]}
    (owner,) = await svc.store.session_fields(sid, "student")
    assert owner is not None
    previous = SittingStore(svc.redis, svc.keyspace, svc.pipelined, latest_format="json")
    old = AnswerEvent(1, by_kind["single_choice"], SingleChoiceResponse("b"), 1700000000000)
    reply = await previous.record_answers(sid, owner, [old])
    assert (reply.status, reply.acked_seq) == ("ok", 1)
    new = {
        "seq": 2,
        "item": by_kind["multiple_response"],
        "response": {"kind": "multiple_response", "choices": ["a", "c"]},
        "client_ts": 1700000000001,
    }
    assert (await api.answer(student, sitting["id"], [new])).status_code == 200
    raw = await svc.store.latest_answers(sid)
    assert raw[old.item.encode()].startswith(b"{")  # JSON, as the previous release wrote it
    assert not raw[new["item"].encode()].startswith(b"{")

    answers = (await api.paper(student, sitting["id"]))["answers"]
    assert {k: _unordered(v) for k, v in answers.items()} == {
        old.item: {
            "seq": 1,
            "response": {"kind": "single_choice", "choice": "b"},
            "client_ts": 1700000000000,
            "item": old.item,
        },
        new["item"]: new,
    }
    r = await api.call("POST", f"/v1/sittings/{sitting['id']}/submit", student)
    assert r.status_code == 200, r.text
    scores = r.json()["result"]["items"]
    assert scores[old.item]["points"] == 1
    assert scores[new["item"]]["points"] == 1
