"""What every request pays: the answer endpoint and Ujian's own floor against a bare Litestar app.

Starts everything itself, in a fresh temporary folder, and removes it at the end: a private
PostgreSQL and Redis (AOF on) and a ``ujian worker`` on CPU 1 with this process (the load), and
on CPU 0, each under granian with one worker as ``ujian serve`` runs the API:

- the bare floor: bench/loadgen/floor.py's ``bare_app``, a minimal Litestar app (no middleware,
  guards or plugins of ours) whose POST decodes the answer batch and does nothing (WORKLOAD.md);
- the in-app floor: Ujian's whole app with the same do-nothing POST registered by the benchmark
  (no such route exists in the service);
- ``ujian serve``: the answer endpoint, ``POST /v1/sittings/{id}/answers``.

The three are measured in turn, ROUNDS times (bare, in-app, answers), by the same closed-loop
load with the same bodies (batches of ``--batch`` events). Each ratio is the median of the
per-round ratios (a neighbour's burst moves one round, not the figure); ``*_per_cpu`` divides
requests by the CPU-seconds the server process used instead of by wall time (when the load
generator cannot keep CPU 0 busy, the wall-time ratio understates the faster side less than the
slower). The worker is paused while the phases run and stores each round's answers between
rounds; at the end every acknowledged answer is checked in PostgreSQL (``acked_lost``).

    python bench/bench_floor.py --students 300 --seconds 3 --rounds 5
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

import uvloop

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_workload import _integrity, _line, _pin_self, _wait_for_empty_answer_streams

from bench.loadgen.client import Api
from bench.loadgen.closed_loop import AnswerSteps, drive, start_students
from bench.loadgen.harness import Cluster, Proc
from bench.loadgen.seed import seed
from bench.loadgen.stats import Stats
from bench.loadgen.student import Ledger

PHASES = ("bare_floor", "app_floor", "answers")


async def run(args: argparse.Namespace, cluster: Cluster) -> dict[str, float]:
    api_proc = cluster.start_api(cpus=args.server_cpu)
    procs: dict[str, Proc] = {
        "bare_floor": cluster.start_floor(cpus=args.server_cpu),
        "app_floor": cluster.start_floor(in_app=True, cpus=args.server_cpu),
        "answers": api_proc,
    }
    worker = cluster.start_worker(cpus=args.worker_cpus, UJIAN_DB_POOL_MAX="60")
    clients = {
        name: Api(proc.url, Stats(), connections=args.concurrency * 2)
        for name, proc in procs.items()
    }
    ledger = Ledger()
    steps = AnswerSteps(ledger, batch=args.batch)
    step_of = {"bare_floor": steps.floor, "app_floor": steps.floor, "answers": steps.answers}
    figures: dict[str, float] = {}
    try:
        api = clients["answers"]
        plan = await seed(api, cluster.database_url, args.students)
        sittings, _ = await start_students(
            api, plan.exam_id, plan.students, plan.password, args.start_concurrency
        )
        _line("sittings started", len(sittings))
        worker.pause()
        for name in PHASES:  # warm-up: connections open, every path compiled
            await drive(
                clients[name], sittings, step_of[name], concurrency=args.concurrency, seconds=1
            )
        stats = {name: Stats() for name in PHASES}
        per_round: dict[str, list[tuple[float, float]]] = {name: [] for name in PHASES}
        for _ in range(args.rounds):
            for name in PHASES:
                client, proc = clients[name], procs[name]
                client.stats = stats[name]
                before_n, before_cpu = client.stats.requests, proc.cpu_seconds()
                took = await drive(
                    client,
                    sittings,
                    step_of[name],
                    concurrency=args.concurrency,
                    seconds=args.seconds,
                )
                done = client.stats.requests - before_n
                per_round[name].append(
                    (done / took, done / max(proc.cpu_seconds() - before_cpu, 1e-9))
                )
            worker.resume()  # the round's answers stored before the next one
            await _wait_for_empty_answer_streams(cluster.redis.url)
            worker.pause()
        worker.resume()

        def ratio(num: str, den: str, per_cpu: bool) -> float:
            i = 1 if per_cpu else 0
            pairs = zip(per_round[num], per_round[den], strict=True)
            return round(statistics.median(a[i] / b[i] for a, b in pairs), 3)

        for name in PHASES:
            rates = [r[0] for r in per_round[name]]
            figures[f"{name}_req_s"] = round(statistics.median(rates), 1)
            figures[f"{name}_req_per_cpu_s"] = round(
                statistics.median(r[1] for r in per_round[name]), 1
            )
            summary = stats[name].summary()
            for e in summary.endpoints:
                _line(
                    f"  {name}",
                    f"p50 {e.p50_ms:6.1f}  p95 {e.p95_ms:6.1f}  p99 {e.p99_ms:6.1f} ms  "
                    f"ok {e.ok}/{e.requests}",
                )
                figures[f"{name}_p99_ms"] = e.p99_ms
            for error, count in summary.errors.items():
                _line(f"  {name} error", f"{error}: {count}")
        figures["app_floor_ratio"] = ratio("app_floor", "bare_floor", False)
        figures["app_floor_ratio_per_cpu"] = ratio("app_floor", "bare_floor", True)
        figures["http_floor_ratio"] = ratio("answers", "bare_floor", False)
        figures["http_floor_ratio_per_cpu"] = ratio("answers", "bare_floor", True)
        figures["answers_per_core_s"] = round(
            stats["answers"].answers_acked / (args.rounds * args.seconds)
        )
        _line(
            "per round (answers/bare)",
            " ".join(
                f"{a[0] / b[0]:.2f}"
                for a, b in zip(per_round["answers"], per_round["bare_floor"], strict=True)
            ),
        )
        _line(
            "per round (in-app/bare)",
            " ".join(
                f"{a[0] / b[0]:.2f}"
                for a, b in zip(per_round["app_floor"], per_round["bare_floor"], strict=True)
            ),
        )
        await _wait_for_empty_answer_streams(cluster.redis.url)
        lost, acked = await _integrity(cluster, ledger)
        figures["acked_lost"] = lost
        figures["acked"] = acked
    finally:
        worker.resume()
        for client in clients.values():
            await client.close()
    return figures


async def main(args: argparse.Namespace) -> int:
    _pin_self(args.load_cpu)
    base = Path(tempfile.mkdtemp(prefix="ujian-bench-floor-"))
    cluster = Cluster(base)
    try:
        cluster.start_stores()
        figures = await run(args, cluster)
    finally:
        cluster.stop()
        if args.keep:
            print(f"logs and data kept in {base}")
        else:
            shutil.rmtree(base, ignore_errors=True)
    print(
        f"\n== {args.rounds} rounds x {args.seconds} s, concurrency {args.concurrency}, "
        f"batches of {args.batch}; servers: granian, 1 worker, CPU {args.server_cpu}; "
        f"load on CPU {args.load_cpu} =="
    )
    for name, value in figures.items():
        _line(name, value)
    return 1 if figures.get("acked_lost") else 0


def parse() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--students", type=int, default=300)
    p.add_argument("--start-concurrency", type=int, default=16)
    p.add_argument("--concurrency", type=int, default=32)
    p.add_argument("--batch", type=int, default=2, help="events per answer batch")
    p.add_argument("--seconds", type=float, default=3.0)
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--server-cpu", default="0")
    p.add_argument("--worker-cpus", default="1")
    p.add_argument("--load-cpu", type=int, default=1)
    p.add_argument("--keep", action="store_true")
    return p.parse_args()


if __name__ == "__main__":
    sys.exit(uvloop.run(main(parse())))
