"""CPU-heavy jobs cannot starve the event loop: they run in bounded worker-process lanes
(engine/cpu_jobs.py), a full lane answers ``503 busy``, and background work waits its turn."""

from __future__ import annotations

import asyncio
import os
import random
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from prometheus_client import REGISTRY

from engine.cpu_jobs import CpuJobs
from engine.kernel.errors import DomainError
from engine.services import Services
from tests.integration import conftest as integration
from tests.integration.conftest import RIGHT_ANSWERS, Api, School
from tests.security import threaded_server as served
from tests.security.threaded_server import LiveServer, bearer
from tests.waiting import poll_until

settings, svc, client, school = (
    integration.settings,
    integration.svc,
    integration.client,
    integration.school,
)
api = integration.api
live_server, http = served.live_server, served.http

SITTINGS = 20_000
ITEMS = 20


def _metric(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def _large_exam(api: Api, svc: Services, school: School) -> str:
    """An exam with ``SITTINGS`` graded sittings of ``ITEMS`` items, stored directly (the
    statistics job over them takes a second or more of CPU)."""
    ids = []
    for n in range(ITEMS):
        r = await api.call(
            "POST",
            "/v1/items",
            school.teacher,
            json={
                "kind": "single_choice",
                "stem": f"Q{n}",
                "correct": "a",
                "options": [{"id": k, "text": k} for k in "abcd"],
            },
        )
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
    now = datetime.now(UTC)
    r = await api.call(
        "POST",
        "/v1/exams",
        school.teacher,
        json={
            "title": "Large",
            "time_limit_s": 600,
            "sections": [{"title": "A", "items": ids}],
            "window_open": (now - timedelta(hours=2)).isoformat(),
            "window_close": (now + timedelta(hours=1)).isoformat(),
        },
    )
    assert r.status_code == 201, r.text
    exam_id = r.json()["id"]
    r = await api.call("POST", f"/v1/exams/{exam_id}/publish", school.teacher)
    assert r.status_code == 200, r.text
    rng = random.Random(7)
    users, sittings, results = [], [], []
    for n in range(SITTINGS):
        user_id, sitting_id = uuid.uuid4(), uuid.uuid4()
        users.append((user_id, school.org_id, f"big-{exam_id[:8]}-{n}", f"Big {n}", "student", "x"))
        sittings.append(
            (
                sitting_id,
                school.org_id,
                uuid.UUID(exam_id),
                uuid.UUID(r.json()["version_id"]),
                user_id,
                0,
                "graded",
            )
        )
        items = {
            i: {"points": float(s), "max_points": 1.0, "status": "correct" if s else "incorrect"}
            for i in ids
            for s in (rng.random() < 0.6,)
        }
        total = sum(v["points"] for v in items.values())
        results.append((sitting_id, school.org_id, uuid.UUID(exam_id), total, float(ITEMS), items))
    async with svc.pool.acquire() as conn:
        await conn.copy_records_to_table(
            "users",
            records=users,
            columns=["id", "org_id", "username", "display_name", "role", "password_hash"],
        )
        await conn.copy_records_to_table(
            "sittings",
            records=sittings,
            columns=["id", "org_id", "exam_id", "exam_version_id", "student_id", "shard", "state"],
        )
        await conn.copy_records_to_table(
            "results",
            records=results,
            columns=["sitting_id", "org_id", "exam_id", "points", "max_points", "items"],
        )
    return str(exam_id)


async def test_probes_answer_at_once_while_statistics_of_a_large_exam_run(
    api: Api, svc: Services, school: School, live_server: LiveServer, http: httpx.AsyncClient
) -> None:
    exam_id = await _large_exam(api, svc, school)
    small = (await api.exam(school.teacher))["id"]
    computed = _metric("ujian_statistics_computed_total")
    server_cpu: CpuJobs = live_server.services.cpu
    headers = await bearer(http, school.teacher)
    job = asyncio.ensure_future(http.get(f"/v1/exams/{exam_id}/statistics", headers=headers))
    # wait until the job is in its lane (or, with the job on the event loop, has finished)
    deadline = time.monotonic() + 60
    while server_cpu.admitted("statistics") == 0 and not job.done():
        assert time.monotonic() < deadline
        await asyncio.sleep(0.001)
    slowest = 0.0
    for _ in range(5):
        started = time.perf_counter()
        r = await http.get("/health/live")
        slowest = max(slowest, time.perf_counter() - started)
        assert r.status_code == 200
    assert slowest < 0.1, f"/health/live took {slowest * 1000:.0f} ms during the job"
    # the probes ran while the job did
    assert server_cpu.admitted("statistics") == 1 and not job.done()

    # the same figures asked for again meanwhile: the request joins the job under way
    again = asyncio.ensure_future(http.get(f"/v1/exams/{exam_id}/statistics", headers=headers))
    # the lane is bounded: with room for one statistics job, another exam's is refused at once
    server_cpu.limit("statistics", 1)
    try:
        r = await http.get(f"/v1/exams/{small}/statistics", headers=headers)
    finally:
        server_cpu.limit("statistics", 8)
    assert r.status_code == 503 and r.json()["code"] == "busy", r.text
    assert int(r.headers["retry-after"]) > 0

    r = await job
    assert r.status_code == 200, r.text
    assert r.json()["sittings"] == SITTINGS and len(r.json()["items"]) == ITEMS
    assert (await again).json() == r.json()
    assert _metric("ujian_statistics_computed_total") == computed + 1


async def test_a_full_lane_refuses_requests_and_queues_background_work() -> None:
    cpu = CpuJobs(grading_workers=0, analysis_workers=1)
    cpu.limit("forensics", 1)
    try:
        first = asyncio.ensure_future(cpu.run("forensics", sum, range(1000)))
        await asyncio.sleep(0)  # let it be admitted
        assert cpu.admitted("forensics") == 1
        refused = _metric("ujian_cpu_jobs_refused_total", job_class="forensics")
        with pytest.raises(DomainError) as busy:
            await cpu.run("forensics", sum, range(10))
        assert busy.value.status == 503 and busy.value.code == "busy"
        assert busy.value.headers and "Retry-After" in busy.value.headers
        assert _metric("ujian_cpu_jobs_refused_total", job_class="forensics") == refused + 1
        waiting = asyncio.ensure_future(cpu.run("forensics", sum, range(10), wait=True))
        assert await first == sum(range(1000))
        assert await waiting == 45
        assert cpu.admitted("forensics") == 0
    finally:
        cpu.close()


async def test_instant_grading_scores_in_the_grading_lane(api: Api, school: School) -> None:
    exam = await api.exam(school.teacher)
    done = _metric("ujian_cpu_jobs_done_total", job_class="grading")
    sitting = await api.start(school.students[1], exam["id"])
    paper = await api.paper(school.students[1], sitting["id"])
    right = {a["kind"]: a for a in RIGHT_ANSWERS}
    items = [i for s in paper["sections"] for i in s["items"]]
    r = await api.answer(
        school.students[1],
        sitting["id"],
        [
            {"seq": n + 1, "item": item["id"], "response": right[item["kind"]]}
            for n, item in enumerate(items)
        ],
    )
    assert r.status_code == 200, r.text
    r = await api.call("POST", f"/v1/sittings/{sitting['id']}/submit", school.students[1])
    assert r.status_code == 200 and r.json()["state"] == "graded", r.text
    assert r.json()["result"]["points"] == 4.0
    assert _metric("ujian_cpu_jobs_done_total", job_class="grading") == done + 1


async def test_a_runaway_job_is_stopped_at_its_time_limit_and_its_lane_starts_afresh() -> None:
    """A job past its class's time limit is stopped (its worker process ended, a problem
    raised) instead of holding the lane for good; the next job gets a fresh worker."""
    jobs = CpuJobs(grading_workers=0, analysis_workers=1)
    jobs.time_limits_s["forensics"] = 1.0
    await jobs.warm()
    try:
        worker = await jobs.run("statistics", os.getpid)
        with pytest.raises(DomainError) as stopped:
            await jobs.run("forensics", time.sleep, 3600)
        assert (stopped.value.status, stopped.value.code) == (503, "job_time_limit")
        await poll_until(lambda: not _alive(worker), 10)
        fresh = await jobs.run("statistics", os.getpid)
        assert fresh != worker and _alive(fresh)
        assert await jobs.run("statistics", pow, 2, 10) == 1024
    finally:
        jobs.close()


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"
