"""How far a per-student override may stray from the exam: pure rules, no I/O.

An override is an accommodation or a make-up (a student sits later, or with more time), not a
second exam: its window stays within ``OVERRIDE_SLACK`` of the exam's own window, its time
limit within ``LIMIT_FACTOR`` times the exam's, and its extra time within the exam's limit.
WHY: without bounds one staff member could give a student a year-long window or a day of
extra time on an organiser's national exam.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import msgspec

from engine.accounts.models import OverrideSet

OVERRIDE_SLACK = timedelta(days=14)
LIMIT_FACTOR = 2


class ExamTerms(msgspec.Struct, frozen=True):
    """What the exam itself sets: the limit and window an override departs from."""

    time_limit_s: int
    window_open: datetime
    window_close: datetime


def override_errors(data: OverrideSet, exam: ExamTerms) -> list[dict[str, Any]]:
    """Each way the override strays too far, as ``{"field", "message"}``; empty if none."""
    errors: list[dict[str, Any]] = []
    earliest, latest = exam.window_open - OVERRIDE_SLACK, exam.window_close + OVERRIDE_SLACK
    for field, value in (("window_open", data.window_open), ("window_close", data.window_close)):
        if value is not None and not earliest <= value <= latest:
            errors.append(
                {
                    "field": field,
                    "message": f"must be within {OVERRIDE_SLACK.days} "
                    "days of the exam's own window",
                }
            )
    opens = data.window_open or exam.window_open
    closes = data.window_close or exam.window_close
    if closes <= opens:
        errors.append(
            {"field": "window_close", "message": "the student's window would close before it opens"}
        )
    if data.time_limit_s is not None and data.time_limit_s > LIMIT_FACTOR * exam.time_limit_s:
        errors.append(
            {
                "field": "time_limit_s",
                "message": f"at most {LIMIT_FACTOR} times the "
                f"exam's limit ({LIMIT_FACTOR * exam.time_limit_s} s)",
            }
        )
    if data.extra_time_s > exam.time_limit_s:
        errors.append(
            {
                "field": "extra_time_s",
                "message": f"at most the exam's own limit ({exam.time_limit_s} s)",
            }
        )
    return errors


def effective_limit_s(
    limit_s: int, override_limit_s: int | None, extra_pct: int, extra_s: int
) -> int:
    """The student's own time: the override's limit (else the exam's), plus the standing
    percentage accommodation, plus the per-exam extra seconds."""
    base = override_limit_s or limit_s
    return base + (base * extra_pct) // 100 + extra_s
