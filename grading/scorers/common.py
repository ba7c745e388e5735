"""Building blocks shared by the scorers: status from credit, QTI mapping with bounds."""

from __future__ import annotations

import math
from collections.abc import Iterable

from grading.keys import ValueMap
from grading.types import ItemScore, ScoreStatus

# credit within this of 1 counts as full marks: shares such as 2/3 + 1/3 do not sum exactly
_FULL = 1.0 - 1e-9


def blank(max_points: float, min_points: float = 0.0) -> ItemScore:
    return ItemScore(points=0.0, max_points=max_points, status="blank", min_points=min_points)


def all_or_nothing(correct: bool, max_points: float) -> ItemScore:
    return ItemScore(
        points=max_points if correct else 0.0,
        max_points=max_points,
        status="correct" if correct else "incorrect",
    )


def from_credit(credit: float, max_points: float) -> ItemScore:
    """A score worth ``credit`` (a share in [0, 1]) of the item's points."""
    credit = min(1.0, max(0.0, credit))
    if credit >= _FULL:
        return ItemScore(points=max_points, max_points=max_points, status="correct")
    status: ScoreStatus = "partial" if credit > 0.0 else "incorrect"
    return ItemScore(points=max_points * credit, max_points=max_points, status=status)


def from_points(points: float, max_points: float, min_points: float) -> ItemScore:
    """A score of already-bounded points (QTI map_response / map_response_point)."""
    if max_points > 0 and points >= max_points * _FULL:
        return ItemScore(max_points, max_points, "correct", min_points)
    status: ScoreStatus = "partial" if points > 0.0 else "incorrect"
    return ItemScore(points, max_points, status, min_points)


def mapping_bounds(
    lower: float | None, upper: float | None, max_points: float
) -> tuple[float, float]:
    """QTI bounds, defaulting to [0, points]; never above the item's points.

    A positive lower bound only lifts answered responses: a blank one still scores 0, so
    the item's lowest score (its ``min_points``) is min(lower, 0).
    """
    high = max_points if upper is None else min(upper, max_points)
    low = 0.0 if lower is None else min(lower, high)
    return low, high


def mapping_min(mapping: ValueMap | None, max_points: float) -> float:
    """The item's lowest score under an optional mapping (what a blank reports as min)."""
    if mapping is None:
        return 0.0
    return min(0.0, mapping_bounds(mapping.lower_bound, mapping.upper_bound, max_points)[0])


def map_response(mapping: ValueMap, values: Iterable[str], max_points: float) -> ItemScore:
    """QTI map_response: each distinct value mapped once (unmapped: the default), bounded."""
    # fsum: exactly rounded, so the score cannot depend on the order a set is iterated in
    total = math.fsum(mapping.entries.get(v, mapping.default_value) for v in set(values))
    low, high = mapping_bounds(mapping.lower_bound, mapping.upper_bound, max_points)
    return from_points(min(high, max(low, total)), max_points, min(low, 0.0))
