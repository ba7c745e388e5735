"""Scoring one item response against its key, and a whole paper. Pure: no I/O, no clock."""

from __future__ import annotations

from collections.abc import Mapping

from grading.keys import (
    ClozeKey,
    CompositeKey,
    EssayKey,
    ItemKey,
    MatchingKey,
    MultipleResponseKey,
    NumericKey,
    OrderingKey,
    SelectPointKey,
    ShortTextKey,
    SingleChoiceKey,
    TrueFalseKey,
)
from grading.responses import (
    ClozeResponse,
    CompositeResponse,
    EssayResponse,
    MatchingResponse,
    MultipleResponseResponse,
    NumericResponse,
    OrderingResponse,
    Response,
    SelectPointResponse,
    ShortTextResponse,
    SingleChoiceResponse,
    TrueFalseResponse,
)
from grading.scorers import (
    apply_manual_mark,
    normalise_text,
    score_cloze,
    score_essay,
    score_matching,
    score_multiple_response,
    score_numeric,
    score_ordering,
    score_select_point,
    score_short_text,
    score_single_choice,
    score_true_false,
)
from grading.scorers.common import blank, mapping_bounds, mapping_min
from grading.scorers.composite import score_composite
from grading.types import ItemScore, ManualMark, PaperScore

__all__ = ["apply_manual_mark", "item_min_points", "normalise_text", "score_item", "score_paper"]


def item_min_points(key: ItemKey) -> float:
    """The lowest score the item can give: 0 unless a QTI mapping has a negative lower bound."""
    match key:
        case SingleChoiceKey(mapping=m) | MultipleResponseKey(mapping=m) | MatchingKey(mapping=m):
            return mapping_min(m, key.points)
        case SelectPointKey():
            return min(0.0, mapping_bounds(key.lower_bound, key.upper_bound, key.points)[0])
        case _:
            return 0.0


def score_item(key: ItemKey, response: Response | None) -> ItemScore:
    """Points for one response; a missing or empty response is ``blank``, worth nothing."""
    match key, response:
        case CompositeKey(), None:
            # the author's processing decides what nothing is worth, as for any response
            return score_composite(key, {})
        case _, None:
            return blank(key.points, item_min_points(key))
        case SingleChoiceKey(), SingleChoiceResponse(choice=choice):
            return score_single_choice(key, choice)
        case MultipleResponseKey(), MultipleResponseResponse(choices=choices):
            return score_multiple_response(key, choices)
        case TrueFalseKey(), TrueFalseResponse(value=value):
            return score_true_false(key, value)
        case NumericKey(), NumericResponse(value=value):
            return score_numeric(key, value)
        case ShortTextKey(), ShortTextResponse(text=text):
            return score_short_text(key, text)
        case OrderingKey(), OrderingResponse(order=order):
            return score_ordering(key, order)
        case MatchingKey(), MatchingResponse(pairs=pairs):
            return score_matching(key, pairs)
        case ClozeKey(), ClozeResponse(blanks=blanks):
            return score_cloze(key, blanks)
        case EssayKey(), EssayResponse(text=text):
            return score_essay(key, text)
        case SelectPointKey(), SelectPointResponse(points=points):
            return score_select_point(key, points)
        case CompositeKey(), CompositeResponse(parts=parts):
            return score_composite(key, parts)
        case _:
            # a response of another item type cannot earn points
            return ItemScore(0.0, key.points, "incorrect", item_min_points(key))


def _score_with_mark(key: ItemKey, response: Response | None, mark: ManualMark | None) -> ItemScore:
    if mark is not None and isinstance(key, EssayKey):
        text = response.text if isinstance(response, EssayResponse) else None
        return apply_manual_mark(key, text, mark)
    return score_item(key, response)


def score_paper(
    keys: Mapping[str, ItemKey],
    responses: Mapping[str, Response | None],
    manual_marks: Mapping[str, ManualMark] | None = None,
) -> PaperScore:
    """Raw score of a whole paper: every keyed item scored, unanswered ones as blank.

    ``manual_marks`` (item id -> mark) completes essays; unmarked essays stay pending.
    """
    marks = manual_marks or {}
    items = {
        item_id: _score_with_mark(key, responses.get(item_id), marks.get(item_id))
        for item_id, key in keys.items()
    }
    return PaperScore(
        points=sum(s.points for s in items.values()),
        max_points=sum(s.max_points for s in items.values()),
        items=items,
    )
