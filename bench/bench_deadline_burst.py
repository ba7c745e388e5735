"""The deadline burst (shared/WORKLOAD.md), overflow off vs on, side by side in one run.

N students have sat the 150-item exam (every item answered); at the deadline all of them submit
within seconds. Submitting is a cheap state change; each submit queues a grading job. The
"cluster" is one ``ujian serve`` process that also runs the workers (persister, grader,
sweeper). Printed per mode: ``deadline_burst_s`` (from the first submit until every sitting is
graded in PostgreSQL) and API latency during the burst (the submits, plus a timer probe).

- **off**: no queue configured; every grading job runs in the cluster process.
- **on**: ``ujian overflow-local`` (moto SQS + ``--instances`` awslambdaric function processes
  + the event source mapping) is extra capacity, and the cluster's utilisation is forced to 0.95
  (the operator's override, ``PUT /v1/admin/overflow/forced``, written to Redis as the API
  does) so its dispatcher sends every job to SQS. On one
  machine the "Lambda" shares the cores with the cluster: the ratio says how the path behaves,
  not what AWS's 200 vCPUs would add.

    .venv/bin/python bench/bench_deadline_burst.py --students 600 --instances 3

Starts its own PostgreSQL and Redis per mode (bench/loadgen/harness.py, in a temporary folder
removed at the end): nothing is left in any other server. Also printed per mode: CPU-seconds
per graded sitting (every process of the path: the API and its grading pool, the local function
instances, PostgreSQL, Redis), result rows/s into PostgreSQL, and, measured before the burst,
``redis_bytes_per_sitting`` (150 items answered: MEMORY USAGE over the sitting's own keys, and
Redis's used memory per sitting) and, after it, ``pg_bytes_per_sitting`` (database growth per
finished sitting: its row, its answer log, its result, their indexes).
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx

# the repository's root, for bench.loadgen (development-only, not installed)
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.loadgen.client import Api, Reply
from bench.loadgen.harness import Cluster, Proc
from bench.loadgen.seed import PASSWORD, seed_users
from bench.loadgen.stats import Stats
from bench.loadgen.workload import paper_items, response_for, section_split, workload_items
from engine.embedded import free_loopback_port
from engine.overflow.utilisation import force_utilisation
from engine.redis_adapter.keys import KeySpace

REPO = Path(__file__).resolve().parents[1]
UJIAN = [sys.executable, "-m", "engine.cli"]


def p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else 0.0


def tree_cpu_seconds(pid: int) -> float:
    """CPU time of a process and all its descendants, living ones (Linux /proc)."""
    total, todo, tick = 0.0, [pid], os.sysconf("SC_CLK_TCK")
    while todo:
        current = todo.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rpartition(")")[2].split()
            total += (int(fields[11]) + int(fields[12])) / tick
            for task in Path(f"/proc/{current}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return total


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


async def prepare(
    base: str, dsn: str, students: int, *, instant: bool
) -> tuple[str, list[str], list[str]]:
    """Students who have answered every item of a published exam (``instant``: results given
    on submit, the student page's promise; a few are graded in their request, the rest by the
    grader's stream, ``instant_grading_in_request``)."""
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
                "instant_results": instant,
            },
        )
        r.raise_for_status()
        exam = r.json()
        (await http.post(f"/v1/exams/{exam['id']}/publish", headers=auth)).raise_for_status()
        await http.post(
            f"/v1/exams/{exam['id']}/assignments", headers=auth, json={"org_ids": [exam["org_id"]]}
        )
        # exam cards, as on exam day: a password sign-in (argon2) per student would make the
        # seeding of a large N take longer than the run
        r = await http.post(f"/v1/exams/{exam['id']}/cards", headers=auth, timeout=600)
        r.raise_for_status()
        code_of = {row["username"]: row["code"] for row in csv.DictReader(io.StringIO(r.text))}
    wire = Api(base, Stats(), connections=32)
    gate = asyncio.Semaphore(32)

    async def must(reply: Reply) -> Any:
        if not reply.ok:
            raise RuntimeError(f"seeding failed: {reply.status} {reply.body[:200]!r}")
        return reply.json()

    async def sit(n: int, user: str) -> tuple[str, str]:
        async with gate:
            card = {"code": code_of[user]}
            token = (await must(await wire.call("seed", "POST", "/v1/auth/card", body=card)))[
                "access_token"
            ]
            started = await wire.call(
                "seed", "POST", f"/v1/exams/{exam['id']}/sittings", token=token
            )
            sid = (await must(started))["id"]
            paper = await must(
                await wire.call("seed", "GET", f"/v1/sittings/{sid}/paper", token=token)
            )
            rng = random.Random(n)
            events = [
                {"seq": k + 1, "item": item["id"], "response": response_for(item, rng)}
                for k, item in enumerate(paper_items(paper))
            ]
            for start in range(0, len(events), 50):
                await must(
                    await wire.call(
                        "seed",
                        "POST",
                        f"/v1/sittings/{sid}/answers",
                        token=token,
                        body={"events": events[start : start + 50]},
                    )
                )
            return sid, f"Bearer {token}"

    try:
        done = await asyncio.gather(*(sit(n, u) for n, u in enumerate(names)))
    finally:
        await wire.close()
    return exam["id"], [s for s, _ in done], [t for _, t in done]


