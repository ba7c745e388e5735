"""What an answer may be, item by item: the bounds the answer endpoint checks before storing.

A paper's rules are built once per exam version from its compiled, keyless items (the same
bytes the student paper is joined from, so the rules can never disagree with what the page
shows) and kept in the process with the paper (``cache.PaperCache.rules``). Checking an event
is then a dictionary lookup and a few set and length tests: no database, no Redis.

A response is refused when it is of another kind than its item, names an option, source, target
or blank the item does not have, picks more runs of a hottext passage or more hotspots of a
picture than it allows, fills a gap twice, puts a gap text in more gaps than its match-max or
fills more gaps than the item's max-associations, pairs a choice with itself or past its match-
max or gives more pairs than an associate item's max-associations, gives a number off a slider's
scale, lists one twice where that makes no sense (an ordering, a source matched twice), carries
text longer than the item takes (its own ``max_length``, else the kind's default, never above
the deployment's cap), a number that is not finite or is past ``NUMBER_LIMIT``, or more points
than a select-point item takes, or a point far off its picture. A minimum (min-choices, min-
associations) refuses nothing: the page saves an answer as it is built, and names one short of
its minimum before the sitting is submitted.
"""

from __future__ import annotations

import heapq
import uuid
from array import array
from collections.abc import Callable
from typing import Any

import msgspec

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
from question_bank.associate import pairing_problem as associate_problem
from question_bank.gap_match import pairing_problem
from question_bank.items import StudentItem
from question_bank.kinds import AssociateSpec, GapMatchSpec
from question_bank.paper import CompiledItem, CompiledPaper, student_order
from question_bank.scale import on_scale

# an item without its own max_length (the authoring schema always gives short text and essays
# one; cloze text blanks have none): the kind's limit. A blank holds a word or a phrase.
DEFAULT_MAX_CHARS = {"short_text": 200, "essay": 5000}
BLANK_MAX_CHARS = 1000
# any physical quantity an exam asks for fits; sums and means over a cohort stay finite
NUMBER_LIMIT = 1e100
# a click on the picture's border maps slightly outside it; further off is not a click
POINT_MARGIN = 0.1
# an associate answer's pairs (26 choices make 325): bounds the work before its own limits
MAX_PAIRS = 325


class BlankRule(msgspec.Struct, frozen=True):
    kind: str
    options: frozenset[str] = frozenset()


class ItemRule(msgspec.Struct, frozen=True):
    kind: str
    # the item's place in the paper as authored (sections in order): its place in a student's
    # order comes from ``positions``
    index: int
    options: frozenset[str] = frozenset()  # choices and things to order
    sources: frozenset[str] = frozenset()  # matching
    targets: frozenset[str] = frozenset()
    max_chars: int = 0  # short text and essay
    blanks: dict[str, BlankRule] = {}
    width: int = 0  # select point
    height: int = 0
    max_choices: int = 0
    # a slider's (lower bound, upper bound, step): only its values are answers
    scale: tuple[float, float, float] | None = None
    # a hottext's or a hotspot choice's max-choices: how many runs of its passage or places
    # on its picture may be picked (0: no limit but the options)
    choice_limit: int = 0
    # a gap match: each gap (target) takes one gap text (source), a text fills up to its
    # match-max gaps; None for any other matching
    gaps: GapMatchSpec | None = None
    # an associate: pairs of the sources, without direction, within max-associations and
    # each choice's match-max
    associate: AssociateSpec | None = None
    # a composite: each part's own rules, by the part's id
    parts: dict[str, ItemRule] = {}


class PaperRules(msgspec.Struct, frozen=True):
    items: dict[str, ItemRule]
    linear: bool
    shuffle: bool
    # a section is a pool: each sitting may answer only the items drawn for it
    pooled: bool = False


_student_item = msgspec.json.Decoder(StudentItem)


def _student(item: CompiledItem) -> StudentItem:
    if not item.options:
        return _student_item.decode(item.head)
    return _student_item.decode(item.head + b",".join(item.options) + item.tail)


def _ids(options: list[Any] | None) -> frozenset[str]:
    return frozenset(o.id for o in options or ())


def _choice_limit(item: StudentItem) -> int:
    if item.hottext is not None:
        return item.hottext.max_choices
    # an ordering's picture has no limit (0): every hotspot is put in order
    return item.graphic.max_choices if item.graphic is not None else 0


