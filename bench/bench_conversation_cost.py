"""API CPU per request of each kind the student page sends, measured one kind at a time.

Starts a private PostgreSQL and Redis and ``ujian serve`` (one process) pinned to CPU 0, seeds
an exam, starts the students, then sends each kind of the page's conversation in a closed loop
(answer batch, answer batch with telemetry, heartbeat, heartbeat with telemetry, and the
page's steady-state mix of them) and prints the API's CPU time per request of each kind
(``Proc.cpu_seconds``), so what the telemetry part adds to a request is read off directly, and
the students one API CPU-second serves on the mix (students_per_core's figure without the
p99 target, and steadier on a shared machine: the core's time others take is not counted).
``--spy KIND`` records the API process with py-spy
(raw folded stacks) while that kind runs.

    python bench/bench_conversation_cost.py --students 100 --seconds 4
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import uvloop

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.loadgen.client import Api
from bench.loadgen.closed_loop import AnswerSteps, drive, mixed_step, start_students
from bench.loadgen.harness import Cluster
from bench.loadgen.seed import seed
from bench.loadgen.stats import Stats
from bench.loadgen.student import Ledger
from bench.loadgen.workload import EXAM_S, conversation_mix

KINDS = ("answers", "answers_telemetry", "heartbeat", "heartbeat_telemetry", "mix")


async def main(args: argparse.Namespace) -> None:
    if hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) > 1:
        os.sched_setaffinity(0, {1})
    base = Path(tempfile.mkdtemp(prefix="ujian-cost-"))
    cluster = Cluster(base)
    try:
        cluster.start_stores()
        proc = cluster.start_api(cpus="0")
        api = Api(proc.url, Stats(), connections=args.concurrency * 2)
        plan = await seed(api, cluster.database_url, args.students)
        sittings, _ = await start_students(api, plan.exam_id, plan.students, plan.password, 16)
        steps = AnswerSteps(Ledger())
        per_request: dict[str, list[float]] = {kind: [] for kind in KINDS}
        for kind in [k for _ in range(args.rounds) for k in KINDS]:
            # "mix": the page's steady-state conversation (workload.conversation_mix)
            step = mixed_step(steps, conversation_mix() if kind == "mix" else {kind: 1.0})
            await drive(api, sittings, step, concurrency=args.concurrency, seconds=0.5)  # warm
            api.stats = Stats()
            spy = None
            if args.spy == kind:
                out = str(Path(args.spy_out).resolve())  # noqa: ASYNC240 - before the clock runs
                spy = subprocess.Popen(  # noqa: ASYNC220 - before the clock runs
                    [
                        args.py_spy,
                        "record",
                        "-p",
                        str(proc.children()[0] if proc.children() else proc.process.pid),
                        "-f",
                        "raw",
                        "-o",
                        out,
                        "-r",
                        "400",
                        "-d",
                        str(int(args.seconds)),
                    ],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            used = proc.cpu_seconds()
            await drive(api, sittings, step, concurrency=args.concurrency, seconds=args.seconds)
            spent = proc.cpu_seconds() - used
            if spy is not None:
                spy.wait()
            summary = api.stats.summary()
            n = summary.requests
            per_request[kind].append(1e6 * spent / max(n, 1))
            ok = sum(e.ok for e in summary.endpoints)
            print(
                f"{kind:<22} {n:6d} requests ({ok} ok)  {n / args.seconds:7.0f} req/s  "
                f"API CPU {1e6 * spent / max(n, 1):6.0f} us/request",
                flush=True,
            )
            for error, count in summary.errors.items():
                print(f"{'':<22} error {error}: {count}")
        print("median API CPU per request over the rounds:")
        for kind, spent_us in per_request.items():
            print(f"  {kind:<22} {statistics.median(spent_us):6.0f} us")
        mix = conversation_mix()
        per_student_s = sum(mix.values()) / EXAM_S
        students = 1e6 / statistics.median(per_request["mix"]) / per_student_s
        print(f"students per API CPU-second on the mix: {students:,.0f}")
        await api.close()
    finally:
        cluster.stop()
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--spy", choices=KINDS, default=None)
    parser.add_argument("--spy-out", default="spy.raw")
    parser.add_argument("--py-spy", default="py-spy")
    uvloop.run(main(parser.parse_args()))
