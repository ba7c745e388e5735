"""Bad input and forbidden moves get a problem document with a stable code; nothing changes."""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
from litestar.testing import AsyncTestClient

from engine.app import create_app
from engine.services import Services
from engine.settings import Settings
from tests.integration.conftest import Api, School


def _problem(r: Any, status: int, code: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = r.json()
    assert body["code"] == code and body["status"] == status and body["title"]
    return body


async def test_malformed_and_invalid_bodies(api: Api, school: School) -> None:
    headers = {**await api.headers(school.teacher), "content-type": "application/json"}
    r = await api.client.post("/v1/items", content=b'{"kind": "single_choice",', headers=headers)
    _problem(r, 400, "validation_failed")
    r = await api.client.post("/v1/items", content=b"\xff\xfe not utf-8", headers=headers)
    _problem(r, 400, "validation_failed")
    r = await api.call("POST", "/v1/items", school.teacher, json={"kind": "hotspot", "stem": "x"})
    _problem(r, 400, "validation_failed")
    # decodes, but the key is no option
    r = await api.call(
        "POST",
        "/v1/items",
        school.teacher,
        json={
            "kind": "single_choice",
            "stem": "?",
            "correct": "z",
            "options": [{"id": "a", "text": "1"}, {"id": "b", "text": "2"}],
        },
    )
    body = _problem(r, 400, "validation_failed")
    assert body["errors"][0]["field"] == "correct"


async def test_oversized_body_is_refused(api: Api, school: School) -> None:
    r = await api.call(
        "POST",
        "/v1/items",
        school.teacher,
        json={"kind": "short_text", "stem": "x" * 300_000, "accepted": ["a"]},
    )
    _problem(r, 413, "payload_too_large")


async def test_unauthenticated_and_wrong_role(api: Api, school: School) -> None:
    r = await api.client.get("/v1/exams")
    _problem(r, 401, "unauthorized")
    r = await api.client.get("/v1/exams", headers={"Authorization": "Bearer not.a.token"})
    _problem(r, 401, "unauthorized")
    r = await api.client.post(
        "/v1/auth/token", json={"username": school.teacher, "password": "wrong"}
    )
    _problem(r, 401, "invalid_credentials")
    r = await api.call(
        "POST", "/v1/items", school.students[0], json={"kind": "numeric", "stem": "1+1", "value": 2}
    )
    _problem(r, 403, "forbidden")


async def test_window_rules(api: Api, school: School) -> None:
    future = await api.exam(school.teacher, opens_in_s=3600, closes_in_s=7200)
    r = await api.call("POST", f"/v1/exams/{future['id']}/sittings", school.students[0])
    _problem(r, 409, "exam_not_open")
    draft = await api.exam(school.teacher, publish=False)
    r = await api.call("POST", f"/v1/exams/{draft['id']}/sittings", school.students[0])
    _problem(r, 404, "not_found")
    published = await api.exam(school.teacher)
    r = await api.call("POST", f"/v1/exams/{published['id']}/publish", school.teacher)
    _problem(r, 409, "already_published")


async def test_other_school_sees_nothing(api: Api, school: School) -> None:
    exam = await api.exam(school.teacher)
    sitting = await api.start(school.students[0], exam["id"])
    r = await api.call("POST", f"/v1/exams/{exam['id']}/sittings", school.other_student)
    _problem(r, 404, "not_found")
    for user in (school.other_student, school.students[1]):
        r = await api.call("GET", f"/v1/sittings/{sitting['id']}/paper", user)
        _problem(r, 404, "not_found")
        # an item id that is not on the paper: still "no such sitting", so a stranger cannot
        # tell which item ids the paper holds
        r = await api.answer(user, sitting["id"], [{"seq": 1, "item": "x", "response": None}])
        _problem(r, 404, "not_found")
    r = await api.call("GET", f"/v1/exams/{exam['id']}", school.other_teacher)
    _problem(r, 404, "not_found")
    r = await api.call("GET", f"/v1/sittings/{sitting['id']}/result", school.other_teacher)
    _problem(r, 404, "not_found")


async def test_bad_answer_batches_store_nothing(api: Api, school: School, svc: Services) -> None:
    exam = await api.exam(school.teacher)
    student = school.students[1]
    sitting = await api.start(student, exam["id"])
    paper = await api.paper(student, sitting["id"])
    item = paper["sections"][0]["items"][0]
    good = {"seq": 1, "item": item["id"], "response": None}
    bad_batches: list[Any] = [
        [{**good, "item": "no-such-item"}],
        [good, {**good, "seq": 2, "response": {"kind": "essay", "text": "x"}}],
        [{**good, "seq": 0}],
        [{**good, "seq": -5}],
        [{**good, "extra": 1}],
        [],
        [good] * 501,
    ]
    for events in bad_batches:
        r = await api.answer(student, sitting["id"], events)
        _problem(r, 400, "validation_failed")
    # a response of the wrong kind for this item
    wrong_kind = "numeric" if item["kind"] != "numeric" else "short_text"
    r = await api.answer(
        student,
        sitting["id"],
        [{**good, "response": {"kind": wrong_kind, "value": 1, "text": "x"}}],
    )
    assert r.status_code == 400
    answers = await svc.store.latest_answers(uuid.UUID(sitting["id"]))
    assert answers == {}
    assert (await api.paper(student, sitting["id"]))["last_seq"] == 0


async def test_paper_served_to_students_has_no_keys(api: Api, school: School) -> None:
    exam = await api.exam(school.teacher)
    sitting = await api.start(school.students[2], exam["id"])
    r = await api.call("GET", f"/v1/sittings/{sitting['id']}/paper", school.students[2])
    assert r.status_code == 200
    for forbidden_field in (
        b'"correct"',
        b'"accepted"',
        b'"value"',
        b'"absolute_tolerance"',
        b"Soekarno",
        b"3.14",
    ):
        assert forbidden_field not in r.content


async def test_health_and_docs(api: Api) -> None:
    assert (await api.client.get("/health/live")).json()["status"] == "ok"
    ready = await api.client.get("/health/ready")
    assert ready.status_code == 200 and ready.json()["checks"] == {"postgres": "ok", "redis": "ok"}
    r = await api.client.get("/schema/openapi.json")
    assert r.status_code == 200, r.text[:300]
    schema = r.json()
    assert "/v1/sittings/{sitting_id}/answers" in schema["paths"]


async def test_an_unreachable_redis_is_a_503_to_retry(
    api: Api, school: School, settings: Settings
) -> None:
    """Redis down (restarting, failing over): the client is told to retry, with Retry-After,
    instead of a 500; the database still answers what needs only the database."""
    dead = msgspec.structs.replace(settings, redis_url="redis://127.0.0.1:1/0")
    headers = await api.headers(school.students[0])
    async with AsyncTestClient(app=create_app(dead)) as client:
        for method, path, body in (
            ("GET", f"/v1/sittings/{uuid.uuid4()}/timer", None),
            (
                "POST",
                f"/v1/sittings/{uuid.uuid4()}/answers",
                {"events": [{"seq": 1, "item": "q1", "response": None}]},
            ),
        ):
            r = await client.request(method, path, headers=headers, json=body)
            _problem(r, 503, "service_unavailable")
            assert r.headers["retry-after"] == "1"
        r = await client.get("/v1/exams", headers=headers)
        assert r.status_code == 200


async def test_problems_follow_the_readers_language(api: Api, school: School) -> None:
    """The pages send their language; the problem's code stays, its words follow."""
    missing = f"/v1/sittings/{uuid.uuid4()}/timer"
    headers = await api.headers(school.students[0])
    r = await api.client.get(missing, headers={**headers, "Accept-Language": "id-ID,id;q=0.9"})
    body = _problem(r, 404, "not_found")
    assert body["title"] == "Tidak ditemukan"
    assert r.headers["content-language"] == "id"
    r = await api.client.get(missing, headers={**headers, "Accept-Language": "en, id;q=0.5"})
    body = _problem(r, 404, "not_found")
    assert body["title"] == "Not found" and r.headers["content-language"] == "en"
    r = await api.client.post(
        "/v1/auth/token",
        json={"username": school.students[0], "password": "not the password"},
        headers={"Accept-Language": "id"},
    )
    body = _problem(r, 401, "invalid_credentials")
    assert body["title"] == "Nama pengguna atau kata sandi salah"
