"""Grading on submit with a scoring policy, statistics, calibration, essay marking."""

from __future__ import annotations

import asyncio
import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pytest

from engine.auth.passwords import hash_password
from engine.services import Services
from tests.integration.conftest import PASSWORD, RIGHT_ANSWERS, Api, School, sample_items
from tests.integration.test_sitting_flow import _persist_all


async def _students(svc: Services, org: uuid.UUID, count: int) -> list[str]:
    tag = uuid.uuid4().hex[:6]
    password_hash = hash_password(PASSWORD)
    names = [f"cohort-{tag}-{n:03d}" for n in range(count)]
    async with svc.pool.acquire() as conn:
        await conn.executemany(
            "INSERT INTO users (id, org_id, username, display_name, role, password_hash) "
            "VALUES ($1, $2, $3, $3, 'student', $4)",
            [(uuid.uuid4(), org, name, password_hash) for name in names],
        )
    return names


def _choice_items(count: int) -> list[dict[str, Any]]:
    return [
        {
            "kind": "single_choice",
            "stem": f"Question {n}",
            "correct": "a",
            "options": [{"id": k, "text": f"option {k}"} for k in "abcd"],
        }
        for n in range(count)
    ]


async def _sit(api: Api, student: str, exam_id: str, pick: Any) -> dict[str, Any]:
    sitting = await api.start(student, exam_id)
    paper = await api.paper(student, sitting["id"])
    items = [i for s in paper["sections"] for i in s["items"]]
    events = [
        {"seq": n + 1, "item": item["id"], "response": pick(item)} for n, item in enumerate(items)
    ]
    r = await api.answer(student, sitting["id"], events)
    assert r.status_code == 200, r.text
    r = await api.call("POST", f"/v1/sittings/{sitting['id']}/submit", student)
    assert r.status_code == 200 and r.json()["state"] == "graded", r.text
    outcome: dict[str, Any] = r.json()
    return outcome


async def test_negative_marking_pass_mark_and_sections(api: Api, school: School) -> None:
    ids = []
    for item in sample_items():
        r = await api.call("POST", "/v1/items", school.teacher, json=item)
        ids.append(r.json()["id"])
    now = datetime.now(UTC)
    r = await api.call(
        "POST",
        "/v1/exams",
        school.teacher,
        json={
            "title": "UTBK style",
            "time_limit_s": 600,
            "sections": [{"title": "A", "items": ids[:2]}, {"title": "B", "items": ids[2:]}],
            "window_open": (now - timedelta(minutes=1)).isoformat(),
            "window_close": (now + timedelta(hours=1)).isoformat(),
            "scoring": {
                "negative_marking": {"correct": 4, "incorrect": -1, "blank": 0},
                "pass_mark": {"value": 50, "unit": "percent"},
            },
        },
    )
    assert r.status_code == 201, r.text
    exam = r.json()
    assert (
        await api.call("POST", f"/v1/exams/{exam['id']}/publish", school.teacher)
    ).status_code == 200
    right = dict(
        zip(
            ["2 + 2 = ?", "Even numbers?", "π to two decimals", "First president of Indonesia"],
            RIGHT_ANSWERS,
            strict=True,
        )
    )

    def pick(item: dict[str, Any]) -> Any:
        if item["stem"] == "2 + 2 = ?":
            return {"kind": "single_choice", "choice": "a"}  # wrong: -1
        if item["stem"] == "π to two decimals":
            return None  # blank: 0
        return right[item["stem"]]  # right: +4 each

    outcome = await _sit(api, school.students[0], exam["id"], pick)
    result = outcome["result"]
    assert result["points"] == 7.0 and result["max_points"] == 16.0
    summary = result["outcome"]
    assert summary["passed"] is False and summary["percent"] == pytest.approx(7 / 16 * 100)
    assert {s["score"] for s in summary["sections"].values()} == {3.0, 4.0}
    statuses = sorted(s["status"] for s in result["items"].values())
    assert statuses == ["blank", "correct", "correct", "incorrect"]


async def test_scoring_policy_must_name_items_of_the_exam(api: Api, school: School) -> None:
    r = await api.call("POST", "/v1/items", school.teacher, json=sample_items()[0])
    now = datetime.now(UTC)
    r = await api.call(
        "POST",
        "/v1/exams",
        school.teacher,
        json={
            "title": "x",
            "time_limit_s": 600,
            "sections": [{"title": "A", "items": [r.json()["id"]]}],
            "window_open": now.isoformat(),
            "window_close": (now + timedelta(hours=1)).isoformat(),
            "scoring": {"item_weights": {str(uuid.uuid4()): 2.0}},
        },
    )
    assert r.status_code == 400 and r.json()["code"] == "validation_failed"


