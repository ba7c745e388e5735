"""The deadline burst (shared/WORKLOAD.md), overflow off vs on, side by side in one run.

N students have sat the 150-item exam (every item answered); at the deadline all of them submit
within seconds. Submitting is a cheap state change; each submit queues a grading job. The
"cluster" is one ``ujian serve`` process that also runs the workers (persister, grader,
sweeper). Printed per mode: ``deadline_burst_s`` (from the first submit until every sitting is
graded in PostgreSQL) and API latency during the burst (the submits, plus a timer probe).

- **off**: no queue configured; every grading job runs in the cluster process.
- **on**: ``ujian overflow-local`` (moto SQS + ``--instances`` awslambdaric function processes
  + the event source mapping) is extra capacity, and the cluster's utilisation is forced to 0.95
  (``UJIAN_OVERFLOW_FORCE_UTILISATION``) so its dispatcher sends every job to SQS. On one
  machine the "Lambda" shares the cores with the cluster: the ratio says how the path behaves,
  not what AWS's 200 vCPUs would add.

    .venv/bin/python bench/bench_deadline_burst.py --students 600 --instances 3

Uses the PostgreSQL and Redis at --database-url / --redis-url (a database of its own per mode,
dropped afterwards).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import secrets
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx

from engine.embedded import free_loopback_port
from engine.loadtest.harness import wait_http
from engine.loadtest.seed import PASSWORD, seed_users
from engine.loadtest.workload import paper_items, response_for, section_split, workload_items

REPO = Path(__file__).resolve().parents[1]
UJIAN = [sys.executable, "-m", "engine.cli"]


def p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else 0.0


async def create_database(admin_url: str) -> str:
    name = f"ujian_bench_{uuid.uuid4().hex[:8]}"
    conn = await asyncpg.connect(admin_url)
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    return urlunsplit(urlsplit(admin_url)._replace(path="/" + name))


async def drop_database(admin_url: str, url: str) -> None:
    conn = await asyncpg.connect(admin_url)
    await conn.execute(f'DROP DATABASE IF EXISTS "{urlsplit(url).path[1:]}" WITH (FORCE)')
    await conn.close()


def start_overflow_local(
    env: dict[str, str], instances: int
) -> tuple[subprocess.Popen[str], dict[str, str]]:
    port = free_loopback_port()
    process = subprocess.Popen(
        [*UJIAN, "overflow-local", "--instances", str(instances), "--port", str(port)],
        env=env,
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    exported: dict[str, str] = {}
    assert process.stdout is not None
    for line in process.stdout:
        if match := re.match(r"export (\w+)=(.*)", line.strip()):
            exported[match[1]] = match[2]
        if line.strip() == "ready":
            return process, exported
    raise RuntimeError("ujian overflow-local exited before it was ready")


async def prepare(base: str, dsn: str, students: int) -> tuple[str, list[str], list[str]]:
    """Students who have answered every item of a published exam (results not instant)."""
    teacher, names = await seed_users(dsn, students, uuid.uuid4().hex[:8])
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:

        async def token(user: str) -> str:
            r = await http.post("/v1/auth/token", json={"username": user, "password": PASSWORD})
            r.raise_for_status()
            value: str = r.json()["access_token"]
            return value

        auth = {"Authorization": f"Bearer {await token(teacher)}"}
        ids = [
            (await http.post("/v1/items", json=i, headers=auth)).json()["id"]
            for i in workload_items()
        ]
        now = datetime.now(UTC)
        r = await http.post(
            "/v1/exams",
            headers=auth,
            json={
                "title": "Deadline burst",
                "sections": section_split(ids),
                "time_limit_s": 10800,
                "window_open": (now - timedelta(minutes=1)).isoformat(),
                "window_close": (now + timedelta(hours=4)).isoformat(),
                "grace_s": 30,
                "instant_results": False,
            },
        )
        r.raise_for_status()
        exam = r.json()
        (await http.post(f"/v1/exams/{exam['id']}/publish", headers=auth)).raise_for_status()
        await http.post(
            f"/v1/exams/{exam['id']}/assignments", headers=auth, json={"org_ids": [exam["org_id"]]}
        )
        gate = asyncio.Semaphore(16)

        async def sit(n: int, user: str) -> tuple[str, str]:
            async with gate:
                headers = {"Authorization": f"Bearer {await token(user)}"}
                r = await http.post(f"/v1/exams/{exam['id']}/sittings", headers=headers)
                r.raise_for_status()
                sid = r.json()["id"]
                paper = (await http.get(f"/v1/sittings/{sid}/paper", headers=headers)).json()
                rng = random.Random(n)
                events = [
                    {"seq": k + 1, "item": item["id"], "response": response_for(item, rng)}
                    for k, item in enumerate(paper_items(paper))
                ]
                for start in range(0, len(events), 50):
                    r = await http.post(
                        f"/v1/sittings/{sid}/answers",
                        headers=headers,
                        json={"events": events[start : start + 50]},
                    )
                    r.raise_for_status()
                return sid, headers["Authorization"]

        done = await asyncio.gather(*(sit(n, u) for n, u in enumerate(names)))
    return exam["id"], [s for s, _ in done], [t for _, t in done]


async def burst(
    base: str, dsn: str, exam_id: str, sittings: list[str], tokens: list[str], concurrency: int
) -> dict[str, float]:
    latencies: list[float] = []
    probes: list[float] = []
    errors = 0
    conn = await asyncpg.connect(dsn)
    limits = httpx.Limits(max_connections=concurrency + 4)
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as http:
        gate = asyncio.Semaphore(concurrency)

        async def submit(sid: str, token: str) -> None:
            nonlocal errors
            async with gate:
                t0 = time.perf_counter()
                r = await http.post(f"/v1/sittings/{sid}/submit", headers={"Authorization": token})
                latencies.append(time.perf_counter() - t0)
                errors += r.status_code != 200

        async def probe(stop: asyncio.Event) -> None:
            while not stop.is_set():
                t0 = time.perf_counter()
                await http.get(
                    f"/v1/sittings/{sittings[0]}/timer", headers={"Authorization": tokens[0]}
                )
                probes.append(time.perf_counter() - t0)
                await asyncio.sleep(0.05)

        stop = asyncio.Event()
        prober = asyncio.create_task(probe(stop))
        started = time.perf_counter()
        await asyncio.gather(*(submit(s, t) for s, t in zip(sittings, tokens, strict=True)))
        submitted_s = time.perf_counter() - started
        graded = 0
        while graded < len(sittings) and time.perf_counter() - started < 600:
            graded = await conn.fetchval(
                "SELECT count(*) FROM sittings WHERE exam_id = $1 AND state = 'graded'",
                uuid.UUID(exam_id),
            )
            await asyncio.sleep(0.05)
        elapsed = time.perf_counter() - started
        stop.set()
        await prober
    await conn.close()
    return {
        "deadline_burst_s": elapsed,
        "submits_done_s": submitted_s,
        "graded": graded,
        "submit_p50_ms": p(latencies, 0.5),
        "submit_p99_ms": p(latencies, 0.99),
        "probe_p99_ms": p(probes, 0.99),
        "errors": errors,
    }


async def session(base: str, dsn: str, args: argparse.Namespace) -> dict[str, float]:
    exam_id, sittings, tokens = await prepare(base, dsn, args.students)
    return await burst(base, dsn, exam_id, sittings, tokens, args.concurrency)


def run_mode(mode: str, args: argparse.Namespace) -> dict[str, float]:
    dsn = asyncio.run(create_database(args.database_url))
    port = free_loopback_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("UJIAN_")}
    env.update(
        {
            "UJIAN_DATABASE_URL": dsn,
            "UJIAN_REDIS_URL": args.redis_url,
            "UJIAN_REDIS_NAMESPACE": f"bench{uuid.uuid4().hex[:6]}",
            "UJIAN_PORT": str(port),
            "UJIAN_WORKERS": "1",
            "UJIAN_RUN_WORKERS_IN_API": "true",
            "UJIAN_LOG_LEVEL": "WARNING",
            "UJIAN_SIGNIN_RATE_PER_IP": "1000000/minute",
            "UJIAN_SIGNIN_RATE_PER_ACCOUNT": "1000000/minute",
            "UJIAN_JWT_SECRET": secrets.token_urlsafe(48),
        }
    )
    local = None
    try:
        subprocess.run(
            [*UJIAN, "migrate"], env=env, cwd=REPO, check=True, stdout=subprocess.DEVNULL
        )
        if mode == "on":
            local, exported = start_overflow_local(env, args.instances)
            env.update(exported)
            env["UJIAN_OVERFLOW_FORCE_UTILISATION"] = "0.95"
        log = Path(tempfile.gettempdir()) / f"bench-deadline-{mode}.log"
        with log.open("wb") as out:  # the server keeps its own descriptor
            server = subprocess.Popen(
                [*UJIAN, "serve"], env=env, cwd=REPO, stdout=out, stderr=subprocess.STDOUT
            )
        try:
            base = f"http://127.0.0.1:{port}"
            wait_http(base + "/health/ready", server, 60)
            return asyncio.run(session(base, dsn, args))
        finally:
            server.terminate()
            server.wait(timeout=30)
    finally:
        if local is not None:
            local.terminate()
            local.wait(timeout=30)
        asyncio.run(drop_database(args.database_url, dsn))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=600)
    parser.add_argument("--instances", type=int, default=3, help="local function instances")
    parser.add_argument("--concurrency", type=int, default=64, help="submits in flight")
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    args = parser.parse_args()
    results = {mode: run_mode(mode, args) for mode in ("off", "on")}
    print(
        f"\ndeadline burst: N={args.students} sittings, 150 items each, "
        f"{args.instances} local function instance(s) when on"
    )
    keys = [
        "deadline_burst_s",
        "submits_done_s",
        "graded",
        "submit_p50_ms",
        "submit_p99_ms",
        "probe_p99_ms",
        "errors",
    ]
    print(f"{'':18}" + "".join(f"{k:>18}" for k in ("off", "on")))
    for key in keys:
        print(f"{key:18}" + "".join(f"{results[m][key]:>18.2f}" for m in ("off", "on")))
    off, on = results["off"]["deadline_burst_s"], results["on"]["deadline_burst_s"]
    print(f"deadline_burst_ratio (on / off): {on / off:.2f}")


if __name__ == "__main__":
    main()
