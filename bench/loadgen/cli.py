"""``python bench/loadtest.py``: seed (or reuse) a plan, run the students, print the summary."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path

import msgspec
from rich.console import Console
from rich.live import Live
from rich.table import Table

from .client import Api
from .runner import Report, run
from .seed import Plan, seed
from .stats import Stats
from .student import Ledger, Scenario


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python bench/loadtest.py",
        description="simulate students (WORKLOAD.md) against a server",
    )
    p.add_argument("--base-url", default="http://127.0.0.1:8000")
    p.add_argument(
        "--database-url",
        default=os.environ.get("UJIAN_DATABASE_URL"),
        help="to seed students and check every acked answer is stored "
        "(default: UJIAN_DATABASE_URL)",
    )
    p.add_argument("--students", type=int, default=200)
    p.add_argument(
        "--duration",
        type=float,
        default=60.0,
        help="seconds the 180-minute exam is compressed into (think times and the "
        "page's heartbeat shrink alike)",
    )
    p.add_argument("--ramp", type=float, default=10.0, help="seconds of the start burst")
    p.add_argument("--plan", type=Path, help="reuse a plan written by --seed-only")
    p.add_argument(
        "--seed-only",
        type=Path,
        metavar="FILE",
        help="seed the students and exam, write the plan to FILE and stop",
    )
    p.add_argument("--no-submit", action="store_true", help="leave the sittings open")
    p.add_argument(
        "--legacy-mix",
        action="store_true",
        help="send the page's conversation before the heartbeat (a telemetry request every "
        "30 s and a timer sync every 60 s beside the answer batches), for comparison; by "
        "default the students send what the page sends: answer batches and heartbeats, both "
        "carrying telemetry",
    )
    p.add_argument("--json", type=Path, help="also write the report as JSON")
    p.add_argument("--quiet", action="store_true", help="no live progress")
    return p


def summary_table(report: Report) -> Table:
    table = Table(
        title=f"{report.students} students, {report.summary.seconds} s, "
        f"{report.summary.rate_s} req/s, {report.summary.answers_acked} "
        f"answers acked"
    )
    for column in ("endpoint", "requests", "ok", "req/s", "p50 ms", "p95 ms", "p99 ms", "max ms"):
        table.add_column(column, justify="left" if column == "endpoint" else "right")
    for e in report.summary.endpoints:
        table.add_row(
            e.endpoint,
            str(e.requests),
            str(e.ok),
            f"{e.rate_s:.1f}",
            f"{e.p50_ms:.1f}",
            f"{e.p95_ms:.1f}",
            f"{e.p99_ms:.1f}",
            f"{e.max_ms:.1f}",
        )
    return table


def print_report(console: Console, report: Report) -> None:
    console.print(summary_table(report))
    for error, count in report.summary.errors.items():
        console.print(f"  error {error}: {count}")
    if report.students_failed:
        console.print(f"  students that gave up: {report.students_failed}")
        for failure in report.failures[:5]:
            console.print(f"    {failure}")
    if report.integrity is not None:
        i = report.integrity
        console.print(
            f"integrity: acked={i.acked} acked_lost={i.acked_lost} "
            f"wrong_stored={i.wrong_stored} duplicated={i.duplicated} "
            f"(persister caught up in {i.waited_s} s)"
        )


async def _main(args: argparse.Namespace, console: Console) -> int:
    if args.plan:
        plan = msgspec.json.decode(args.plan.read_bytes(), type=Plan)
    else:
        if not args.database_url:
            console.print("seeding needs --database-url (or UJIAN_DATABASE_URL), or use --plan")
            return 2
        api = Api(args.base_url, Stats())
        try:
            plan = await seed(api, args.database_url, args.students)
        finally:
            await api.close()
        if args.seed_only:
            args.seed_only.write_bytes(msgspec.json.format(msgspec.json.encode(plan)))
            console.print(f"plan for {len(plan.students)} students written to {args.seed_only}")
            return 0
    scenario = Scenario(
        answer_window_s=args.duration,
        ramp_s=args.ramp,
        submit=not args.no_submit,
        conversation="legacy" if args.legacy_mix else "page",
    )
    live = Live(console=console, refresh_per_second=2, transient=True)

    def progress(stats: Stats, ledger: Ledger, students: int) -> None:
        live.update(
            f"[{stats.elapsed():6.1f} s] {stats.requests} requests "
            f"({stats.requests / max(stats.elapsed(), 1e-9):.0f}/s), "
            f"{stats.answers_acked} answers acked, {sum(stats.errors.values())} errors, "
            f"students done {ledger.students_done}/{students} "
            f"(gave up {ledger.students_failed})"
        )

    quiet = args.quiet or not console.is_terminal
    if not quiet:
        live.start()
    try:
        report, _ = await run(
            args.base_url,
            plan,
            scenario,
            dsn=args.database_url,
            progress=None if quiet else progress,
            students=args.students if args.plan else None,
        )
    finally:
        if not quiet:
            live.stop()
    print_report(console, report)
    if args.json:
        args.json.write_bytes(msgspec.json.format(msgspec.json.encode(report)))
    bad = report.integrity is not None and (
        report.integrity.acked_lost or report.integrity.wrong_stored
    )
    return 1 if bad else 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return asyncio.run(_main(args, Console(file=sys.stdout)))
