"""Hypothesis strategies for authored items of every kind, already normalised (as stored)."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any, cast

import msgspec
from hypothesis import strategies as st

from grading.keys import AreaMapEntry, RubricCriterion, ValueMap
from question_bank.content import rich_text
from question_bank.items import (
    ITEM_KINDS,
    ChoiceOption,
    ClozeItem,
    EssayItem,
    ItemCreate,
    ItemError,
    ItemMeta,
    MatchingItem,
    MultipleResponseItem,
    NumericItem,
    OrderingItem,
    SelectPointItem,
    ShortTextItem,
    SingleChoiceItem,
    TrueFalseItem,
    split_item,
)
from question_bank.kinds import (
    AssociateSpec,
    ChoiceBlank,
    GapMatchSpec,
    GraphicSpec,
    Hotspot,
    HottextSpec,
    NumericBlank,
    NumericRangeSpec,
    SliderSpec,
    StimulusSpec,
    TextBlank,
)
from question_bank.normalise import normalise_item, xml_safe
from question_bank.scale import scale_values

FRAGMENTS = [
    "<b>",
    "</b>",
    "<p>",
    "</p>",
    "<em>x</em>",
    "&amp;",
    "&lt;",
    " \\(x^2\\) ",
    "$$\\frac{a}{b}$$",
    "<br>",
    "<ul><li>a</li></ul>",
    "<script>bad()</script>",
    '<img src="/v1/media/0d5f6a0e-1111-2222-3333-444455556666" alt="fig">',
    '<span class="math">y</span>',
    "<table><tr><td>1</td></tr></table>",
    "é",
    "ñ",
]
raw = st.lists(
    st.one_of(
        st.text(alphabet=st.characters(exclude_characters="{}"), max_size=12),
        st.sampled_from(FRAGMENTS),
    ),
    min_size=1,
    max_size=5,
).map("".join)
rich = raw.map(lambda t: rich_text(xml_safe(t))).filter(bool)
plain = (
    st.text(alphabet=st.characters(exclude_categories=("Cs",)), min_size=1, max_size=20)
    .map(xml_safe)
    .filter(lambda t: bool(t.strip()))
)
# QTI identifiers may use letters of any script (the corpus has Japanese ones)
ids = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789_-.é日本", min_size=1, max_size=6)
points = st.sampled_from([0.5, 1.0, 2.0, 3.5, 10.0])
finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False).map(lambda x: round(x, 3))


# a hottext's run sits inside a sentence: inline markup only
INLINE_FRAGMENTS = ["<b>", "</b>", "<em>x</em>", "&amp;", "&lt;", " \\(x^2\\) ", "<br>", "é"]
inline_rich = (
    st.lists(
        st.one_of(
            st.text(alphabet=st.characters(exclude_characters="{}<>"), max_size=12),
            st.sampled_from(INLINE_FRAGMENTS),
        ),
        min_size=1,
        max_size=4,
    )
    .map(lambda t: rich_text(xml_safe("".join(t))))
    .filter(lambda t: bool(re.sub("<[^>]*>", "", t).strip()))
)

# a shared passage: its id a QTI identifier (no leading digit, dot or hyphen), its title a line
stimuli = st.builds(
    StimulusSpec,
    st.from_regex(r"[a-zé日_][a-z0-9_.é日-]{0,8}", fullmatch=True),
    plain.map(lambda t: t[:200]),
    rich,
)


@st.composite
def options(draw: st.DrawFn, min_size: int = 2) -> list[ChoiceOption]:
    picked = draw(st.lists(ids, min_size=min_size, max_size=6, unique=True))
    return [ChoiceOption(id=i, text=draw(rich), fixed=draw(st.booleans())) for i in picked]


metas = st.builds(
    ItemMeta,
    subject=st.none() | plain,
    topic=st.none() | plain,
    tags=st.lists(plain.map(lambda t: t[:64]), max_size=3, unique=True),
    difficulty=st.none() | st.floats(0, 1).map(lambda x: round(x, 2)),
    language=st.none() | st.sampled_from(["id", "en", "jv", "su"]),
    author=st.none() | plain,
    licence=st.none() | st.sampled_from(["CC-BY-4.0", "CC0-1.0"]),
)


@st.composite
def hottexts(
    draw: st.DrawFn, opts: list[ChoiceOption], correct: int, single: bool
) -> tuple[HottextSpec, list[ChoiceOption]]:
    """A passage placing every option once (in any order), and the options as runs of text."""
    runs = [ChoiceOption(o.id, draw(inline_rich)) for o in opts]
    placed = draw(st.permutations([o.id for o in runs]))
    passage = rich_text(xml_safe("".join(draw(raw) + "{{" + i + "}}" for i in placed) + draw(raw)))
    most = 1 if single else draw(st.sampled_from([0, len(runs), max(correct, 1)]))
    fewest = draw(st.integers(0, min(most or len(runs), 2)))
    return HottextSpec(passage=passage, max_choices=most, min_choices=fewest), runs


@st.composite
def gap_matches(draw: st.DrawFn, common: dict[str, Any]) -> MatchingItem:
    """Gap texts (inline runs) put into gaps that stand in the stem, each gap taking one."""
    sources = [ChoiceOption(s.id, draw(inline_rich), s.fixed) for s in draw(options())]
    gaps = draw(st.lists(ids, min_size=2, max_size=5, unique=True))
    stem = rich_text(xml_safe("".join(draw(raw) + "{{" + g + "}}" for g in gaps) + draw(raw)))
    filled = draw(st.lists(st.sampled_from(gaps), min_size=1, max_size=len(gaps), unique=True))
    pairs = [(draw(st.sampled_from([s.id for s in sources])), g) for g in filled]
    used = Counter(s for s, _ in pairs)
    # a text the key puts in several gaps may fill that many or any number; others vary
    match_max = {
        s.id: draw(
            st.sampled_from([0, used[s.id]]) if used[s.id] > 1 else st.sampled_from([0, 1, 2])
        )
        for s in sources
    }
    # at most the key's gaps, every gap or no limit; at least none, one or two of them
    most = draw(st.sampled_from([0, len(pairs), len(gaps)]))
    fewest = draw(st.integers(0, min(most or len(gaps), 2)))
    return MatchingItem(
        sources=sources,
        targets=[ChoiceOption(g, g) for g in gaps],
        pairs=pairs,
        partial_credit=draw(st.booleans()),
        mapping=draw(
            st.none()
            | st.builds(
                ValueMap,
                entries=st.just({f"{s} {t}": 1.0 for s, t in pairs}),
                default_value=st.sampled_from([0.0, -0.5]),
                lower_bound=st.sampled_from([None, 0.0]),
            )
        ),
        shuffle=draw(st.booleans()),
        gap_match=GapMatchSpec(match_max=match_max, max_associations=most, min_associations=fewest),
        **{**common, "stem": stem},
    )


@st.composite
def graphics(
    draw: st.DrawFn, opts: list[ChoiceOption], correct: int | None = None, single: bool = False
) -> tuple[GraphicSpec, list[ChoiceOption]]:
    """A picture with a hotspot of each shape for the options, and the options as labels; for
    a hotspot choice (``correct`` hotspots in its key), its choice counts too."""
    # a picture of a given size, or of its own (QTI's img may leave the size out)
    width, height = draw(
        st.tuples(st.integers(50, 800), st.integers(50, 800)) | st.just((None, None))
    )
    shapes = [
        Hotspot("circle", [10.0, 10.0, 5.0]),
        Hotspot("rect", [0.0, 0.0, 4.0, 4.0]),
        Hotspot("ellipse", [20.0, 25.0, 6.0, 3.0]),
        Hotspot("poly", [20.0, 20.0, 30.0, 20.0, 25.0, 30.0]),
    ]
    hotspots = {o.id: draw(st.sampled_from(shapes)) for o in opts}
    labels = [ChoiceOption(o.id, draw(plain)) for o in opts]
    spec = GraphicSpec(
        image=draw(
            st.sampled_from(
                [
                    "/v1/media/0d5f6a0e-1111-2222-3333-444455556666",
                    "https://media.example.org/map.png",
                ]
            )
        ),
        width=width,
        height=height,
        hotspots=hotspots,
        alt=draw(st.none() | st.just("Peta")),
    )
    if correct is not None:
        most = 1 if single else draw(st.sampled_from([0, len(opts), max(correct, 1)]))
        fewest = draw(st.integers(0, min(most or len(opts), 2)))
        spec = msgspec.structs.replace(spec, max_choices=most, min_choices=fewest)
    return spec, labels


@st.composite
def associates(draw: st.DrawFn, common: dict[str, Any]) -> MatchingItem:
    """Pairs drawn from one set of choices, without direction, within the choices' limits."""
    choices = draw(options(min_size=3))
    ids_ = [c.id for c in choices]
    candidates = [(a, b) for n, a in enumerate(ids_) for b in ids_[n + 1 :]]
    pairs = draw(st.lists(st.sampled_from(candidates), min_size=1, max_size=4, unique=True))
    # either order: a pair has no direction
    pairs = [(b, a) if draw(st.booleans()) else (a, b) for a, b in pairs]
    used = Counter(c for p in pairs for c in p)
    match_max = {
        c: draw(st.sampled_from([0, used[c]]) if used[c] > 1 else st.sampled_from([0, 1, 2]))
        for c in ids_
    }
    most = draw(st.sampled_from([0, len(pairs), 5]))
    fewest = draw(st.integers(0, min(most or len(pairs), 2)))
    return MatchingItem(
        sources=choices,
        targets=choices,
        pairs=pairs,
        partial_credit=draw(st.booleans()),
        mapping=draw(
            st.none()
            | st.builds(
                ValueMap,
                entries=st.just({f"{a} {b}": 1.0 for a, b in pairs}),
                default_value=st.sampled_from([0.0, -0.5]),
                lower_bound=st.sampled_from([None, 0.0]),
            )
        ),
        shuffle=draw(st.booleans()),
        associate=AssociateSpec(
            match_max=match_max, max_associations=most, min_associations=fewest
        ),
        **common,
    )


