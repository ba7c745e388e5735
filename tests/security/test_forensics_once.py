"""One forensics run per exam at a time: concurrent requests start one run, the others are
answered ``409 forensics_running`` with that run's id; once it ends, a new one may start."""

from __future__ import annotations

import asyncio
import uuid

import httpx

from engine.integrity.scheduler import wait_for_forensics
from engine.services import Services
from tests.integration import conftest as integration
from tests.integration.conftest import RIGHT_ANSWERS, Api, School
from tests.security import threaded_server as served
from tests.security.threaded_server import LiveServer, bearer

settings, svc, client, school = (
    integration.settings,
    integration.svc,
    integration.client,
    integration.school,
)
api = integration.api
live_server, http = served.live_server, served.http

CONCURRENT = 8


async def _sat_exam(api: Api, school: School) -> str:
    exam = await api.exam(school.teacher)
    right = {a["kind"]: a for a in RIGHT_ANSWERS}
    for student in school.students[:3]:
        sitting = await api.start(student, exam["id"])
        paper = await api.paper(student, sitting["id"])
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
        assert r.status_code == 200, r.text
    exam_id: str = exam["id"]
    return exam_id


async def _runs(svc: Services, exam_id: str) -> int:
    async with svc.pool.acquire() as conn:
        count: int = await conn.fetchval(
            "SELECT count(*) FROM integrity_runs WHERE exam_id = $1", uuid.UUID(exam_id)
        )
    return count


async def test_concurrent_requests_start_one_forensics_run(
    api: Api, svc: Services, school: School, live_server: LiveServer, http: httpx.AsyncClient
) -> None:
    exam_id = await _sat_exam(api, school)
    headers = await bearer(http, school.teacher)
    replies = await asyncio.gather(
        *(http.post(f"/v1/exams/{exam_id}/forensics", headers=headers) for _ in range(CONCURRENT))
    )
    accepted = [r for r in replies if r.status_code == 202]
    refused = [r for r in replies if r.status_code != 202]
    assert len(accepted) == 1, [r.text for r in replies]
    run_id = accepted[0].json()["id"]
    for r in refused:
        assert r.status_code == 409 and r.json()["code"] == "forensics_running", r.text
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["extra"]["run_id"] == run_id
    assert await _runs(svc, exam_id) == 1

    # the run ends and releases the exam: the next request starts a new run
    await asyncio.wrap_future(
        asyncio.run_coroutine_threadsafe(wait_for_forensics(), live_server.loop)
    )
    r = await http.get(f"/v1/exams/{exam_id}/forensics", headers=headers)
    assert r.status_code == 200 and r.json()["status"] == "done", r.text
    r = await http.post(f"/v1/exams/{exam_id}/forensics", headers=headers)
    assert r.status_code == 202, r.text
    assert r.json()["id"] != run_id
    assert await _runs(svc, exam_id) == 2
