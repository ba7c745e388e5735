"""Items as authors write them: one tagged Struct per interaction type ``grading/`` scores.

Every kind shares the stem, points, an explanation shown only after the exam, the text format,
the metadata and a shared stimulus (``_Authored``); the rest is the kind's own content and key.
Key fields carry the names of the matching ``grading.keys`` fields so an authored item reads
like its key.
Decoding is strict: an unknown field is an error, never silently dropped.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

import msgspec

from grading.keys import AreaMapEntry, AreaShape, RubricCriterion, ValueMap
from grading.qti_program import QtiProgram

# how an item's rich text is written; question_bank/content.py cleans and converts it
TextFormat = Literal["html", "markdown"]
# where the bank's own media are served; anything else an item shows must be https
MEDIA_PATH = "/v1/media/"
Text = Annotated[str, msgspec.Meta(min_length=1, max_length=20_000)]
Short = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
# QTI identifiers are XML NCNames: letters of any script, digits, "_", "-" and "."
Ident = Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=r"^[\w.-]+$")]
OptionId = Ident
Points = Annotated[float, msgspec.Meta(gt=0, le=1000)]
Tolerance = Annotated[float, msgspec.Meta(ge=0)]
Credit = Annotated[float, msgspec.Meta(ge=0, le=1)]
Difficulty = Annotated[float, msgspec.Meta(ge=0, le=1)]
Tag = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
# where a cloze's blank, a hottext's option or a gap-match's gap stands in its text: {{id}}
PLACEHOLDER = re.compile(r"\{\{([\w.-]{1,64})\}\}")


class ItemMeta(
    msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True, forbid_unknown_fields=True
):
    """What a bank is searched and a blueprint is resolved by; never shown to students."""

    subject: Short | None = None
    topic: Short | None = None
    tags: Annotated[list[Tag], msgspec.Meta(max_length=30)] = []
    # classical p-value style: 0 = everyone fails, 1 = everyone passes
    difficulty: Difficulty | None = None
    language: Annotated[str, msgspec.Meta(min_length=2, max_length=16)] | None = None
    author: Short | None = None
    licence: Short | None = None


class ChoiceOption(msgspec.Struct, frozen=True, forbid_unknown_fields=True, omit_defaults=True):
    id: OptionId
    text: Text
    # QTI "fixed": the option keeps its place when the others are shuffled
    fixed: bool = False


Options = Annotated[list[ChoiceOption], msgspec.Meta(min_length=2, max_length=26)]
ChoiceCount = Annotated[int, msgspec.Meta(ge=0, le=26)]


class HottextSpec(msgspec.Struct, frozen=True, forbid_unknown_fields=True, omit_defaults=True):
    """Choices that sit inline in a passage (QTI ``qti-hottext-interaction``). The passage is
    rich text with ``{{id}}`` where each option's text stands, as a cloze's stem holds its
    blanks: the options stay the item's options, so the choice scorers, the statistics and the
    distractor analysis read a hottext item as any other choice item."""

    passage: Text
    # QTI "max-choices": how many runs of text may be picked; 0, as many as there are
    max_choices: ChoiceCount = 1
    # QTI "min-choices": fewer is an incomplete answer the page points out; it scores as given
    min_choices: ChoiceCount = 0


# a shared stimulus is its QTI identifier, an XML NCName: it may not begin with a digit, a dot
# or a hyphen (the export writes it as it is)
StimulusId = Annotated[str, msgspec.Meta(min_length=1, max_length=100, pattern=r"^[^\W\d][\w.-]*$")]
# a reading passage is longer than a stem may be
PassageText = Annotated[str, msgspec.Meta(min_length=1, max_length=60_000)]


class StimulusSpec(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """What several items are asked about (QTI ``qti-assessment-stimulus``: a passage, a table,
    a picture), shown above each item's question. It rides in every item that refers to it:
    items that carry the same ``id``, title and body share it (ADR 0012)."""

    id: StimulusId
    title: Short
    # rich text, cleaned by the stem's rules
    body: PassageText


class _Authored(
    msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True, forbid_unknown_fields=True
):
    stem: Text
    points: Points = 1.0
    # shown with the results, never during the exam
    explanation: Text | None = None
    # "markdown" is converted to the HTML subset when the item is saved
    format: TextFormat = "html"
    metadata: ItemMeta = msgspec.field(default_factory=ItemMeta)
    # the shared passage, table or picture the question is about, shown above it
    stimulus: StimulusSpec | None = None


class SingleChoiceItem(_Authored, frozen=True, tag="single_choice", tag_field="kind"):
    options: Options
    correct: OptionId
    mapping: ValueMap | None = None
    # QTI "shuffle": whether the options may be shown in another order
    shuffle: bool = True
    # the options picked inline in a passage instead of from a list
    hottext: HottextSpec | None = None
    # the options picked as places on a picture (QTI hotspot)
    graphic: GraphicSpec | None = None


class MultipleResponseItem(_Authored, frozen=True, tag="multiple_response", tag_field="kind"):
    options: Options
    correct: list[OptionId]
    partial_credit: bool = False
    mapping: ValueMap | None = None
    shuffle: bool = True
    hottext: HottextSpec | None = None
    graphic: GraphicSpec | None = None


class TrueFalseItem(_Authored, frozen=True, tag="true_false", tag_field="kind"):
    correct: bool


class NumericRangeSpec(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    low: float
    high: float
    credit: Credit = 1.0


# QTI 3's schema types a slider's bounds and step as non-negative doubles; a scale Ujian
# accepts must export valid. The step count bounds the page's control and the import's probes.
ScaleBound = Annotated[float, msgspec.Meta(ge=0, le=1e9)]
MAX_SLIDER_STEPS = 10_000


class SliderSpec(msgspec.Struct, frozen=True, forbid_unknown_fields=True, omit_defaults=True):
    """A numeric answer given on a scale (QTI ``qti-slider-interaction``): only the values
    ``lower_bound + n * step`` up to ``upper_bound`` can be answered."""

    lower_bound: ScaleBound
    upper_bound: ScaleBound
    step: Annotated[float, msgspec.Meta(gt=0, le=1e9)] = 1.0
    # QTI "step-label": every step is labelled, not only the two ends
    step_label: bool = False
    # a rendering hint; None: QTI leaves it to the delivery system (horizontal here)
    orientation: Literal["horizontal", "vertical"] | None = None
    # the upper bound at the start (left or top) of the scale
    reverse: bool = False
    # the QTI response base type: "integer" asks for whole bounds, step and key
    base_type: Literal["integer", "float"] = "float"


class NumericItem(_Authored, frozen=True, tag="numeric", tag_field="kind"):
    value: float
    absolute_tolerance: Tolerance = 0.0
    relative_tolerance: Tolerance = 0.0
    ranges: Annotated[list[NumericRangeSpec], msgspec.Meta(max_length=10)] = []
    unit: Short | None = None
    # answered on a scale instead of typed; scored the same way
    slider: SliderSpec | None = None


class ShortTextItem(_Authored, frozen=True, tag="short_text", tag_field="kind"):
    accepted: Annotated[list[Text], msgspec.Meta(min_length=1, max_length=50)]
    case_sensitive: bool = False
    ignore_diacritics: bool = False
    patterns: Annotated[list[Text], msgspec.Meta(max_length=20)] = []
    partial: dict[Text, Credit] = {}
    max_length: Annotated[int, msgspec.Meta(ge=1, le=10_000)] = 200


class Hotspot(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A place on a picture, as in HTML image maps (circle x,y,r; rect x1,y1,x2,y2; ellipse
    x,y,rx,ry; poly x1,y1,x2,y2,...), in the picture's own pixels."""

    shape: AreaShape
    coords: Annotated[list[float], msgspec.Meta(min_length=3, max_length=100)]


