"""Enrolling many students with passwords (argon2 at the real cost) does not hold up sign-ins:
bulk hashing has a pool of its own (engine/auth/passwords.py).

No absolute time limit: sign-ins are timed alone first, then again and again while a big
enrolment runs, and each must stay well below the enrolment's own duration (on one shared
pool, a sign-in that arrives while the hashes are queued waits behind all of them)."""

from __future__ import annotations

import asyncio
import time
import uuid

import httpx

from engine.services import Services
from engine.settings import Settings
from tests.integration.accounts.conftest import Tenants
from tests.integration.conftest import PASSWORD
from tests.security.concurrent_app import concurrent_client

STUDENTS = 160


async def _timed_sign_in(http: httpx.AsyncClient, username: str) -> float:
    started = time.monotonic()
    r = await http.post("/v1/auth/token", json={"username": username, "password": PASSWORD})
    assert r.status_code == 201, r.text
    return time.monotonic() - started


async def test_a_sign_in_during_a_big_enrolment_is_not_queued_behind_its_hashes(
    settings: Settings, svc: Services, tenants: Tenants
) -> None:
    teacher, admin = tenants.a.users["teacher"], tenants.a.users["admin"]
    org = uuid.uuid4()
    async with svc.pool.acquire() as conn:
        await conn.execute(
            "INSERT INTO orgs (id, parent_id, name, kind) VALUES ($1, $2, $3, 'school')",
            org,
            tenants.a.organiser,
            f"Hash {org.hex[:6]}",
        )
    base = 6_400_000_000 + uuid.uuid4().int % 10_000_000
    body = b"national_id,display_name,class,password\n" + b"".join(
        b"%010d,Pupil %d,9A,%s\n" % (base + n, n, f"sapi-{uuid.uuid4().hex[:12]}".encode())
        for n in range(STUDENTS)
    )
    async with concurrent_client(settings) as http:
        await _timed_sign_in(http, teacher)  # warm up
        baseline = sorted([await _timed_sign_in(http, teacher) for _ in range(5)])[2]
        r = await http.post("/v1/auth/token", json={"username": admin, "password": PASSWORD})
        headers = {
            "Authorization": f"Bearer {r.json()['access_token']}",
            "content-type": "text/csv",
        }

        async def enrol() -> float:
            started = time.monotonic()
            r = await http.post(f"/v1/orgs/{org}/enrolment", content=body, headers=headers)
            assert r.status_code == 200 and r.json()["created"] == STUDENTS, r.text[:300]
            return time.monotonic() - started

        enrolment = asyncio.create_task(enrol())
        during: list[float] = []
        # sign in again and again for as long as the enrolment runs: most of these arrive
        # while its hashes are queued
        while not enrolment.done():
            during.append(await _timed_sign_in(http, teacher))
        enrolment_s = await enrolment
    worst = max(during)
    # the enrolment was heavy enough to matter …
    assert enrolment_s > 8 * baseline, (enrolment_s, baseline)
    # … and sign-ins kept going through it, each within a fraction of it
    assert len(during) >= 3, (during, enrolment_s)
    assert worst < enrolment_s / 3, (worst, enrolment_s, baseline)


SCHOOL_LOCK_HELD = """
SELECT count(*) FROM pg_locks, hashtextextended($1::text, 0) AS k
WHERE locktype = 'advisory' AND granted
  AND classid::bigint = ((k >> 32) & 4294967295) AND objid::bigint = (k & 4294967295)
"""


async def test_a_big_enrolment_hashes_before_it_locks_the_school(
    settings: Settings, svc: Services, tenants: Tenants
) -> None:
    """The school's enrolment lock (and the transaction holding it) covers the inserts only:
    sampled all through a big enrolment, it is seen in a small share of the samples, where
    hashing inside it held it nearly all the time."""
    admin = tenants.a.users["admin"]
    org = uuid.uuid4()
    async with svc.pool.acquire() as conn:
        await conn.execute(
            "INSERT INTO orgs (id, parent_id, name, kind) VALUES ($1, $2, $3, 'school')",
            org,
            tenants.a.organiser,
            f"Lock {org.hex[:6]}",
        )
    base = 6_500_000_000 + uuid.uuid4().int % 10_000_000
    body = b"national_id,display_name,class,password\n" + b"".join(
        b"%010d,Pupil %d,9B,%s\n" % (base + n, n, f"sapi-{uuid.uuid4().hex[:12]}".encode())
        for n in range(STUDENTS)
    )
    async with concurrent_client(settings) as http:
        r = await http.post("/v1/auth/token", json={"username": admin, "password": PASSWORD})
        headers = {
            "Authorization": f"Bearer {r.json()['access_token']}",
            "content-type": "text/csv",
        }
        enrolment = asyncio.create_task(
            http.post(f"/v1/orgs/{org}/enrolment", content=body, headers=headers)
        )
        samples: list[bool] = []
        async with svc.pool.acquire() as conn:
            while not enrolment.done():
                samples.append(bool(await conn.fetchval(SCHOOL_LOCK_HELD, str(org))))
                await asyncio.sleep(0.01)  # a sampling period, not a synchronisation
        r = await enrolment
    assert r.status_code == 200 and r.json()["created"] == STUDENTS, r.text[:300]
    assert len(samples) >= 20, samples
    assert sum(samples) < len(samples) / 4, (sum(samples), len(samples))
