"""Item keys, student responses and scores: the one schema grading speaks.

Keys and responses are tagged unions (``kind``) so a stored or queued value decodes to
exactly one type. Option and value identifiers are the item's own stable ids, never display
positions, so shuffling options for a student cannot change a score.
"""

from __future__ import annotations

from typing import Literal

import msgspec


class SingleChoiceKey(msgspec.Struct, frozen=True, tag="single_choice", tag_field="kind"):
    correct: str
    points: float = 1.0


class MultipleResponseKey(msgspec.Struct, frozen=True, tag="multiple_response", tag_field="kind"):
    correct: frozenset[str]
    points: float = 1.0
    # all-or-nothing unless partial credit is allowed (right choices minus wrong ones, floored at 0)
    partial_credit: bool = False


class NumericKey(msgspec.Struct, frozen=True, tag="numeric", tag_field="kind"):
    value: float
    absolute_tolerance: float = 0.0
    relative_tolerance: float = 0.0
    points: float = 1.0


class ShortTextKey(msgspec.Struct, frozen=True, tag="short_text", tag_field="kind"):
    accepted: tuple[str, ...]
    case_sensitive: bool = False
    points: float = 1.0


ItemKey = SingleChoiceKey | MultipleResponseKey | NumericKey | ShortTextKey


class SingleChoiceResponse(msgspec.Struct, frozen=True, tag="single_choice", tag_field="kind"):
    choice: str


class MultipleResponseResponse(
    msgspec.Struct, frozen=True, tag="multiple_response", tag_field="kind"
):
    choices: frozenset[str]


class NumericResponse(msgspec.Struct, frozen=True, tag="numeric", tag_field="kind"):
    value: float


class ShortTextResponse(msgspec.Struct, frozen=True, tag="short_text", tag_field="kind"):
    text: str


Response = SingleChoiceResponse | MultipleResponseResponse | NumericResponse | ShortTextResponse

# blank: no response at all (or an empty one); distinguishable from a wrong answer
ScoreStatus = Literal["correct", "partial", "incorrect", "blank"]


class ItemScore(msgspec.Struct, frozen=True):
    points: float
    max_points: float
    status: ScoreStatus


class PaperScore(msgspec.Struct, frozen=True):
    points: float
    max_points: float
    items: dict[str, ItemScore]