class GraphicSpec(msgspec.Struct, frozen=True, forbid_unknown_fields=True, omit_defaults=True):
    """Options that are places on a picture (QTI ``qti-graphic-order-interaction`` and
    ``qti-hotspot-interaction``): each option's text is its label, shown at its hotspot; the
    options stay the item's options, so the ordering or choice scorers and the statistics read
    the item as any other ordering or choice."""

    image: Text
    hotspots: Annotated[dict[OptionId, Hotspot], msgspec.Meta(min_length=2, max_length=26)]
    # the picture's size in the pixels its coords are in; None, both: the picture's own size
    # (QTI's img and object may leave it out; the page reads it off the loaded picture)
    width: Annotated[int, msgspec.Meta(ge=1, le=10_000)] | None = None
    height: Annotated[int, msgspec.Meta(ge=1, le=10_000)] | None = None
    # the picture's text alternative
    alt: Short | None = None
    # a hotspot choice's QTI "max-choices" (0: as many as there are) and "min-choices"; an
    # ordering puts every hotspot in order and takes neither
    max_choices: ChoiceCount = 0
    min_choices: ChoiceCount = 0


class OrderingItem(_Authored, frozen=True, tag="ordering", tag_field="kind"):
    # the things to put in order; students see them shuffled
    options: Options
    correct: list[OptionId]
    partial_credit: bool = False
    shuffle: bool = True
    # the options are hotspots of a picture (QTI graphic order)
    graphic: GraphicSpec | None = None


