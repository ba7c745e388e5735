"""Paper-fetch benchmark: the student paper with the cache warm vs the bare HTTP floor.

Starts a private PostgreSQL and Redis, one ``ujian serve`` process and the bare HTTP floor
(bench/loadgen/floor.py: a separate minimal Litestar app), each under granian with one worker
pinned to CPU 0 as bench/bench_floor.py runs them, the load in this process on CPU 1; seeds the
WORKLOAD.md exam (150 items, shuffled per student), starts N sittings, warms the cache, then, per
encoding asked for (``identity``: no Accept-Encoding; ``gzip``: ``Accept-Encoding: gzip, br``
as a browser sends it), alternates timed rounds of

- ``GET /v1/sittings/{sid}/paper`` (auth, the Redis session read, the cached fragments joined
  in the student's order, latest answers), and
- ``GET /bench/paper-floor`` on the bare floor, which returns the very bytes (and
  Content-Encoding) the paper route sent for the first sitting and does nothing else,

and prints requests/s of each, their ratio (``paper_floor_ratio``, the median of the per-round
ratios; ``_per_cpu`` divides requests by the server process's CPU-seconds instead of wall time,
which a neighbour on the machine moves less), p50/p95/p99 and the cache hit rates the server
counted (``/v1/cache/stats``).

    python bench/bench_paper.py --sittings 100 --concurrency 32 --seconds 3 --rounds 3
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import uvloop

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.loadgen.client import Api
from bench.loadgen.harness import Cluster, Proc
from bench.loadgen.seed import PASSWORD, seed, sign_in
from bench.loadgen.stats import Stats, percentiles

ACCEPT = {"identity": "", "gzip": "accept-encoding: gzip, deflate, br\r\n"}
GZIP_MAGIC = b"\x1f\x8b"


async def _round(
    api: Api,
    endpoint: str,
    paths: list[tuple[str, str | None]],
    seconds: float,
    concurrency: int,
    headers: str,
) -> tuple[float, list[float], int]:
    """Requests/s, latencies (ms) and errors of ``concurrency`` loops over ``paths``."""
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds

    async def loop(offset: int) -> None:
        nonlocal errors
        n = offset
        while time.perf_counter() < deadline:
            path, token = paths[n % len(paths)]
            n += concurrency
            started = time.perf_counter()
            reply = await api.call(endpoint, "GET", path, token=token, headers=headers)
            latencies.append((time.perf_counter() - started) * 1000)
            errors += 0 if reply.ok else 1

    started = time.perf_counter()
    await asyncio.gather(*(loop(i) for i in range(concurrency)))
    return len(latencies) / (time.perf_counter() - started), latencies, errors


async def _measure(
    args: argparse.Namespace,
    encoding: str,
    clients: dict[str, tuple[Api, Proc, list[tuple[str, str | None]]]],
) -> dict[str, float]:
    """Rounds of paper, then floor, for one encoding; the figures of both and their ratios."""
    headers = ACCEPT[encoding]
    api, _, papers = clients["paper"]
    first = await api.call("paper", "GET", papers[0][0], token=papers[0][1], headers=headers)
    gzipped = first.body[:2] == GZIP_MAGIC
    sent = "gzip" if gzipped else "identity"
    floor_api = clients["floor"][0]
    await floor_api.call("set", "POST", f"/bench/paper-floor?encoding={sent}", raw=first.body)
    per_round: dict[str, list[tuple[float, float]]] = {"paper": [], "floor": []}
    latencies: dict[str, list[float]] = {"paper": [], "floor": []}
    errors = {"paper": 0, "floor": 0}
    for name, (client, _, paths) in clients.items():  # warm: connections open, paths compiled
        await _round(client, name, paths, 1.0, args.concurrency, headers)
    for n in range(args.rounds):
        for name, (client, proc, paths) in clients.items():
            cpu = proc.cpu_seconds()
            rate, lat, err = await _round(
                client, name, paths, args.seconds, args.concurrency, headers
            )
            per_cpu = len(lat) / max(proc.cpu_seconds() - cpu, 1e-9)
            per_round[name].append((rate, per_cpu))
            latencies[name] += lat
            errors[name] += err
            print(
                f"{encoding:8} round {n + 1} {name:5}: {rate:9.1f} req/s  {per_cpu:9.1f} req/CPU-s",
                flush=True,
            )
    figures: dict[str, float] = {"body_bytes": len(first.body), "gzip": float(gzipped)}
    for name in ("paper", "floor"):
        p50, p95, p99, _ = percentiles(latencies[name])
        figures[f"{name}_p95_ms"] = round(p95, 2)
        figures[f"{name}_req_s"] = round(statistics.median(r[0] for r in per_round[name]), 1)
        figures[f"{name}_req_per_cpu_s"] = round(
            statistics.median(r[1] for r in per_round[name]), 1
        )
        figures[f"{name}_p50_ms"], figures[f"{name}_p99_ms"] = round(p50, 2), round(p99, 2)
        figures[f"{name}_errors"] = errors[name]
    pairs = list(zip(per_round["paper"], per_round["floor"], strict=True))
    figures["paper_floor_ratio"] = round(statistics.median(a[0] / b[0] for a, b in pairs), 3)
    figures["paper_floor_ratio_per_cpu"] = round(
        statistics.median(a[1] / b[1] for a, b in pairs), 3
    )
    return figures


async def run(args: argparse.Namespace, cluster: Cluster) -> None:
    proc = cluster.start_api(cpus=args.server_cpu, UJIAN_DB_POOL_MAX="20")
    floor_proc = cluster.start_floor(cpus=args.server_cpu)
    api = Api(proc.url, Stats(), connections=args.concurrency)
    floor_api = Api(floor_proc.url, Stats(), connections=args.concurrency)
    results: dict[str, dict[str, float]] = {}
    try:
        plan = await seed(api, cluster.database_url, args.sittings)
        print(f"seeded the WORKLOAD exam (150 items) and {args.sittings} students", flush=True)
        papers: list[tuple[str, str | None]] = []
        for student in plan.students:
            token = await sign_in(api, student, PASSWORD)
            started = await api.call(
                "start", "POST", f"/v1/exams/{plan.exam_id}/sittings", token=token
            )
            papers.append((f"/v1/sittings/{started.json()['id']}/paper", token))
        print(f"{len(papers)} sittings started", flush=True)
        clients = {
            "paper": (api, proc, papers),
            "floor": (floor_api, floor_proc, [("/bench/paper-floor", None)]),
        }
        for encoding in args.encodings.split(","):
            results[encoding] = await _measure(args, encoding, clients)
        teacher_token = await sign_in(api, plan.teacher, PASSWORD)
        stats = (await api.call("stats", "GET", "/v1/cache/stats", token=teacher_token)).json()
    finally:
        await api.close()
        await floor_api.close()
    print(
        f"\n== sittings {args.sittings}, concurrency {args.concurrency}, {args.rounds} rounds x "
        f"{args.seconds} s; servers: granian, 1 worker, CPU {args.server_cpu}; "
        f"load on CPU {args.load_cpu} =="
    )
    for encoding, figures in results.items():
        for name, value in figures.items():
            print(f"{encoding + ' ' + name:<36} {value}")
    print(
        f"paper cache hit rate: {stats['paper_hit_rate']}, item fragment hit rate: "
        f"{stats['fragment_hit_rate']}, counts: {stats['counts']}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sittings", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--encodings", default="identity,gzip", help="identity, gzip or both")
    parser.add_argument("--server-cpu", default="0")
    parser.add_argument("--load-cpu", type=int, default=1)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) > args.load_cpu:
        os.sched_setaffinity(0, {args.load_cpu})
    folder = Path(tempfile.mkdtemp(prefix="ujian-bench-paper-"))
    cluster = Cluster(folder)
    cluster.start_stores()
    try:
        uvloop.run(run(args, cluster))
    finally:
        cluster.stop()
        if not os.environ.get("UJIAN_BENCH_KEEP"):
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
