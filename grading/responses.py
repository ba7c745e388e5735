"""Student responses, one tagged Struct per item type (the tags match the keys')."""

from __future__ import annotations

import msgspec


class SingleChoiceResponse(msgspec.Struct, frozen=True, tag="single_choice", tag_field="kind"):
    choice: str


class MultipleResponseResponse(
    msgspec.Struct, frozen=True, tag="multiple_response", tag_field="kind"
):
    choices: frozenset[str]


class TrueFalseResponse(msgspec.Struct, frozen=True, tag="true_false", tag_field="kind"):
    value: bool


class NumericResponse(msgspec.Struct, frozen=True, tag="numeric", tag_field="kind"):
    value: float


class ShortTextResponse(msgspec.Struct, frozen=True, tag="short_text", tag_field="kind"):
    text: str


class OrderingResponse(msgspec.Struct, frozen=True, tag="ordering", tag_field="kind"):
    order: tuple[str, ...]


class MatchingResponse(msgspec.Struct, frozen=True, tag="matching", tag_field="kind"):
    pairs: frozenset[tuple[str, str]]


BlankResponse = SingleChoiceResponse | NumericResponse | ShortTextResponse


class ClozeResponse(msgspec.Struct, frozen=True, tag="cloze", tag_field="kind"):
    blanks: dict[str, BlankResponse]


class EssayResponse(msgspec.Struct, frozen=True, tag="essay", tag_field="kind"):
    text: str


class SelectPointResponse(msgspec.Struct, frozen=True, tag="select_point", tag_field="kind"):
    points: tuple[tuple[float, float], ...]


PartResponse = (
    SingleChoiceResponse
    | MultipleResponseResponse
    | TrueFalseResponse
    | NumericResponse
    | ShortTextResponse
    | OrderingResponse
    | MatchingResponse
    | ClozeResponse
    | EssayResponse
    | SelectPointResponse
)


class CompositeResponse(msgspec.Struct, frozen=True, tag="composite", tag_field="kind"):
    """A composite item's answer: one response per part, by the part's id (its interaction's
    response identifier; a cloze part's by its first blank's)."""

    parts: dict[str, PartResponse]


Response = (
    SingleChoiceResponse
    | MultipleResponseResponse
    | TrueFalseResponse
    | NumericResponse
    | ShortTextResponse
    | OrderingResponse
    | MatchingResponse
    | ClozeResponse
    | EssayResponse
    | SelectPointResponse
    | CompositeResponse
)
