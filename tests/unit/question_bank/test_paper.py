"""The compiled student paper: keyless, deterministic per sitting, complete."""

from __future__ import annotations

import json
import random
import uuid
from typing import Any

import msgspec
from hypothesis import given, settings
from hypothesis import strategies as st

from grading.keys import AreaMapEntry, RubricCriterion
from question_bank.items import (
    ChoiceOption,
    ClozeItem,
    EssayItem,
    ItemCreate,
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
from question_bank.kinds import ChoiceBlank, NumericBlank, TextBlank
from question_bank.paper import (
    compile_paper,
    pack_paper,
    permutation,
    render_sections,
    unpack_paper,
)
from question_bank.scale import scale_values
from tests.unit.question_bank.item_strategies import stored_items


def _other_blank(blank: Any) -> Any:
    match blank:
        case ChoiceBlank():
            return msgspec.structs.replace(blank, correct=blank.options[-1].id)
        case TextBlank():
            return msgspec.structs.replace(
                blank, accepted=["other"], case_sensitive=not blank.case_sensitive
            )
        case NumericBlank():
            return msgspec.structs.replace(blank, value=blank.value + 7, absolute_tolerance=1)


def _with_other_key(item: ItemCreate, rng: random.Random) -> ItemCreate:
    """The same item with a different key and explanation: everything a student sees stays."""
    item = msgspec.structs.replace(item, explanation="<p>a different explanation</p>")
    match item:
        case SingleChoiceItem():
            return msgspec.structs.replace(item, correct=rng.choice(item.options).id, mapping=None)
        case MultipleResponseItem():
            return msgspec.structs.replace(
                item, correct=[item.options[0].id], partial_credit=not item.partial_credit
            )
        case TrueFalseItem():
            return msgspec.structs.replace(item, correct=not item.correct)
        case NumericItem() if item.slider is not None:
            # a slider's key stays on its scale: the other end of it
            values = scale_values(item.slider)
            other = values[0] if item.value != values[0] else values[-1]
            return msgspec.structs.replace(item, value=other, absolute_tolerance=0.25, ranges=[])
        case NumericItem():
            return msgspec.structs.replace(
                item, value=item.value + 1.5, absolute_tolerance=0.25, ranges=[]
            )
        case ShortTextItem():
            return msgspec.structs.replace(
                item,
                accepted=["a different answer"],
                patterns=["z"],
                case_sensitive=not item.case_sensitive,
                partial={},
            )
        case OrderingItem():
            return msgspec.structs.replace(
                item, correct=list(reversed(item.correct)), partial_credit=not item.partial_credit
            )
        case MatchingItem():
            return msgspec.structs.replace(item, pairs=[(item.sources[-1].id, item.targets[0].id)])
        case ClozeItem():
            return msgspec.structs.replace(
                item,
                blanks={b: _other_blank(k) for b, k in item.blanks.items()},
                partial_credit=not item.partial_credit,
            )
        case EssayItem():
            return msgspec.structs.replace(item, rubric=[RubricCriterion("other", 3.0)])
        case SelectPointItem():
            return msgspec.structs.replace(
                item, areas=[AreaMapEntry("rect", (1.0, 2.0, 3.0, 4.0), 9.0)], default_value=-1
            )


KEY_FIELDS = {
    "correct",
    "accepted",
    "value",
    "absolute_tolerance",
    "relative_tolerance",
    "partial_credit",
    "case_sensitive",
    "ignore_diacritics",
    "patterns",
    "partial",
    "ranges",
    "mapping",
    "pairs",
    "rubric",
    "areas",
    "default_value",
    "lower_bound",
    "upper_bound",
    "explanation",
    "metadata",
}
STUDENT_FIELDS = {
    "id",
    "kind",
    "stem",
    "points",
    "options",
    "unit",
    "max_length",
    "sources",
    "targets",
    "blanks",
    "image",
    "width",
    "height",
    "max_choices",
    "slider",
    "hottext",
    "gap_match",
    "associate",
    "graphic",
    "stimulus",
}


@settings(max_examples=300)
@given(
    st.lists(stored_items(with_stimuli=True), min_size=1, max_size=6),
    st.randoms(use_true_random=False),
)
def test_student_paper_never_depends_on_the_key(
    authored: list[ItemCreate], rng: random.Random
) -> None:
    students = [split_item(f"i{n}", item)[0] for n, item in enumerate(authored)]
    rekeyed = [
        split_item(f"i{n}", _with_other_key(item, rng))[0] for n, item in enumerate(authored)
    ]
    sitting = uuid.uuid4()
    paper = render_sections(compile_paper("v", "t", True, [("s", students)]), sitting)
    other = render_sections(compile_paper("v", "t", True, [("s", rekeyed)]), sitting)
    assert paper == other
    for item in json.loads(paper)[0]["items"]:
        assert set(item) <= STUDENT_FIELDS and not set(item) & KEY_FIELDS
        for blank in (item.get("blanks") or {}).values():
            assert set(blank) <= {"kind", "options"}


def _paper(n_items: int, n_options: int = 5, shuffle: bool = True) -> Any:
    students = [
        split_item(
            f"i{n}",
            SingleChoiceItem(
                stem=f"q{n}",
                options=[ChoiceOption(f"o{k}", f"t{k}") for k in range(n_options)],
                correct="o0",
            ),
        )[0]
        for n in range(n_items)
    ]
    return compile_paper(
        "v", "t", shuffle, [("A", students[: n_items // 2]), ("B", students[n_items // 2 :])]
    )


@given(st.uuids())
def test_order_is_deterministic_per_sitting_and_complete(sitting: uuid.UUID) -> None:
    paper = _paper(20)
    first = render_sections(paper, sitting)
    assert first == render_sections(unpack_paper(pack_paper(paper)), sitting)
    sections = json.loads(first)
    assert [s["title"] for s in sections] == ["A", "B"]  # sections keep their order
    seen = [i["id"] for s in sections for i in s["items"]]
    assert sorted(seen) == sorted(f"i{n}" for n in range(20))
    assert sorted(seen[:10]) == sorted(f"i{n}" for n in range(10))  # items stay in section
    for item in (i for s in sections for i in s["items"]):
        assert sorted(o["id"] for o in item["options"]) == [f"o{k}" for k in range(5)]


def test_different_sittings_get_different_orders() -> None:
    paper = _paper(30)
    orders = {render_sections(paper, uuid.UUID(int=n)) for n in range(20)}
    assert len(orders) == 20


def test_no_shuffle_keeps_authored_order() -> None:
    sections = json.loads(render_sections(_paper(6, shuffle=False), uuid.uuid4()))
    assert [i["id"] for s in sections for i in s["items"]] == [f"i{n}" for n in range(6)]
    assert [o["id"] for o in sections[0]["items"][0]["options"]] == [f"o{k}" for k in range(5)]


@given(st.integers(min_value=0, max_value=200), st.integers())
def test_permutation_is_a_permutation(n: int, seed: int) -> None:
    order = permutation(n, random.Random(seed))
    assert sorted(order) == list(range(n))
    assert order == permutation(n, random.Random(seed))


def test_permutation_is_roughly_uniform() -> None:
    # each of 4 positions should hold each value about a quarter of the time
    counts = [[0] * 4 for _ in range(4)]
    rng = random.Random(7)
    for _ in range(8000):
        for position, value in enumerate(permutation(4, rng)):
            counts[position][value] += 1
    assert all(1700 < c < 2300 for row in counts for c in row)
