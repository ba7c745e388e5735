"""Fixing a key after the exam through the API: refused while the exam runs and for bad input
(nothing changes), then every sitting is re-graded, only where the key changed, the
statistics follow at once and the audit log says who did it and why."""

from __future__ import annotations

import asyncio
from typing import Any

from engine.services import Services
from tests.integration.conftest import Api, School
from tests.integration.test_sitting_flow import _persist_all

ITEMS: list[dict[str, Any]] = [
    {
        "kind": "single_choice",
        "stem": "3 × 4 = ?",
        "correct": "a",  # wrong: 12 is option c
        "options": [
            {"id": "a", "text": "7"},
            {"id": "b", "text": "10"},
            {"id": "c", "text": "12"},
        ],
    },
    {"kind": "numeric", "stem": "10 / 4 = ?", "value": 2.5},
    {
        "kind": "short_text",
        "stem": "Ibu kota Indonesia",
        "accepted": ["Jakarta"],
        "case_sensitive": True,
    },
    {"kind": "true_false", "stem": "7 is prime", "correct": True},
]
# per student: (choice, number, text, true/false)
ANSWERS = [
    ("c", 2.5, "jakarta", True),
    ("c", 2.5, "Jakarta", True),
    ("a", 3.0, "JAKARTA", False),
    ("b", 2.5, "jakarta", True),
]


async def _results(svc: Services, exam_id: str) -> dict[str, dict[str, Any]]:
    async with svc.pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT r.sitting_id, r.points, r.items, s.points AS sitting_points "
            "FROM results r JOIN sittings s ON s.id = r.sitting_id WHERE r.exam_id = $1::uuid",
            exam_id,
        )
    return {str(r["sitting_id"]): dict(r) for r in rows}


async def _sit(api: Api, svc: Services, school: School) -> tuple[dict[str, Any], list[str]]:
    exam = await api.exam(school.teacher, items=ITEMS)
    r = await api.call("GET", f"/v1/exams/{exam['id']}/statistics", school.teacher)
    item_ids = [i["item_id"] for i in r.json()["items"]]
    for student, answers in zip(school.students, ANSWERS, strict=False):
        sitting = await api.start(student, exam["id"])
        responses = [
            {"kind": "single_choice", "choice": answers[0]},
            {"kind": "numeric", "value": answers[1]},
            {"kind": "short_text", "text": answers[2]},
            {"kind": "true_false", "value": answers[3]},
        ]
        events = [
            {"seq": n + 1, "item": item, "response": response}
            for n, (item, response) in enumerate(zip(item_ids, responses, strict=True))
        ]
        assert (await api.answer(student, sitting["id"], events)).status_code == 200
        r = await api.call("POST", f"/v1/sittings/{sitting['id']}/submit", student)
        assert r.status_code == 200, r.text
    await _persist_all(svc)
    return exam, item_ids


async def _close(svc: Services, exam_id: str) -> None:
    """The organiser's window ends (as it would an hour later)."""
    async with svc.pool.acquire() as conn:
        await conn.execute(
            "UPDATE exam_versions SET window_open = now() - interval '3 hours', "
            "window_close = now() - interval '1 hour' WHERE exam_id = $1::uuid",
            exam_id,
        )


