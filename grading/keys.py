"""Item keys: what the author says is right, one tagged Struct per item type.

Every key carries ``points`` (the item's maximum). Identifiers are the item's own stable ids,
never display positions, so the per-student shuffling of options cannot change a score. Keys
follow QTI 3.0 response processing: ``match_correct`` (all or nothing) unless partial credit
or a QTI ``mapping`` / ``areaMapping`` (``map_response`` / ``map_response_point``) is given.
Fields added after the first release all have defaults, so stored keys still decode.
"""

from __future__ import annotations

from typing import Literal

import msgspec

from grading.qti_program import QtiProgram


class ValueMap(msgspec.Struct, frozen=True):
    """QTI ``mapping``: points per choice/value, summed once per distinct value, then bounded.

    Unset bounds default to [0, the item's points] so a mapped item stays within its maximum;
    a negative ``lower_bound`` lets an item itself cost points (QTI allows it).
    """

    entries: dict[str, float]
    default_value: float = 0.0
    lower_bound: float | None = None
    upper_bound: float | None = None


class SingleChoiceKey(msgspec.Struct, frozen=True, tag="single_choice", tag_field="kind"):
    correct: str
    points: float = 1.0
    mapping: ValueMap | None = None


class MultipleResponseKey(msgspec.Struct, frozen=True, tag="multiple_response", tag_field="kind"):
    correct: frozenset[str]
    points: float = 1.0
    # all-or-nothing unless partial credit is allowed (right choices minus wrong ones, floored at 0)
    partial_credit: bool = False
    # when set, QTI map_response replaces both rules above
    mapping: ValueMap | None = None


class TrueFalseKey(msgspec.Struct, frozen=True, tag="true_false", tag_field="kind"):
    correct: bool
    points: float = 1.0


class NumericRange(msgspec.Struct, frozen=True):
    """A closed interval of accepted values worth ``credit`` times the item's points."""

    low: float
    high: float
    credit: float = 1.0


class NumericKey(msgspec.Struct, frozen=True, tag="numeric", tag_field="kind"):
    value: float
    absolute_tolerance: float = 0.0
    relative_tolerance: float = 0.0
    points: float = 1.0
    # further accepted intervals (e.g. a half-credit band for a rounding slip)
    ranges: tuple[NumericRange, ...] = ()


class ShortTextKey(msgspec.Struct, frozen=True, tag="short_text", tag_field="kind"):
    accepted: tuple[str, ...]
    case_sensitive: bool = False
    points: float = 1.0
    # "Bogor" and "Bógor" are the same answer unless the item is about the accent
    ignore_diacritics: bool = False
    # regular expressions, matched in full against the normalised answer
    patterns: tuple[str, ...] = ()
    # alternatives worth part of the points: normalised text -> credit in [0, 1]
    partial: dict[str, float] = msgspec.field(default_factory=dict)


class OrderingKey(msgspec.Struct, frozen=True, tag="ordering", tag_field="kind"):
    correct: tuple[str, ...]
    points: float = 1.0
    # partial credit = share of the key's ordered pairs the response keeps in order
    partial_credit: bool = False


class MatchingKey(msgspec.Struct, frozen=True, tag="matching", tag_field="kind"):
    """QTI match/gap match: directed (source, target) pairs; QTI associate: undirected pairs
    of one set of choices, kept with each pair's ids in sorted order (as the mapping's keys)."""

    pairs: frozenset[tuple[str, str]]
    points: float = 1.0
    partial_credit: bool = False
    # QTI map_response over "source target" keys: replaces both rules above
    mapping: ValueMap | None = None
    # QTI base-type pair: (a, b) is (b, a); a response's pairs are sorted before they are scored
    undirected: bool = False


BlankKey = SingleChoiceKey | NumericKey | ShortTextKey


class ClozeKey(msgspec.Struct, frozen=True, tag="cloze", tag_field="kind"):
    """Inline choice / fill-in-the-blanks: several blanks, each keyed like a small item.

    A blank's own ``points`` is its weight within the item; the item is worth ``points``.
    """

    blanks: dict[str, BlankKey]
    points: float = 1.0
    partial_credit: bool = True


class RubricCriterion(msgspec.Struct, frozen=True):
    id: str
    max_points: float
    description: str = ""


class EssayKey(msgspec.Struct, frozen=True, tag="essay", tag_field="kind"):
    """Marked by a person: scores as ``pending_manual`` until a mark is applied."""

    points: float = 1.0
    rubric: tuple[RubricCriterion, ...] = ()


AreaShape = Literal["circle", "rect", "ellipse", "poly"]


class AreaMapEntry(msgspec.Struct, frozen=True):
    """QTI ``areaMapEntry``: coords as in HTML image maps (circle x,y,r; rect x1,y1,x2,y2;
    ellipse x,y,rx,ry; poly x1,y1,x2,y2,...)."""

    shape: AreaShape
    coords: tuple[float, ...]
    mapped_value: float


class SelectPointKey(msgspec.Struct, frozen=True, tag="select_point", tag_field="kind"):
    """QTI select-point with ``areaMapping``: each area counts once however many points hit it."""

    areas: tuple[AreaMapEntry, ...]
    points: float = 1.0
    default_value: float = 0.0
    lower_bound: float | None = None
    upper_bound: float | None = None


class CompositeKey(msgspec.Struct, frozen=True, tag="composite", tag_field="kind"):
    """Several interactions scored together by the item's own QTI response processing (ADR
    0020): a response per interaction, named by its response identifier (a cloze part's
    blanks each by theirs), run through ``program``; the item's score is its SCORE."""

    program: QtiProgram
    points: float = 1.0


ItemKey = (
    SingleChoiceKey
    | MultipleResponseKey
    | TrueFalseKey
    | NumericKey
    | ShortTextKey
    | OrderingKey
    | MatchingKey
    | ClozeKey
    | EssayKey
    | SelectPointKey
    | CompositeKey
)
