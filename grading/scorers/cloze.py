"""Cloze / inline choice: several blanks, each scored like a small item, weighted."""

from __future__ import annotations

from grading.keys import BlankKey, ClozeKey, NumericKey, ShortTextKey, SingleChoiceKey
from grading.responses import (
    BlankResponse,
    NumericResponse,
    ShortTextResponse,
    SingleChoiceResponse,
)
from grading.scorers.choice import score_single_choice
from grading.scorers.common import all_or_nothing, blank, from_credit
from grading.scorers.numeric import numeric_credit
from grading.scorers.text import short_text_credit
from grading.types import ItemScore


def _blank_credit(key: BlankKey, response: BlankResponse | None) -> float | None:
    """Credit in [0, 1] for one blank; None when the blank was left empty."""
    match key, response:
        case _, None:
            return None
        case SingleChoiceKey(), SingleChoiceResponse(choice=choice):
            if not choice:
                return None
            score = score_single_choice(key, choice)
            return score.points / key.points if key.points > 0 else 0.0
        case NumericKey(), NumericResponse(value=value):
            return numeric_credit(key, value)
        case ShortTextKey(), ShortTextResponse(text=text):
            return short_text_credit(key, text) if text.strip() else None
        case _:
            return 0.0


def score_cloze(key: ClozeKey, blanks: dict[str, BlankResponse]) -> ItemScore:
    credits = {bid: _blank_credit(bk, blanks.get(bid)) for bid, bk in key.blanks.items()}
    if all(c is None for c in credits.values()):
        return blank(key.points)
    total_weight = sum(max(0.0, bk.points) for bk in key.blanks.values())
    if total_weight <= 0:
        return all_or_nothing(False, key.points)
    share = (
        sum(max(0.0, bk.points) * (credits[bid] or 0.0) for bid, bk in key.blanks.items())
        / total_weight
    )
    if not key.partial_credit:
        return all_or_nothing(share >= 1.0 - 1e-9, key.points)
    return from_credit(share, key.points)
