"""Forensics on a seeded exam with a planted copying pair, through the overflow dispatcher;
the review workflow (confirm/dismiss, audited, no score changes); thresholds per exam; and
another school seeing nothing."""

from __future__ import annotations

import asyncio
import random
import uuid
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import numpy as np
import pytest

from engine.auth.passwords import hash_password
from engine.integrity.scheduler import start_closed, wait_for_forensics
from engine.job_runner import execute
from engine.overflow.process_overflow import Overflow
from engine.redis_adapter.keys import shard_of
from engine.services import Services
from tests.integration.conftest import PASSWORD, Api, School
from tests.integration.integrity.helpers import flags_of

N_STUDENTS, N_ITEMS, OPTIONS = 60, 30, "abcde"


class Seeded:
    def __init__(
        self, exam_id: str, sittings: list[uuid.UUID], choices: list[dict[str, str]], proctor: str
    ) -> None:
        self.exam_id = exam_id
        self.sittings = sittings
        self.choices = choices  # per sitting: item id -> option id
        self.proctor = proctor

    @property
    def source(self) -> uuid.UUID:
        return self.sittings[0]

    @property
    def copier(self) -> uuid.UUID:
        return self.sittings[1]


async def _seed(api: Api, school: School, svc: Services) -> Seeded:
    """60 graded sittings of a 30-item exam in one class; sitting 1 copied sitting 0."""
    items = [
        {
            "kind": "single_choice",
            "stem": f"Soal {n}",
            "correct": "a",
            "options": [{"id": k, "text": f"pilihan {k}"} for k in OPTIONS],
        }
        for n in range(N_ITEMS)
    ]
    exam = await api.exam(school.teacher, items=items)
    exam_id = uuid.UUID(exam["id"])
    rng = random.Random(8)
    tag = uuid.uuid4().hex[:6]
    proctor = f"proctor-{tag}"
    base = datetime.now(UTC) - timedelta(hours=2)
    async with svc.pool.acquire() as conn:
        version = await conn.fetchval(
            "SELECT id FROM exam_versions WHERE exam_id = $1 AND status = 'published'", exam_id
        )
        spec = await conn.fetchval("SELECT spec FROM exam_versions WHERE id = $1", version)
        item_ids = [str(r["id"]) for s in spec["sections"] for r in s["items"]]
        class_id = uuid.uuid4()
        await conn.execute(
            "INSERT INTO classes (id, org_id, name) VALUES ($1, $2, $3)",
            class_id,
            school.org_id,
            f"lab-{tag}",
        )
        pw = hash_password(PASSWORD)
        await conn.execute(
            "INSERT INTO users (id, org_id, username, display_name, role, password_hash) "
            "VALUES ($1, $2, $3, $3, 'proctor', $4)",
            uuid.uuid4(),
            school.org_id,
            proctor,
            pw,
        )
        difficulty = {i: rng.uniform(-1.5, 1.5) for i in item_ids}
        sittings: list[uuid.UUID] = []
        choices: list[dict[str, str]] = []
        answer_rows: list[tuple[Any, ...]] = []
        for n in range(N_STUDENTS):
            user, sid = uuid.uuid4(), uuid.uuid4()
            await conn.execute(
                "INSERT INTO users (id, org_id, username, display_name, role, password_hash, "
                "class_id) VALUES ($1, $2, $3, $3, 'student', $4, $5)",
                user,
                school.org_id,
                f"seeded-{tag}-{n:02d}",
                pw,
                class_id,
            )
            await conn.execute(
                "INSERT INTO sittings (id, org_id, exam_id, exam_version_id, student_id, shard, "
                "state, started_at, deadline, submitted_at, graded_at, points, max_points) "
                "VALUES ($1, $2, $3, $4, $5, $6, 'graded', $7, $8, $8, $8, 0, $9)",
                sid,
                school.org_id,
                exam_id,
                version,
                user,
                shard_of(sid, svc.settings.stream_shards),
                base,
                base + timedelta(hours=1),
                float(N_ITEMS),
            )
            ability = -0.7 if n == 0 else rng.gauss(0, 1)
            mine: dict[str, str] = {}
            for i in item_ids:
                p = 0.2 + 0.8 / (1 + np.exp(-1.7 * (ability - difficulty[i])))
                mine[i] = "a" if rng.random() < p else rng.choice("bcde")
            if n == 1:
                mine = dict(choices[0])  # the copier: every answer of the source
            sittings.append(sid)
            choices.append(mine)
            clock = rng.uniform(0, 60)
            for seq, i in enumerate(rng.sample(item_ids, len(item_ids)), start=1):
                clock += rng.uniform(20, 90)
                at = base + timedelta(seconds=clock)
                answer_rows.append(
                    (
                        exam_id,
                        sid,
                        seq,
                        i,
                        {"kind": "single_choice", "choice": mine[i]},
                        int(clock * 1000),
                        at,
                    )
                )
        await conn.executemany(
            "INSERT INTO answer_log (exam_id, sitting_id, seq, item_id, response, client_ts, "
            "server_ts) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            answer_rows,
        )
        await conn.execute(
            "INSERT INTO results (sitting_id, org_id, exam_id, points, max_points, items) "
            "VALUES ($1, $2, $3, 17, $4, '{}'::jsonb)",
            sittings[1],
            school.org_id,
            exam_id,
            float(N_ITEMS),
        )
    return Seeded(exam["id"], sittings, choices, proctor)


