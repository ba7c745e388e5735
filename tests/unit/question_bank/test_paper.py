"""The compiled student paper: keyless, deterministic per sitting, complete."""

from __future__ import annotations

import json
import random
import uuid
from typing import Any

import msgspec
from hypothesis import given, settings
from hypothesis import strategies as st

from question_bank.items import (
    ChoiceOption,
    ItemCreate,
    MultipleResponseItem,
    NumericItem,
    ShortTextItem,
    SingleChoiceItem,
    split_item,
)
from question_bank.paper import (
    compile_paper,
    pack_paper,
    permutation,
    render_sections,
    unpack_paper,
)

texts = st.text(min_size=1, max_size=40)
option_ids = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=6)


@st.composite
def options(draw: st.DrawFn) -> list[ChoiceOption]:
    ids = draw(st.lists(option_ids, min_size=2, max_size=8, unique=True))
    return [ChoiceOption(id=i, text=draw(texts)) for i in ids]


@st.composite
def items(draw: st.DrawFn) -> ItemCreate:
    kind = draw(st.sampled_from(["single", "multiple", "numeric", "text"]))
    stem = draw(texts)
    points = draw(st.floats(min_value=0.5, max_value=10))
    if kind == "single":
        opts = draw(options())
        return SingleChoiceItem(stem, opts, draw(st.sampled_from(opts)).id, points)
    if kind == "multiple":
        opts = draw(options())
        correct = draw(st.lists(st.sampled_from([o.id for o in opts]), unique=True, min_size=1))
        return MultipleResponseItem(stem, opts, correct, draw(st.booleans()), points)
    if kind == "numeric":
        return NumericItem(stem, draw(st.floats(allow_nan=False, allow_infinity=False)),
                           draw(st.floats(min_value=0, max_value=5)), 0.0, None, points)
    return ShortTextItem(stem, draw(st.lists(texts, min_size=1, max_size=4)),
                         draw(st.booleans()), 200, points)


def _with_other_key(item: ItemCreate, rng: random.Random) -> ItemCreate:
    """The same item with a different key: everything a student sees stays equal."""
    match item:
        case SingleChoiceItem():
            return msgspec.structs.replace(item, correct=rng.choice(item.options).id)
        case MultipleResponseItem():
            return msgspec.structs.replace(item, correct=[item.options[0].id],
                                           partial_credit=not item.partial_credit)
        case NumericItem():
            return msgspec.structs.replace(item, value=item.value + 1.5, absolute_tolerance=0.25)
        case ShortTextItem():
            return msgspec.structs.replace(item, accepted=["a different answer"],
                                           case_sensitive=not item.case_sensitive)


KEY_FIELDS = {"correct", "accepted", "value", "absolute_tolerance", "relative_tolerance",
              "partial_credit", "case_sensitive"}
STUDENT_FIELDS = {"id", "kind", "stem", "points", "options", "unit", "max_length"}


@settings(max_examples=150)
@given(st.lists(items(), min_size=1, max_size=6), st.randoms(use_true_random=False))
def test_student_paper_never_depends_on_the_key(authored: list[ItemCreate],
                                                 rng: random.Random) -> None:
    students = [split_item(f"i{n}", item)[0] for n, item in enumerate(authored)]
    rekeyed = [split_item(f"i{n}", _with_other_key(item, rng))[0]
               for n, item in enumerate(authored)]
    sitting = uuid.uuid4()
    paper = render_sections(compile_paper("v", "t", True, [("s", students)]), sitting)
    other = render_sections(compile_paper("v", "t", True, [("s", rekeyed)]), sitting)
    assert paper == other
    for item in json.loads(paper)[0]["items"]:
        assert set(item) <= STUDENT_FIELDS and not set(item) & KEY_FIELDS


def _paper(n_items: int, n_options: int = 5, shuffle: bool = True) -> Any:
    students = [split_item(f"i{n}", SingleChoiceItem(
        f"q{n}", [ChoiceOption(f"o{k}", f"t{k}") for k in range(n_options)], "o0"))[0]
        for n in range(n_items)]
    return compile_paper("v", "t", shuffle, [("A", students[: n_items // 2]),
                                             ("B", students[n_items // 2:])])


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
