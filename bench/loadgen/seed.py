"""Seeding a load run: a school with N students (straight into PostgreSQL: there is no
sign-up API), then the WORKLOAD exam created, published and assigned through the API."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import msgspec

from engine.auth.passwords import hash_password

from .client import Api
from .workload import EXAM_MINUTES, section_split, workload_items

PASSWORD = "load-test-password"


class Plan(msgspec.Struct, frozen=True):
    """What a run needs to know; written to a file so Locust or a later run can reuse it."""

    exam_id: str
    students: list[str]
    password: str
    teacher: str
    tag: str


class SeedError(RuntimeError):
    pass


async def seed_users(dsn: str, students: int, tag: str) -> tuple[str, list[str]]:
    """A school, its teacher and ``students`` students sharing one password hash."""
    password_hash = hash_password(PASSWORD)  # hashed once: argon2 is slow by design
    org = uuid.uuid4()
    teacher = f"lt-{tag}-teacher"
    names = [f"lt-{tag}-{n:06d}" for n in range(students)]
    conn = await asyncpg.connect(dsn)
    try:
        async with conn.transaction():
            await conn.execute(
                "INSERT INTO orgs (id, name, kind) VALUES ($1, $2, 'school')",
                org,
                f"Load test school {tag}",
            )
            rows = [(uuid.uuid4(), org, name, name, "student", password_hash) for name in names]
            rows.append((uuid.uuid4(), org, teacher, teacher, "teacher", password_hash))
            await conn.copy_records_to_table(
                "users",
                records=rows,
                columns=["id", "org_id", "username", "display_name", "role", "password_hash"],
            )
    finally:
        await conn.close()
    return teacher, names


async def _must(
    api: Api, endpoint: str, method: str, path: str, token: str, body: object = None
) -> dict[str, object]:
    reply = await api.call(endpoint, method, path, token=token, body=body)
    if not reply.ok:
        raise SeedError(f"{method} {path} failed: {reply.status} {reply.body[:300]!r}")
    result: dict[str, object] = reply.json()
    return result


async def sign_in(api: Api, username: str, password: str) -> str:
    reply = await api.call(
        "sign_in", "POST", "/v1/auth/token", body={"username": username, "password": password}
    )
    if not reply.ok:
        raise SeedError(f"sign-in of {username} failed: {reply.status} {reply.body[:200]!r}")
    token: str = reply.json()["access_token"]
    return token


async def seed_exam(api: Api, teacher: str, *, time_limit_s: int = EXAM_MINUTES * 60) -> str:
    """Create the 150-item exam as the teacher, publish it and assign it to the school."""
    token = await sign_in(api, teacher, PASSWORD)
    ids = []
    for item in workload_items():
        created = await _must(api, "seed", "POST", "/v1/items", token, item)
        ids.append(str(created["id"]))
    now = datetime.now(UTC)
    exam = await _must(
        api,
        "seed",
        "POST",
        "/v1/exams",
        token,
        {
            "title": "Try-out nasional (load test)",
            "sections": section_split(ids),
            "time_limit_s": time_limit_s,
            "window_open": (now - timedelta(minutes=1)).isoformat(),
            "window_close": (now + timedelta(seconds=time_limit_s, hours=1)).isoformat(),
            "grace_s": 30,
            "instant_results": True,
        },
    )
    exam_id = str(exam["id"])
    await _must(api, "seed", "POST", f"/v1/exams/{exam_id}/publish", token)
    await _must(
        api,
        "seed",
        "POST",
        f"/v1/exams/{exam_id}/assignments",
        token,
        {"org_ids": [str(exam["org_id"])]},
    )
    return exam_id


async def seed(api: Api, dsn: str, students: int, *, time_limit_s: int = EXAM_MINUTES * 60) -> Plan:
    tag = uuid.uuid4().hex[:8]
    teacher, names = await seed_users(dsn, students, tag)
    exam_id = await seed_exam(api, teacher, time_limit_s=time_limit_s)
    return Plan(exam_id=exam_id, students=names, password=PASSWORD, teacher=teacher, tag=tag)


async def issue_cards(api: Api, plan: Plan) -> list[str]:
    """Every seeded student's exam card code for the plan's exam, issued by its teacher (the CSV
    a school prints), in the order of ``plan.students``."""
    token = await sign_in(api, plan.teacher, plan.password)
    reply = await api.call("seed", "POST", f"/v1/exams/{plan.exam_id}/cards", token=token)
    if not reply.ok:
        raise SeedError(f"exam cards failed: {reply.status} {reply.body[:300]!r}")
    rows = csv.DictReader(io.StringIO(reply.body.decode("utf-8")))
    code_of = {row["username"]: row["code"] for row in rows}
    return [code_of[name] for name in plan.students]