@pytest.fixture(scope="module")
async def cohort_exam(api_module: Api, school: School, svc: Services) -> dict[str, Any]:
    """40 students of varied ability sit a 10-item exam whose window then closes."""
    api = api_module
    students = await _students(svc, school.org_id, 40)
    exam = await api.exam(school.teacher, items=_choice_items(10), closes_in_s=25, limit_s=600)
    rng = random.Random(11)
    difficulty = {}

    for n, student in enumerate(students):
        ability = (n - 20) / 10

        def pick(item: dict[str, Any], ability: float = ability) -> Any:
            b = difficulty.setdefault(item["id"], (len(difficulty) - 5) / 3)
            p = 1 / (1 + np.exp(-1.7 * (ability - b)))
            if rng.random() < p:
                return {"kind": "single_choice", "choice": "a"}
            return {"kind": "single_choice", "choice": rng.choice("bcd")}

        await _sit(api, student, exam["id"], pick)
    await _persist_all(svc)  # choices and timings come from the durable answer log
    return exam


@pytest.fixture(scope="module")
def api_module(client: Any) -> Api:
    return Api(client)


async def test_statistics_match_an_independent_computation(
    api_module: Api, school: School, cohort_exam: dict[str, Any], svc: Services
) -> None:
    r = await api_module.call("GET", f"/v1/exams/{cohort_exam['id']}/statistics", school.teacher)
    assert r.status_code == 200, r.text
    stats = r.json()
    assert stats["sittings"] == 40 and len(stats["items"]) == 10
    async with svc.pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT items FROM results WHERE exam_id = $1", uuid.UUID(cohort_exam["id"])
        )
    matrix = np.array(
        [[row["items"][i["item_id"]]["points"] for i in stats["items"]] for row in rows]
    )
    totals = matrix.sum(axis=1)
    assert stats["distribution"]["mean"] == pytest.approx(totals.mean())
    assert stats["distribution"]["sd"] == pytest.approx(totals.std(ddof=1))
    k = matrix.shape[1]
    alpha = k / (k - 1) * (1 - matrix.var(axis=0, ddof=1).sum() / totals.var(ddof=1))
    assert stats["cic_pct"] == pytest.approx(100 * alpha)
    for j, item in enumerate(stats["items"]):
        assert item["facility_pct"] == pytest.approx(100 * matrix[:, j].mean())
        rest = totals - matrix[:, j]
        if matrix[:, j].std() > 0:
            expected = 100 * np.corrcoef(matrix[:, j], rest)[0, 1]
            assert item["discrimination_index_pct"] == pytest.approx(expected, abs=1e-6)
        shares = {o["id"]: o["share_all"] for o in item["options"]}
        assert shares["a"] == pytest.approx(matrix[:, j].mean())
        assert sum(shares.values()) == pytest.approx(1.0)
        assert item["mean_time_s"] is not None and item["mean_time_s"] >= 0


async def test_other_school_cannot_read_statistics(
    api_module: Api, school: School, cohort_exam: dict[str, Any]
) -> None:
    for path in ("statistics", "results", "marking", "calibration"):
        r = await api_module.call(
            "GET", f"/v1/exams/{cohort_exam['id']}/{path}", school.other_teacher
        )
        assert r.status_code == 404 and r.json()["code"] == "not_found"
        r = await api_module.call(
            "GET", f"/v1/exams/{cohort_exam['id']}/{path}", school.students[0]
        )
        assert r.status_code == 403


async def test_results_list(api_module: Api, school: School, cohort_exam: dict[str, Any]) -> None:
    r = await api_module.call("GET", f"/v1/exams/{cohort_exam['id']}/results", school.teacher)
    rows = r.json()
    assert len(rows) == 40 and all(row["state"] == "graded" for row in rows)
    assert all(row["max_points"] == 10.0 and row["percent"] is not None for row in rows)


