"""Telemetry in → persisted and folded into live heuristics → flags with evidence; bad
telemetry → problem responses with nothing stored; duplicates and floods."""

from __future__ import annotations

import uuid
from typing import Any

from engine.integrity.stream import tag_key
from engine.services import Services
from tests.integration.conftest import Api, School
from tests.integration.integrity.helpers import (
    SENT,
    batch,
    drain,
    flags_of,
    send,
    telemetry_rows,
    telemetry_stream,
)


def _items(paper: dict[str, Any]) -> list[dict[str, Any]]:
    return [item for section in paper["sections"] for item in section["items"]]


async def test_telemetry_is_persisted_and_raises_behaviour_flags(
    api: Api, school: School, svc: Services
) -> None:
    exam = await api.exam(school.teacher)
    student = school.students[0]
    sitting = await api.start(student, exam["id"])
    item = _items(await api.paper(student, sitting["id"]))[0]["id"]
    r = await send(
        api,
        student,
        sitting["id"],
        batch(
            [
                {
                    "type": "device",
                    "ts": SENT - 100_000,
                    "fingerprint": "fp-aaaaaaaa",
                    "user_agent": "Mozilla/5.0",
                },
                {"type": "blur", "ts": SENT - 90_000},
                {"type": "focus", "ts": SENT - 10_000},  # 80 s away: over the 60 s single absence
                {"type": "paste", "ts": SENT - 5_000, "length": 300, "item": item},
                {"type": "heartbeat", "ts": SENT},
            ]
        ),
    )
    assert r.status_code == 200, r.text
    assert r.json() == {"accepted": 5, "duplicate": False, "dropped_rate": 0, "dropped_clock": 0}
    await drain(svc)

    rows = await telemetry_rows(svc, sitting["id"])
    # the five events, plus the address the server saw the batch come from
    assert [row["type"] for row in rows] == ["device", "blur", "focus", "paste", "heartbeat", "ip"]
    assert rows[3]["event"]["length"] == 300 and "text" not in rows[3]["event"]
    assert rows[5]["event"]["ip"] == "testclient"
    # page clock moved onto the server clock: the events keep their spacing
    assert rows[2]["event"]["ts"] - rows[1]["event"]["ts"] == 80_000

    flags = {f["rule"]: f for f in await flags_of(api, school.teacher, exam["id"])}
    assert set(flags) == {"time_away", "paste_into_answer"}
    away = flags["time_away"]
    assert away["statistic"] == 80.0 and away["threshold"] == 60.0
    assert away["source"] == "live" and away["status"] == "open"
    assert away["sitting_id"] == sitting["id"] and away["severity"] == "medium"

    r = await api.call(
        "GET", f"/v1/integrity/flags/{flags['paste_into_answer']['id']}", school.teacher
    )
    assert r.status_code == 200, r.text
    detail = r.json()
    assert detail["evidence"] == [
        {
            "kind": "event",
            "ts": rows[3]["event"]["ts"],
            "event": "paste",
            "detail": f"300 chars into {item}",
        }
    ]
    assert detail["risk"]["level"] == "medium"
    assert sorted(detail["risk"]["rules"]) == ["paste_into_answer", "time_away"]

    r = await api.call("GET", f"/v1/exams/{exam['id']}/integrity", school.teacher)
    assert r.status_code == 200, r.text
    assert [(s["sitting_id"], s["level"], s["score"]) for s in r.json()] == [
        (sitting["id"], "medium", 2.0)
    ]

    # the same entries again (a consumer died before XACK): nothing counted twice
    again = await drain(svc)
    assert again == 0
    assert len(await telemetry_rows(svc, sitting["id"])) == 6


async def test_answers_saved_while_hidden_are_flagged_with_the_answers(
    api: Api, school: School, svc: Services
) -> None:
    exam = await api.exam(school.teacher)
    student = school.students[1]
    sitting = await api.start(student, exam["id"])
    items = _items(await api.paper(student, sitting["id"]))
    by_kind = {i["kind"]: i["id"] for i in items}
    r = await send(
        api,
        student,
        sitting["id"],
        batch(
            [{"type": "visibility", "ts": SENT - 1_000, "state": "hidden"}], session="page-bbbb2222"
        ),
    )
    assert r.status_code == 200, r.text
    r = await api.answer(
        student,
        sitting["id"],
        [
            {
                "seq": 1,
                "item": by_kind["single_choice"],
                "response": {"kind": "single_choice", "choice": "b"},
            },  # right
            {"seq": 2, "item": by_kind["numeric"], "response": {"kind": "numeric", "value": 9}},
        ],
    )
    assert r.status_code == 200, r.text
    await drain(svc)

    (flag,) = await flags_of(api, school.teacher, exam["id"], rule="answer_while_hidden")
    assert flag["statistic"] == 2.0 and flag["threshold"] == 2.0
    r = await api.call("GET", f"/v1/integrity/flags/{flag['id']}", school.teacher)
    evidence = r.json()["evidence"]
    assert [(e["kind"], e["item"], e["correct"]) for e in evidence] == [
        ("answer", by_kind["single_choice"], True),
        ("answer", by_kind["numeric"], False),
    ]
    assert '"choice":"b"' in evidence[0]["response"]


