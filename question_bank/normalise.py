"""Normalising an authored item before it is stored or exported: rich text cleaned (Markdown
converted), characters XML cannot carry removed, so the stored item is what a QTI round trip
gives back."""

from __future__ import annotations

import html
import re
from typing import Any

import msgspec

from grading.keys import ValueMap
from grading.scorers.common import mapping_bounds
from question_bank.content import ContentError, plain_text, rich_text
from question_bank.gap_match import gap_ids
from question_bank.hottext import passage_ids
from question_bank.kinds import (
    ChoiceBlank,
    ChoiceOption,
    ClozeItem,
    CompositeItem,
    ItemCreate,
    ItemError,
    MatchingItem,
    MultipleResponseItem,
    OrderingItem,
    SelectPointItem,
    SingleChoiceItem,
    StimulusSpec,
    TextFormat,
)


def _rich(field: str, text: str, fmt: TextFormat = "html") -> str:
    try:
        return rich_text(text, fmt)
    except ContentError as err:
        raise ItemError(field, err.message, code=err.code) from err


def _clean_stimulus(stimulus: StimulusSpec | None, fmt: TextFormat) -> StimulusSpec | None:
    """The stimulus's body cleaned as a stem is, its title one line of words (as QTI's
    normalizedString reads it back)."""
    if stimulus is None:
        return None
    body = _rich("stimulus.body", stimulus.body, fmt)
    title = " ".join(stimulus.title.split())
    if not body:
        raise ItemError("stimulus.body", "nothing is left once unsafe markup is removed")
    if not title:
        raise ItemError("stimulus.title", "the title has no words")
    return StimulusSpec(stimulus.id, title, body)


def _clean_options(field: str, options: list[ChoiceOption]) -> list[ChoiceOption]:
    return [
        ChoiceOption(o.id, _rich(f"{field}[{n}].text", o.text), o.fixed)
        for n, o in enumerate(options)
    ]


# characters XML 1.0 cannot carry (and a lone CR, which XML turns into LF): an item must
# survive a QTI round trip, and none of these has a place in an exam anyway
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_safe(text: str) -> str:
    return _NOT_XML.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def _xml_safe_all(value: Any) -> Any:
    if isinstance(value, str):
        return xml_safe(value)
    if isinstance(value, list):
        return [_xml_safe_all(v) for v in value]
    if isinstance(value, dict):
        return {xml_safe(k): _xml_safe_all(v) for k, v in value.items()}
    return value


