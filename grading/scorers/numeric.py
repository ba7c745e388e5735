"""Numeric items: an exact value with absolute/relative tolerance, plus accepted ranges."""

from __future__ import annotations

import math

from grading.keys import NumericKey
from grading.scorers.common import from_credit
from grading.types import ItemScore


def _within(lo: float, hi: float, value: float) -> bool:
    # a tiny epsilon so that decimal answers such as 0.1 + 0.2 are not lost to binary rounding
    slack = 1e-9 * max(1.0, abs(lo), abs(hi))
    return lo - slack <= value <= hi + slack


def numeric_credit(key: NumericKey, value: float) -> float:
    if not math.isfinite(value):
        return 0.0
    allowed = max(key.absolute_tolerance, abs(key.value) * key.relative_tolerance)
    if _within(key.value - allowed, key.value + allowed, value):
        return 1.0
    # the best range wins when accepted intervals overlap
    return max((r.credit for r in key.ranges if _within(r.low, r.high, value)), default=0.0)


def score_numeric(key: NumericKey, value: float) -> ItemScore:
    return from_credit(numeric_credit(key, value), key.points)