async def burst(
    base: str,
    dsn: str,
    exam_id: str,
    sittings: list[str],
    tokens: list[str],
    concurrency: int,
    cpu_now: Callable[[], float],
    api_cpu_now: Callable[[], float],
) -> dict[str, float]:
    latencies: list[float] = []
    probes: list[float] = []
    errors = 0
    conn = await asyncpg.connect(dsn)
    limits = httpx.Limits(max_connections=4)
    # the submits through the benchmarks' own client (bench/loadgen/wire.py), a few times
    # cheaper per request than httpx: on a shared machine httpx, not the API, set the pace
    wire = Api(base, Stats(), connections=concurrency)
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as http:
        gate = asyncio.Semaphore(concurrency)

        async def submit(sid: str, token: str) -> None:
            nonlocal errors
            async with gate:
                t0 = time.perf_counter()
                reply = await wire.call(
                    "submit", "POST", f"/v1/sittings/{sid}/submit", token=token.split()[-1]
                )
                latencies.append(time.perf_counter() - t0)
                errors += reply.status != 200

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
        cpu_before, api_cpu_before = cpu_now(), api_cpu_now()
        started = time.perf_counter()
        await asyncio.gather(*(submit(s, t) for s, t in zip(sittings, tokens, strict=True)))
        submitted_s = time.perf_counter() - started
        cpu_submits = cpu_now() - cpu_before
        api_cpu_submits = api_cpu_now() - api_cpu_before
        graded = 0
        while graded < len(sittings) and time.perf_counter() - started < 600:
            graded = await conn.fetchval(
                "SELECT count(*) FROM sittings WHERE exam_id = $1 AND state = 'graded'",
                uuid.UUID(exam_id),
            )
            await asyncio.sleep(0.05)
        elapsed = time.perf_counter() - started
        cpu_total = cpu_now() - cpu_before
        stop.set()
        await prober
    await wire.close()
    await conn.close()
    return {
        "deadline_burst_s": elapsed,
        "submits_done_s": submitted_s,
        "graded": graded,
        "submits_per_s": len(sittings) / submitted_s,
        "submit_p50_ms": p(latencies, 0.5),
        "submit_p99_ms": p(latencies, 0.99),
        "probe_p99_ms": p(probes, 0.99),
        "errors": errors,
        "cpu_s_per_submit_ms": 1000 * cpu_submits / len(sittings),
        # the API's own CPU per submit (the probe's few requests included): a core's submits/s
        "api_cpu_per_submit_ms": 1000 * api_cpu_submits / len(sittings),
        "submits_per_api_cpu_s": len(sittings) / max(api_cpu_submits, 1e-6),
        "cpu_s_per_graded_ms": 1000 * cpu_total / max(graded, 1),
        "result_rows_per_s": graded / max(elapsed - submitted_s, 1e-3) if graded else 0.0,
    }


async def redis_bytes(redis_url: str, namespace: str, shards: int, ids: list[str]) -> float:
    """Mean MEMORY USAGE over a sample of sittings' own keys (session and latest answers)."""
    import redis.asyncio as aioredis

    keys = KeySpace(namespace, shards)
    client = aioredis.Redis.from_url(redis_url)
    try:
        total = 0
        for sid in ids:
            k = keys.for_sitting(uuid.UUID(sid))
            for key in (k.session, k.answers):
                total += await client.memory_usage(key, samples=0) or 0
        return total / len(ids)
    finally:
        await client.aclose()


async def force_overflow(redis_url: str) -> None:
    """Every process routes as if the cluster ran at 0.95 for the run (the operator's drill)."""
    import redis.asyncio as aioredis

    client = aioredis.Redis.from_url(redis_url)
    try:
        await force_utilisation(client, NAMESPACE, 0.95, 3600)
    finally:
        await client.aclose()


async def redis_used(redis_url: str) -> int:
    import redis.asyncio as aioredis

    client = aioredis.Redis.from_url(redis_url)
    try:
        return int((await client.info("memory"))["used_memory"])
    finally:
        await client.aclose()


async def pg_size(dsn: str) -> int:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("CHECKPOINT")  # not needed for the size, but settles the counters
        return int(await conn.fetchval("SELECT pg_database_size(current_database())"))
    finally:
        await conn.close()


async def wait_streams_empty(redis_url: str, limit_s: float = 120.0) -> None:
    """Until the persister has stored every answer (the memory measured is then the
    sittings', not a backlog's)."""
    import redis.asyncio as aioredis

    client = aioredis.Redis.from_url(redis_url)
    started = time.perf_counter()
    try:
        while time.perf_counter() - started < limit_s:
            streams = [k async for k in client.scan_iter(match="*:answers", _type="stream")]
            if not streams or sum([await client.xlen(k) for k in streams]) == 0:
                return
            await asyncio.sleep(0.2)
    finally:
        await client.aclose()


