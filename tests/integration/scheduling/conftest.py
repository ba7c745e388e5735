"""A small national event's world: an organiser with two schools in different time zones (and
another organiser's school, to prove isolation), classes, rooms, and published forms."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
import pytest

from engine.auth.passwords import hash_password
from engine.services import Services
from tests.integration.conftest import PASSWORD, Api


class World(msgspec.Struct):
    tag: str
    organiser: uuid.UUID
    admin: str
    school_a: uuid.UUID  # Asia/Jakarta (WIB), region Jawa
    school_b: uuid.UUID  # Asia/Jayapura (WIT), region Papua
    a_admin: str
    a_teacher: str
    a_proctor: str
    b_admin: str
    class_a1: uuid.UUID
    class_a2: uuid.UUID
    class_b1: uuid.UUID
    a1: list[str]  # usernames
    a2: list[str]
    b1: list[str]
    other_admin: str  # another organiser's admin
    other_school: uuid.UUID
    other_school_admin: str
    other_class: uuid.UUID
    ids: dict[str, uuid.UUID]  # username -> user id


async def _org(conn: Any, name: str, kind: str, parent: uuid.UUID | None) -> uuid.UUID:
    org = uuid.uuid4()
    await conn.execute(
        "INSERT INTO orgs (id, parent_id, name, kind) VALUES ($1, $2, $3, $4)",
        org,
        parent,
        name,
        kind,
    )
    return org


async def _class(conn: Any, org: uuid.UUID, name: str) -> uuid.UUID:
    class_id = uuid.uuid4()
    await conn.execute(
        "INSERT INTO classes (id, org_id, name) VALUES ($1, $2, $3)", class_id, org, name
    )
    return class_id


@pytest.fixture
async def world(svc: Services) -> World:
    tag = uuid.uuid4().hex[:6]
    pw = hash_password(PASSWORD)
    ids: dict[str, uuid.UUID] = {}

    async def user(
        conn: Any, org: uuid.UUID, name: str, role: str, class_id: uuid.UUID | None = None
    ) -> str:
        username = f"{name}-{tag}"
        ids[username] = uuid.uuid4()
        await conn.execute(
            "INSERT INTO users (id, org_id, username, display_name, role, password_hash, "
            "class_id, national_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            ids[username],
            org,
            username,
            f"Siswa {name}",
            role,
            pw,
            class_id,
            f"{abs(hash(username)) % 10**10:010d}" if role == "student" else None,
        )
        return username

    async with svc.pool.acquire() as conn:
        organiser = await _org(conn, f"Panitia {tag}", "organiser", None)
        a = await _org(conn, f"SMA Jakarta {tag}", "school", organiser)
        b = await _org(conn, f"SMA Jayapura {tag}", "school", organiser)
        other = await _org(conn, f"Other organiser {tag}", "organiser", None)
        c = await _org(conn, f"SMA Other {tag}", "school", other)
        a1, a2, b1 = (
            await _class(conn, a, "XII IPA 1"),
            await _class(conn, a, "XII IPA 2"),
            await _class(conn, b, "XII IPS 1"),
        )
        oc = await _class(conn, c, "XII")
        world = World(
            tag=tag,
            organiser=organiser,
            admin=await user(conn, organiser, "admin", "admin"),
            school_a=a,
            school_b=b,
            a_admin=await user(conn, a, "a-admin", "school_admin"),
            a_teacher=await user(conn, a, "a-teacher", "teacher"),
            a_proctor=await user(conn, a, "a-proctor", "proctor"),
            b_admin=await user(conn, b, "b-admin", "school_admin"),
            class_a1=a1,
            class_a2=a2,
            class_b1=b1,
            a1=[await user(conn, a, f"a1s{n}", "student", a1) for n in range(5)],
            a2=[await user(conn, a, f"a2s{n}", "student", a2) for n in range(6)],
            b1=[await user(conn, b, f"b1s{n}", "student", b1) for n in range(3)],
            other_admin=await user(conn, other, "o-admin", "admin"),
            other_school=c,
            other_school_admin=await user(conn, c, "c-admin", "school_admin"),
            other_class=oc,
            ids=ids,
        )
        await user(conn, c, "cs0", "student", oc)
    return world


async def ok(r: Any, status: int = 200) -> Any:
    assert r.status_code == status, r.text
    return r.json()


def problem(r: Any, status: int, code: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = r.json()
    assert body["code"] == code, body
    return body


async def forms(api: Api, admin: str, n: int, *, hours: float = 6) -> list[str]:
    """``n`` published one-section exams of the organiser, open from a minute ago."""
    out = []
    for _ in range(n):
        exam = await api.exam(admin, opens_in_s=-60, closes_in_s=hours * 3600, limit_s=3600)
        out.append(exam["id"])
    return out


async def event(api: Api, admin: str, *, closes_in_s: float = 3600) -> str:
    body = await ok(
        await api.call(
            "POST",
            "/v1/scheduling/events",
            admin,
            json={
                "title": "Try-out UTBK",
                "seed": 42,
                "changes_close_at": (
                    datetime.now(UTC) + timedelta(seconds=closes_in_s)
                ).isoformat(),
            },
        ),
        201,
    )
    event_id: str = body["id"]
    return event_id


async def session(
    api: Api,
    admin: str,
    event_id: str,
    form_ids: list[str],
    *,
    starts_in_s: float,
    minutes: int = 90,
    kind: str = "regular",
    cap: int | None = None,
) -> dict[str, Any]:
    start = datetime.now(UTC) + timedelta(seconds=starts_in_s)
    body = {
        "label": f"Sesi {kind} {starts_in_s:g}",
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(minutes=minutes)).isoformat(),
        "form_exam_ids": form_ids,
        "kind": kind,
    }
    if cap is not None:
        body["national_cap"] = cap
    created: dict[str, Any] = await ok(
        await api.call("POST", f"/v1/scheduling/events/{event_id}/sessions", admin, json=body), 201
    )
    return created


async def rooms(api: Api, w: World) -> dict[str, str]:
    """Lab 1 (4 seats, rows of 2) and Lab 2 (3 seats in one row) at A; one lab of 5 at B."""
    made = {}
    for who, org, name, seats, columns in (
        (w.a_admin, w.school_a, "Lab 1", 4, 2),
        (w.a_admin, w.school_a, "Lab 2", 3, 3),
        (w.b_admin, w.school_b, "Lab B", 5, 5),
    ):
        body = await ok(
            await api.call(
                "POST",
                f"/v1/scheduling/schools/{org}/rooms",
                who,
                json={"name": name, "seats": seats, "columns": columns},
            ),
            201,
        )
        made[name] = body["id"]
    await ok(
        await api.call(
            "PUT",
            f"/v1/scheduling/schools/{w.school_a}/profile",
            w.a_admin,
            json={"time_zone": "Asia/Jakarta", "region": "Jawa"},
        )
    )
    await ok(
        await api.call(
            "PUT",
            f"/v1/scheduling/schools/{w.school_b}/profile",
            w.b_admin,
            json={"time_zone": "Asia/Jayapura", "region": "Papua"},
        )
    )
    return made