def _mapping(draw: st.DrawFn, opts: list[ChoiceOption]) -> ValueMap | None:
    if not draw(st.booleans()):
        return None
    return ValueMap(
        entries={o.id: draw(st.sampled_from([-1.0, 0.0, 0.5, 1.0])) for o in opts},
        lower_bound=draw(st.none() | st.just(0.0)),
    )


@st.composite
def blanks(draw: st.DrawFn) -> Any:
    which = draw(st.sampled_from(["choice", "text", "numeric"]))
    weight = draw(points)
    if which == "choice":
        opts = draw(options())
        return ChoiceBlank(opts, draw(st.sampled_from(opts)).id, weight)
    if which == "text":
        return TextBlank(
            draw(st.lists(plain, min_size=1, max_size=3)),
            draw(st.booleans()),
            draw(st.booleans()),
            weight,
        )
    return NumericBlank(draw(finite), draw(st.sampled_from([0.0, 0.5])), 0.0, weight)


@st.composite
def sliders(draw: st.DrawFn) -> SliderSpec:
    integer = draw(st.booleans())
    step = draw(st.sampled_from([1.0, 2.0, 5.0] if integer else [1.0, 0.5, 0.25, 0.1, 2.5]))
    low = float(draw(st.integers(0, 50)))
    # the upper bound need not be a whole number of steps above the lower one
    high = (
        low
        + step * draw(st.integers(1, 60))
        + (0.0 if integer else draw(st.sampled_from([0.0, 0.05])))
    )
    return SliderSpec(
        lower_bound=low,
        upper_bound=high,
        step=step,
        step_label=draw(st.booleans()),
        orientation=draw(st.sampled_from([None, "horizontal", "vertical"])),
        reverse=draw(st.booleans()),
        base_type="integer" if integer else "float",
    )