@pytest.fixture(scope="module")
def api_module(client: Any) -> Api:
    return Api(client)


@pytest.fixture(scope="module")
async def seeded(api_module: Api, school: School, svc: Services) -> Seeded:
    data = await _seed(api_module, school, svc)
    r = await api_module.call("POST", f"/v1/exams/{data.exam_id}/forensics", school.teacher)
    assert r.status_code == 202, r.text
    assert r.json()["status"] in ("queued", "running") and r.json()["trigger"] == "demand"
    # the run goes on in the app's event loop: follow it as a client would
    for _ in range(600):
        r = await api_module.call("GET", f"/v1/exams/{data.exam_id}/forensics", school.teacher)
        if r.json()["status"] not in ("queued", "running"):
            break
        await asyncio.sleep(0.1)
    return data


async def test_forensics_flags_the_planted_pair_with_matched_answers(
    api_module: Api, school: School, seeded: Seeded
) -> None:
    api = api_module
    r = await api.call("GET", f"/v1/exams/{seeded.exam_id}/forensics", school.teacher)
    run = r.json()
    assert run["status"] == "done", run
    assert (run["sittings"], run["items"], run["parameters"]) == (N_STUDENTS, N_ITEMS, "quick")
    assert {"similarity_blocked", "person_fit"} <= set(run["seconds"])

    pair = await flags_of(api, school.teacher, seeded.exam_id, rule="answer_similarity")
    pairs = {(f["sitting_id"], f["subject"]) for f in pair}
    assert (str(seeded.copier), str(seeded.source)) in pairs
    assert (str(seeded.source), str(seeded.copier)) in pairs
    # the planted pair, and (at this size) nobody else
    assert {f["sitting_id"] for f in pair} == {str(seeded.copier), str(seeded.source)}
    flag = next(f for f in pair if f["sitting_id"] == str(seeded.copier))
    assert flag["kind"] == "test" and flag["p_value"] < 1e-6 and flag["correction"] == "bonferroni"
    # the evidence in words: one named copier, one source (identical papers: either way
    # round), and how many answers they share
    theirs = next(f for f in pair if f["sitting_id"] == str(seeded.source))
    roles = sorted(f["note"].split(" (", 1)[0] for f in (flag, theirs))
    assert roles == ["copier", "source"]
    assert flag["note"].split(": ", 1)[1] == theirs["note"].split(": ", 1)[1]
    assert f"answer on {N_ITEMS} of {N_ITEMS} items both answered" in flag["note"]
    r = await api.call("GET", f"/v1/integrity/flags/{flag['id']}", school.teacher)
    evidence = r.json()["evidence"]
    assert evidence[0]["kind"] == "pair" and evidence[0]["other_sitting"] == str(seeded.source)
    assert evidence[0]["observed"] == N_ITEMS
    matches = [e for e in evidence if e["kind"] == "match"]
    assert len(matches) == 20  # capped: the least likely shared answers first
    source_choices = seeded.choices[0]
    assert all(m["response"] == source_choices[m["item"]] for m in matches)
    assert all(m["correct"] == (m["response"] == "a") for m in matches)
    probabilities = [m["model_probability"] for m in matches]
    assert probabilities == sorted(probabilities)
    assert r.json()["risk"]["level"] in ("medium", "high")


