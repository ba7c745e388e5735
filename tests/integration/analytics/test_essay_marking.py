"""An essay scores as awaiting a mark; marking it updates the result at once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from engine.services import Services
from tests.integration.conftest import Api, School, sample_items
from tests.integration.test_sitting_flow import _persist_all


async def _essay_item(school: School, api: Api) -> str:
    r = await api.call(
        "POST",
        "/v1/items",
        school.teacher,
        json={
            "kind": "essay",
            "stem": "Explain photosynthesis.",
            "points": 5.0,
            "rubric": [{"id": "content", "max_points": 3.0}, {"id": "language", "max_points": 2.0}],
        },
    )
    assert r.status_code == 201, r.text
    item_id: str = r.json()["id"]
    return item_id


async def test_essay_marking_flow(api: Api, school: School, svc: Services) -> None:
    essay = await _essay_item(school, api)
    r = await api.call("POST", "/v1/items", school.teacher, json=sample_items()[0])
    choice = r.json()["id"]
    now = datetime.now(UTC)
    r = await api.call(
        "POST",
        "/v1/exams",
        school.teacher,
        json={
            "title": "Essay",
            "time_limit_s": 600,
            "sections": [{"title": "A", "items": [choice, essay]}],
            "window_open": (now - timedelta(minutes=1)).isoformat(),
            "window_close": (now + timedelta(hours=1)).isoformat(),
            "scoring": {"pass_mark": {"value": 50, "unit": "percent"}},
        },
    )
    exam = r.json()
    await api.call("POST", f"/v1/exams/{exam['id']}/publish", school.teacher)
    student = school.students[3]
    sitting = await api.start(student, exam["id"])
    r = await api.answer(
        student,
        sitting["id"],
        [
            {"seq": 1, "item": essay, "response": {"kind": "essay", "text": "Plants use light."}},
            {"seq": 2, "item": choice, "response": {"kind": "single_choice", "choice": "b"}},
        ],
    )
    assert r.status_code == 200, r.text
    outcome = (await api.call("POST", f"/v1/sittings/{sitting['id']}/submit", student)).json()
    assert outcome["result"]["items"][essay]["status"] == "pending_manual"
    assert outcome["result"]["outcome"]["passed"] is None  # the essay could change it
    assert outcome["result"]["points"] == 1.0

    await _persist_all(svc)
    queue = (await api.call("GET", f"/v1/exams/{exam['id']}/marking", school.teacher)).json()
    assert [(q["item_id"], q["response_text"]) for q in queue] == [(essay, "Plants use light.")]
    path = f"/v1/sittings/{sitting['id']}/marks"
    r = await api.call(
        "POST", path, school.teacher, json={"item": essay, "criteria": {"content": 9.0}}
    )
    assert r.status_code == 400 and r.json()["code"] == "validation_failed"
    r = await api.call("POST", path, school.teacher, json={"item": choice, "points": 1})
    assert r.status_code == 400
    r = await api.call("POST", path, school.other_teacher, json={"item": essay, "points": 1})
    assert r.status_code == 404
    r = await api.call(
        "POST",
        path,
        school.teacher,
        json={
            "item": essay,
            "criteria": {"content": 2.5, "language": 1.5},
            "note": "clear but short",
        },
    )
    assert r.status_code == 200, r.text
    marked = r.json()
    assert marked["items"][essay]["status"] == "partial"
    assert marked["points"] == 5.0 and marked["outcome"]["passed"] is True
    assert (await api.call("GET", f"/v1/exams/{exam['id']}/marking", school.teacher)).json() == []
    seen = (await api.call("GET", f"/v1/sittings/{sitting['id']}/result", student)).json()
    assert seen["result"]["points"] == 5.0