async def test_bad_telemetry_gets_problems_and_nothing_is_stored(
    api: Api, school: School, svc: Services
) -> None:
    exam = await api.exam(school.teacher)
    student = school.students[2]
    sitting = await api.start(student, exam["id"])
    stream = telemetry_stream(svc, sitting["id"])
    before = await svc.redis.xlen(stream)
    bad: list[tuple[Any, int, str]] = [
        # clipboard content is never collected: an extra field refuses the whole batch
        (
            batch([{"type": "copy", "ts": 1, "length": 5, "text": "jawaban"}]),
            400,
            "validation_failed",
        ),
        (batch([{"type": "keylogger", "ts": 1}]), 400, "validation_failed"),
        (batch([]), 400, "validation_failed"),
        (batch([{"type": "blur", "ts": -5}]), 400, "validation_failed"),
        (
            {"session": "x", "batch_seq": 0, "sent_at": 1, "events": [{"type": "blur", "ts": 1}]},
            400,
            "validation_failed",
        ),  # session id too short
        (b"{not json", 400, "validation_failed"),
        (
            b'{"session":"page-cccc3333","batch_seq":0,"sent_at":1,"events":['
            + b",".join([b'{"type":"heartbeat","ts":1}'] * 3000)
            + b"]}",
            413,
            "payload_too_large",
        ),
    ]
    for body, status, code in bad:
        r = await send(api, student, sitting["id"], body)
        assert r.status_code == status, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["code"] == code
    r = await send(
        api,
        student,
        sitting["id"],
        batch([{"type": "copy", "ts": 1, "length": 5, "text": "jawaban"}]),
    )
    assert any("text" in e["message"] for e in r.json()["errors"])
    good = batch([{"type": "heartbeat", "ts": SENT}])
    # someone else's sitting, and a teacher, are refused before anything is kept
    r = await send(api, school.students[3], sitting["id"], good)
    assert r.status_code == 404 and r.json()["code"] == "not_found"
    r = await send(api, school.teacher, sitting["id"], good)
    assert r.status_code == 403
    assert await svc.redis.xlen(stream) == before
    assert not await svc.redis.exists(tag_key(svc.keyspace, uuid.UUID(sitting["id"]), "ti"))
    await drain(svc)
    assert await telemetry_rows(svc, sitting["id"]) == []

    r = await api.call("POST", f"/v1/sittings/{sitting['id']}/submit", student)
    assert r.status_code == 200
    r = await send(api, student, sitting["id"], good)
    assert r.status_code == 409 and r.json()["code"] == "sitting_submitted"
    assert await svc.redis.xlen(stream) == before


async def test_duplicate_batches_and_a_flooding_sitting(
    api: Api, school: School, svc: Services
) -> None:
    exam = await api.exam(school.teacher)
    student = school.students[4]
    sitting = await api.start(student, exam["id"])
    stream = telemetry_stream(svc, sitting["id"])
    beats = [{"type": "heartbeat", "ts": SENT - 1000 + n} for n in range(200)]
    r = await send(api, student, sitting["id"], batch(beats, session="page-one-0001"))
    assert r.json()["accepted"] == 200
    r = await send(api, student, sitting["id"], batch(beats, session="page-one-0001"))
    assert r.status_code == 200 and r.json()["duplicate"] is True
    assert r.json()["accepted"] == 0
    r = await send(api, student, sitting["id"], batch(beats, session="page-two-0002"))
    assert r.json()["accepted"] == 200
    stored = await svc.redis.xlen(stream)
    # 600 events a minute per sitting, however many pages claim to be open
    r = await send(api, student, sitting["id"], batch(beats[:1], session="page-three-03"))
    assert r.status_code == 429 and r.json()["code"] == "rate_limited"
    assert int(r.headers["retry-after"]) >= 1
    assert await svc.redis.xlen(stream) == stored
    key = tag_key(svc.keyspace, uuid.UUID(sitting["id"]), "ti")
    assert not await svc.redis.hexists(key, "page-three-03")
    await drain(svc)
    rows = await telemetry_rows(svc, sitting["id"])
    assert len(rows) == 2 * 201  # two batches of 200, each with its observed address
