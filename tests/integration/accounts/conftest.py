"""Two organisers, each with a school: every role in school A (and an admin of A's organiser),
and the same set of things (class, student, exam, sitting) in A and in B, to prove isolation."""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
import pytest
from litestar.testing import AsyncTestClient

from engine.auth.passwords import hash_password
from engine.services import Services
from tests.integration.conftest import PASSWORD, Api

ROLE_NAMES = ("admin", "school_admin", "teacher", "proctor", "student")


class Side(msgspec.Struct):
    organiser: uuid.UUID
    school: uuid.UUID
    users: dict[str, str]  # role -> username
    user_ids: dict[str, uuid.UUID]
    class_id: uuid.UUID
    exam_id: str = ""
    sitting_id: str = ""


class Tenants(msgspec.Struct):
    a: Side
    b: Side
    tag: str


async def _side(conn: Any, tag: str, name: str, password_hash: str) -> Side:
    organiser, school, class_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    await conn.execute(
        "INSERT INTO orgs (id, name, kind) VALUES ($1, $2, 'organiser')",
        organiser,
        f"Organiser {name} {tag}",
    )
    await conn.execute(
        "INSERT INTO orgs (id, parent_id, name, kind) VALUES ($1, $2, $3, 'school')",
        school,
        organiser,
        f"School {name} {tag}",
    )
    await conn.execute(
        "INSERT INTO classes (id, org_id, name) VALUES ($1, $2, '9A')", class_id, school
    )
    users, ids = {}, {}
    for role in ROLE_NAMES:
        user_id, username = uuid.uuid4(), f"{role}-{name}-{tag}"
        await conn.execute(
            "INSERT INTO users (id, org_id, username, display_name, role, password_hash, "
            "class_id, national_id) VALUES ($1, $2, $3, $3, $4, $5, $6, $7)",
            user_id,
            organiser if role == "admin" else school,
            username,
            role,
            password_hash,
            class_id if role == "student" else None,
            f"{uuid.uuid4().int % 10**10:010d}" if role == "student" else None,
        )
        users[role], ids[role] = username, user_id
    return Side(organiser, school, users, ids, class_id)


@pytest.fixture(scope="session")
async def tenants(svc: Services, client: AsyncTestClient[Any]) -> Tenants:
    tag = uuid.uuid4().hex[:6]
    password_hash = hash_password(PASSWORD)
    async with svc.pool.acquire() as conn:
        a = await _side(conn, tag, "a", password_hash)
        b = await _side(conn, tag, "b", password_hash)
    api = Api(client)
    for side in (a, b):
        exam = await api.exam(side.users["teacher"])
        side.exam_id = exam["id"]
        side.sitting_id = (await api.start(side.users["student"], exam["id"]))["id"]
    return Tenants(a, b, tag)