async def test_calibration_rescores_every_sitting(
    api_module: Api, school: School, cohort_exam: dict[str, Any], svc: Services
) -> None:
    path = f"/v1/exams/{cohort_exam['id']}/calibration"
    r = await api_module.call("POST", path, school.teacher, json={"model": "1PL"})
    if r.status_code == 409:
        assert r.json()["code"] == "exam_still_open"
        close = datetime.fromisoformat(cohort_exam["window_close"])
        await asyncio.sleep(max(0.0, (close - datetime.now(UTC)).total_seconds()) + 0.5)
        r = await api_module.call("POST", path, school.teacher, json={"model": "1PL"})
    assert r.status_code == 202, r.text
    assert r.json()["status"] == "running"
    for _ in range(600):  # bounded: a 40 × 10 calibration takes well under a second
        run = (await api_module.call("GET", path, school.teacher)).json()
        if run["status"] != "running":
            break
        await asyncio.sleep(0.1)
    assert run["status"] == "done", run
    assert run["persons"] == 40 and run["items"] == 10
    async with svc.pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT points, theta, theta_se, scaled_score FROM results WHERE exam_id = $1",
            uuid.UUID(cohort_exam["id"]),
        )
    assert all(r["theta"] is not None and r["theta_se"] > 0 for r in rows)
    assert all(200 <= r["scaled_score"] <= 1000 for r in rows)
    # under the 1PL model the raw score is sufficient: θ never decreases as it rises
    ordered = sorted(rows, key=lambda r: (r["points"], r["theta"]))
    thetas = [r["theta"] for r in ordered]
    assert thetas == sorted(thetas)
    stats = (
        await api_module.call("GET", f"/v1/exams/{cohort_exam['id']}/statistics", school.teacher)
    ).json()
    assert all(item["irt_b"] is not None for item in stats["items"])
    # harder items (lower facility) get higher difficulty
    by_facility = sorted(stats["items"], key=lambda i: i["facility_pct"])
    assert by_facility[0]["irt_b"] > by_facility[-1]["irt_b"]
    # a sitting's own result now carries its IRT score
    r = await api_module.call("GET", f"/v1/exams/{cohort_exam['id']}/results", school.teacher)
    assert all(row["scaled_score"] is not None for row in r.json())
    # Rasch: slope 1 on every item and the spread of θ estimated (logit scale)
    rasch = await _calibrated(api_module, school, path, "Rasch")
    assert rasch["model"] == "Rasch" and rasch["latent_sd"] > 0
    stats = (
        await api_module.call("GET", f"/v1/exams/{cohort_exam['id']}/statistics", school.teacher)
    ).json()
    assert {item["irt_a"] for item in stats["items"]} == {1.0}
    # an unknown model name is a validation problem, and nothing is stored
    r = await api_module.call("POST", path, school.teacher, json={"model": "4PL"})
    assert r.status_code == 400 and r.json()["code"] == "validation_failed"
    assert (await api_module.call("GET", path, school.teacher)).json()["id"] == rasch["id"]


async def _calibrated(api: Api, school: School, path: str, model: str) -> dict[str, Any]:
    r = await api.call("POST", path, school.teacher, json={"model": model})
    assert r.status_code == 202, r.text
    for _ in range(600):  # bounded: a 40 × 10 calibration takes well under a second
        run: dict[str, Any] = (await api.call("GET", path, school.teacher)).json()
        if run["status"] != "running":
            break
        await asyncio.sleep(0.1)
    assert run["status"] == "done", run
    return run


HOTSPOT = {
    "kind": "single_choice",
    "stem": "<p>Di mana ibu kota Indonesia?</p>",
    "correct": "jkt",
    "options": [{"id": "jkt", "text": "Jakarta"}, {"id": "mdn", "text": "Medan"}],
    "graphic": {
        "image": "https://media.example.org/peta.png",
        "width": 400,
        "height": 150,
        "hotspots": {
            "jkt": {"shape": "rect", "coords": [100, 90, 120, 110]},
            "mdn": {"shape": "circle", "coords": [30, 30, 6]},
        },
    },
}


async def test_a_hotspot_choice_has_its_statistics_by_place(
    api: Api, school: School, svc: Services
) -> None:
    """A hotspot item is a choice item: its statistics list each place by its label, with the
    share of students who chose it."""
    students = await _students(svc, school.org_id, 4)
    exam = await api.exam(school.teacher, items=[HOTSPOT, *_choice_items(2)])
    for n, student in enumerate(students):

        def pick(item: dict[str, Any], n: int = n) -> Any:
            if item.get("graphic"):
                # three of the four find Jakarta
                return {"kind": "single_choice", "choice": "mdn" if n == 0 else "jkt"}
            return {"kind": "single_choice", "choice": "a" if n > 1 else "b"}

        await _sit(api, student, exam["id"], pick)
    await _persist_all(svc)
    r = await api.call("GET", f"/v1/exams/{exam['id']}/statistics", school.teacher)
    assert r.status_code == 200, r.text
    (item,) = [i for i in r.json()["items"] if i["facility_pct"] == pytest.approx(75)]
    assert [(o["id"], o["text"], o["correct"]) for o in item["options"]] == [
        ("jkt", "Jakarta", True),
        ("mdn", "Medan", False),
    ]
    assert [o["share_all"] for o in item["options"]] == pytest.approx([0.75, 0.25])
