"""A submit at the deadline burst is its state change only: past the few submits a process
grades in their request, the grader's stream grades the rest in bulk and the result says it is
on its way (``result_pending``) until it is there."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import msgspec
import pytest
from litestar.testing import AsyncTestClient

from engine.app import create_app, open_services
from engine.services import Services
from engine.settings import Settings
from engine.workers.runner import Workers
from tests.integration.conftest import RIGHT_ANSWERS, Api, School

STEMS = ["2 + 2 = ?", "Even numbers?", "π to two decimals", "First president of Indonesia"]


@pytest.fixture(scope="module")
def deferring(settings: Settings) -> Settings:
    # no submit graded in its request: every one goes the burst's way
    return msgspec.structs.replace(settings, instant_grading_in_request=0)


@pytest.fixture(scope="module")
async def dsvc(deferring: Settings) -> AsyncIterator[Services]:
    async with open_services(deferring) as services:
        yield services


@pytest.fixture(scope="module")
async def dapi(deferring: Settings) -> AsyncIterator[Api]:
    async with AsyncTestClient(app=create_app(deferring)) as client:
        yield Api(client)


async def _grade_pending(svc: Services) -> int:
    """Run the consumers (the grader among them) until the streams are drained."""
    total = 0
    for consumer in Workers(svc).consumers():
        await consumer.ensure_group()
        consumer.block_ms = 10
        while (n := await consumer.run_once()) > 0:
            total += n
    return total


async def _answer_all_right(api: Api, student: str, sitting_id: str) -> None:
    paper = await api.paper(student, sitting_id)
    by_stem = {i["stem"]: i["id"] for s in paper["sections"] for i in s["items"]}
    events = [
        {"seq": n + 1, "item": by_stem[stem], "response": response}
        for n, (stem, response) in enumerate(zip(STEMS, RIGHT_ANSWERS, strict=True))
    ]
    assert (await api.answer(student, sitting_id, events)).status_code == 200


async def test_a_deferred_submit_is_graded_by_the_stream_and_its_result_follows(
    dapi: Api, dsvc: Services, school: School
) -> None:
    exam = await dapi.exam(school.teacher, instant=True)
    students = school.students[:3]
    sittings = [await dapi.start(s, exam["id"]) for s in students]
    for student, sitting in zip(students, sittings, strict=True):
        await _answer_all_right(dapi, student, sitting["id"])

    replies = await asyncio.gather(
        *(
            dapi.call("POST", f"/v1/sittings/{sitting['id']}/submit", student)
            for student, sitting in zip(students, sittings, strict=True)
        )
    )
    for r in replies:
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        assert body["state"] == "submitted" and body["result"] is None
        assert body["result_pending"] is True
    first = sittings[0]["id"]
    r = await dapi.call("GET", f"/v1/sittings/{first}/result", students[0])
    assert r.status_code == 200 and r.json()["result_pending"] is True

    assert await _grade_pending(dsvc) >= len(sittings)
    for student, sitting in zip(students, sittings, strict=True):
        r = await dapi.call("GET", f"/v1/sittings/{sitting['id']}/result", student)
        assert r.status_code == 200, r.text
        view = r.json()
        assert view["state"] == "graded" and view["result_pending"] is False
        assert view["result"]["points"] == 4.0
    # a submit again after grading: the result at once, nothing pending
    r = await dapi.call("POST", f"/v1/sittings/{first}/submit", students[0])
    assert r.json()["result"]["points"] == 4.0 and r.json()["result_pending"] is False
    async with dsvc.pool.acquire() as conn:
        graded = await conn.fetchval(
            "SELECT count(*) FROM results WHERE sitting_id = ANY($1::uuid[])",
            [uuid.UUID(s["id"]) for s in sittings],
        )
    assert graded == len(sittings)


async def test_without_instant_results_nothing_is_pending(
    dapi: Api, dsvc: Services, school: School
) -> None:
    exam = await dapi.exam(school.teacher, instant=False)
    student = school.students[3]
    sitting = await dapi.start(student, exam["id"])
    r = await dapi.call("POST", f"/v1/sittings/{sitting['id']}/submit", student)
    assert r.status_code == 200 and r.json()["state"] == "submitted"
    assert r.json()["result_pending"] is False
    r = await dapi.call("GET", f"/v1/sittings/{sitting['id']}/result", student)
    assert r.status_code == 200 and r.json()["result_pending"] is False


async def test_a_quiet_submit_is_still_graded_in_its_request(api: Api, school: School) -> None:
    exam = await api.exam(school.teacher, instant=True)
    student = school.students[4]
    sitting = await api.start(student, exam["id"])
    await _answer_all_right(api, student, sitting["id"])
    r = await api.call("POST", f"/v1/sittings/{sitting['id']}/submit", student)
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "graded" and r.json()["result"]["points"] == 4.0
    assert r.json()["result_pending"] is False