async def test_fix_a_key_and_regrade_every_sitting(api: Api, svc: Services, school: School) -> None:
    exam, (choice, number, text, truth) = await _sit(api, svc, school)
    base = f"/v1/exams/{exam['id']}"
    fix = f"{base}/items/{text}/key"
    body = {"changes": {"case_sensitive": False}, "reason": "lower case is right too"}

    r = await api.call("PUT", fix, school.teacher, json=body)
    assert r.status_code == 409 and r.json()["code"] == "exam_not_over"
    await _close(svc, exam["id"])

    before = await _results(svc, exam["id"])
    stats_before = (await api.call("GET", f"{base}/statistics", school.teacher)).json()
    facility_before = {i["item_id"]: i["facility_pct"] for i in stats_before["items"]}
    assert facility_before[text] == 25.0

    r = await api.call("GET", f"{base}/items/{text}/answers", school.teacher)
    common = {a["answer"]: (a["count"], a["credited"]) for a in r.json()["answers"]}
    assert common == {"jakarta": (2, False), "Jakarta": (1, True), "JAKARTA": (1, False)}
    assert r.json()["answered"] == 4

    bad = [
        (fix, {"changes": {"stem": "Capital?"}, "reason": "x"}, 422, "not_a_key_field"),
        (fix, {"changes": {"points": 5}, "reason": "x"}, 422, "not_a_key_field"),
        (fix, {"changes": {}, "reason": "x"}, 422, "key_unchanged"),
        (fix, {"changes": {"case_sensitive": True}, "reason": "x"}, 422, "key_unchanged"),
        (fix, {"changes": {"accepted": []}, "reason": "x"}, 422, "invalid_key"),
        (fix, {"changes": {"case_sensitive": False}}, 400, "validation_failed"),
        (
            f"{base}/items/{choice}/key",
            {"changes": {"correct": "z"}, "reason": "x"},
            422,
            "invalid_key",
        ),
        (
            f"{base}/items/{exam['id']}/key",
            {"changes": {"correct": "c"}, "reason": "x"},
            404,
            "not_found",
        ),
    ]
    for path, payload, status, code in bad:
        r = await api.call("PUT", path, school.teacher, json=payload)
        assert (r.status_code, r.json()["code"]) == (status, code), (payload, r.text)
    r = await api.call("PUT", fix, school.other_teacher, json=body)
    assert r.status_code == 404
    assert await _results(svc, exam["id"]) == before  # nothing stored changed

    r = await api.call("PUT", fix, school.teacher, json=body)
    assert r.status_code == 200, r.text
    outcome = r.json()
    assert outcome["sittings_regraded"] == 4
    assert (outcome["results_changed"], outcome["points_gained"], outcome["points_lost"]) == (
        3,
        3,
        0,
    )
    assert outcome["previous_key"]["case_sensitive"] is True
    assert outcome["key"]["case_sensitive"] is False

    after = await _results(svc, exam["id"])
    for sitting_id, old in before.items():
        new = after[sitting_id]
        for item_id in (choice, number, truth):
            assert new["items"][item_id] == old["items"][item_id]  # untouched
        assert new["items"][text]["points"] == 1.0
        gained = 1.0 - old["items"][text]["points"]
        assert new["points"] == old["points"] + gained == new["sitting_points"]

    stats_after = (await api.call("GET", f"{base}/statistics", school.teacher)).json()
    facility = {i["item_id"]: i["facility_pct"] for i in stats_after["items"]}
    assert facility[text] == 100.0 and facility[choice] == facility_before[choice]
    assert [i["key_fixed"] for i in stats_after["items"]] == [False, False, True, False]

    # a second fix builds on the first: the choice item's key becomes c
    r = await api.call(
        "PUT",
        f"{base}/items/{choice}/key",
        school.teacher,
        json={"changes": {"correct": "c"}, "reason": "12 is c"},
    )
    assert r.status_code == 200 and r.json()["results_changed"] == 3  # b stays wrong
    assert (r.json()["points_gained"], r.json()["points_lost"]) == (2, 1)
    final = await _results(svc, exam["id"])
    assert sorted(s["items"][choice]["points"] for s in final.values()) == [0.0, 0.0, 1.0, 1.0]
    assert all(s["items"][text]["points"] == 1.0 for s in final.values())  # the first fix kept

    async with svc.pool.acquire() as conn:
        audit = await conn.fetch(
            "SELECT detail FROM audit_log WHERE action = 'analytics.key_fixed' AND target = $1 "
            "ORDER BY id",
            exam["id"],
        )
    assert [a["detail"]["item_id"] for a in audit] == [text, choice]
    assert audit[0]["detail"]["reason"] == "lower case is right too"

    # a student's result as they read it follows the fixed keys
    sitting = next(iter(final))
    r = await api.call("GET", f"{base}/sittings/{sitting}/review", school.teacher)
    review = r.json()
    assert [i["points"] for i in review["items"]] == [
        final[sitting]["items"][i]["points"] for i in (choice, number, text, truth)
    ]
    assert all(i["answered_at"] is not None and i["seconds"] >= 0 for i in review["items"])
    assert review["items"][0]["options"][2] == {"id": "c", "text": "12"}


async def test_two_fixes_at_once_both_count(api: Api, svc: Services, school: School) -> None:
    """Two teachers fix the same key at the same moment: one waits for the other and builds on
    it, so neither change is lost."""
    exam, (_, _, text, _) = await _sit(api, svc, school)
    await _close(svc, exam["id"])
    fix = f"/v1/exams/{exam['id']}/items/{text}/key"
    first, second = await asyncio.gather(
        api.call(
            "PUT",
            fix,
            school.teacher,
            json={"changes": {"case_sensitive": False}, "reason": "case"},
        ),
        api.call(
            "PUT",
            fix,
            school.teacher,
            json={"changes": {"accepted": ["Jakarta", "DKI"]}, "reason": "also DKI"},
        ),
    )
    assert (first.status_code, second.status_code) == (200, 200), (first.text, second.text)
    async with svc.pool.acquire() as conn:
        row = await conn.fetchrow(
            "SELECT answer_key, changes FROM exam_key_corrections WHERE exam_id = $1::uuid",
            exam["id"],
        )
    assert row["changes"] == {"case_sensitive": False, "accepted": ["Jakarta", "DKI"]}
    assert row["answer_key"]["case_sensitive"] is False
    assert row["answer_key"]["accepted"] == ["Jakarta", "DKI"]
    results = await _results(svc, exam["id"])
    assert all(r["items"][text]["points"] == 1.0 for r in results.values())
