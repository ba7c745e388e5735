"""Fixing a wrong answer key after the exam: the rules, as pure functions.

A teacher sends the authoring fields of the key that change (``{"correct": "c"}``,
``{"accepted": ["Jakarta", "jakarta"]}``, ...). They are merged over the item as authored and
checked the way authoring checks an item, so a fixed key is always one the item could have
had; what the students saw (stem, options, points) cannot change this way. Re-grading then
scores that one item again from each sitting's answer and recomputes the outcome from the
stored item scores: every other item keeps its score exactly, essay marks included.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec

from grading.keys import ItemKey
from grading.outcomes import ExamOutcome, ScoringPolicy, outcome_from_item_scores
from grading.responses import Response
from grading.scoring import score_item
from grading.types import EssayKey, ItemScore
from question_bank.kinds import ItemCreate, ItemError
from question_bank.service import stored_item

# the authoring fields that make up a key (every other field is what the students saw)
KEY_FIELDS = frozenset(
    {
        "correct",
        "accepted",
        "case_sensitive",
        "ignore_diacritics",
        "patterns",
        "partial",
        "value",
        "absolute_tolerance",
        "relative_tolerance",
        "ranges",
        "pairs",
        "partial_credit",
        "mapping",
        "areas",
        "default_value",
        "lower_bound",
        "upper_bound",
        "blanks",
    }
)


class KeyFixError(ValueError):
    """A key fix that cannot be applied; ``code`` is the problem code the API answers with."""

    def __init__(self, code: str, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.code = code
        self.field = field
        self.message = message


def corrected_key(
    authored: Mapping[str, Any],
    content: Mapping[str, Any],
    key: ItemKey,
    earlier: Mapping[str, Any],
    changes: Mapping[str, Any],
) -> tuple[ItemKey, dict[str, Any]]:
    """(the new key, every change so far) of an item, or KeyFixError.

    ``authored``/``content``/``key``: the published item version; ``earlier``: the changes of
    a previous fix of this exam's key (a second fix builds on the first)."""
    if isinstance(key, EssayKey):
        raise KeyFixError("not_auto_scored", "item", "essays are marked by hand, not by a key")
    if not changes:
        raise KeyFixError("key_unchanged", "changes", "name at least one field of the key")
    for field in changes:
        if field in ("points", "kind"):
            raise KeyFixError("not_a_key_field", field, "the points and the kind stay as published")
        if field not in KEY_FIELDS:
            raise KeyFixError(
                "not_a_key_field", field, "only the key changes after publishing, not the question"
            )
    merged = {**earlier, **changes}
    try:
        item = msgspec.convert({**authored, **merged}, ItemCreate)
        stored = stored_item(item)
    except msgspec.ValidationError as err:
        raise KeyFixError("invalid_key", "changes", str(err)) from err
    except ItemError as err:
        raise KeyFixError("invalid_key", err.field, err.message) from err
    if {k: v for k, v in stored.content.items() if k != "id"} != {
        k: v for k, v in content.items() if k != "id"
    }:
        raise KeyFixError(
            "not_a_key_field", "changes", "the change would alter what the students saw"
        )
    new_key = msgspec.convert(stored.key, ItemKey)
    if new_key == key:
        raise KeyFixError("key_unchanged", "changes", "the key is already this one")
    return new_key, merged


def rescore_item(
    items: Mapping[str, ItemScore],
    item_id: str,
    key: ItemKey,
    response: Response | None,
    policy: ScoringPolicy,
) -> ExamOutcome:
    """The outcome with one item scored again under ``key``; every other score is kept."""
    rescored = dict(items)
    rescored[item_id] = score_item(key, response)
    return outcome_from_item_scores(rescored, policy)
