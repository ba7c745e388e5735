"""``ujian forecast``: the capacity an event's schedule needs, minute by minute, for operations
to pre-scale (pods, Lambda reserved concurrency) before a session opens."""

from __future__ import annotations

import argparse
import asyncio
import uuid
from typing import Any

import asyncpg
import msgspec

from engine.scheduling import repository_views as views
from engine.scheduling.forecast import Forecast, Minute, Params, SessionLoad
from engine.scheduling.views import forecast_of


def add_parser(sub: Any) -> None:
    parser = sub.add_parser(
        "forecast",
        help="requests/s per minute, pods and Lambda concurrency an event needs",
        description="Forecast from the schedule (WORKLOAD.md's per-student rates). Pods = "
        "ceil(rps / (pod capacity x target utilisation)).",
    )
    parser.add_argument("--event", required=True, type=uuid.UUID, help="the event's id")
    parser.add_argument(
        "--pod-rps",
        type=float,
        default=None,
        help="requests/s one API pod holds (default UJIAN_FORECAST_POD_RPS)",
    )
    parser.add_argument(
        "--target-utilisation",
        type=float,
        default=None,
        help="utilisation to plan for (default UJIAN_OVERFLOW_THRESHOLD)",
    )
    parser.add_argument(
        "--pod-starts",
        type=float,
        default=None,
        help="sign-in + start + paper per second one pod holds (default 40)",
    )
    parser.add_argument("--json", action="store_true", help="print the forecast as JSON")
    parser.set_defaults(func=cmd_forecast)


async def _loads(dsn: str, event_id: uuid.UUID) -> list[SessionLoad]:
    conn = await asyncpg.connect(dsn)
    try:
        return await views.session_loads(conn, event_id)
    finally:
        await conn.close()


def _ranges(minutes: list[Minute]) -> list[tuple[Minute, Minute]]:
    """Consecutive minutes with the same figures, as (first, last)."""
    out: list[tuple[Minute, Minute]] = []
    for m in minutes:
        if (
            out
            and (out[-1][1].requests_per_s, out[-1][1].pods, out[-1][1].lambda_concurrency)
            == (m.requests_per_s, m.pods, m.lambda_concurrency)
            and (m.at - out[-1][1].at).total_seconds() == 60
        ):
            out[-1] = (out[-1][0], m)
        else:
            out.append((m, m))
    return out


def render(result: Forecast) -> str:
    p = result.params
    lines = [
        f"pod capacity {p.pod_rps:g} req/s and {p.pod_starts_per_s:g} starts/s at "
        f"{p.target_utilisation:.0%} utilisation; "
        f"grading job {p.lambda_job_s:g} s on Lambda",
        "",
        f"{'session':<28} {'starts (UTC)':<17} {'students':>9} {'peak rps':>9} "
        f"{'pods':>5} {'lambda':>7}",
    ]
    for s in result.sessions:
        lines.append(
            f"{s.label[:28]:<28} {s.starts_at:%Y-%m-%d %H:%M} {s.students:>9} "
            f"{s.peak_requests_per_s:>9.1f} {s.pods:>5} {s.lambda_concurrency:>7}"
        )
    lines += ["", f"{'minutes (UTC)':<29} {'req/s':>9} {'pods':>5} {'lambda':>7}"]
    for first, last in _ranges(result.timeline):
        span = f"{first.at:%Y-%m-%d %H:%M}" + (f"–{last.at:%H:%M}" if last is not first else "")
        lines.append(
            f"{span:<29} {first.requests_per_s:>9.1f} {first.pods:>5} {first.lambda_concurrency:>7}"
        )
    lines += [
        "",
        f"peak: {result.peak_requests_per_s:.1f} req/s, {result.peak_pods} pods, "
        f"{result.peak_lambda_concurrency} Lambda concurrency",
    ]
    return "\n".join(lines)


def cmd_forecast(args: argparse.Namespace) -> int:
    from engine.cli import resolved_settings

    with resolved_settings() as settings:
        loads = asyncio.run(_loads(settings.database_url or "", args.event))
        params = Params(
            pod_rps=args.pod_rps or settings.forecast_pod_rps,
            pod_starts_per_s=args.pod_starts or Params().pod_starts_per_s,
            target_utilisation=args.target_utilisation or settings.overflow_threshold,
        )
    if not loads:
        print(f"no sessions for event {args.event}")
        return 1
    result = forecast_of(loads, params)
    print(
        msgspec.json.format(msgspec.json.encode(result)).decode() if args.json else render(result)
    )
    return 0
