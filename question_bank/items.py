"""Authored items split into what a student sees and the grading key.

``split_item`` is the only place an authored item is turned into student content and a key,
so the student side cannot pick up a key by accident: ``StudentItem`` has no field a key,
feedback or explanation could go in (the property tests check the student side is
independent of the key for every kind). ``question_bank.normalise.normalise_item`` cleans
the rich text first (kept out of this module: the Lambda and the workers read items, never
clean them, and so need no HTML sanitiser).
"""

from __future__ import annotations

from typing import Any

import msgspec

from grading.keys import (
    AreaMapEntry,
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
    SelectPointKey,
    ShortTextKey,
    SingleChoiceKey,
    TrueFalseKey,
)
from grading.patterns import UnsupportedPattern, check_pattern
from grading.qti_processing import UnsupportedConstruct
from grading.qti_program import check_program
from question_bank.associate import canonical, canonical_mapping, check_associate
from question_bank.gap_match import check_gap_match
from question_bank.graphic import check_graphic, check_hotspot_choice, check_hotspot_order
from question_bank.hottext import check_hottext
from question_bank.kinds import (
    ITEM_KINDS,
    MEDIA_PATH,
    PLACEHOLDER,
    AssociateSpec,
    Blank,
    ChoiceBlank,
    ChoiceOption,
    ClozeItem,
    CompositeItem,
    EssayItem,
    GapMatchSpec,
    GraphicSpec,
    HottextSpec,
    ItemCreate,
    ItemError,
    ItemMeta,
    MatchingItem,
    MultipleResponseItem,
    NumericBlank,
    NumericItem,
    OrderingItem,
    SelectPointItem,
    ShortTextItem,
    SingleChoiceItem,
    SliderSpec,
    StimulusSpec,
    TextBlank,
    TrueFalseItem,
)
from question_bank.scale import check_slider

__all__ = [
    "ITEM_KINDS",
    "PLACEHOLDER",
    "ChoiceOption",
    "ClozeItem",
    "CompositeItem",
    "EssayItem",
    "ItemCreate",
    "ItemError",
    "ItemMeta",
    "MatchingItem",
    "MultipleResponseItem",
    "NumericItem",
    "OrderingItem",
    "SelectPointItem",
    "ShortTextItem",
    "SingleChoiceItem",
    "StudentBlank",
    "StudentItem",
    "TrueFalseItem",
    "item_kind",
    "split_item",
]


class StudentBlank(msgspec.Struct, frozen=True, omit_defaults=True):
    kind: str
    options: list[ChoiceOption] | None = None


class StudentItem(msgspec.Struct, frozen=True, omit_defaults=True):
    """What a student may see of an item: never a key, never feedback, never the explanation."""

    id: str
    kind: str
    stem: str
    points: float
    options: list[ChoiceOption] | None = None  # shuffled per student (choices, things to order)
    unit: str | None = None
    max_length: int | None = None
    sources: list[ChoiceOption] | None = None  # matching
    targets: list[ChoiceOption] | None = None
    blanks: dict[str, StudentBlank] | None = None  # cloze, in the order they appear
    image: str | None = None  # select point
    width: int | None = None
    height: int | None = None
    max_choices: int | None = None
    slider: SliderSpec | None = None  # a numeric answer given on a scale (keyless)
    hottext: HottextSpec | None = None  # the passage the options sit in (keyless)
    gap_match: GapMatchSpec | None = None  # the targets are gaps in the stem (keyless)
    associate: AssociateSpec | None = None  # pairs of one set, the sources (keyless)
    graphic: GraphicSpec | None = None  # the options are hotspots of a picture (keyless)
    # the shared passage the question is about, shown above it (keyless)
    stimulus: StimulusSpec | None = None
    # a composite's parts, by id, in the order their {{id}} stand in the stem (keyless)
    parts: dict[str, StudentItem] | None = None


def item_kind(item: ItemCreate) -> str:
    tag: Any = item.__struct_config__.tag
    return str(tag)


def _check_ids(field: str, ids: list[str], chosen: list[str] | None = None) -> None:
    if len(set(ids)) != len(ids):
        raise ItemError(field, "ids must be unique")
    unknown = sorted(set(chosen or []) - set(ids))
    if unknown:
        raise ItemError("correct", f"not an option id: {', '.join(unknown)}")


def _finite(field: str, *values: float | None) -> None:
    for v in values:
        if v is not None and (v != v or v in (float("inf"), float("-inf"))):
            raise ItemError(field, "must be a finite number")