class GapMatchSpec(msgspec.Struct, frozen=True, forbid_unknown_fields=True, omit_defaults=True):
    """Gap texts put into gaps that stand inline in the stem (QTI ``qti-gap-match-interaction``).
    The gap texts are the matching item's sources, the gaps its targets; the stem holds
    ``{{id}}`` where each gap stands, as a cloze's stem holds its blanks, so the matching scorer,
    the statistics and the distractor analysis read a gap-match item as any other matching.
    Each gap takes one text; a text fills up to its ``match_max`` gaps."""

    # QTI "match-max" of the gap texts that may fill other than one gap (0: any number)
    match_max: dict[OptionId, ChoiceCount] = {}
    # QTI "max-associations": how many gaps an answer may fill. 0, as many as there are: QTI's
    # schema says 1 when it is left out, but its own examples leave it out of items whose key
    # fills every gap, so a missing one is read as no limit (and the export always writes it)
    max_associations: ChoiceCount = 0
    # QTI "min-associations": fewer filled gaps is an incomplete answer the page points out;
    # it is saved and scores as given
    min_associations: ChoiceCount = 0


class AssociateSpec(msgspec.Struct, frozen=True, forbid_unknown_fields=True, omit_defaults=True):
    """Pairs drawn from one set of choices (QTI ``qti-associate-interaction``). The choices are
    the matching item's sources, and its targets are the same choices (``normalise_item`` makes
    them so); a pair has no direction, (a, b) is (b, a), so the matching scorer compares each
    pair's ids in sorted order."""

    # QTI "match-max" of the choices that may stand in other than one pair (0: any number)
    match_max: dict[OptionId, ChoiceCount] = {}
    # QTI "max-associations": how many pairs an answer may hold (0: as many as can be made)
    max_associations: Annotated[int, msgspec.Meta(ge=0, le=325)] = 1
    # QTI "min-associations": fewer pairs is an incomplete answer the page points out; it is
    # saved and scores as given
    min_associations: Annotated[int, msgspec.Meta(ge=0, le=325)] = 0


class MatchingItem(_Authored, frozen=True, tag="matching", tag_field="kind"):
    sources: Options
    targets: Options
    pairs: Annotated[list[tuple[OptionId, OptionId]], msgspec.Meta(min_length=1)]
    partial_credit: bool = False
    # QTI mapping of "source target" pairs: replaces the two rules above (partial credit)
    mapping: ValueMap | None = None
    shuffle: bool = True
    # the targets are gaps in the stem (QTI gap match); their texts are their numbers
    gap_match: GapMatchSpec | None = None
    # the pairs are drawn from one set, the sources (QTI associate); the targets repeat them
    associate: AssociateSpec | None = None


