"""Capacity forecast: from the schedule, the requests per second each minute needs, and the
pods and Lambda concurrency that implies, so operations can pre-scale before a session opens.

The per-student rates are WORKLOAD.md's (the project's yardstick):
- the start burst: sign-in, start and paper (3 requests) by everyone within ~5 minutes of the
  open instant, spread evenly over those minutes;
- steady state: 0.07 requests/s per student once started (answer batches, telemetry every
  30 s, timer sync every 60 s);
- the deadline: one submit per student in the session's last minute, and one grading job
  each, graded "within seconds" — the job burst the overflow sends to Lambda when the cluster
  is above its threshold. We count the whole burst as overflow: an upper bound.

Pods = ceil(requests/s ÷ (per-pod requests/s × target utilisation)); the per-pod capacity is a
setting (``UJIAN_FORECAST_POD_RPS``, or ``--pod-rps``/``?pod_rps=``) because it depends on the
machine: measure it with the load generator, ``python bench/loadtest.py`` (students_per_core
× 0.07 × cores per pod). The target utilisation is the overflow threshold (the HPA's target
too), so the forecast pods keep the cluster below the point where jobs start leaving for Lambda.

By count the start burst is light (3 requests per student over 5 minutes is 0.01/s, a seventh
of the steady rate) but its requests are the dearest: an argon2 sign-in and a start that
writes. So the start minutes also need ``students starting/s ÷ (pod_starts_per_s × target)``
pods, where ``pod_starts_per_s`` is what bench/bench_precreate.py measures (sign-in + start +
paper per second on one core); a minute needs the larger of the two.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta

import msgspec

START_REQUESTS_PER_STUDENT = 3  # sign-in, start, paper
START_SPREAD_MIN = 5
STEADY_RPS_PER_STUDENT = 0.07
SUBMIT_REQUESTS_PER_STUDENT = 1
DEADLINE_GRADING_S = 10.0  # "graded within seconds": the window the grading burst must fit
LAMBDA_JOB_S = 0.25  # one grading job's duration on Lambda (150 items, 1 GB function)


class Params(msgspec.Struct, frozen=True):
    pod_rps: float = 400.0
    # sign-in + start + paper per second on one core: bench/bench_precreate.py measured ~42
    # argon2 sign-ins/s and ~550 start+paper/s, i.e. ~40/s together
    pod_starts_per_s: float = 40.0
    target_utilisation: float = 0.70
    lambda_job_s: float = LAMBDA_JOB_S
    min_pods: int = 2


class SessionLoad(msgspec.Struct, frozen=True):
    id: str
    label: str
    starts_at: datetime
    ends_at: datetime
    students: int


class Minute(msgspec.Struct, frozen=True):
    at: datetime  # the UTC minute
    requests_per_s: float
    starts_per_s: float  # students signing in, starting and fetching the paper
    pods: int
    lambda_concurrency: int


class SessionForecast(msgspec.Struct, frozen=True):
    session_id: str
    label: str
    starts_at: datetime
    students: int
    peak_requests_per_s: float
    pods: int
    lambda_concurrency: int
    minutes: list[Minute]


class Forecast(msgspec.Struct, frozen=True):
    params: Params
    sessions: list[SessionForecast]
    # minutes where sessions overlap add up: this is what the cluster must hold
    timeline: list[Minute]
    peak_requests_per_s: float
    peak_pods: int
    peak_lambda_concurrency: int


def session_minutes(students: int, duration_min: int) -> list[tuple[float, float, float]]:
    """(requests/s, starts/s, grading jobs/s) for each minute of one session."""
    rows = []
    spread = min(START_SPREAD_MIN, duration_min)
    for minute in range(duration_min):
        rps = starts = 0.0
        if minute < spread:
            starts = students / (spread * 60)
            rps += students * START_REQUESTS_PER_STUDENT / (spread * 60)
            # those who started so far are already answering: half a minute's worth on average
            rps += students * STEADY_RPS_PER_STUDENT * (minute + 0.5) / spread
        else:
            rps += students * STEADY_RPS_PER_STUDENT
        jobs = 0.0
        if minute == duration_min - 1:
            rps += students * SUBMIT_REQUESTS_PER_STUDENT / 60
            jobs = students / DEADLINE_GRADING_S
        rows.append((rps, starts, jobs))
    return rows


def pods_for(rps: float, params: Params, starts: float = 0.0) -> int:
    # less a hair: 10,000 × 0.07 is 700.0000000000001 in floating point, still 5 pods of 140
    by_requests = math.ceil(rps / (params.pod_rps * params.target_utilisation) - 1e-9)
    by_starts = math.ceil(starts / (params.pod_starts_per_s * params.target_utilisation) - 1e-9)
    return max(params.min_pods, by_requests, by_starts)


def lambda_for(jobs_per_s: float, params: Params) -> int:
    return math.ceil(jobs_per_s * params.lambda_job_s)


def _minute(at: datetime, rps: float, starts: float, jobs: float, params: Params) -> Minute:
    return Minute(
        at, round(rps, 1), round(starts, 1), pods_for(rps, params, starts), lambda_for(jobs, params)
    )


def forecast(sessions: Sequence[SessionLoad], params: Params) -> Forecast:
    if (
        params.pod_rps <= 0
        or params.pod_starts_per_s <= 0
        or not 0 < params.target_utilisation <= 1
    ):
        raise ValueError(
            "pod_rps and pod_starts_per_s must be positive and target_utilisation in (0, 1]"
        )
    per_session = []
    total: dict[datetime, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
    for s in sorted(sessions, key=lambda s: (s.starts_at, s.id)):
        first = s.starts_at.replace(second=0, microsecond=0)
        duration = max(1, math.ceil((s.ends_at - first).total_seconds() / 60))
        minutes = []
        for n, (rps, starts, jobs) in enumerate(session_minutes(s.students, duration)):
            at = first + timedelta(minutes=n)
            minutes.append(_minute(at, rps, starts, jobs, params))
            for i, value in enumerate((rps, starts, jobs)):
                total[at][i] += value
        per_session.append(
            SessionForecast(
                s.id,
                s.label,
                s.starts_at,
                s.students,
                max(m.requests_per_s for m in minutes),
                max(m.pods for m in minutes),
                max(m.lambda_concurrency for m in minutes),
                minutes,
            )
        )
    timeline = [
        _minute(at, rps, starts, jobs, params) for at, (rps, starts, jobs) in sorted(total.items())
    ]
    return Forecast(
        params,
        per_session,
        timeline,
        max((m.requests_per_s for m in timeline), default=0.0),
        max((m.pods for m in timeline), default=params.min_pods),
        max((m.lambda_concurrency for m in timeline), default=0),
    )
