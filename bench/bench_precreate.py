"""Start-burst throughput of a seeded 10,000-student session, with and without pre-created
sittings, side by side in one run (WORKLOAD.md: ``start_burst_per_core_s``).

    .venv/bin/python bench/bench_precreate.py [--students 10000] [--rounds 2] [--concurrency 96]

A private PostgreSQL and Redis, and ``ujian serve`` (granian, one worker) pinned to one core
with ``taskset`` when it exists; this process (the load) stays on the other core. Each round
seeds two published forms of the WORKLOAD exam (150 items) for the same students:

- "pre-created": scheduled through the scheduling API (event, session, school rooms, class
  registration, allocation) and prepared (``POST /v1/scheduling/sessions/{id}/prepare``), so
  every student has a sitting row in state 'created' before the burst;
- "on demand": the other form assigned to the school, no sittings: the start inserts them.

Then every student starts (``POST /v1/exams/{id}/sittings``) and fetches the paper, ``C`` at a
time, as fast as the server answers. The machines are shared and noisy, so the two arms are
interleaved in blocks (``--block`` students of one arm, then of the other, the order flipping
each block) and each arm's rate is its students over the sum of its blocks' seconds: drift in
the machine's load falls on both arms alike. Compare the ratio, not the absolute rates.

PostgreSQL runs on its own (unpinned) processes, so the INSERT a start makes without a
pre-created row costs the API core little; what it costs the database is measured too: WAL
bytes written per start during each arm's blocks (``pg_current_wal_lsn``), which is what a
national burst of inserts does to the primary.

Sign-in is not in the burst: an argon2 sign-in costs far more than start + paper (a sample of
sign-ins is timed and printed to show it), so with 10,000 sign-ins both arms would measure
argon2. Tokens are issued up front with the server's JWT secret — the same tokens sign-in gives
(with a device id, so the device lock runs too) — and the comparison isolates start + paper.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.loadgen.client import Api
from bench.loadgen.harness import Cluster
from bench.loadgen.seed import PASSWORD, seed_users, sign_in
from bench.loadgen.stats import Stats, percentiles
from bench.loadgen.workload import section_split, workload_items
from engine.auth.tokens import build_jwt_auth, issue_access_token, new_device_id
from engine.kernel.principal import Principal
from engine.settings import Settings

SECRET = "bench-precreate-" + uuid.uuid4().hex


async def must(api: Api, method: str, path: str, token: str, body: Any = None) -> Any:
    reply = await api.call("seed", method, path, token=token, body=body)
    if not reply.ok:
        raise SystemExit(f"{method} {path}: {reply.status} {reply.body[:300]!r}")
    return reply.json()


async def organiser(dsn: str, school: uuid.UUID, tag: str) -> str:
    """An organiser above the school, with an admin account (there is no sign-up API)."""
    import asyncpg

    from engine.auth.passwords import hash_password

    conn = await asyncpg.connect(dsn)
    try:
        org = uuid.uuid4()
        await conn.execute(
            "INSERT INTO orgs (id, name, kind) VALUES ($1, $2, 'organiser')", org, f"Panitia {tag}"
        )
        await conn.execute("UPDATE orgs SET parent_id = $1 WHERE id = $2", org, school)
        await conn.execute(
            "INSERT INTO users (id, org_id, username, display_name, role, password_hash) "
            "VALUES ($1, $2, $3, $3, 'admin', $4)",
            uuid.uuid4(),
            org,
            f"adm-{tag}",
            hash_password(PASSWORD),
        )
    finally:
        await conn.close()
    return f"adm-{tag}"


async def put_in_class(
    dsn: str, names: list[str], tag: str
) -> tuple[uuid.UUID, uuid.UUID, dict[str, Any]]:
    import asyncpg

    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch(
            "SELECT id, org_id, username FROM users WHERE username = ANY($1)", names
        )
        school = rows[0]["org_id"]
        class_id = uuid.uuid4()
        await conn.execute(
            "INSERT INTO classes (id, org_id, name) VALUES ($1, $2, $3)",
            class_id,
            school,
            f"Kelas {tag}",
        )
        await conn.execute(
            "UPDATE users SET class_id = $1 WHERE org_id = $2 AND role = 'student'",
            class_id,
            school,
        )
    finally:
        await conn.close()
    return school, class_id, {r["username"]: r for r in rows}


async def form(api: Api, token: str, item_ids: list[str], title: str) -> str:
    now = datetime.now(UTC)
    exam = await must(
        api,
        "POST",
        "/v1/exams",
        token,
        {
            "title": title,
            "sections": section_split(item_ids),
            "time_limit_s": 180 * 60,
            "window_open": (now - timedelta(minutes=5)).isoformat(),
            "window_close": (now + timedelta(hours=6)).isoformat(),
            "grace_s": 30,
        },
    )
    await must(api, "POST", f"/v1/exams/{exam['id']}/publish", token)
    return str(exam["id"])


async def seed_round(api: Api, dsn: str, n: int, r: int) -> dict[str, Any]:
    tag = f"{uuid.uuid4().hex[:6]}r{r}"
    _, names = await seed_users(dsn, n, tag)
    school, class_id, users = await put_in_class(dsn, names, tag)
    admin = await sign_in(api, await organiser(dsn, school, tag), PASSWORD)
    items = [
        str((await must(api, "POST", "/v1/items", admin, item))["id"]) for item in workload_items()
    ]
    pre = await form(api, admin, items, f"Form A {tag}")
    lazy = await form(api, admin, items, f"Form B {tag}")
    await must(api, "POST", f"/v1/exams/{lazy}/assignments", admin, {"org_ids": [str(school)]})
    now = datetime.now(UTC)
    event = await must(
        api,
        "POST",
        "/v1/scheduling/events",
        admin,
        {
            "title": f"Try-out {tag}",
            "changes_close_at": (now + timedelta(hours=1)).isoformat(),
            "seed": r,
        },
    )
    session = await must(
        api,
        "POST",
        f"/v1/scheduling/events/{event['id']}/sessions",
        admin,
        {
            "label": "Sesi 1",
            "starts_at": (now - timedelta(minutes=1)).isoformat(),
            "ends_at": (now + timedelta(hours=3)).isoformat(),
            "form_exam_ids": [pre],
        },
    )
    for k in range(-(-n // 2000)):
        await must(
            api,
            "POST",
            f"/v1/scheduling/schools/{school}/rooms",
            admin,
            {"name": f"Lab {k + 1}", "seats": 2000, "columns": 10},
        )
    await must(
        api,
        "POST",
        f"/v1/scheduling/events/{event['id']}/registrations",
        admin,
        {"class_id": str(class_id), "session_ids": [session["id"]]},
    )
    allocated = await must(api, "POST", f"/v1/scheduling/events/{event['id']}/allocation", admin)
    started = time.perf_counter()
    prepared = await must(api, "POST", f"/v1/scheduling/sessions/{session['id']}/prepare", admin)
    prepare_s = time.perf_counter() - started
    assert allocated["placed"] == n and prepared["sittings_created"] == n, (allocated, prepared)
    auth = build_jwt_auth(Settings(jwt_secret=SECRET, access_token_ttl_s=3600))
    tokens = [
        issue_access_token(auth, Principal(u["id"], u["org_id"], "student", device=new_device_id()))
        for u in users.values()
    ]
    return {"pre": pre, "lazy": lazy, "tokens": tokens, "prepare_s": prepare_s, "names": names}


async def wal_lsn(dsn: str) -> int:
    import asyncpg

    conn = await asyncpg.connect(dsn)
    try:
        return int(await conn.fetchval("SELECT pg_current_wal_lsn() - '0/0'::pg_lsn"))
    finally:
        await conn.close()


async def burst(api: Api, exam_id: str, tokens: list[str], concurrency: int) -> dict[str, Any]:
    queue = list(reversed(tokens))
    failures: list[str] = []
    start_ms: list[float] = []

    async def student() -> None:
        while queue:
            token = queue.pop()
            t0 = time.perf_counter()
            reply = await api.call("start", "POST", f"/v1/exams/{exam_id}/sittings", token=token)
            start_ms.append((time.perf_counter() - t0) * 1000)
            if not reply.ok:
                failures.append(reply.error)
                continue
            sitting = reply.json()["id"]
            paper = await api.call("paper", "GET", f"/v1/sittings/{sitting}/paper", token=token)
            if not paper.ok:
                failures.append(paper.error)

    t0 = time.perf_counter()
    await asyncio.gather(*(student() for _ in range(concurrency)))
    seconds = time.perf_counter() - t0
    return {"seconds": seconds, "start_ms": start_ms, "failures": failures}


async def interleaved(
    api: Api, dsn: str, arms: list[tuple[str, str]], tokens: list[str], block: int, concurrency: int
) -> dict[str, dict[str, Any]]:
    """Both arms over the same students, in alternating blocks."""
    totals = {
        name: {"seconds": 0.0, "start_ms": [], "failures": [], "wal": 0, "n": 0} for name, _ in arms
    }
    for b, first in enumerate(range(0, len(tokens), block)):
        chunk = tokens[first : first + block]
        for name, exam in arms if b % 2 == 0 else list(reversed(arms)):
            before = await wal_lsn(dsn)
            result = await burst(api, exam, chunk, concurrency)
            total = totals[name]
            total["wal"] += await wal_lsn(dsn) - before
            total["seconds"] += result["seconds"]
            total["start_ms"] += result["start_ms"]
            total["failures"] += result["failures"]
            total["n"] += len(chunk)
    out = {}
    for name, t in totals.items():
        p50, _, p99, _ = percentiles(t["start_ms"])
        out[name] = {
            "per_s": t["n"] / t["seconds"],
            "seconds": t["seconds"],
            "p50": p50,
            "p99": p99,
            "wal_per_start": t["wal"] / t["n"],
            "failures": len(t["failures"]),
            "first_failure": t["failures"][:1],
        }
    return out


async def sign_in_sample(api: Api, names: list[str], concurrency: int) -> float:
    """Sign-ins per second of a sample: argon2's share of a real start burst."""
    queue = list(names)

    async def one() -> None:
        while queue:
            await sign_in(api, queue.pop(), PASSWORD)

    t0 = time.perf_counter()
    await asyncio.gather(*(one() for _ in range(concurrency)))
    return len(names) / (time.perf_counter() - t0)