class ChoiceBlank(
    msgspec.Struct, frozen=True, forbid_unknown_fields=True, tag="single_choice", tag_field="kind"
):
    options: Options
    correct: OptionId
    points: Points = 1.0


class TextBlank(
    msgspec.Struct, frozen=True, forbid_unknown_fields=True, tag="short_text", tag_field="kind"
):
    accepted: Annotated[list[Text], msgspec.Meta(min_length=1, max_length=50)]
    case_sensitive: bool = False
    ignore_diacritics: bool = False
    points: Points = 1.0


class NumericBlank(
    msgspec.Struct, frozen=True, forbid_unknown_fields=True, tag="numeric", tag_field="kind"
):
    value: float
    absolute_tolerance: Tolerance = 0.0
    relative_tolerance: Tolerance = 0.0
    points: Points = 1.0


Blank = ChoiceBlank | TextBlank | NumericBlank


class ClozeItem(_Authored, frozen=True, tag="cloze", tag_field="kind"):
    """Gap fill and inline choice: the stem holds ``{{id}}`` where each blank goes."""

    blanks: Annotated[dict[Ident, Blank], msgspec.Meta(min_length=1, max_length=50)]
    partial_credit: bool = True


class EssayItem(_Authored, frozen=True, tag="essay", tag_field="kind"):
    rubric: Annotated[list[RubricCriterion], msgspec.Meta(max_length=20)] = []
    max_length: Annotated[int, msgspec.Meta(ge=1, le=100_000)] = 5000


class SelectPointItem(_Authored, frozen=True, tag="select_point", tag_field="kind"):
    """Click on the picture: areas as in HTML image maps, each worth ``mapped_value``."""

    image: Text
    width: Annotated[int, msgspec.Meta(ge=1, le=10_000)]
    height: Annotated[int, msgspec.Meta(ge=1, le=10_000)]
    areas: Annotated[list[AreaMapEntry], msgspec.Meta(min_length=1, max_length=50)]
    max_choices: Annotated[int, msgspec.Meta(ge=1, le=50)] = 1
    default_value: float = 0.0
    lower_bound: float | None = None
    upper_bound: float | None = None


# a composite's part: an item of any kind but a composite (a cloze part is a block of text whose
# inline interactions are its blanks)
PartItem = (
    SingleChoiceItem
    | MultipleResponseItem
    | TrueFalseItem
    | NumericItem
    | ShortTextItem
    | OrderingItem
    | MatchingItem
    | ClozeItem
    | EssayItem
    | SelectPointItem
)
# a part's id is the QTI response identifier of its interaction (a cloze part's, its first
# blank's), written as it is: an XML NCName
PartId = Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=r"^[^\W\d][\w.-]*$")]


class CompositeItem(_Authored, frozen=True, tag="composite", tag_field="kind"):
    """Several interactions whose responses the item's own QTI response processing scores
    together (ADR 0020): an ``and`` of two matches, a table looked up on the number right.
    The stem is the item's text with ``{{id}}`` where each part stands, in the body's order;
    each part is an item of its own kind (its stem the interaction's prompt), whose key says
    what its right answer is; the score is what ``processing`` gives, and ``points`` its
    best."""

    parts: Annotated[dict[PartId, PartItem], msgspec.Meta(min_length=2, max_length=20)]
    processing: QtiProgram


class ItemError(ValueError):
    """An authored item that decodes but does not make sense (e.g. a key that is no option)."""

    def __init__(self, field: str, message: str, *, code: str = "validation_failed") -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
        # the problem code the API answers with (e.g. "unsupported_pattern")
        self.code = code


ItemCreate = (
    SingleChoiceItem
    | MultipleResponseItem
    | TrueFalseItem
    | NumericItem
    | ShortTextItem
    | OrderingItem
    | MatchingItem
    | ClozeItem
    | EssayItem
    | SelectPointItem
    | CompositeItem
)
ITEM_KINDS: tuple[str, ...] = (
    "single_choice",
    "multiple_response",
    "true_false",
    "numeric",
    "short_text",
    "ordering",
    "matching",
    "cloze",
    "essay",
    "select_point",
    "composite",
)
