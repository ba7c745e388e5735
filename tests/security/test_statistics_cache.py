"""Statistics are cached per exam and computed again only when its results change (a new
graded sitting, an essay mark): counted through the real metric of computations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from prometheus_client import REGISTRY

from tests.integration import conftest as integration
from tests.integration.conftest import RIGHT_ANSWERS, Api, School

settings, svc, client, school = (
    integration.settings,
    integration.svc,
    integration.client,
    integration.school,
)
api = integration.api


def computed() -> float:
    return REGISTRY.get_sample_value("ujian_statistics_computed_total") or 0.0


async def _sit(api: Api, student: str, exam_id: str) -> None:
    sitting = await api.start(student, exam_id)
    paper = await api.paper(student, sitting["id"])
    right = {a["kind"]: a for a in RIGHT_ANSWERS}
    items = [i for s in paper["sections"] for i in s["items"]]
    r = await api.answer(
        student,
        sitting["id"],
        [
            {"seq": n + 1, "item": item["id"], "response": right[item["kind"]]}
            for n, item in enumerate(items)
        ],
    )
    assert r.status_code == 200, r.text
    r = await api.call("POST", f"/v1/sittings/{sitting['id']}/submit", student)
    assert r.status_code == 200 and r.json()["state"] == "graded", r.text


async def _statistics(api: Api, teacher: str, exam_id: str) -> dict[str, Any]:
    r = await api.call("GET", f"/v1/exams/{exam_id}/statistics", teacher)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def test_statistics_are_computed_once_per_change_of_results(api: Api, school: School) -> None:
    exam = await api.exam(school.teacher)
    for student in school.students[2:4]:
        await _sit(api, student, exam["id"])

    before = computed()
    first = await _statistics(api, school.teacher, exam["id"])
    assert first["sittings"] == 2
    assert computed() == before + 1
    # nothing changed: the same figures, not computed again (also by the dashboard's export)
    for _ in range(3):
        assert await _statistics(api, school.teacher, exam["id"]) == first
    r = await api.call("GET", f"/v1/exams/{exam['id']}/exports/items", school.teacher)
    assert r.status_code == 200
    assert computed() == before + 1

    # a new result: computed afresh, once
    await _sit(api, school.students[4], exam["id"])
    fresh = await _statistics(api, school.teacher, exam["id"])
    assert fresh["sittings"] == 3
    assert await _statistics(api, school.teacher, exam["id"]) == fresh
    assert computed() == before + 2

    # another exam's new result does not touch this one's cache
    other = await api.exam(school.teacher)
    await _sit(api, school.students[5], other["id"])
    assert await _statistics(api, school.teacher, exam["id"]) == fresh
    assert computed() == before + 2


async def test_an_essay_mark_makes_the_statistics_computed_afresh(api: Api, school: School) -> None:
    r = await api.call(
        "POST",
        "/v1/items",
        school.teacher,
        json={
            "kind": "essay",
            "stem": "Explain photosynthesis.",
            "points": 5.0,
            "rubric": [{"id": "content", "max_points": 5.0}],
        },
    )
    assert r.status_code == 201, r.text
    essay = r.json()["id"]
    now = datetime.now(UTC)
    r = await api.call(
        "POST",
        "/v1/exams",
        school.teacher,
        json={
            "title": "Essay",
            "time_limit_s": 600,
            "sections": [{"title": "A", "items": [essay]}],
            "window_open": (now - timedelta(minutes=1)).isoformat(),
            "window_close": (now + timedelta(hours=1)).isoformat(),
        },
    )
    assert r.status_code == 201, r.text
    exam = r.json()
    assert (
        await api.call("POST", f"/v1/exams/{exam['id']}/publish", school.teacher)
    ).status_code == 200
    student = school.students[0]
    sitting = await api.start(student, exam["id"])
    r = await api.answer(
        student,
        sitting["id"],
        [{"seq": 1, "item": essay, "response": {"kind": "essay", "text": "Plants use light."}}],
    )
    assert r.status_code == 200, r.text
    r = await api.call("POST", f"/v1/sittings/{sitting['id']}/submit", student)
    assert r.status_code == 200 and r.json()["result"]["points"] == 0.0, r.text

    before = computed()
    await _statistics(api, school.teacher, exam["id"])
    await _statistics(api, school.teacher, exam["id"])
    assert computed() == before + 1
    r = await api.call(
        "POST",
        f"/v1/sittings/{sitting['id']}/marks",
        school.teacher,
        json={"item": essay, "criteria": {"content": 4.0}},
    )
    assert r.status_code == 200 and r.json()["points"] == 4.0, r.text
    await _statistics(api, school.teacher, exam["id"])
    assert computed() == before + 2
