"""Equating an event's forms through the API: two forms sharing six items, sat by populations
of different ability, scored on one scale with a linking report."""

from __future__ import annotations

import asyncio
import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

from engine.auth.passwords import hash_password
from engine.services import Services
from tests.integration.analytics.test_analytics_grading import _sit, _students
from tests.integration.conftest import PASSWORD, Api, School


async def _form(api: Api, teacher: str, items: list[str], closes_in_s: float) -> dict[str, Any]:
    now = datetime.now(UTC)
    r = await api.call(
        "POST",
        "/v1/exams",
        teacher,
        json={
            "title": "Try-out form",
            "sections": [{"title": "A", "items": items}],
            "time_limit_s": 600,
            "window_open": (now - timedelta(seconds=60)).isoformat(),
            "window_close": (now + timedelta(seconds=closes_in_s)).isoformat(),
            "grace_s": 0,
            "instant_results": True,
            "navigation": "free",
        },
    )
    assert r.status_code == 201, r.text
    r = await api.call("POST", f"/v1/exams/{r.json()['id']}/publish", teacher)
    assert r.status_code == 200, r.text
    exam: dict[str, Any] = r.json()
    return exam


async def _event(svc: Services, org: uuid.UUID, forms: list[str]) -> tuple[uuid.UUID, str]:
    """An event of the school's organiser with one session offering both forms."""
    admin, event, session = f"organiser-{uuid.uuid4().hex[:6]}", uuid.uuid4(), uuid.uuid4()
    admin_id = uuid.uuid4()
    now = datetime.now(UTC)
    async with svc.pool.acquire() as conn:
        await conn.execute(
            "INSERT INTO users (id, org_id, username, display_name, role, password_hash) "
            "VALUES ($1, $2, $3, $3, 'admin', $4)",
            admin_id,
            org,
            admin,
            hash_password(PASSWORD),
        )
        await conn.execute(
            "INSERT INTO exam_events (id, org_id, title, changes_close_at, seed, created_by) "
            "VALUES ($1, $2, 'Try-out', $3, 7, $4)",
            event,
            org,
            now,
            admin_id,
        )
        await conn.execute(
            "INSERT INTO exam_sessions (id, event_id, org_id, label, starts_at, ends_at) "
            "VALUES ($1, $2, $3, 'Day 1', $4, $5)",
            session,
            event,
            org,
            now - timedelta(minutes=5),
            now + timedelta(minutes=30),
        )
        await conn.execute(
            "INSERT INTO session_forms (session_id, exam_id, position) "
            "SELECT $1, f, n - 1 FROM unnest($2::uuid[]) WITH ORDINALITY AS t (f, n)",
            session,
            [uuid.UUID(f) for f in forms],
        )
    return event, admin


async def test_forms_of_an_event_are_equated_onto_one_scale(
    api: Api, school: School, svc: Services
) -> None:
    ids = []
    for n in range(18):
        r = await api.call(
            "POST",
            "/v1/items",
            school.teacher,
            json={
                "kind": "single_choice",
                "stem": f"Item {n}",
                "correct": "a",
                "options": [{"id": k, "text": k} for k in "abcd"],
            },
        )
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
    difficulty = {item: (n - 9) / 4 for n, item in enumerate(ids)}
    first = await _form(api, school.teacher, ids[:12], closes_in_s=40)
    second = await _form(api, school.teacher, ids[6:], closes_in_s=40)
    # every draw is seeded by the form, the student's place and the item's place, not by the
    # order the paper shows the items in (each sitting shuffles it): the same answers every run
    place = {item: n for n, item in enumerate(ids)}
    for form, (exam, mean) in enumerate(((first, 0.0), (second, 1.0))):
        for k, student in enumerate(await _students(svc, school.org_id, 40)):
            ability = random.Random(f"ability {form} {k}").gauss(mean, 1.0)

            def pick(
                item: dict[str, Any], ability: float = ability, who: str = f"{form} {k}"
            ) -> Any:
                rng = random.Random(f"answer {who} {place[item['id']]}")
                p = 1 / (1 + np.exp(-(ability - difficulty[item["id"]])))
                choice = "a" if rng.random() < p else rng.choice("bcd")
                return {"kind": "single_choice", "choice": choice}

            await _sit(api, student, exam["id"], pick)
    event, admin = await _event(svc, school.org_id, [first["id"], second["id"]])
    path = f"/v1/events/{event}/equating"
    # the windows are open: nothing is equated yet, and nothing is stored
    r = await api.call("POST", path, admin, json={"model": "Rasch", "replicates": 5})
    assert r.status_code == 409 and r.json()["code"] == "exam_still_open", r.text
    assert (await api.call("GET", path, admin)).status_code == 404
    # a teacher is no organiser; a bad body is a validation problem
    assert (await api.call("POST", path, school.teacher, json={})).status_code == 403
    r = await api.call("POST", path, admin, json={"replicates": 1000})
    assert r.status_code == 400 and r.json()["code"] == "validation_failed"
    close = datetime.fromisoformat(second["window_close"])
    await asyncio.sleep(max(0.0, (close - datetime.now(UTC)).total_seconds()) + 0.5)
    r = await api.call("POST", path, admin, json={"model": "Rasch", "replicates": 5})
    assert r.status_code == 202, r.text
    for _ in range(600):  # bounded: two 40 × 12 forms and five bootstrap replicates
        run = (await api.call("GET", path, admin)).json()
        if run["status"] != "running":
            break
        await asyncio.sleep(0.1)
    assert run["status"] == "done", run
    reference, linked = run["report"]["forms"]
    assert reference["exam_id"] == first["id"] and reference["design"] == "reference"
    assert linked["design"] == "common items" and linked["common_with_reference"] == 6
    assert linked["sittings"] == 40 and linked["items"] == 12
    # the second form's candidates are abler (true difference 1 logit)
    assert linked["population_mean"] > 0.3
    link = linked["stocking_lord"]
    assert link["replicates"] == 5 and link["slope_se"] > 0 and link["intercept_se"] > 0
    async with svc.pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT exam_id, theta, scaled_score, equating_id, "
            "(outcome ->> 'percent')::float AS percent FROM results WHERE exam_id = ANY($1)",
            [uuid.UUID(first["id"]), uuid.UUID(second["id"])],
        )
    assert len(rows) == 80 and {r["equating_id"] for r in rows} == {uuid.UUID(run["id"])}
    assert all(200 <= r["scaled_score"] <= 1000 for r in rows)
    # one scale: the abler form's sittings score higher on average although their raw scores
    # come from a different set of items
    by_form = {
        f: np.mean([r["theta"] for r in rows if str(r["exam_id"]) == f])
        for f in (first["id"], second["id"])
    }
    assert by_form[second["id"]] - by_form[first["id"]] > 0.3