# a composite's parts are items of these kinds, scored by a QTI program of the author's: its
# properties are drawn from QTI documents (tests/unit/question_bank_qti/test_qti_coupled.py)
DRAWN_KINDS = tuple(k for k in ITEM_KINDS if k != "composite")


@st.composite
def items(
    draw: st.DrawFn, kinds: tuple[str, ...] = DRAWN_KINDS, with_stimuli: bool = False
) -> ItemCreate:
    kind = draw(st.sampled_from(kinds))
    common: dict[str, Any] = {
        "stem": draw(rich),
        "points": draw(points),
        "explanation": draw(st.none() | rich),
        "metadata": draw(metas),
        # only where the test reads the stimulus too: a lone item's export names its stimulus
        # without holding it, so a round trip of the item alone refuses it
        "stimulus": draw(st.none() | stimuli) if with_stimuli else None,
    }
    item: ItemCreate
    if kind == "single_choice":
        opts = draw(options())
        # the options listed, or picked inline in a passage (a hottext)
        # or as places on a picture (a hotspot)
        hottext = graphic = None
        layout = draw(st.sampled_from(["list", "hottext", "hotspot"]))
        if layout == "hottext":
            hottext, opts = draw(hottexts(opts, 1, single=True))
        if layout == "hotspot":
            graphic, opts = draw(graphics(opts, 1, single=True))
        item = SingleChoiceItem(
            options=opts,
            correct=draw(st.sampled_from(opts)).id,
            mapping=_mapping(draw, opts),
            shuffle=draw(st.booleans()),
            hottext=hottext,
            graphic=graphic,
            **common,
        )
    elif kind == "multiple_response":
        opts = draw(options())
        correct = draw(st.lists(st.sampled_from([o.id for o in opts]), min_size=1, unique=True))
        hottext = graphic = None
        layout = draw(st.sampled_from(["list", "hottext", "hotspot"]))
        if layout == "hottext":
            hottext, opts = draw(hottexts(opts, len(correct), single=False))
        if layout == "hotspot":
            graphic, opts = draw(graphics(opts, len(correct), single=False))
        item = MultipleResponseItem(
            options=opts,
            correct=correct,
            partial_credit=draw(st.booleans()),
            mapping=_mapping(draw, opts),
            shuffle=draw(st.booleans()),
            hottext=hottext,
            graphic=graphic,
            **common,
        )
    elif kind == "true_false":
        item = TrueFalseItem(correct=draw(st.booleans()), **common)
    elif kind == "numeric":
        # a numeric answer is typed, or given on a slider (a value of its scale)
        slider = draw(st.none() | sliders())
        value = draw(st.sampled_from(scale_values(slider)) if slider else finite)
        ranges = [NumericRangeSpec(value - 1, value + 1, 0.5)] if draw(st.booleans()) else []
        item = NumericItem(
            value=value,
            absolute_tolerance=draw(st.sampled_from([0.0, 0.01, 2])),
            relative_tolerance=draw(st.sampled_from([0.0, 0.05])),
            ranges=ranges,
            unit=draw(st.none() | st.sampled_from(["cm", "kg", "m/s"])),
            slider=slider,
            **common,
        )
    elif kind == "short_text":
        accepted = draw(st.lists(plain, min_size=1, max_size=3))
        item = ShortTextItem(
            accepted=accepted,
            case_sensitive=draw(st.booleans()),
            ignore_diacritics=draw(st.booleans()),
            patterns=draw(st.sampled_from([[], ["[0-9]+"], ["ab?c", "x+"]])),
            partial={draw(plain): 0.5} if draw(st.booleans()) else {},
            max_length=draw(st.integers(1, 500)),
            **common,
        )
    elif kind == "ordering":
        opts = draw(options())
        graphic = None
        if draw(st.booleans()):
            # places on a picture, each option's text its label
            graphic, opts = draw(graphics(opts))
        item = OrderingItem(
            options=opts,
            correct=draw(st.permutations([o.id for o in opts])),
            partial_credit=draw(st.booleans()),
            shuffle=draw(st.booleans()),
            graphic=graphic,
            **common,
        )
    elif kind == "matching" and draw(st.integers(0, 2)) == 1:
        item = draw(gap_matches(common))
    elif kind == "matching" and draw(st.booleans()):
        item = draw(associates(common))
    elif kind == "matching":
        sources, targets = draw(options()), draw(options())
        pairs = draw(
            st.lists(
                st.tuples(
                    st.sampled_from([s.id for s in sources]),
                    st.sampled_from([t.id for t in targets]),
                ),
                min_size=1,
                max_size=4,
                unique=True,
            )
        )
        item = MatchingItem(
            sources=sources,
            targets=targets,
            pairs=pairs,
            partial_credit=draw(st.booleans()),
            # QTI mapping over "source target" keys: partial credit per pair
            mapping=draw(
                st.none()
                | st.builds(
                    ValueMap,
                    entries=st.just({f"{s} {t}": 1.0 for s, t in pairs}),
                    default_value=st.sampled_from([0.0, -0.5]),
                )
            ),
            shuffle=draw(st.booleans()),
            **common,
        )
    elif kind == "cloze":
        keyed = draw(st.dictionaries(ids, blanks(), min_size=1, max_size=3))
        parts = [draw(raw) + "{{" + bid + "}}" for bid in keyed]
        common["stem"] = rich_text(xml_safe("".join(parts) + draw(raw)))
        item = ClozeItem(blanks=keyed, partial_credit=draw(st.booleans()), **common)
    elif kind == "essay":
        rubric = [
            RubricCriterion(f"c{n}", float(n + 1), draw(st.sampled_from(["", "clarity"])))
            for n in range(draw(st.integers(0, 3)))
        ]
        item = EssayItem(rubric=rubric, max_length=draw(st.integers(1, 5000)), **common)
    else:
        areas = [
            AreaMapEntry("circle", (10.0, 10.0, 5.0), 1.0),
            AreaMapEntry("rect", (0.0, 0.0, 4.0, 4.0), draw(st.sampled_from([0.5, -1.0]))),
            AreaMapEntry("poly", (20.0, 20.0, 30.0, 20.0, 25.0, 30.0), 1.0),
        ]
        item = SelectPointItem(
            image="/v1/media/0d5f6a0e-1111-2222-3333-444455556666",
            width=draw(st.integers(50, 800)),
            height=draw(st.integers(50, 800)),
            areas=draw(st.lists(st.sampled_from(areas), min_size=1, unique=True)),
            max_choices=draw(st.integers(1, 3)),
            lower_bound=draw(st.none() | st.just(0.0)),
            **common,
        )
    return item


def _valid(item: ItemCreate | None) -> bool:
    if item is None:
        return False
    try:
        split_item("x", item)
    except ItemError:
        return False
    return True


def _normalised(item: ItemCreate) -> ItemCreate | None:
    # a text made only of characters XML cannot carry is empty once cleaned: the bank refuses
    # such an item (tested apart), so it is no example of a stored one
    try:
        return normalise_item(item)
    except ItemError:
        return None


def stored_items(
    kinds: tuple[str, ...] = DRAWN_KINDS, with_stimuli: bool = False
) -> st.SearchStrategy[ItemCreate]:
    """Items as the bank stores them: normalised and consistent; with ``with_stimuli``, some
    of them show a shared stimulus."""
    drawn = items(kinds, with_stimuli).map(_normalised).filter(_valid)
    return cast(st.SearchStrategy[ItemCreate], drawn)