async def session(
    base: str,
    cluster: Cluster,
    args: argparse.Namespace,
    cpu_now: Callable[[], float],
    api_cpu_now: Callable[[], float],
) -> dict[str, float]:
    dsn, redis_url = cluster.database_url, cluster.redis.url
    redis_before, pg_before = await redis_used(redis_url), await pg_size(dsn)
    exam_id, sittings, tokens = await prepare(base, dsn, args.students, instant=args.instant)
    await wait_streams_empty(redis_url)
    sample = sittings[:: max(1, len(sittings) // 50)]
    figures = {
        "redis_bytes_per_sitting": await redis_bytes(redis_url, NAMESPACE, SHARDS, sample),
        "redis_used_per_sitting": (await redis_used(redis_url) - redis_before) / len(sittings),
    }
    figures |= await burst(
        base, dsn, exam_id, sittings, tokens, args.concurrency, cpu_now, api_cpu_now
    )
    await wait_streams_empty(redis_url)
    figures["pg_bytes_per_sitting"] = (await pg_size(dsn) - pg_before) / len(sittings)
    return figures


NAMESPACE, SHARDS = "uj", 16


def run_mode(mode: str, args: argparse.Namespace) -> dict[str, float]:
    folder = Path(tempfile.mkdtemp(prefix=f"ujian-bench-deadline-{mode}-"))
    cluster = Cluster(
        folder,
        env_overrides={
            "UJIAN_REDIS_NAMESPACE": NAMESPACE,
            "UJIAN_STREAM_SHARDS": str(SHARDS),
            # the workers (grader, persister, sweeper) in a process of their own, as in
            # production: the API's CPU during the submits is then the submits' alone
            "UJIAN_RUN_WORKERS_IN_API": "false",
            "UJIAN_SIGNIN_RATE_PER_IP": "1000000/minute",
            "UJIAN_SIGNIN_RATE_PER_ACCOUNT": "1000000/minute",
        },
    )
    local = None
    try:
        cluster.start_stores()
        env = cluster.env()
        subprocess.run(
            [*UJIAN, "migrate"], env=env, cwd=REPO, check=True, stdout=subprocess.DEVNULL
        )
        extra: dict[str, str] = {}
        if mode == "on":
            local, exported = start_overflow_local(env, args.instances)
            extra = exported
            asyncio.run(force_overflow(cluster.redis.url))
        api: Proc = cluster.start_api(cpus=args.server_cpus, **extra)
        worker: Proc = cluster.start_worker(**extra)
        postmaster = (cluster.postgres.data_dir / "postmaster.pid").read_text().split()[0]
        assert cluster.redis.process is not None
        stores = [int(postmaster), cluster.redis.process.pid]
        watched = [api.process.pid, worker.process.pid, *stores, *([local.pid] if local else [])]

        def cpu_now() -> float:
            return sum(tree_cpu_seconds(pid) for pid in watched)

        def api_cpu_now() -> float:
            return tree_cpu_seconds(api.process.pid)

        return asyncio.run(session(api.url, cluster, args, cpu_now, api_cpu_now))
    finally:
        if local is not None:
            local.terminate()
            local.wait(timeout=30)
        cluster.stop()
        shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=600)
    parser.add_argument("--instances", type=int, default=3, help="local function instances")
    parser.add_argument("--concurrency", type=int, default=64, help="submits in flight")
    parser.add_argument("--server-cpus", default=None, help="pin the API (taskset -c)")
    parser.add_argument("--modes", default="off,on")
    parser.add_argument(
        "--instant",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="an exam with instant results (the default) or results released later",
    )
    args = parser.parse_args()
    modes = args.modes.split(",")
    results = {mode: run_mode(mode, args) for mode in modes}
    print(
        f"\ndeadline burst: N={args.students} sittings, 150 items each, "
        f"{'instant results' if args.instant else 'results released later'}, "
        f"{args.instances} local function instance(s) when on"
    )
    keys = [
        "deadline_burst_s",
        "submits_done_s",
        "graded",
        "submits_per_s",
        "submit_p50_ms",
        "submit_p99_ms",
        "probe_p99_ms",
        "errors",
        "cpu_s_per_submit_ms",
        "api_cpu_per_submit_ms",
        "submits_per_api_cpu_s",
        "cpu_s_per_graded_ms",
        "result_rows_per_s",
        "redis_bytes_per_sitting",
        "redis_used_per_sitting",
        "pg_bytes_per_sitting",
    ]
    print(f"{'':24}" + "".join(f"{k:>18}" for k in modes))
    for key in keys:
        print(f"{key:24}" + "".join(f"{results[m][key]:>18.2f}" for m in modes))
    if "off" in results and "on" in results:
        off, on = results["off"], results["on"]
        ratio = on["deadline_burst_s"] / off["deadline_burst_s"]
        print(f"deadline_burst_ratio (on / off): {ratio:.2f}")
        print(
            "overflow CPU per graded sitting / local: "
            f"{on['cpu_s_per_graded_ms'] / off['cpu_s_per_graded_ms']:.2f}"
        )


if __name__ == "__main__":
    main()