async def run(args: argparse.Namespace, base: str, dsn: str) -> None:
    stats = Stats()
    api = Api(base, stats, connections=args.concurrency + 8, timeout_s=120)
    results: dict[str, list[dict[str, Any]]] = {"pre-created": [], "on demand": []}
    prepare_s: list[float] = []
    signin_rate = 0.0
    try:
        for r in range(args.rounds):
            seeded = await seed_round(api, dsn, args.students, r)
            prepare_s.append(seeded["prepare_s"])
            arms = [("on demand", seeded["lazy"]), ("pre-created", seeded["pre"])]
            if r % 2:
                arms.reverse()
            both = await interleaved(api, dsn, arms, seeded["tokens"], args.block, args.concurrency)
            for name, result in both.items():
                results[name].append(result)
                print(
                    f"round {r + 1} {name:<12} {result['per_s']:8.1f} start+paper/s "
                    f"({result['seconds']:.1f} s, start p50 {result['p50']:.0f} ms, "
                    f"p99 {result['p99']:.0f} ms, WAL {result['wal_per_start']:.0f} B/start, "
                    f"failures {result['failures']} {result['first_failure']})",
                    flush=True,
                )
            if r == 0:
                signin_rate = await sign_in_sample(
                    api, seeded["names"][: args.signin_sample], min(args.concurrency, 32)
                )
    finally:
        await api.close()
    pre = statistics.median(x["per_s"] for x in results["pre-created"])
    lazy = statistics.median(x["per_s"] for x in results["on demand"])
    print(
        f"\n=== start burst, {args.students} students, server on one core "
        f"({'taskset' if args.cpus else 'not pinned'}), median of {args.rounds} round(s) ==="
    )
    print(
        f"{'':<14}{'start+paper/s':>14}{'start p50 ms':>14}{'start p99 ms':>14}{'WAL B/start':>13}"
    )
    for name in ("on demand", "pre-created"):
        rows = results[name]
        print(
            f"{name:<14}{statistics.median(x['per_s'] for x in rows):>14.1f}"
            f"{statistics.median(x['p50'] for x in rows):>14.1f}"
            f"{statistics.median(x['p99'] for x in rows):>14.1f}"
            f"{statistics.median(x['wal_per_start'] for x in rows):>13.0f}"
        )
    wal = [
        statistics.median(x["wal_per_start"] for x in results[n])
        for n in ("pre-created", "on demand")
    ]
    print(
        f"ratio pre-created / on demand: start+paper/s {pre / lazy:.2f}, "
        f"WAL per start {wal[0] / max(wal[1], 1e-9):.2f}"
    )
    print(
        f"pre-creating {args.students} sittings (prepare, before the window): "
        f"{statistics.median(prepare_s):.1f} s"
    )
    print(
        f"sign-in alone (argon2, sample of {args.signin_sample}): {signin_rate:.1f}/s — "
        f"{lazy / max(signin_rate, 1e-9):.1f}x slower than start+paper, hence pre-issued tokens"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument(
        "--block",
        type=int,
        default=1000,
        help="students per block; the arms alternate block by block",
    )
    parser.add_argument(
        "--concurrency",
        type=int,
        default=96,
        help="students in flight (redis-py 8 pools default to 100 connections)",
    )
    parser.add_argument("--signin-sample", type=int, default=300)
    parser.add_argument("--cpus", default="1", help="server CPU(s) for taskset ('' for none)")
    args = parser.parse_args()
    with private_cluster() as cluster:
        proc = cluster.start_api(
            cpus=args.cpus or None,
            UJIAN_JWT_SECRET=SECRET,
            UJIAN_SCHEDULE_WARM_POLL_S="0",
            UJIAN_ACCESS_TOKEN_TTL_S="3600",
            UJIAN_SIGNIN_RATE_PER_IP="1000000/minute",
        )
        if args.cpus and hasattr(os, "sched_setaffinity"):
            others = set(range(os.cpu_count() or 1)) - {int(c) for c in args.cpus.split(",")}
            if others:
                os.sched_setaffinity(0, others)  # the load generator off the server's core
        asyncio.run(run(args, proc.url, cluster.database_url))


@contextlib.contextmanager
def private_cluster() -> Iterator[Cluster]:
    """Embedded PostgreSQL and Redis under a temporary folder, stopped at the end."""
    cluster = Cluster(Path(tempfile.mkdtemp(prefix="ujian-bench-precreate-")))
    cluster.start_stores()
    try:
        yield cluster
    finally:
        cluster.stop()


if __name__ == "__main__":
    main()
