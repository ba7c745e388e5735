"""Per-student forms from a pool, end to end through the API: every sitting gets its own
balanced draw, answers outside it are refused, it is graded on its own items, and statistics
and calibration take the items each sitting was given."""

from __future__ import annotations

import asyncio
import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pytest

from engine.services import Services
from tests.integration.analytics.test_analytics_grading import _calibrated, _students
from tests.integration.conftest import Api, School


async def _pool_exam(api: Api, teacher: str, closes_in_s: float) -> tuple[dict[str, Any], dict]:
    topics = {}
    ids = []
    for n in range(16):
        topic = "algebra" if n % 2 else "geometry"
        r = await api.call(
            "POST",
            "/v1/items",
            teacher,
            json={
                "kind": "single_choice",
                "stem": f"Pool item {n}",
                "correct": "a",
                "options": [{"id": k, "text": k} for k in "abcd"],
                "metadata": {"topic": topic, "difficulty": round(0.2 + 0.04 * n, 2)},
            },
        )
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
        topics[ids[-1]] = topic
    now = datetime.now(UTC)
    body = {
        "title": "Pool exam",
        "sections": [{"title": "Pool", "items": ids, "draw": 6}],
        "time_limit_s": 600,
        "window_open": (now - timedelta(seconds=60)).isoformat(),
        "window_close": (now + timedelta(seconds=closes_in_s)).isoformat(),
        "grace_s": 0,
    }
    # a "pool" that draws all its items is refused, and nothing is created
    whole = {**body, "sections": [{"title": "Pool", "items": ids, "draw": 16}]}
    r = await api.call("POST", "/v1/exams", teacher, json=whole)
    assert r.status_code == 400 and r.json()["code"] == "validation_failed", r.text
    r = await api.call("POST", "/v1/exams", teacher, json=body)
    assert r.status_code == 201, r.text
    r = await api.call("POST", f"/v1/exams/{r.json()['id']}/publish", teacher)
    assert r.status_code == 200, r.text
    exam: dict[str, Any] = r.json()
    return exam, topics


async def test_pool_papers_are_drawn_graded_and_analysed_per_sitting(
    api: Api, school: School, svc: Services
) -> None:
    exam, topics = await _pool_exam(api, school.teacher, closes_in_s=35)
    rng = random.Random(3)
    drawn_sets = []
    for n, student in enumerate(await _students(svc, school.org_id, 30)):
        sitting = await api.start(student, exam["id"])
        paper = await api.paper(student, sitting["id"])
        mine = [i["id"] for s in paper["sections"] for i in s["items"]]
        # six items, balanced: three of each topic (the pool is ordered by topic, then
        # difficulty, and one item is drawn from each sixth of it)
        assert (
            len(mine) == 6 and sorted(topics[i] for i in mine) == ["algebra"] * 3 + ["geometry"] * 3
        )
        assert (await api.paper(student, sitting["id"]))["sections"] == paper["sections"]
        drawn_sets.append(frozenset(mine))
        if n == 0:
            other = next(i for i in topics if i not in mine)
            r = await api.answer(
                student,
                sitting["id"],
                [{"seq": 1, "item": other, "response": {"kind": "single_choice", "choice": "a"}}],
            )
            assert r.status_code == 400 and r.json()["code"] == "validation_failed", r.text
            assert (await api.paper(student, sitting["id"]))["answers"] == {}
        ability = (n - 15) / 6
        events = [
            {
                "seq": k + 1,
                "item": item,
                "response": {
                    "kind": "single_choice",
                    "choice": "a" if rng.random() < 1 / (1 + np.exp(-ability)) else "b",
                },
            }
            for k, item in enumerate(mine)
        ]
        r = await api.answer(student, sitting["id"], events)
        assert r.status_code == 200, r.text
        r = await api.call("POST", f"/v1/sittings/{sitting['id']}/submit", student)
        assert r.status_code == 200 and r.json()["state"] == "graded", r.text
    assert len(drawn_sets) == 30 and len(set(drawn_sets)) > 20
    async with svc.pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT items, max_points FROM results WHERE exam_id = $1", uuid.UUID(exam["id"])
        )
    # each sitting graded on its own six items only
    assert len(rows) == 30 and {r["max_points"] for r in rows} == {6.0}
    assert {len(r["items"]) for r in rows} == {6}
    stats = (await api.call("GET", f"/v1/exams/{exam['id']}/statistics", school.teacher)).json()
    assert stats["sittings"] == 30 and len(stats["items"]) == 16
    for item in stats["items"]:
        marks = [
            r["items"][item["item_id"]]["points"] for r in rows if item["item_id"] in r["items"]
        ]
        # facility over the sittings that were given the item, not over all thirty
        assert item["facility_pct"] == pytest.approx(100 * np.mean(marks))
    close = datetime.fromisoformat(exam["window_close"])
    await asyncio.sleep(max(0.0, (close - datetime.now(UTC)).total_seconds()) + 0.5)
    run = await _calibrated(api, school, f"/v1/exams/{exam['id']}/calibration", "Rasch")
    assert run["persons"] == 30 and run["items"] == 16 and run["converged"]
