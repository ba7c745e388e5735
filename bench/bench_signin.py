"""Sign-in throughput: password sign-ins (argon2id) and exam-card sign-ins per second per core.

Starts ``ujian serve`` itself (one worker process, pinned to one CPU with taskset when there is
one to spare) on a database of its own, seeds a school of students, and drives each sign-in
kind with a pool of concurrent clients on the other CPU. Prints the argon2 parameters in force.

    python bench/bench_signin.py                              # 10 s per kind, default argon2
    python bench/bench_signin.py --seconds 20 --memory-kib 65536 --time-cost 3

PostgreSQL and Redis: UJIAN_DATABASE_URL / UJIAN_REDIS_URL (defaults: the local servers on
127.0.0.1); a database and a key namespace are made for the run and the database is dropped.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from argon2 import PasswordHasher

from engine.embedded import free_loopback_port

PASSWORD = "bench-password-1"


def _with_db(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path="/" + name))


async def seed(dsn: str, students: int, hasher: PasswordHasher) -> tuple[str, list[str]]:
    conn = await asyncpg.connect(dsn)
    try:
        org, teacher = uuid.uuid4(), "bench-teacher"
        password_hash = hasher.hash(PASSWORD)  # one hash for all: argon2 is slow by design
        await conn.execute("INSERT INTO orgs (id, name, kind) VALUES ($1, 'Bench', 'school')", org)
        rows = [
            (uuid.uuid4(), org, f"bench-s{n:05d}", "student", password_hash)
            for n in range(students)
        ]
        rows.append((uuid.uuid4(), org, teacher, "teacher", password_hash))
        await conn.executemany(
            "INSERT INTO users (id, org_id, username, display_name, role, password_hash) "
            "VALUES ($1, $2, $3, $3, $4, $5)",
            rows,
        )
        return teacher, [r[2] for r in rows[:-1]]
    finally:
        await conn.close()


async def cards_for(client: httpx.AsyncClient, teacher: str) -> list[str]:
    r = await client.post("/v1/auth/token", json={"username": teacher, "password": PASSWORD})
    headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
    r = await client.post(
        "/v1/items", headers=headers, json={"kind": "numeric", "stem": "1 + 1", "value": 2}
    )
    now = datetime.now(UTC)
    r = await client.post(
        "/v1/exams",
        headers=headers,
        json={
            "title": "Bench",
            "sections": [{"title": "A", "items": [r.json()["id"]]}],
            "time_limit_s": 3600,
            "window_open": (now - timedelta(minutes=1)).isoformat(),
            "window_close": (now + timedelta(hours=2)).isoformat(),
        },
    )
    exam = r.json()["id"]
    await client.post(f"/v1/exams/{exam}/publish", headers=headers)
    r = await client.post(f"/v1/exams/{exam}/cards", headers=headers, timeout=120)
    return [row["code"] for row in csv.DictReader(io.StringIO(r.text))]


async def drive(
    client: httpx.AsyncClient,
    path: str,
    bodies: list[dict[str, str]],
    seconds: float,
    concurrency: int,
) -> tuple[float, list[float], int]:
    latencies: list[float] = []
    errors = 0
    stop = time.perf_counter() + seconds
    counter = 0

    async def worker() -> None:
        nonlocal errors, counter
        while time.perf_counter() < stop:
            body = bodies[counter % len(bodies)]
            counter += 1
            t0 = time.perf_counter()
            r = await client.post(path, json=body)
            if r.status_code == 201:
                latencies.append(time.perf_counter() - t0)
            else:
                errors += 1

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - start, latencies, errors


def _ms(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] * 1000 if len(values) > 2 else 0.0


async def run(args: argparse.Namespace) -> None:
    admin_dsn = os.environ.get(
        "UJIAN_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
    )
    redis_url = os.environ.get("UJIAN_REDIS_URL", "redis://127.0.0.1:6379/0")
    name = f"ujian_bench_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(admin_dsn)
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    dsn, port = _with_db(admin_dsn, name), free_loopback_port()
    env = {
        **os.environ,
        "UJIAN_DATABASE_URL": dsn,
        "UJIAN_REDIS_URL": redis_url,
        "UJIAN_REDIS_NAMESPACE": name,
        "UJIAN_RUN_WORKERS_IN_API": "false",
        "UJIAN_PORT": str(port),
        "UJIAN_WORKERS": "1",
        "UJIAN_LOG_LEVEL": "WARNING",
        "UJIAN_JWT_SECRET": secrets.token_urlsafe(48),
        "UJIAN_ARGON2_TIME_COST": str(args.time_cost),
        "UJIAN_ARGON2_MEMORY_KIB": str(args.memory_kib),
        "UJIAN_ARGON2_PARALLELISM": str(args.parallelism),
    }
    pin = ["taskset", "-c", "0"] if shutil.which("taskset") and (os.cpu_count() or 1) > 1 else []
    ujian = str(Path(sys.executable).parent / "ujian")
    server = subprocess.Popen(  # noqa: ASYNC220 - started once, before any load
        [*pin, ujian, "serve", "--server", args.server],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    if pin:
        os.sched_setaffinity(0, {1})
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        async with httpx.AsyncClient(
            base_url=base, timeout=60, limits=httpx.Limits(max_connections=args.concurrency)
        ) as client:
            while True:
                try:
                    if (await client.get("/health/ready")).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError("the server did not start")
                await asyncio.sleep(0.3)
            hasher = PasswordHasher(
                time_cost=args.time_cost, memory_cost=args.memory_kib, parallelism=args.parallelism
            )
            teacher, students = await seed(dsn, args.students, hasher)
            codes = await cards_for(client, teacher)
            cores = 1 if pin else (os.cpu_count() or 1)
            results = {}
            for kind, path, bodies in (
                (
                    "password",
                    "/v1/auth/token",
                    [{"username": s, "password": PASSWORD} for s in students],
                ),
                ("exam_card", "/v1/auth/card", [{"code": c} for c in codes]),
            ):
                await drive(client, path, bodies, 1.0, args.concurrency)  # warm up
                elapsed, lat, errors = await drive(
                    client, path, bodies, args.seconds, args.concurrency
                )
                results[kind] = len(lat) / elapsed / cores
                print(
                    f"{kind:>9}: {len(lat) / elapsed:8.1f} sign-ins/s  "
                    f"= {results[kind]:8.1f} per core  p50 {_ms(lat, 50):6.1f} ms  "
                    f"p99 {_ms(lat, 99):6.1f} ms  errors {errors}",
                    flush=True,
                )
        print(
            f"\nargon2id: time_cost={args.time_cost} memory={args.memory_kib} KiB "
            f"parallelism={args.parallelism}; server: {args.server}, 1 worker process"
            f"{' pinned to CPU 0' if pin else ''}; {args.concurrency} concurrent clients"
        )
        print(f"signin_password_per_core_s = {results['password']:.1f}")
        print(f"signin_card_per_core_s = {results['exam_card']:.1f}")
        print(f"card_to_password_ratio = {results['exam_card'] / results['password']:.1f}")
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        admin = await asyncpg.connect(admin_dsn)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--students", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--time-cost", type=int, default=2)
    parser.add_argument("--memory-kib", type=int, default=19456)
    parser.add_argument("--parallelism", type=int, default=1)
    parser.add_argument("--server", choices=("granian", "uvicorn"), default="granian")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
