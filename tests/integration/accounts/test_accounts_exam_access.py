"""Who sits what: class assignment, per-student overrides, and exam cards (CSV, PDF, sign-in
valid only for that exam and its window)."""

from __future__ import annotations

import csv
import io
import uuid

from engine.services import Services
from tests.integration.accounts.conftest import Tenants
from tests.integration.conftest import PASSWORD, Api


async def _class_with_student(api: Api, tenants: Tenants, name: str) -> tuple[str, str]:
    admin = tenants.a.users["school_admin"]
    r = await api.call("POST", f"/v1/orgs/{tenants.a.school}/classes", admin, json={"name": name})
    class_id = r.json()["id"]
    username = f"s-{uuid.uuid4().hex[:10]}"
    r = await api.call(
        "POST",
        f"/v1/orgs/{tenants.a.school}/users",
        admin,
        json={
            "username": username,
            "display_name": username,
            "role": "student",
            "password": PASSWORD,
            "class_id": class_id,
            "national_id": f"{uuid.uuid4().int % 10**10:010d}",
        },
    )
    assert r.status_code == 201, r.text
    return class_id, username


async def test_class_assignment_and_overrides(api: Api, svc: Services, tenants: Tenants) -> None:
    teacher = tenants.a.users["teacher"]
    exam = await api.exam(teacher, limit_s=3600, closes_in_s=7200)
    class_a, in_class = await _class_with_student(api, tenants, f"X{uuid.uuid4().hex[:4]}")
    _, outside = await _class_with_student(api, tenants, f"Y{uuid.uuid4().hex[:4]}")
    r = await api.call(
        "POST", f"/v1/exams/{exam['id']}/classes", teacher, json={"class_ids": [class_a]}
    )
    assert r.status_code == 200 and r.json()["class_ids"] == [class_a]
    mine = await api.call("GET", "/v1/me/exams", in_class)
    assert exam["id"] in [e["id"] for e in mine.json()]
    theirs = await api.call("GET", "/v1/me/exams", outside)
    assert exam["id"] not in [e["id"] for e in theirs.json()]
    # the exam list shows exactly the same
    listed = await api.call("GET", "/v1/exams", in_class)
    assert exam["id"] in [e["id"] for e in listed.json()]
    listed = await api.call("GET", "/v1/exams", outside)
    assert exam["id"] not in [e["id"] for e in listed.json()]
    r = await api.call("POST", f"/v1/exams/{exam['id']}/sittings", outside)
    assert r.status_code == 404
    # an override: 10 minutes plus 1 of extra time, for this student only
    async with svc.pool.acquire() as conn:
        student_id = await conn.fetchval("SELECT id FROM users WHERE username = $1", in_class)
    r = await api.call(
        "PUT",
        f"/v1/exams/{exam['id']}/overrides/{student_id}",
        teacher,
        json={"time_limit_s": 600, "extra_time_s": 60},
    )
    assert r.status_code == 200, r.text
    r = await api.call("GET", "/v1/me/exams", in_class)
    [mine_now] = [e for e in r.json() if e["id"] == exam["id"]]
    assert (mine_now["time_limit_s"], mine_now["extra_time_s"]) == (600, 60)
    sitting = await api.start(in_class, exam["id"])
    keys = svc.keys_for(sitting["id"])
    started, deadline = await svc.redis.hmget(keys.session, "started", "deadline")
    assert int(deadline) - int(started) == 660_000
    # the other school's teacher cannot touch any of it
    other = tenants.b.users["teacher"]
    r = await api.call(
        "PUT", f"/v1/exams/{exam['id']}/overrides/{student_id}", other, json={"extra_time_s": 9999}
    )
    assert r.status_code == 404


async def test_exam_cards_open_one_exam_in_its_window(api: Api, tenants: Tenants) -> None:
    teacher = tenants.a.users["teacher"]
    exam = await api.exam(teacher)
    later = await api.exam(teacher, opens_in_s=4 * 3600, closes_in_s=5 * 3600)
    r = await api.call("POST", f"/v1/exams/{exam['id']}/cards?format=pdf", teacher)
    assert r.status_code == 200 and r.content.startswith(b"%PDF")
    r = await api.call(
        "POST",
        f"/v1/exams/{exam['id']}/cards",
        teacher,
        params={"class_id": str(tenants.a.class_id)},
    )
    assert r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert rows and all(row["class"] == "9A" for row in rows)
    code = next(row["code"] for row in rows if row["username"] == tenants.a.users["student"])
    r = await api.client.post("/v1/auth/card", json={"code": code.lower().replace("-", " ")})
    assert r.status_code == 201, r.text
    assert r.json()["exam_id"] == exam["id"] and r.json()["refresh_token"] is None
    card = {"Authorization": f"Bearer {r.json()['access_token']}"}
    assert (await api.client.get("/v1/me", headers=card)).status_code == 200
    r = await api.client.get("/v1/me/exams", headers=card)
    assert [e["id"] for e in r.json()] == [exam["id"]]
    assert (
        await api.client.post(f"/v1/exams/{exam['id']}/sittings", headers=card)
    ).status_code == 200
    for method, path in (
        ("POST", f"/v1/exams/{later['id']}/sittings"),
        ("GET", "/v1/exams"),
        ("POST", "/v1/me/password"),
    ):
        r = await api.client.request(method, path, headers=card, json={})
        assert r.status_code == 403, (path, r.text)
    # a card of an exam whose window is hours away does not sign in yet
    r = await api.call("POST", f"/v1/exams/{later['id']}/cards", teacher)
    code = next(iter(csv.DictReader(io.StringIO(r.text))))["code"]
    r = await api.client.post("/v1/auth/card", json={"code": code})
    assert r.status_code == 403 and r.json()["code"] == "card_not_valid_now"
    r = await api.client.post("/v1/auth/card", json={"code": "2222-3333-4444"})
    assert r.status_code == 401 and r.json()["code"] == "invalid_card"
    # issuing again replaces the card
    old = code
    r = await api.call("POST", f"/v1/exams/{exam['id']}/cards", teacher)
    codes = {row["username"]: row["code"] for row in csv.DictReader(io.StringIO(r.text))}
    assert old not in codes.values()
