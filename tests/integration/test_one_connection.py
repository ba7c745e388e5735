"""Every request finishes on a pool of one database connection.

A handler that holds a connection while it asks the pool for a second one deadlocks the whole
API once every connection is held by such a request: sign-in did, when a school of a thousand
signed in at once and each sign-in waited for its second connection (the time zone). On a pool
of one the same mistake hangs the first request that makes it, so this walks the sitting flow
and then every GET route of the API on one connection, each request under a time limit.
"""

from __future__ import annotations

import asyncio
import csv
import io
import re
import uuid
from collections.abc import AsyncIterator, Awaitable
from typing import Any, TypeVar

import httpx
import msgspec
import pytest

from engine.app import create_app
from engine.settings import Settings
from tests.integration.conftest import PASSWORD, RIGHT_ANSWERS, Api, School
from tests.security.concurrent_app import concurrent_client

# far above what one request takes on one connection, far below the suite's timeout
ANSWER_WITHIN_S = 20
PATH_PARAM = re.compile(r"{(\w+)(?::\w+)?}")
T = TypeVar("T")
RIGHT_ANSWERS_BY_KIND: dict[str, Any] = {str(a["kind"]): a for a in RIGHT_ANSWERS}


@pytest.fixture(scope="module")
async def one_connection(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    single = msgspec.structs.replace(settings, db_pool_min=1, db_pool_max=1)
    async with concurrent_client(single) as client:
        yield client


async def _within_limit(call: Awaitable[T], what: str) -> T:
    try:
        return await asyncio.wait_for(call, ANSWER_WITHIN_S)
    except TimeoutError:
        pytest.fail(f"{what} did not answer on a pool of one connection: a nested acquire?")


async def test_the_sitting_flow_runs_on_one_connection(
    one_connection: httpx.AsyncClient, school: School
) -> None:
    api = Api(one_connection)
    exam = await _within_limit(api.exam(school.teacher), "creating an exam")
    students = school.students[:4]
    # students sign in and start at once: each request's connection comes back before the next
    sittings = await _within_limit(
        asyncio.gather(*(api.start(s, exam["id"]) for s in students)),
        "four students starting at once",
    )
    for student, sitting in zip(students, sittings, strict=True):
        paper = await _within_limit(api.paper(student, sitting["id"]), "the paper")
        items = [item for section in paper["sections"] for item in section["items"]]
        events = [
            {"seq": n + 1, "item": item["id"], "response": RIGHT_ANSWERS_BY_KIND[answer]}
            for n, item in enumerate(items)
            for answer in RIGHT_ANSWERS_BY_KIND
            if answer == item["kind"]
        ]
        r = await _within_limit(api.answer(student, sitting["id"], events), "saving answers")
        assert r.status_code == 200, r.text
    submitted = await _within_limit(
        asyncio.gather(
            *(
                api.call("POST", f"/v1/sittings/{s['id']}/submit", student)
                for student, s in zip(students, sittings, strict=True)
            )
        ),
        "four submits at once",
    )
    # graded in the request, or (past the few a process grades at once,
    # instant_grading_in_request) acknowledged with the result on its way
    for r in submitted:
        body = r.json()
        assert (body["state"], body["result_pending"]) in (("graded", False), ("submitted", True))
    assert any(r.json()["state"] == "graded" for r in submitted)
    # a refresh and an exam card sign in on the same one connection
    r = await _within_limit(
        one_connection.post(
            "/v1/auth/token", json={"username": school.students[4], "password": PASSWORD}
        ),
        "a password sign-in",
    )
    assert r.status_code == 201, r.text
    r = await _within_limit(
        one_connection.post("/v1/auth/refresh", json={"refresh_token": r.json()["refresh_token"]}),
        "a refresh",
    )
    assert r.status_code == 200, r.text
    r = await _within_limit(
        api.call("POST", f"/v1/exams/{exam['id']}/cards", school.teacher), "cards"
    )
    assert r.status_code == 200, r.text
    code = next(row["code"] for row in csv.DictReader(io.StringIO(r.text)))
    r = await _within_limit(one_connection.post("/v1/auth/card", json={"code": code}), "a card")
    assert r.status_code == 201, r.text
    assert r.json()["time_zone"] == "Asia/Jakarta"


async def test_every_get_route_answers_on_one_connection(
    one_connection: httpx.AsyncClient, settings: Settings, school: School
) -> None:
    api = Api(one_connection)
    exam = await _within_limit(api.exam(school.teacher), "creating an exam")
    student = school.students[5]
    sitting = await _within_limit(api.start(student, exam["id"]), "a start")
    paper = await _within_limit(api.paper(student, sitting["id"]), "the paper")
    item_id = paper["sections"][0]["items"][0]["id"]
    known = {
        "exam_id": exam["id"],
        "sitting_id": sitting["id"],
        "item_id": item_id,
        "org_id": str(school.org_id),
    }
    routes = sorted(
        {
            route.path
            for route in create_app(settings).routes
            for handler in getattr(route, "route_handlers", [])
            if "GET" in handler.http_methods and "{path" not in route.path
        }
    )
    assert len(routes) > 40, routes
    answered = 0
    for path in routes:
        url = PATH_PARAM.sub(lambda m: known.get(m.group(1), str(uuid.uuid4())), path)
        for user in (school.teacher, student):
            r = await _within_limit(api.call("GET", url, user), f"GET {path} as {user}")
            assert r.status_code < 500, (path, r.status_code, r.text)
            answered += 1
    assert answered == 2 * len(routes)