def normalise_item(item: ItemCreate) -> ItemCreate:
    """The item with every rich text cleaned (Markdown converted): what is stored and exported.

    Raises ItemError when cleaning leaves a required text empty or breaks the item's rules.
    """
    try:
        item = msgspec.convert(_xml_safe_all(msgspec.to_builtins(item)), ItemCreate)
    except msgspec.ValidationError as err:
        raise ItemError("item", f"not valid once unsafe characters are removed: {err}") from err
    fmt = item.format
    changes: dict[str, Any] = {
        "stem": _rich("stem", item.stem, fmt),
        "format": "html",
        "explanation": _rich("explanation", item.explanation, fmt) if item.explanation else None,
        "stimulus": _clean_stimulus(item.stimulus, fmt),
    }
    match item:
        case SingleChoiceItem() | MultipleResponseItem() if item.hottext is not None:
            # the options keep their places in the passage: there is no order to shuffle, and
            # they are listed as the passage places them (as the QTI import reads them)
            passage = _rich("hottext.passage", item.hottext.passage, fmt)
            place = {oid: n for n, oid in enumerate(passage_ids(passage))}
            options = _clean_options("options", item.options)
            changes["options"] = sorted(options, key=lambda o: place.get(o.id, len(place)))
            changes["shuffle"] = False
            changes["hottext"] = msgspec.structs.replace(item.hottext, passage=passage)
        case SingleChoiceItem() | MultipleResponseItem() | OrderingItem() if (
            item.graphic is not None
        ):
            # a hotspot's label is a line of plain text (QTI's hotspot-label), drawn on the
            # picture: its words, escaped as the rich text it stays
            labels = _clean_options("options", item.options)
            changes["options"] = [
                ChoiceOption(o.id, html.escape(plain_text(o.text), quote=False), o.fixed)
                for o in labels
            ]
            if any(not o.text for o in changes["options"]):
                raise ItemError("options", "a hotspot's label has no words")
            if isinstance(item, SingleChoiceItem):
                # a single choice takes one hotspot, whatever count it was written with (the
                # QTI export says max-choices="1", so the round trip reads it back the same)
                changes["graphic"] = msgspec.structs.replace(item.graphic, max_choices=1)
        case SingleChoiceItem() | MultipleResponseItem() | OrderingItem():
            changes["options"] = _clean_options("options", item.options)
        case MatchingItem() if item.gap_match is not None:
            # a gap shows no text of its own: it is named by its place in the stem (the review
            # and the statistics list it so), and the gaps are listed in that order
            place = {gid: n for n, gid in enumerate(gap_ids(changes["stem"]))}
            targets = sorted(item.targets, key=lambda t: place.get(t.id, len(place)))
            changes["sources"] = _clean_options("sources", item.sources)
            changes["targets"] = [ChoiceOption(t.id, str(n + 1)) for n, t in enumerate(targets)]
            # one gap per text is QTI's usual match-max and the spec's default: not repeated
            limits = {k: v for k, v in item.gap_match.match_max.items() if v != 1}
            changes["gap_match"] = msgspec.structs.replace(item.gap_match, match_max=limits)
        case MatchingItem() if item.associate is not None:
            # one set of choices: the targets are the sources again (the matching scorer, the
            # statistics and the review read a pair as (source, target))
            changes["sources"] = changes["targets"] = _clean_options("sources", item.sources)
            limits = {k: v for k, v in item.associate.match_max.items() if v != 1}
            changes["associate"] = msgspec.structs.replace(item.associate, match_max=limits)
        case MatchingItem():
            changes["sources"] = _clean_options("sources", item.sources)
            changes["targets"] = _clean_options("targets", item.targets)
        case ClozeItem():
            changes["blanks"] = {
                bid: msgspec.structs.replace(
                    b, options=_clean_options(f"blanks.{bid}.options", b.options)
                )
                if isinstance(b, ChoiceBlank)
                else b
                for bid, b in item.blanks.items()
            }
        case CompositeItem():
            changes["parts"] = {pid: _part(pid, p, fmt) for pid, p in item.parts.items()}
        case _:
            pass
    for field in ("stem", "explanation"):
        if changes[field] == "" and getattr(item, field):
            raise ItemError(field, "nothing is left once unsafe markup is removed")
    return _implicit_bounds(msgspec.structs.replace(item, **changes))


def _part(pid: str, part: Any, fmt: TextFormat) -> Any:
    """A composite's part, normalised as a lone item of its kind in the item's format."""
    try:
        return normalise_item(msgspec.structs.replace(part, format=fmt))
    except ItemError as err:
        raise ItemError(f"parts.{pid}.{err.field}", err.message, code=err.code) from err


def _implicit_bounds(item: ItemCreate) -> ItemCreate:
    """A mapping's bounds that Ujian applies anyway ([0, points]) are left unnamed: one stored
    form for one rule, so an exported item (the QTI export writes both bounds out, as QTI's
    mapping is otherwise unbounded) imports back as it was."""
    mapping = getattr(item, "mapping", None)
    if isinstance(mapping, ValueMap):
        lower, upper = _unnamed(mapping.lower_bound, mapping.upper_bound, item.points)
        mapping = msgspec.structs.replace(mapping, lower_bound=lower, upper_bound=upper)
        item = msgspec.structs.replace(item, mapping=mapping)
    if isinstance(item, SelectPointItem):
        lower, upper = _unnamed(item.lower_bound, item.upper_bound, item.points)
        item = msgspec.structs.replace(item, lower_bound=lower, upper_bound=upper)
    return item


def _unnamed(
    lower: float | None, upper: float | None, points: float
) -> tuple[float | None, float | None]:
    """The bounds grading applies (grading.scorers.common.mapping_bounds), each left unnamed
    where it is what an unnamed bound means: the points above, 0 (or the cap, if negative) below."""
    low, high = mapping_bounds(lower, upper, points)
    return (None if low == min(0.0, high) else low), (None if high == points else high)
