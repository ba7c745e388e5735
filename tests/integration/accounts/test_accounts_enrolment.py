"""Enrolment over HTTP: bad files store nothing and say exactly what is wrong; a good file is
imported once however often it is sent; export imports back unchanged."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from engine.services import Services
from tests.integration.accounts.conftest import Tenants
from tests.integration.conftest import Api

CSV = {"content-type": "text/csv"}


async def _school(svc: Services, tenants: Tenants) -> uuid.UUID:
    org = uuid.uuid4()
    async with svc.pool.acquire() as conn:
        await conn.execute(
            "INSERT INTO orgs (id, parent_id, name, kind) VALUES ($1, $2, $3, 'school')",
            org,
            tenants.a.organiser,
            f"Enrol {org.hex[:6]}",
        )
    return org


async def _students(svc: Services, org: uuid.UUID) -> int:
    async with svc.pool.acquire() as conn:
        return int(await conn.fetchval("SELECT count(*) FROM users WHERE org_id = $1", org))


def _file(start: int, n: int) -> bytes:
    return b"national_id,display_name,class\n" + b"".join(
        b"%010d,Student %d,%s\n" % (start + i, i, b"9A" if i % 2 else b"9B") for i in range(n)
    )


async def _post(api: Api, user: str, org: uuid.UUID, body: bytes, dry_run: bool = False) -> Any:
    headers = {**await api.headers(user), **CSV}
    return await api.client.post(
        f"/v1/orgs/{org}/enrolment",
        content=body,
        headers=headers,
        params={"dry_run": str(dry_run).lower()},
    )


async def test_bad_files_store_nothing_and_report_every_row(
    api: Api, svc: Services, tenants: Tenants
) -> None:
    org = await _school(svc, tenants)
    admin = tenants.a.users["admin"]
    r = await _post(api, admin, org, b"name,class\nA,9A\n")
    assert r.status_code == 422
    assert {(e["line"], e["column"]) for e in r.json()["errors"]} == {
        (1, "name"),
        (1, "national_id"),
        (1, "display_name"),
    }
    # 100,000 rows with a bad one every 10,000, a duplicate and bad bytes: every one named
    base = 7_100_000_000
    rows = bytearray(_file(base, 100_000))
    rows += b"%010d,Dup,9A\n" % (base + 1) + b"%010d,Bad \xc3\x28,9A\n" % (base + 200_000)
    lines = rows.split(b"\n")
    for n in range(2, 100_000, 10_000):
        lines[n - 1] = b"12345,Short id,9A"
    r = await _post(api, admin, org, b"\n".join(lines))
    assert r.status_code == 422, r.text[:300]
    report = r.json()
    assert report["rows"] == 100_002 and not report["stored"]
    got = [(e["line"], e["column"]) for e in report["errors"]]
    assert got == [(n, "national_id") for n in range(2, 100_000, 10_000)] + [
        (100_002, "national_id"),
        (100_003, "display_name"),
    ]
    assert "duplicate of line 3" in report["errors"][-2]["reason"]
    assert await _students(svc, org) == 0
    # a national id enrolled at another school is refused too
    r = await _post(
        api,
        admin,
        org,
        b"national_id,display_name,class\n%s,X,9A\n" % (await _nisn_of(svc, tenants)).encode(),
    )
    assert r.status_code == 422 and r.json()["errors"][0]["reason"] == "enrolled at another school"
    assert await _students(svc, org) == 0


async def _nisn_of(svc: Services, tenants: Tenants) -> str:
    async with svc.pool.acquire() as conn:
        return str(
            await conn.fetchval(
                "SELECT national_id FROM users WHERE id = $1", tenants.b.user_ids["student"]
            )
        )


async def test_good_file_imports_once_even_sent_twice_at_once(
    api: Api, svc: Services, tenants: Tenants
) -> None:
    org = await _school(svc, tenants)
    admin = tenants.a.users["admin"]
    body = _file(7_200_000_000 + uuid.uuid4().int % 10**6 * 100, 300)
    dry = await _post(api, admin, org, body, dry_run=True)
    assert dry.status_code == 200 and dry.json()["created"] == 300 and not dry.json()["stored"]
    assert await _students(svc, org) == 0
    first, second = await asyncio.gather(_post(api, admin, org, body), _post(api, admin, org, body))
    reports = sorted((first.json(), second.json()), key=lambda x: -x["created"])
    assert [(x["created"], x["unchanged"]) for x in reports] == [(300, 0), (0, 300)]
    assert reports[0]["classes_created"] == 2 and all(x["stored"] for x in reports)
    assert await _students(svc, org) == 300
    # export → import: nothing changes; a changed name is an update, not a new student
    r = await api.call("GET", f"/v1/orgs/{org}/enrolment", admin)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    again = await _post(api, admin, org, r.content)
    assert (again.json()["created"], again.json()["unchanged"]) == (0, 300)
    renamed = r.content.replace(b"Student 7,", b"Student Seven,", 1)
    again = await _post(api, admin, org, renamed)
    assert (again.json()["updated"], again.json()["created"]) == (1, 0)
    assert await _students(svc, org) == 300
    r = await api.call("GET", f"/v1/audit?org_id={org}&action=enrolment.import", admin)
    # two concurrent imports, the re-import of the export, the rename: each audited
    assert len(r.json()) == 4 and r.json()[0]["actor_role"] == "admin"
    assert r.json()[0]["detail"] == {"rows": 300, "created": 0, "updated": 1}
