"""What acknowledging only what a replica holds costs, and what it saves in a failover
(UJIAN_REDIS_ACK_DURABILITY, ADR 0019).

Starts PostgreSQL (embedded), a Redis Cluster of three primaries each with one replica on
loopback, and one ``ujian serve`` (granian, one worker) per durability setting on that cluster.
Then:

1. cost: short rounds of closed-loop answer batches (``--students`` students, each sending its
   next batch as soon as the last is acknowledged), ``none`` and ``replica`` alternating:
   batches/s and latency percentiles side by side; then the script and its WAIT alone on the
   shared connection (no HTTP), one caller and ``--callers`` at once;
2. failover, per setting: the same load, the replica of one primary cut off for
   ``--behind`` seconds (a replica fallen behind), the primary SIGKILLed, its replica promoted
   and the old primary back as its replica (then once more, ``replica`` on a cluster of two
   replicas per primary); then acked (events the students were told are
   stored), acked_lost (of those, not in Redis afterwards), the refusals by code and the
   unavailable window (first refusal to last).

    python bench/bench_failover.py --students 24 --seconds 3 --rounds 3
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import redis

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.loadgen.answer_load import Sitting, Tally, answer_until
from bench.loadgen.failover_drill import fail_over
from bench.loadgen.harness import Cluster, Proc
from bench.loadgen.redis_cluster import ReplicatedCluster
from bench.loadgen.seed import PASSWORD, seed_users
from engine.app import connect_redis
from engine.redis_adapter.connections import PipelinedRedis
from engine.redis_adapter.durability import Durability
from engine.redis_adapter.keys import KeySpace

MODES = ("none", "replica")
SHARDS = 6


def _items() -> list[dict[str, Any]]:
    return [
        {
            "kind": "single_choice",
            "stem": f"Question {k}",
            "correct": "b",
            "options": [{"id": o, "text": o} for o in "abc"],
        }
        for k in range(4)
    ]


async def _token(client: httpx.AsyncClient, username: str) -> dict[str, str]:
    r = await client.post("/v1/auth/token", json={"username": username, "password": PASSWORD})
    r.raise_for_status()
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


async def _sittings(api: Proc, database_url: str, students: int) -> list[Sitting]:
    """A school of ``students``, a published exam of four questions, a sitting each."""
    teacher, names = await seed_users(database_url, students, uuid.uuid4().hex[:8])
    async with httpx.AsyncClient(base_url=api.url, timeout=60) as client:
        staff = await _token(client, teacher)
        ids = []
        for item in _items():
            r = await client.post("/v1/items", json=item, headers=staff)
            r.raise_for_status()
            ids.append(r.json()["id"])
        now = time.time()
        r = await client.post(
            "/v1/exams",
            headers=staff,
            json={
                "title": "Failover bench",
                "sections": [{"title": "A", "items": ids}],
                "time_limit_s": 7200,
                "window_open": _iso(now - 60),
                "window_close": _iso(now + 7200),
            },
        )
        r.raise_for_status()
        exam = r.json()
        (await client.post(f"/v1/exams/{exam['id']}/publish", headers=staff)).raise_for_status()
        r = await client.post(
            f"/v1/exams/{exam['id']}/assignments",
            headers=staff,
            json={"org_ids": [exam["org_id"]]},
        )
        r.raise_for_status()
        sittings = []
        for name in names:
            headers = await _token(client, name)
            r = await client.post(f"/v1/exams/{exam['id']}/sittings", headers=headers)
            r.raise_for_status()
            sittings.append(Sitting(r.json()["id"], headers, ids))
        return sittings


def _iso(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(epoch))


async def _load(api: Proc, sittings: list[Sitting], seconds: float) -> Tally:
    tally, stop = Tally(), asyncio.Event()
    limits = httpx.Limits(max_connections=len(sittings))
    async with httpx.AsyncClient(base_url=api.url, timeout=30, limits=limits) as client:
        tasks = [asyncio.create_task(answer_until(client, s, tally, stop)) for s in sittings]
        await asyncio.sleep(seconds)
        stop.set()
        await asyncio.gather(*tasks)
    return tally


def _percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[q - 1] if len(values) > 1 else float("nan")


async def _cost(apis: dict[str, Proc], sittings: dict[str, list[Sitting]], args: Any) -> dict:
    rounds: dict[str, list[dict[str, float]]] = {m: [] for m in MODES}
    for n in range(args.rounds):
        for mode in MODES if n % 2 == 0 else MODES[::-1]:
            tally = await _load(apis[mode], sittings[mode], args.seconds)
            lat = tally.latencies_ms
            rounds[mode].append(
                {
                    "batches_per_s": tally.ok / args.seconds,
                    "p50_ms": _percentile(lat, 50),
                    "p99_ms": _percentile(lat, 99),
                    "refused": sum(tally.refusals.values()),
                }
            )
            print(f"round {n + 1} {mode:8} {json.dumps(rounds[mode][-1])}", flush=True)
    return {
        mode: {k: statistics.median(r[k] for r in rs) for k in rs[0]} for mode, rs in rounds.items()
    }


async def _failover(
    rc: ReplicatedCluster, api: Proc, sittings: list[Sitting], namespace: str, behind_s: float
) -> dict[str, Any]:
    keys = KeySpace(namespace, SHARDS)
    primary_of = {s.id: rc.primary_of(keys.for_sitting(uuid.UUID(s.id)).session) for s in sittings}
    victim = Counter(p for p in primary_of.values() if p != 0).most_common(1)[0][0]
    tally, stop = Tally(), asyncio.Event()
    limits = httpx.Limits(max_connections=len(sittings))
    async with httpx.AsyncClient(base_url=api.url, timeout=30, limits=limits) as client:
        tasks = [
            asyncio.create_task(answer_until(client, s, tally, stop, retry_s=0.1)) for s in sittings
        ]
        await asyncio.sleep(1.0)
        drill = await fail_over(rc, victim, behind_s=behind_s)
        await asyncio.sleep(1.0)
        stop.set()
        await asyncio.gather(*tasks)
    live = rc.nodes[0]
    with redis.RedisCluster(host="127.0.0.1", port=live.port) as r:
        held = {
            s.id: int(r.hget(keys.for_sitting(uuid.UUID(s.id)).session, "last_seq") or 0)
            for s in sittings
        }
    return {
        "acked": sum(s.acked for s in sittings),
        "acked_lost": sum(max(0, s.acked - held[s.id]) for s in sittings),
        "sittings_stuck": sum(s.went_back for s in sittings),
        "refusals": dict(tally.refusals),
        "unavailable_s": round(tally.unavailable_s(), 2),
        "promoted_after_s": round(drill.promoted_after_s, 2),
        "old_primary_back_as_replica_after_s": round(drill.rejoined_after_s, 2),
    }


async def _script_rounds(rc: ReplicatedCluster, args: Any) -> dict[str, Any]:
    """The WAIT alone: the same small script (one SET) on the shared connection, ``none`` and
    ``replica`` alternating, ``--callers`` at once (throughput) and one at a time (latency)."""
    client = connect_redis(rc.url, cluster=True)
    script = client.register_script("redis.call('SET', KEYS[1], ARGV[1]) return 1")
    out: dict[str, Any] = {}
    try:
        for callers in (1, args.callers):
            rounds: dict[str, list[tuple[float, float]]] = {m: [] for m in MODES}
            for n in range(args.rounds):
                for mode in MODES if n % 2 == 0 else MODES[::-1]:
                    pipelined = PipelinedRedis(client, Durability(mode, 1, 1000))  # type: ignore[arg-type]
                    rounds[mode].append(await _script_round(pipelined, script, callers, args))
                    await pipelined.close()
            for mode, found in rounds.items():
                out[f"{mode}_callers_{callers}"] = {
                    "calls_per_s": round(statistics.median(r[0] for r in found)),
                    "p50_us": round(statistics.median(r[1] for r in found)),
                }
    finally:
        await client.aclose()
    return out


async def _script_round(
    pipelined: PipelinedRedis, script: Any, callers: int, args: Any
) -> tuple[float, float]:
    latencies: list[float] = []
    end = time.perf_counter() + args.seconds

    async def caller(n: int) -> None:
        key = f"bench:{{{n}}}"
        while time.perf_counter() < end:
            started = time.perf_counter()
            await pipelined.run_script(script, [key], [n], durable=True)
            latencies.append(time.perf_counter() - started)

    await asyncio.gather(*(caller(n) for n in range(callers)))
    return len(latencies) / args.seconds, statistics.median(latencies) * 1e6


def _api(stores: Cluster, rc: ReplicatedCluster, mode: str, namespace: str, args: Any) -> Proc:
    return stores.start_api(
        UJIAN_REDIS_URL=rc.url,
        UJIAN_REDIS_CLUSTER="true",
        UJIAN_REDIS_NAMESPACE=namespace,
        UJIAN_STREAM_SHARDS=str(SHARDS),
        UJIAN_ANSWER_BUDGET_EVENTS_PER_MIN="0",  # the load is faster than a student's
        UJIAN_REDIS_ACK_DURABILITY=mode,
        UJIAN_REDIS_ACK_TIMEOUT_MS=str(args.ack_timeout_ms),
    )


async def main(args: Any) -> None:
    base = Path(tempfile.mkdtemp(prefix="ujian-bench-failover-"))
    stores = Cluster(base / "stores")
    results: dict[str, Any] = {}
    clusters: list[ReplicatedCluster] = []
    try:
        stores.start_stores()
        # 1. cost: one cluster, one API per setting, rounds alternating
        rc = ReplicatedCluster(base / "cost", node_timeout_ms=1000)
        clusters.append(rc)
        rc.start()
        apis = {mode: _api(stores, rc, mode, f"c{mode}", args) for mode in MODES}
        sittings = {
            mode: await _sittings(apis[mode], stores.database_url, args.students) for mode in MODES
        }
        results["cost"] = await _cost(apis, sittings, args)
        results["script_and_wait"] = await _script_rounds(rc, args)
        print(f"script and WAIT: {json.dumps(results['script_and_wait'])}", flush=True)
        for api in apis.values():
            stores.stop_proc(api)
        rc.stop()
        # 2. a failover per setting, each on a cluster of its own; then replica durability
        # with two replicas per primary (production's layout, infra/README.md)
        for mode, replicas in (*((m, 1) for m in MODES), ("replica", 2)):
            rc = ReplicatedCluster(
                base / f"failover-{mode}-{replicas}", node_timeout_ms=1000, replicas=replicas
            )
            clusters.append(rc)
            rc.start()
            api = _api(stores, rc, mode, f"f{mode}{replicas}", args)
            students = await _sittings(api, stores.database_url, args.students)
            name = f"failover_{mode}" + ("_2_replicas" if replicas == 2 else "")
            results[name] = await _failover(rc, api, students, f"f{mode}{replicas}", args.behind)
            print(f"{name}: {json.dumps(results[name])}", flush=True)
            stores.stop_proc(api)
            rc.stop()
    finally:
        stores.stop()
        for rc in clusters:
            rc.stop()
        shutil.rmtree(base, ignore_errors=True)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=24)
    parser.add_argument("--seconds", type=float, default=3.0, help="length of a cost round")
    parser.add_argument("--rounds", type=int, default=3, help="cost rounds per setting")
    parser.add_argument(
        "--behind", type=float, default=0.5, help="seconds the replica is cut off before the kill"
    )
    parser.add_argument("--ack-timeout-ms", type=int, default=500)
    parser.add_argument(
        "--callers", type=int, default=64, help="concurrent script calls in the WAIT rounds"
    )
    asyncio.run(main(parser.parse_args()))
