"""Essays: pending until a person marks them; applying a mark is a pure function."""

from __future__ import annotations

from grading.keys import EssayKey
from grading.scorers.common import blank, from_credit
from grading.types import ItemScore, ManualMark


def score_essay(key: EssayKey, text: str) -> ItemScore:
    if not text.strip():
        return blank(key.points)
    return ItemScore(points=0.0, max_points=key.points, status="pending_manual")


def apply_manual_mark(key: EssayKey, text: str | None, mark: ManualMark) -> ItemScore:
    """The essay's score once marked.

    With a rubric the mark gives points per criterion (each clipped to its maximum) and the
    rubric total is scaled to the item's points; without one, ``mark.points`` is the score.
    A blank essay stays blank whatever the mark: there is nothing to give credit for.
    Raises ValueError for a mark that does not fit the key, so a typo never becomes a score.
    """
    if text is None or not text.strip():
        return blank(key.points)
    if key.rubric:
        known = {c.id for c in key.rubric}
        unknown = set(mark.criteria) - known
        if unknown:
            raise ValueError(f"unknown rubric criteria: {sorted(unknown)}")
        missing = known - set(mark.criteria)
        if missing:
            raise ValueError(f"rubric criteria not marked: {sorted(missing)}")
        possible = sum(max(0.0, c.max_points) for c in key.rubric)
        if possible <= 0:
            raise ValueError("the rubric is worth no points")
        given = sum(min(max(0.0, c.max_points), max(0.0, mark.criteria[c.id])) for c in key.rubric)
        return from_credit(given / possible, key.points)
    if mark.points is None:
        raise ValueError("the mark has no points")
    if key.points <= 0:
        return from_credit(0.0, key.points)
    return from_credit(mark.points / key.points, key.points)