def item_rule(item: StudentItem, index: int) -> ItemRule:
    blanks = {bid: BlankRule(b.kind, _ids(b.options)) for bid, b in (item.blanks or {}).items()}
    return ItemRule(
        kind=item.kind,
        index=index,
        options=_ids(item.options),
        sources=_ids(item.sources),
        targets=_ids(item.targets),
        max_chars=item.max_length or DEFAULT_MAX_CHARS.get(item.kind, 0),
        blanks=blanks,
        width=item.width or 0,
        height=item.height or 0,
        max_choices=item.max_choices or 1,
        scale=(
            (item.slider.lower_bound, item.slider.upper_bound, item.slider.step)
            if item.slider
            else None
        ),
        choice_limit=_choice_limit(item),
        gaps=item.gap_match,
        associate=item.associate,
        parts={pid: item_rule(part, index) for pid, part in (item.parts or {}).items()},
    )


def paper_rules(paper: CompiledPaper) -> PaperRules:
    """The rules of every item of a compiled paper (once per exam version and process)."""
    items: dict[str, ItemRule] = {}
    for section in paper.sections:
        for item in section.items:
            items[item.id] = item_rule(_student(item), len(items))
    return PaperRules(
        items=items,
        linear=paper.navigation == "linear",
        shuffle=paper.shuffle,
        pooled=any(section.draw for section in paper.sections),
    )


def positions(paper: CompiledPaper, sitting_id: uuid.UUID) -> array[int]:
    """Authored index -> place in this sitting's order (``paper.student_order``, the order the
    student's page shows, sections one after the other)."""
    places: array[int] = array("l")
    start = seen = 0  # authored items so far, items this sitting sees so far
    for section, entries in zip(paper.sections, student_order(paper, sitting_id), strict=True):
        # a pool section shows fewer items than it holds: the others keep place 0 (their
        # answers are refused before any place is looked up)
        places.extend([0] * len(section.items))
        for place, (index, _) in enumerate(entries):
            places[start + index] = seen + place
        start += len(section.items)
        seen += len(entries)
    return places


def _quote(value: str) -> str:
    return repr(value if len(value) <= 40 else value[:40] + "…")


def _unknown(what: str, given: frozenset[str] | set[str], known: frozenset[str]) -> str | None:
    unknown = given - known
    if unknown:
        # the first few, in a stable order, without sorting all of a hostile list
        return f"not {what} of this item: {', '.join(map(_quote, heapq.nsmallest(5, unknown)))}"
    return None


def _too_many(what: str, given: int, most: int) -> str:
    # checked first, so that a hostile list costs no more than the item is long
    return f"{given} {what}; this item has {most}"


def _number(value: float) -> str | None:
    # msgspec's JSON decoder already refuses NaN and Infinity; this also holds for any caller
    if not -NUMBER_LIMIT <= value <= NUMBER_LIMIT:
        return f"numbers must be finite and at most {NUMBER_LIMIT:g} in size"
    return None


def _text(text: str, limit: int) -> str | None:
    if len(text) > limit:
        return f"the text is {len(text)} characters long; this takes at most {limit}"
    return None


def _single_choice(rule: ItemRule, r: SingleChoiceResponse, cap: int) -> str | None:
    return None if r.choice in rule.options else f"not an option of this item: {_quote(r.choice)}"


def _multiple(rule: ItemRule, r: MultipleResponseResponse, cap: int) -> str | None:
    # a set: a choice sent twice is one choice
    if len(r.choices) > len(rule.options):
        return _too_many("choices", len(r.choices), len(rule.options))
    if rule.choice_limit and len(r.choices) > rule.choice_limit:
        return f"{len(r.choices)} choices; this item takes at most {rule.choice_limit}"
    return _unknown("an option", r.choices, rule.options)


def _true_false(rule: ItemRule, r: TrueFalseResponse, cap: int) -> str | None:
    return None


def _numeric(rule: ItemRule, r: NumericResponse, cap: int) -> str | None:
    problem = _number(r.value)
    if problem is None and rule.scale is not None and not on_scale(*rule.scale, r.value):
        low, high, step = rule.scale
        return f"{r.value:g} is not on this item's scale ({low:g} to {high:g} by {step:g})"
    return problem


def _short_text(rule: ItemRule, r: ShortTextResponse | EssayResponse, cap: int) -> str | None:
    return _text(r.text, min(rule.max_chars, cap))


def _ordering(rule: ItemRule, r: OrderingResponse, cap: int) -> str | None:
    if len(r.order) > len(rule.options):
        return _too_many("options in the order", len(r.order), len(rule.options))
    given = set(r.order)
    if len(given) != len(r.order):
        return "an option is listed twice in the order"
    return _unknown("an option", given, rule.options)


