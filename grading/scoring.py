"""Scoring one item response against its key. Pure: no I/O, no clock."""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Mapping

from grading.types import (
    ItemKey,
    ItemScore,
    MultipleResponseKey,
    MultipleResponseResponse,
    NumericKey,
    NumericResponse,
    Response,
    ShortTextKey,
    ShortTextResponse,
    SingleChoiceKey,
    SingleChoiceResponse,
    PaperScore,
)


def _all_or_nothing(correct: bool, max_points: float) -> ItemScore:
    return ItemScore(
        points=max_points if correct else 0.0,
        max_points=max_points,
        status="correct" if correct else "incorrect",
    )


def normalise_text(text: str, *, case_sensitive: bool) -> str:
    """Compatibility-normalised, whitespace-collapsed text, folded unless case matters."""
    folded = " ".join(unicodedata.normalize("NFKC", text).split())
    return folded if case_sensitive else folded.casefold()


def _score_multiple(key: MultipleResponseKey, chosen: frozenset[str]) -> ItemScore:
    if not key.partial_credit:
        return _all_or_nothing(chosen == key.correct, key.points)
    if not key.correct:
        return _all_or_nothing(not chosen, key.points)
    right = len(chosen & key.correct)
    wrong = len(chosen - key.correct)
    share = max(0.0, (right - wrong) / len(key.correct))
    points = key.points * share
    status = "correct" if share == 1.0 else ("partial" if share > 0 else "incorrect")
    return ItemScore(points=points, max_points=key.points, status=status)


def _numeric_matches(key: NumericKey, value: float) -> bool:
    if not math.isfinite(value):
        return False
    allowed = max(key.absolute_tolerance, abs(key.value) * key.relative_tolerance)
    # a tiny epsilon so that decimal answers such as 0.1 + 0.2 are not lost to binary rounding
    return abs(value - key.value) <= allowed + 1e-9 * max(1.0, abs(key.value))


def score_item(key: ItemKey, response: Response | None) -> ItemScore:
    """Points for one response; a missing or empty response is ``blank``, worth nothing."""
    match key, response:
        case _, None:
            return ItemScore(points=0.0, max_points=key.points, status="blank")
        case SingleChoiceKey(), SingleChoiceResponse(choice=choice):
            return _all_or_nothing(choice == key.correct, key.points)
        case MultipleResponseKey(), MultipleResponseResponse(choices=choices):
            if not choices:
                return ItemScore(points=0.0, max_points=key.points, status="blank")
            return _score_multiple(key, choices)
        case NumericKey(), NumericResponse(value=value):
            return _all_or_nothing(_numeric_matches(key, value), key.points)
        case ShortTextKey(), ShortTextResponse(text=text):
            if not text.strip():
                return ItemScore(points=0.0, max_points=key.points, status="blank")
            given = normalise_text(text, case_sensitive=key.case_sensitive)
            accepted = {normalise_text(a, case_sensitive=key.case_sensitive) for a in key.accepted}
            return _all_or_nothing(given in accepted, key.points)
        case _:
            # a response of another item type cannot earn points
            return ItemScore(points=0.0, max_points=key.points, status="incorrect")


def score_paper(keys: Mapping[str, ItemKey], responses: Mapping[str, Response | None]) -> PaperScore:
    """Raw score of a whole paper: every keyed item scored, unanswered ones as blank."""
    items = {item_id: score_item(key, responses.get(item_id)) for item_id, key in keys.items()}
    return PaperScore(
        points=sum(s.points for s in items.values()),
        max_points=sum(s.max_points for s in items.values()),
        items=items,
    )
