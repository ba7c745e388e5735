"""The pages and the dashboard's endpoints on the real servers: files with their cache headers,
live progress per school and class, the SVG histogram, the exports and one student's answers."""

from __future__ import annotations

import csv
import io
import uuid
from typing import Any

from litestar.testing import AsyncTestClient
from openpyxl import load_workbook

from engine.auth.passwords import hash_password
from engine.services import Services
from tests.integration.conftest import PASSWORD, RIGHT_ANSWERS, Api, School


async def test_pages_and_files_are_public_compressed_and_cached(
    client: AsyncTestClient[Any],
) -> None:
    page = await client.get("/", headers={"accept-encoding": "gzip"})
    assert page.status_code == 200
    assert page.headers["content-encoding"] == "gzip"
    assert page.headers["cache-control"] == "no-cache"
    assert "script-src 'self'" in page.headers["content-security-policy"]
    scripts = [s.split('"')[0] for s in page.text.split('<script src="')[1:]]
    (script,) = [s for s in scripts if s.startswith("/static/student.js?v=")]
    js = await client.get(script)
    assert js.status_code == 200 and "immutable" in js.headers["cache-control"]
    assert js.headers["content-type"].startswith("text/javascript")
    again = await client.get(script, headers={"if-none-match": js.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    unversioned = await client.get("/static/student.js")
    assert unversioned.headers["cache-control"] == "no-cache"
    worker = await client.get("/static/sw.js")
    assert worker.headers["service-worker-allowed"] == "/"
    teacher = await client.get("/teacher")
    assert teacher.status_code == 200 and "teacher.js?v=" in teacher.text
    assert (await client.get("/static/student.html")).status_code == 404
    assert (await client.get("/static/nope.js")).status_code == 404


async def _school(svc: Services) -> tuple[str, list[str]]:
    """A school of our own with two classes (3 + 2 students), so the counts are exact."""
    tag = uuid.uuid4().hex[:6]
    org, classes = uuid.uuid4(), [uuid.uuid4(), uuid.uuid4()]
    password_hash = hash_password(PASSWORD)
    students = [f"pupil-{tag}-{n}" for n in range(5)]
    async with svc.pool.acquire() as conn:
        await conn.execute(
            "INSERT INTO orgs (id, name, kind) VALUES ($1, $2, 'school')", org, f"Progress {tag}"
        )
        for class_id, name in zip(classes, ("7A", "7B"), strict=True):
            await conn.execute(
                "INSERT INTO classes (id, org_id, name) VALUES ($1, $2, $3)", class_id, org, name
            )
        users = [(f"teach-{tag}", "teacher", None)] + [
            (s, "student", classes[0] if n < 3 else classes[1]) for n, s in enumerate(students)
        ]
        for username, role, class_id in users:
            await conn.execute(
                "INSERT INTO users (id, org_id, username, display_name, role, password_hash, "
                "class_id) VALUES ($1, $2, $3, $3, $4, $5, $6)",
                uuid.uuid4(),
                org,
                username,
                role,
                password_hash,
                class_id,
            )
    return f"teach-{tag}", students


async def test_progress_charts_exports_and_review(api: Api, svc: Services, school: School) -> None:
    teacher, s = await _school(svc)
    exam = await api.exam(teacher)
    base = f"/v1/exams/{exam['id']}"
    await api.headers(s[0])  # signs in, never starts
    sittings = {n: (await api.start(s[n], exam["id"]))["id"] for n in (1, 2, 3)}
    paper = await api.paper(s[3], sittings[3])
    right = {a["kind"]: a for a in RIGHT_ANSWERS}
    shown = [i for sec in paper["sections"] for i in sec["items"]]
    items = [i["id"] for i in shown]
    sent = [
        {"seq": n + 1, "item": i["id"], "response": right[i["kind"]]} for n, i in enumerate(shown)
    ]
    assert (await api.answer(s[3], sittings[3], sent)).status_code == 200
    r = await api.call("POST", f"/v1/sittings/{sittings[3]}/submit", s[3])
    assert r.json()["state"] == "graded"
    r = await api.answer(s[2], sittings[2], sent[:1])
    assert r.status_code == 200

    r = await api.call("GET", f"{base}/progress", teacher)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["totals"] == {
        "assigned": 5,
        "signed_in": 4,
        "started": 3,
        "submitted": 1,
        "online_now": 2,
        "graded": 1,
    }
    groups = {g["class_name"]: g for g in body["groups"]}
    assert groups["7A"]["counts"]["started"] == 2 and groups["7A"]["mean_percent"] is None
    assert groups["7B"]["counts"] == {
        "assigned": 2,
        "signed_in": 1,
        "started": 1,
        "submitted": 1,
        "online_now": 0,
        "graded": 1,
    }
    assert groups["7B"]["mean_percent"] == 100.0
    # another school's teacher sees nothing of it
    r = await api.call("GET", f"{base}/progress", school.other_teacher)
    assert r.status_code == 404

    r = await api.call("GET", f"{base}/charts/scores.svg", teacher)
    assert r.status_code == 200 and r.headers["content-type"].startswith("image/svg+xml")
    assert r.text.startswith("<svg") and "<rect" not in r.text  # one graded sitting: no spread

    r = await api.call("GET", f"{base}/exports/results", teacher)
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert sorted(row["username"] for row in rows) == sorted(s[1:4])
    graded = next(row for row in rows if row["username"] == s[3])
    assert graded["state"] == "graded" and float(graded["points"]) == float(len(items))
    r = await api.call("GET", f"{base}/exports/items", teacher, params={"format": "xlsx"})
    assert r.headers["content-disposition"].endswith('.xlsx"')
    sheet = load_workbook(io.BytesIO(r.content)).active
    assert sheet is not None
    table = list(sheet.iter_rows(values_only=True))
    assert table[0][:3] == ("position", "item_id", "section")
    assert sorted(row[1] for row in table[1:]) == sorted(items)
    assert (
        await api.call("GET", f"{base}/exports/items", teacher, params={"format": "pdf"})
    ).status_code == 400

    r = await api.call("GET", f"{base}/sittings/{sittings[3]}/review", teacher)
    review = r.json()
    assert review["username"] == s[3] and review["points"] == float(len(items))
    answered = {i["item_id"]: i["response"] for i in review["items"]}
    assert set(answered) == set(items)
    for event in sent:
        got, want = answered[event["item"]], event["response"]
        if want["kind"] == "multiple_response":  # a set: any order
            got, want = sorted(got["choices"]), sorted(want["choices"])
        assert got == want
    r = await api.call("GET", f"{base}/sittings/{sittings[3]}/review", s[3])
    assert r.status_code == 403
