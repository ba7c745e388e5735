"""Item keys, student responses and scores: the one schema grading speaks.

Keys and responses are tagged unions (``kind``) so a stored or queued value decodes to
exactly one type. Option and value identifiers are the item's own stable ids, never display
positions, so shuffling options for a student cannot change a score. The keys and responses
live in :mod:`grading.keys` and :mod:`grading.responses`; they are re-exported here because
this is the import path the engine has always used.
"""

from __future__ import annotations

from typing import Literal

import msgspec

from grading.keys import (
    AreaMapEntry,
    AreaShape,
    BlankKey,
    ClozeKey,
    CompositeKey,
    EssayKey,
    ItemKey,
    MatchingKey,
    MultipleResponseKey,
    NumericKey,
    NumericRange,
    OrderingKey,
    RubricCriterion,
    SelectPointKey,
    ShortTextKey,
    SingleChoiceKey,
    TrueFalseKey,
    ValueMap,
)
from grading.responses import (
    BlankResponse,
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

__all__ = [
    "AreaMapEntry",
    "AreaShape",
    "BlankKey",
    "BlankResponse",
    "ClozeKey",
    "ClozeResponse",
    "CompositeKey",
    "CompositeResponse",
    "EssayKey",
    "EssayResponse",
    "ItemKey",
    "ItemScore",
    "ManualMark",
    "MatchingKey",
    "MatchingResponse",
    "MultipleResponseKey",
    "MultipleResponseResponse",
    "NumericKey",
    "NumericRange",
    "NumericResponse",
    "OrderingKey",
    "OrderingResponse",
    "PaperScore",
    "Response",
    "RubricCriterion",
    "ScoreStatus",
    "SelectPointKey",
    "SelectPointResponse",
    "ShortTextKey",
    "ShortTextResponse",
    "SingleChoiceKey",
    "SingleChoiceResponse",
    "TrueFalseKey",
    "TrueFalseResponse",
    "ValueMap",
]

# blank: no response at all (or an empty one); distinguishable from a wrong answer.
# pending_manual: an essay waiting for a marker; it is worth 0 until the mark is applied.
ScoreStatus = Literal["correct", "partial", "incorrect", "blank", "pending_manual"]


class ItemScore(msgspec.Struct, frozen=True):
    points: float
    max_points: float
    status: ScoreStatus
    # below 0 only when a QTI mapping has a negative lower bound
    min_points: float = 0.0


class PaperScore(msgspec.Struct, frozen=True):
    points: float
    max_points: float
    items: dict[str, ItemScore]


class ManualMark(msgspec.Struct, frozen=True):
    """A marker's mark for an essay: either overall ``points`` or points per rubric criterion."""

    points: float | None = None
    criteria: dict[str, float] = msgspec.field(default_factory=dict)
    marker: str = ""