def _blank_key(bid: str, blank: Blank) -> BlankKey:
    match blank:
        case ChoiceBlank():
            _check_ids(f"blanks.{bid}.options", [o.id for o in blank.options], [blank.correct])
            return SingleChoiceKey(correct=blank.correct, points=blank.points)
        case TextBlank():
            return ShortTextKey(
                accepted=tuple(blank.accepted),
                points=blank.points,
                case_sensitive=blank.case_sensitive,
                ignore_diacritics=blank.ignore_diacritics,
            )
        case NumericBlank():
            _finite(f"blanks.{bid}.value", blank.value)
            return NumericKey(
                value=blank.value,
                absolute_tolerance=blank.absolute_tolerance,
                relative_tolerance=blank.relative_tolerance,
                points=blank.points,
            )


def _cloze(item: ClozeItem) -> tuple[dict[str, StudentBlank], ClozeKey]:
    placed = PLACEHOLDER.findall(item.stem)
    if len(set(placed)) != len(placed):
        raise ItemError("stem", "a blank appears more than once")
    if set(placed) != set(item.blanks):
        missing = sorted(set(item.blanks) ^ set(placed))
        raise ItemError("blanks", f"every blank needs one {{{{id}}}} in the stem: {missing}")
    keys = {bid: _blank_key(bid, item.blanks[bid]) for bid in placed}
    student = {
        bid: StudentBlank(
            item_kind_of_blank(item.blanks[bid]), getattr(item.blanks[bid], "options", None)
        )
        for bid in placed
    }
    return student, ClozeKey(blanks=keys, points=item.points, partial_credit=item.partial_credit)


def item_kind_of_blank(blank: Blank) -> str:
    tag: Any = blank.__struct_config__.tag
    return str(tag)


def _answers_of(pid: str, part: ItemCreate) -> list[str]:
    """The QTI responses a composite's part answers: a cloze part's blanks, else its own."""
    return list(part.blanks) if isinstance(part, ClozeItem) else [pid]


def _composite(item: CompositeItem) -> tuple[dict[str, StudentItem], CompositeKey]:
    """Each part checked as a lone item of its kind, and the program checked against them: it
    declares the responses the parts answer, and nothing it runs is unknown."""
    placed = PLACEHOLDER.findall(item.stem)
    if len(set(placed)) != len(placed):
        raise ItemError("stem", "a part appears more than once")
    if set(placed) != set(item.parts):
        missing = sorted(set(item.parts) ^ set(placed))
        raise ItemError("parts", f"every part needs one {{{{id}}}} in the stem: {missing}")
    students: dict[str, StudentItem] = {}
    answers: list[str] = []
    for pid in placed:
        part = item.parts[pid]
        if part.stimulus is not None:
            raise ItemError(f"parts.{pid}.stimulus", "a part shows the item's own passage")
        try:
            students[pid] = split_item(pid, part)[0]
        except ItemError as err:
            raise ItemError(f"parts.{pid}.{err.field}", err.message, code=err.code) from err
        answers += _answers_of(pid, part)
    if len(set(answers)) != len(answers):
        raise ItemError("parts", "two parts answer the same response")
    try:
        declared = check_program(item.processing)
    except (UnsupportedConstruct, ValueError, TypeError, IndexError) as err:
        raise ItemError("processing", str(err), code="qti_unsupported_processing") from err
    if set(answers) != set(declared):
        raise ItemError(
            "processing",
            "the processing must declare exactly the responses the parts answer: "
            f"{sorted(set(answers) ^ set(declared))}",
        )
    return students, CompositeKey(program=item.processing, points=item.points)


def _check_hotspots(
    item: SingleChoiceItem | MultipleResponseItem, correct: list[str], single: bool
) -> None:
    """A hotspot choice's picture, places and counts (QTI hotspot interaction)."""
    if item.graphic is None:
        return
    if item.hottext is not None:
        raise ItemError("graphic", "the options are runs of a passage or places on a picture")
    check_graphic(item.graphic, item.options)
    check_hotspot_choice(item.graphic, len(item.options), correct, single)


