"""Per-student forms from pools: the draw, its balance, and the paper a sitting sees."""

from __future__ import annotations

import json
import uuid

from hypothesis import given, settings
from hypothesis import strategies as st

from question_bank.answer_rules import paper_rules, positions
from question_bank.items import ChoiceOption, SingleChoiceItem, split_item
from question_bank.kinds import ItemMeta
from question_bank.paper import (
    assemble_paper,
    compile_item,
    pack_paper,
    render_sections,
    unpack_paper,
)
from question_bank.pools import drawn, drawn_ids, strata_order


@settings(max_examples=200)
@given(st.integers(1, 300), st.integers(0, 300), st.integers(0, 5), st.uuids())
def test_a_draw_takes_one_item_from_each_slice(
    pool: int, draw: int, section: int, sitting: uuid.UUID
) -> None:
    picked = drawn(pool, draw, section, sitting)
    assert picked == drawn(pool, draw, section, sitting)  # reproducible from the sitting id
    if draw == 0 or draw >= pool:
        assert picked == list(range(pool))
        return
    assert len(picked) == draw == len(set(picked))
    bounds = [k * pool // draw for k in range(draw + 1)]
    for k, index in enumerate(picked):
        assert bounds[k] <= index < bounds[k + 1]


def test_sittings_get_different_sets() -> None:
    sets = {tuple(drawn(40, 10, 0, uuid.uuid4())) for _ in range(50)}
    assert len(sets) > 45


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["algebra", "geometry", None]),
            st.one_of(st.none(), st.floats(0, 1)),
        ),
        min_size=1,
        max_size=40,
    )
)
def test_strata_order_groups_topics_then_runs_easy_to_hard(
    metas: list[tuple[str | None, float | None]],
) -> None:
    items = [(f"i{n:02d}", ItemMeta(topic=t, difficulty=d)) for n, (t, d) in enumerate(metas)]
    order = strata_order(items)
    assert sorted(order) == sorted(i for i, _ in items)
    meta = dict(items)
    keys = [
        (meta[i].topic or "", -(meta[i].difficulty if meta[i].difficulty is not None else 0.5))
        for i in order
    ]
    assert keys == sorted(keys)


def _pooled_paper(pool: int, draw: int, shuffle: bool) -> object:
    items = [
        compile_item(
            split_item(
                f"p{n}",
                SingleChoiceItem(
                    stem=f"q{n}",
                    options=[ChoiceOption("a", "A"), ChoiceOption("b", "B")],
                    correct="a",
                ),
            )[0]
        )
        for n in range(pool + 3)
    ]
    return assemble_paper(
        "v", "t", shuffle, [("fixed", items[:3]), ("pool", items[3:])], "linear", [0, draw]
    )


@settings(max_examples=50)
@given(st.integers(2, 30), st.data(), st.booleans(), st.uuids())
def test_a_pooled_paper_shows_the_drawn_items_and_places_them_in_order(
    pool: int, data: st.DataObject, shuffle: bool, sitting: uuid.UUID
) -> None:
    draw = data.draw(st.integers(1, pool - 1))
    paper = unpack_paper(pack_paper(_pooled_paper(pool, draw, shuffle)))  # type: ignore[arg-type]
    assert [s.draw for s in paper.sections] == [0, draw]
    shown = json.loads(render_sections(paper, sitting))
    fixed, pooled = ([i["id"] for i in s["items"]] for s in shown)
    assert sorted(fixed) == ["p0", "p1", "p2"]
    sections = [([i.id for i in s.items], s.draw) for s in paper.sections]
    assert set(fixed) | set(pooled) == drawn_ids(sections, sitting) and len(pooled) == draw
    assert paper_rules(paper).pooled
    # the places of the shown items are the places the page shows them in
    rules = paper_rules(paper)
    places = positions(paper, sitting)
    assert [places[rules.items[i].index] for i in fixed + pooled] == list(range(3 + draw))
