"""A student's review of their own sitting: only once graded and released, only their own,
in the paper's authored order with the key and the student's answer."""

from __future__ import annotations

from typing import Any

from tests.integration.conftest import Api, School


async def _submitted(api: Api, school: School, student: str, *, instant: bool) -> tuple[str, Any]:
    exam = await api.exam(school.teacher, instant=instant)
    sitting = (await api.start(student, exam["id"]))["id"]
    paper = await api.paper(student, sitting)
    first = next(
        it for s in paper["sections"] for it in s["items"] if it["kind"] == "single_choice"
    )
    r = await api.answer(
        student,
        sitting,
        [{"seq": 1, "item": first["id"], "response": {"kind": "single_choice", "choice": "b"}}],
    )
    assert r.status_code == 200, r.text
    return sitting, paper


async def test_review_in_authored_order_with_key_and_answer(api: Api, school: School) -> None:
    student = school.students[0]
    sitting, paper = await _submitted(api, school, student, instant=True)
    r = await api.call("GET", f"/v1/sittings/{sitting}/review", student)
    assert r.status_code == 409 and r.json()["code"] == "not_graded_yet"
    r = await api.call("POST", f"/v1/sittings/{sitting}/submit", student)
    assert r.status_code == 200 and r.json()["state"] == "graded", r.text
    r = await api.call("GET", f"/v1/sittings/{sitting}/review", student)
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    assert [it["number"] for it in items] == list(range(1, len(items) + 1))
    first = items[0]  # sample_items() starts with "2 + 2 = ?", key b, options a b c
    assert first["stem"] == "2 + 2 = ?" and first["key"] == {"correct": "b"}
    assert [(o["letter"], o["id"]) for o in first["options"]] == [
        ("A", "a"),
        ("B", "b"),
        ("C", "c"),
    ]
    assert first["response"] == {"kind": "single_choice", "choice": "b"}
    assert first["status"] == "correct"
    seen = [it["id"] for s in paper["sections"] for it in s["items"]]
    assert sorted(it["paper_number"] for it in items) == list(range(1, len(seen) + 1))
    # someone else's sitting: not found, as if it did not exist
    r = await api.call("GET", f"/v1/sittings/{sitting}/review", school.students[1])
    assert r.status_code == 404 and r.json()["code"] == "not_found"


async def test_no_review_before_the_teacher_releases_results(api: Api, school: School) -> None:
    student = school.students[2]
    sitting, _ = await _submitted(api, school, student, instant=False)
    r = await api.call("POST", f"/v1/sittings/{sitting}/submit", student)
    assert r.status_code == 200, r.text
    # graded or not, the review stays closed to the student until the results are released
    r = await api.call("GET", f"/v1/sittings/{sitting}/review", student)
    assert r.status_code == 403 and r.json()["code"] == "results_not_released"
