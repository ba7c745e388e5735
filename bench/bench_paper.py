"""Paper-fetch benchmark: the student paper with the cache warm vs the bare HTTP floor.

Starts a private PostgreSQL and Redis, one ``ujian serve`` process on loopback and the bare
HTTP floor (bench/loadgen/floor.py: a separate minimal Litestar app under the same server),
seeds the WORKLOAD.md exam (150 items), starts N
sittings, warms the cache, then alternates timed rounds of

- ``GET /v1/sittings/{sid}/paper`` (auth, Redis session read, cached fragments joined in the
  student's order, latest answers), and
- ``GET /bench/paper-floor?size=<paper bytes>`` on the bare floor (returns that many JSON bytes
  and does nothing else),

and prints requests/s of each, their ratio (``paper_floor_ratio``), p50/p95/p99 and the cache
hit rates the server counted (``/v1/cache/stats``).

    python bench/bench_paper.py --sittings 200 --concurrency 64 --seconds 5 --rounds 2
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.loadgen.client import Api
from bench.loadgen.harness import Cluster
from bench.loadgen.seed import PASSWORD, seed, sign_in
from bench.loadgen.stats import Stats, percentiles


async def _round(
    api: Api, endpoint: str, paths: list[tuple[str, str | None]], seconds: float, concurrency: int
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
            reply = await api.call(endpoint, "GET", path, token=token)
            latencies.append((time.perf_counter() - started) * 1000)
            errors += 0 if reply.ok else 1

    started = time.perf_counter()
    await asyncio.gather(*(loop(i) for i in range(concurrency)))
    return len(latencies) / (time.perf_counter() - started), latencies, errors


async def run(args: argparse.Namespace, cluster: Cluster) -> None:
    proc = cluster.start_api(UJIAN_DB_POOL_MAX="20")
    api = Api(proc.url, Stats(), connections=args.concurrency)
    floor_api = Api(cluster.start_floor().url, Stats(), connections=args.concurrency)
    try:
        plan = await seed(api, cluster.database_url, args.sittings)
        print(f"seeded the WORKLOAD exam (150 items) and {args.sittings} students", flush=True)
        papers: list[tuple[str, str | None]] = []
        for student in plan.students:
            token = await sign_in(api, student, PASSWORD)
            started = await api.call(
                "start", "POST", f"/v1/exams/{plan.exam_id}/sittings", token=token
            )
            sitting_id = started.json()["id"]
            papers.append((f"/v1/sittings/{sitting_id}/paper", token))
        first = await api.call("paper", "GET", papers[0][0], token=papers[0][1])
        size = len(first.body)
        floor = [(f"/bench/paper-floor?size={size}", None)]
        # warm: every sitting's session and the compiled paper in the server's memory
        await _round(api, "paper", papers, 1.0, args.concurrency)
        results: dict[str, list[float]] = {"paper": [], "floor": []}
        latencies: dict[str, list[float]] = {"paper": [], "floor": []}
        errors = {"paper": 0, "floor": 0}
        for n in range(args.rounds):
            for name, paths, client in (("paper", papers, api), ("floor", floor, floor_api)):
                rate, lat, err = await _round(client, name, paths, args.seconds, args.concurrency)
                results[name].append(rate)
                latencies[name] += lat
                errors[name] += err
                print(f"round {n + 1} {name:5}: {rate:9.1f} req/s", flush=True)
        teacher_token = await sign_in(api, plan.teacher, PASSWORD)
        stats = (await api.call("stats", "GET", "/v1/cache/stats", token=teacher_token)).json()
    finally:
        await api.close()
        await floor_api.close()
    paper_rate = sum(results["paper"]) / len(results["paper"])
    floor_rate = sum(results["floor"]) / len(results["floor"])
    print(
        f"\npaper size: {size} bytes, sittings: {args.sittings}, concurrency: "
        f"{args.concurrency}, server: 1 process on loopback"
    )
    for name, rate in (("paper_warm", paper_rate), ("http_floor", floor_rate)):
        key = "paper" if name == "paper_warm" else "floor"
        p50, p95, p99, _ = percentiles(latencies[key])
        print(
            f"{name:11} {rate:9.1f} req/s   p50 {p50:6.2f} ms  p95 {p95:6.2f} ms  "
            f"p99 {p99:6.2f} ms  errors {errors[key]}"
        )
    print(f"paper_floor_ratio: {paper_rate / floor_rate:.3f}")
    print(
        f"paper cache hit rate: {stats['paper_hit_rate']}, item fragment hit rate: "
        f"{stats['fragment_hit_rate']}, counts: {stats['counts']}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sittings", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="ujian-bench-paper-"))
    cluster = Cluster(folder)
    cluster.start_stores()
    try:
        asyncio.run(run(args, cluster))
    finally:
        cluster.stop()
        if not os.environ.get("UJIAN_BENCH_KEEP"):
            import shutil

            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
