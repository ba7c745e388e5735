"""Choice items: single choice, multiple response, true/false."""

from __future__ import annotations

from grading.keys import MultipleResponseKey, SingleChoiceKey, TrueFalseKey
from grading.scorers.common import (
    all_or_nothing,
    blank,
    from_credit,
    map_response,
    mapping_min,
)
from grading.types import ItemScore


def score_single_choice(key: SingleChoiceKey, choice: str) -> ItemScore:
    if not choice:
        return blank(key.points, mapping_min(key.mapping, key.points))
    if key.mapping is not None:
        return map_response(key.mapping, (choice,), key.points)
    return all_or_nothing(choice == key.correct, key.points)


def score_multiple_response(key: MultipleResponseKey, chosen: frozenset[str]) -> ItemScore:
    if not chosen:
        return blank(key.points, mapping_min(key.mapping, key.points))
    if key.mapping is not None:
        return map_response(key.mapping, chosen, key.points)
    if not key.partial_credit:
        return all_or_nothing(chosen == key.correct, key.points)
    if not key.correct:
        return all_or_nothing(False, key.points)
    # right minus wrong: ticking every box must not be a strategy that earns credit
    right = len(chosen & key.correct)
    wrong = len(chosen - key.correct)
    return from_credit((right - wrong) / len(key.correct), key.points)


def score_true_false(key: TrueFalseKey, value: bool) -> ItemScore:
    return all_or_nothing(value is key.correct, key.points)