def _matching(rule: ItemRule, r: MatchingResponse, cap: int) -> str | None:
    if rule.gaps is not None:
        return _gap_match(rule, rule.gaps, r)
    if rule.associate is not None:
        if len(r.pairs) > MAX_PAIRS:
            return _too_many("pairs", len(r.pairs), MAX_PAIRS)
        return _unknown(
            "a choice", {c for p in r.pairs for c in p}, rule.sources
        ) or associate_problem(rule.associate, r.pairs)
    if len(r.pairs) > len(rule.sources):
        return _too_many("pairs", len(r.pairs), len(rule.sources))
    sources = [s for s, _ in r.pairs]
    if len(set(sources)) != len(sources):
        return "a source is matched to more than one target"
    return _unknown("a source", set(sources), rule.sources) or _unknown(
        "a target", {t for _, t in r.pairs}, rule.targets
    )


def _gap_match(rule: ItemRule, spec: GapMatchSpec, r: MatchingResponse) -> str | None:
    if len(r.pairs) > len(rule.targets):
        return _too_many("pairs", len(r.pairs), len(rule.targets))
    return (
        _unknown("a source", {s for s, _ in r.pairs}, rule.sources)
        or _unknown("a target", {t for _, t in r.pairs}, rule.targets)
        or pairing_problem(spec, r.pairs)
    )


def _cloze(rule: ItemRule, r: ClozeResponse, cap: int) -> str | None:
    if len(r.blanks) > len(rule.blanks):
        return _too_many("blanks", len(r.blanks), len(rule.blanks))
    for bid, blank in r.blanks.items():
        expected = rule.blanks.get(bid)
        if expected is None:
            return f"not a blank of this item: {_quote(bid)}"
        problem: str | None
        match blank:
            case SingleChoiceResponse() if expected.kind == "single_choice":
                problem = (
                    None
                    if blank.choice in expected.options
                    else f"not an option of blank {bid}: {_quote(blank.choice)}"
                )
            case NumericResponse() if expected.kind == "numeric":
                problem = _number(blank.value)
            case ShortTextResponse() if expected.kind == "short_text":
                problem = _text(blank.text, min(BLANK_MAX_CHARS, cap))
            case _:
                problem = f"blank {bid} takes a {expected.kind} response"
        if problem:
            return problem
    return None


def _composite(rule: ItemRule, r: CompositeResponse, cap: int) -> str | None:
    if len(r.parts) > len(rule.parts):
        return _too_many("parts", len(r.parts), len(rule.parts))
    for pid, response in r.parts.items():
        part = rule.parts.get(pid)
        if part is None:
            return f"not a part of this item: {_quote(pid)}"
        problem = check_response(part, response, cap)
        if problem:
            return f"part {pid}: {problem}"
    return None


def _select_point(rule: ItemRule, r: SelectPointResponse, cap: int) -> str | None:
    if len(r.points) > rule.max_choices:
        return f"{len(r.points)} points; this item takes at most {rule.max_choices}"
    w, h = rule.width * POINT_MARGIN + 1, rule.height * POINT_MARGIN + 1
    for x, y in r.points:
        if not (-w <= x <= rule.width + w and -h <= y <= rule.height + h):
            return f"the point ({x:g}, {y:g}) is not on the {rule.width} × {rule.height} picture"
    return None


_Check = Callable[[ItemRule, Any, int], "str | None"]
# response type -> (the kind it answers, its check): one dict lookup picks both
_CHECKS: dict[type, tuple[str, _Check]] = {
    SingleChoiceResponse: ("single_choice", _single_choice),
    MultipleResponseResponse: ("multiple_response", _multiple),
    TrueFalseResponse: ("true_false", _true_false),
    NumericResponse: ("numeric", _numeric),
    ShortTextResponse: ("short_text", _short_text),
    EssayResponse: ("essay", _short_text),
    OrderingResponse: ("ordering", _ordering),
    MatchingResponse: ("matching", _matching),
    ClozeResponse: ("cloze", _cloze),
    SelectPointResponse: ("select_point", _select_point),
    CompositeResponse: ("composite", _composite),
}


def check_response(rule: ItemRule, response: Response | None, text_cap: int) -> str | None:
    """Why ``response`` cannot be stored as an answer to the item of ``rule`` (None: it can).
    ``None`` (the answer cleared) fits every item; ``text_cap`` is the deployment's cap on any
    text answer (settings.answer_max_text_chars)."""
    if response is None:
        return None
    kind, check = _CHECKS[type(response)]
    if kind != rule.kind:
        return f"this item takes a {rule.kind} response, not {kind}"
    return check(rule, response, text_cap)