async def test_review_confirm_and_dismiss_are_audited_and_change_no_score(
    api_module: Api, school: School, seeded: Seeded, svc: Services
) -> None:
    api = api_module
    pair = await flags_of(api, school.teacher, seeded.exam_id, rule="answer_similarity")
    mine = next(f for f in pair if f["sitting_id"] == str(seeded.copier))
    theirs = next(f for f in pair if f["sitting_id"] == str(seeded.source))
    url = f"/v1/integrity/flags/{mine['id']}/review"
    for bad in (
        {"decision": "confirm", "note": ""},
        {"decision": "fail", "note": "x"},
        {"decision": "confirm"},
    ):
        r = await api.call("POST", url, school.teacher, json=bad)
        assert r.status_code == 400 and r.json()["code"] == "validation_failed", r.text
    r = await api.call(
        "POST",
        url,
        seeded.proctor,
        json={"decision": "confirm", "note": "same wrong answers, seat 4 and 5"},
    )
    assert r.status_code == 200, r.text
    assert r.json()["flag"]["status"] == "confirmed"
    assert r.json()["flag"]["review_note"] == "same wrong answers, seat 4 and 5"
    r = await api.call(
        "POST",
        f"/v1/integrity/flags/{theirs['id']}/review",
        school.teacher,
        json={"decision": "dismiss", "note": "the source did not collude"},
    )
    assert r.status_code == 200 and r.json()["flag"]["status"] == "dismissed"
    assert "answer_similarity" not in (r.json()["risk"] or {"rules": []})["rules"]
    listed = await flags_of(api, school.teacher, seeded.exam_id, status="confirmed")
    assert [f["id"] for f in listed] == [mine["id"]]
    async with svc.pool.acquire() as conn:
        trail = await conn.fetch(
            "SELECT action, target, detail, actor_role, org_id FROM audit_log "
            "WHERE target = ANY($1::text[]) ORDER BY id",
            [mine["id"], theirs["id"]],
        )
        points = await conn.fetchval(
            "SELECT points FROM results WHERE sitting_id = $1", seeded.copier
        )
        state = await conn.fetchval("SELECT state FROM sittings WHERE id = $1", seeded.copier)
    assert [(t["action"], t["actor_role"]) for t in trail] == [
        ("integrity.flag_confirmed", "proctor"),
        ("integrity.flag_dismissed", "teacher"),
    ]
    assert trail[0]["detail"]["note"] == "same wrong answers, seat 4 and 5"
    assert trail[0]["detail"]["previous"] == "open" and trail[0]["org_id"] == school.org_id
    assert points == 17 and state == "graded"  # a flag is never a verdict on the score


async def test_another_school_sees_nothing(api_module: Api, school: School, seeded: Seeded) -> None:
    api = api_module
    flags = await flags_of(api, school.teacher, seeded.exam_id)
    assert flags
    other = school.other_teacher
    assert await flags_of(api, other, seeded.exam_id) == []
    r = await api.call("GET", "/v1/integrity/flags", other)
    assert all(f["exam_id"] != seeded.exam_id for f in r.json())
    fid = flags[0]["id"]
    for method, path, body in (
        ("GET", f"/v1/integrity/flags/{fid}", None),
        ("POST", f"/v1/integrity/flags/{fid}/review", {"decision": "dismiss", "note": "x"}),
        ("GET", f"/v1/exams/{seeded.exam_id}/integrity", None),
        ("GET", f"/v1/exams/{seeded.exam_id}/integrity/thresholds", None),
        ("POST", f"/v1/exams/{seeded.exam_id}/forensics", None),
    ):
        r = await api.call(method, path, other, json=body)
        assert r.status_code == 404 and r.json()["code"] == "not_found", (path, r.text)
    r = await api.call("GET", "/v1/integrity/flags", school.students[0])
    assert r.status_code == 403


async def test_thresholds_per_exam(api_module: Api, school: School, seeded: Seeded) -> None:
    api = api_module
    url = f"/v1/exams/{seeded.exam_id}/integrity/thresholds"
    r = await api.call("GET", url, school.teacher)
    assert r.json()["defaults"] is True and r.json()["thresholds"]["away_total_s"] == 120.0
    r = await api.call("PUT", url, school.teacher, json={"away_total_s": 300, "lz_alpha": 2})
    assert r.status_code == 400 and r.json()["code"] == "validation_failed"
    r = await api.call("PUT", url, school.teacher, json={"away_total_s": 300, "unknown": 1})
    assert r.status_code == 400
    # the shares of alpha cannot add up to more than all of it
    both = {"neighbour_share": 0.8, "screen_share": 0.3}
    r = await api.call("PUT", url, school.teacher, json=both)
    assert r.status_code == 400 and r.json()["code"] == "validation_failed", r.text
    r = await api.call(
        "PUT", url, school.teacher, json={"away_total_s": 300, "similarity_level": 0.002}
    )
    assert r.status_code == 200, r.text
    r = await api.call("GET", url, seeded.proctor)
    got = r.json()
    assert got["defaults"] is False and got["thresholds"]["away_total_s"] == 300.0
    assert got["thresholds"]["similarity_level"] == 0.002
    assert got["thresholds"]["away_single_s"] == 60.0  # left out: its default
    r = await api.call("PUT", url, seeded.proctor, json={})
    assert r.status_code == 403


async def test_closing_an_exam_starts_one_forensics_run(
    api: Api, school: School, svc: Services
) -> None:
    exam = await api.exam(school.teacher)
    async with svc.pool.acquire() as conn:
        await conn.execute(
            "UPDATE exam_versions SET window_open = now() - interval '3 hours', "
            "window_close = now() - interval '1 hour' WHERE exam_id = $1",
            uuid.UUID(exam["id"]),
        )
    overflow = Overflow(
        svc, run_job=partial(execute, svc)
    )  # the real dispatcher: below the threshold, jobs run here
    assert await start_closed(svc, overflow) >= 1
    await start_closed(svc, overflow)
    await wait_for_forensics()
    async with svc.pool.acquire() as conn:
        runs = await conn.fetch(
            "SELECT trigger, status FROM integrity_runs WHERE exam_id = $1", uuid.UUID(exam["id"])
        )
    assert [(r["trigger"], r["status"]) for r in runs] == [("close", "done")]
