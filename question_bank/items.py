"""Items as authors write them, and their split into what a student sees and the key.

``ItemCreate`` is a tagged union on ``kind``. ``split_item`` is the only place an authored item
is turned into student content and a grading key, so the student side cannot pick up a key by
accident (the property tests check the student side is independent of the key).
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec

from grading.types import (
    ItemKey,
    MultipleResponseKey,
    NumericKey,
    ShortTextKey,
    SingleChoiceKey,
)

Text = Annotated[str, msgspec.Meta(min_length=1, max_length=20_000)]
OptionId = Annotated[str, msgspec.Meta(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_-]+$")]
Points = Annotated[float, msgspec.Meta(gt=0, le=1000)]
Tolerance = Annotated[float, msgspec.Meta(ge=0)]


class ChoiceOption(msgspec.Struct, frozen=True):
    id: OptionId
    text: Text


Options = Annotated[list[ChoiceOption], msgspec.Meta(min_length=2, max_length=26)]


class SingleChoiceItem(msgspec.Struct, frozen=True, tag="single_choice", tag_field="kind"):
    stem: Text
    options: Options
    correct: OptionId
    points: Points = 1.0


class MultipleResponseItem(
    msgspec.Struct, frozen=True, tag="multiple_response", tag_field="kind"
):
    stem: Text
    options: Options
    correct: list[OptionId]
    partial_credit: bool = False
    points: Points = 1.0


class NumericItem(msgspec.Struct, frozen=True, tag="numeric", tag_field="kind"):
    stem: Text
    value: float
    absolute_tolerance: Tolerance = 0.0
    relative_tolerance: Tolerance = 0.0
    unit: str | None = None
    points: Points = 1.0


class ShortTextItem(msgspec.Struct, frozen=True, tag="short_text", tag_field="kind"):
    stem: Text
    accepted: Annotated[list[Text], msgspec.Meta(min_length=1, max_length=50)]
    case_sensitive: bool = False
    max_length: Annotated[int, msgspec.Meta(ge=1, le=10_000)] = 200
    points: Points = 1.0


ItemCreate = SingleChoiceItem | MultipleResponseItem | NumericItem | ShortTextItem


class StudentItem(msgspec.Struct, frozen=True, omit_defaults=True):
    """What a student may see of an item: never a key, never feedback."""

    id: str
    kind: str
    stem: str
    points: float
    options: list[ChoiceOption] | None = None
    unit: str | None = None
    max_length: int | None = None


class ItemError(ValueError):
    """An authored item that decodes but does not make sense (e.g. a key that is no option)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def _check_options(options: list[ChoiceOption], correct: list[str]) -> None:
    ids = [o.id for o in options]
    if len(set(ids)) != len(ids):
        raise ItemError("options", "option ids must be unique")
    unknown = sorted(set(correct) - set(ids))
    if unknown:
        raise ItemError("correct", f"not an option id: {', '.join(unknown)}")


def split_item(item_id: str, item: ItemCreate) -> tuple[StudentItem, ItemKey]:
    """(student content, grading key) of an authored item; raises ItemError when inconsistent."""
    match item:
        case SingleChoiceItem():
            _check_options(item.options, [item.correct])
            key: ItemKey = SingleChoiceKey(correct=item.correct, points=item.points)
            options: list[ChoiceOption] | None = item.options
        case MultipleResponseItem():
            if len(set(item.correct)) != len(item.correct):
                raise ItemError("correct", "an option is listed twice")
            _check_options(item.options, item.correct)
            key = MultipleResponseKey(
                correct=frozenset(item.correct),
                points=item.points,
                partial_credit=item.partial_credit,
            )
            options = item.options
        case NumericItem():
            if item.value != item.value or item.value in (float("inf"), float("-inf")):
                raise ItemError("value", "must be a finite number")
            key = NumericKey(
                value=item.value,
                absolute_tolerance=item.absolute_tolerance,
                relative_tolerance=item.relative_tolerance,
                points=item.points,
            )
            options = None
        case ShortTextItem():
            key = ShortTextKey(
                accepted=tuple(item.accepted),
                case_sensitive=item.case_sensitive,
                points=item.points,
            )
            options = None
    student = StudentItem(
        id=item_id,
        kind=item.__struct_config__.tag,  # type: ignore[arg-type]
        stem=item.stem,
        points=item.points,
        options=options,
        unit=getattr(item, "unit", None),
        max_length=getattr(item, "max_length", None),
    )
    return student, key


def item_kind(item: ItemCreate) -> str:
    tag: Any = item.__struct_config__.tag
    return str(tag)