def _key(item: ItemCreate) -> ItemKey:
    match item:
        case SingleChoiceItem():
            _check_ids("options", [o.id for o in item.options], [item.correct])
            if item.hottext is not None:
                texts = {o.id: o.text for o in item.options}
                check_hottext(item.hottext, texts, [item.correct], single=True)
            _check_hotspots(item, [item.correct], single=True)
            return SingleChoiceKey(correct=item.correct, points=item.points, mapping=item.mapping)
        case MultipleResponseItem():
            if len(set(item.correct)) != len(item.correct):
                raise ItemError("correct", "an option is listed twice")
            _check_ids("options", [o.id for o in item.options], item.correct)
            if item.hottext is not None:
                texts = {o.id: o.text for o in item.options}
                check_hottext(item.hottext, texts, item.correct, single=False)
            _check_hotspots(item, item.correct, single=False)
            return MultipleResponseKey(
                correct=frozenset(item.correct),
                points=item.points,
                partial_credit=item.partial_credit,
                mapping=item.mapping,
            )
        case TrueFalseItem():
            return TrueFalseKey(correct=item.correct, points=item.points)
        case NumericItem():
            _finite("value", item.value)
            for r in item.ranges:
                _finite("ranges", r.low, r.high)
                if r.low > r.high:
                    raise ItemError("ranges", "low must not be above high")
            if item.slider is not None:
                check_slider(item.slider, item.value)
            return NumericKey(
                value=item.value,
                absolute_tolerance=item.absolute_tolerance,
                relative_tolerance=item.relative_tolerance,
                points=item.points,
                ranges=tuple(NumericRange(r.low, r.high, r.credit) for r in item.ranges),
            )
        case ShortTextItem():
            for n, p in enumerate(item.patterns):
                try:
                    check_pattern(p)
                except UnsupportedPattern as err:
                    raise ItemError(
                        f"patterns[{n}]", err.reason, code="unsupported_pattern"
                    ) from err
            return ShortTextKey(
                accepted=tuple(item.accepted),
                case_sensitive=item.case_sensitive,
                points=item.points,
                ignore_diacritics=item.ignore_diacritics,
                patterns=tuple(item.patterns),
                partial=dict(item.partial),
            )
        case OrderingItem():
            ids = [o.id for o in item.options]
            _check_ids("options", ids)
            if sorted(item.correct) != sorted(ids):
                raise ItemError("correct", "must list every option exactly once")
            if item.graphic is not None:
                check_graphic(item.graphic, item.options)
                check_hotspot_order(item.graphic)
            return OrderingKey(
                correct=tuple(item.correct), points=item.points, partial_credit=item.partial_credit
            )
        case MatchingItem():
            _check_ids("sources", [o.id for o in item.sources])
            _check_ids("targets", [o.id for o in item.targets])
            sources, targets = {o.id for o in item.sources}, {o.id for o in item.targets}
            if len(set(item.pairs)) != len(item.pairs):
                raise ItemError("pairs", "a pair is listed twice")
            if any(s not in sources or t not in targets for s, t in item.pairs):
                raise ItemError("pairs", "each pair is (a source id, a target id)")
            if item.gap_match is not None:
                check_gap_match(item.gap_match, item.stem, item.sources, item.targets, item.pairs)
            if item.associate is not None:
                check_associate(item.associate, item.sources, item.targets, item.pairs)
                return MatchingKey(
                    pairs=frozenset(canonical(p) for p in item.pairs),
                    points=item.points,
                    partial_credit=item.partial_credit,
                    mapping=canonical_mapping(item.mapping),
                    undirected=True,
                )
            return MatchingKey(
                pairs=frozenset(item.pairs),
                points=item.points,
                partial_credit=item.partial_credit,
                mapping=item.mapping,
            )
        case ClozeItem():
            return _cloze(item)[1]
        case CompositeItem():
            return _composite(item)[1]
        case EssayItem():
            if len({c.id for c in item.rubric}) != len(item.rubric):
                raise ItemError("rubric", "criterion ids must be unique")
            return EssayKey(points=item.points, rubric=tuple(item.rubric))
        case SelectPointItem():
            if not item.image.startswith((MEDIA_PATH, "https://")):
                # the same policy as every image of a stem: our media endpoint or https
                raise ItemError("image", f"must be under {MEDIA_PATH} or an https URL")
            _finite("default_value", item.default_value, item.lower_bound, item.upper_bound)
            return SelectPointKey(
                areas=tuple(
                    AreaMapEntry(a.shape, tuple(a.coords), a.mapped_value) for a in item.areas
                ),
                points=item.points,
                default_value=item.default_value,
                lower_bound=item.lower_bound,
                upper_bound=item.upper_bound,
            )


def split_item(item_id: str, item: ItemCreate) -> tuple[StudentItem, ItemKey]:
    """(student content, grading key) of an authored item; raises ItemError when inconsistent."""
    key = _key(item)
    extra: dict[str, Any] = {}
    match item:
        case SingleChoiceItem() | MultipleResponseItem():
            extra.update(options=item.options, hottext=item.hottext, graphic=item.graphic)
        case OrderingItem():
            extra.update(options=item.options, graphic=item.graphic)
        case NumericItem():
            extra.update(unit=item.unit, slider=item.slider)
        case ShortTextItem() | EssayItem():
            extra["max_length"] = item.max_length
        case MatchingItem():
            extra.update(
                sources=item.sources,
                targets=item.targets,
                gap_match=item.gap_match,
                associate=item.associate,
            )
        case ClozeItem():
            extra["blanks"] = _cloze(item)[0]
        case CompositeItem():
            extra["parts"] = _composite(item)[0]
        case SelectPointItem():
            extra.update(
                image=item.image, width=item.width, height=item.height, max_choices=item.max_choices
            )
        case TrueFalseItem():
            pass
    student = StudentItem(
        id=item_id,
        kind=item_kind(item),
        stem=item.stem,
        points=item.points,
        stimulus=item.stimulus,
        **extra,
    )
    return student, key
