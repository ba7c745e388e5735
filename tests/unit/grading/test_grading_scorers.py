"""Hand-worked cases for every item type and for the paper."""

from __future__ import annotations

import pytest

from grading.scoring import apply_manual_mark, normalise_text, score_item, score_paper
from grading.types import (
    AreaMapEntry,
    ClozeKey,
    ClozeResponse,
    EssayKey,
    EssayResponse,
    ItemScore,
    ManualMark,
    MatchingKey,
    MatchingResponse,
    MultipleResponseKey,
    MultipleResponseResponse,
    NumericKey,
    NumericRange,
    NumericResponse,
    OrderingKey,
    OrderingResponse,
    RubricCriterion,
    SelectPointKey,
    SelectPointResponse,
    ShortTextKey,
    ShortTextResponse,
    SingleChoiceKey,
    SingleChoiceResponse,
    TrueFalseKey,
    TrueFalseResponse,
    ValueMap,
)


def test_single_choice_all_or_nothing_and_blank() -> None:
    key = SingleChoiceKey("b", points=2.0)
    assert score_item(key, SingleChoiceResponse("b")) == ItemScore(2.0, 2.0, "correct")
    assert score_item(key, SingleChoiceResponse("a")) == ItemScore(0.0, 2.0, "incorrect")
    assert score_item(key, SingleChoiceResponse("")).status == "blank"
    assert score_item(key, None).status == "blank"


def test_single_choice_map_response_gives_a_near_miss_part_credit() -> None:
    key = SingleChoiceKey(
        "b", 2.0, ValueMap({"b": 2.0, "c": 0.5}, default_value=-1.0, lower_bound=-0.5)
    )
    assert score_item(key, SingleChoiceResponse("c")) == ItemScore(0.5, 2.0, "partial", -0.5)
    assert score_item(key, SingleChoiceResponse("a")) == ItemScore(-0.5, 2.0, "incorrect", -0.5)


def test_multiple_response_rules() -> None:
    aon = MultipleResponseKey(frozenset({"a", "c"}), points=2.0)
    partial = MultipleResponseKey(frozenset({"a", "c"}), points=2.0, partial_credit=True)
    assert score_item(aon, MultipleResponseResponse(frozenset({"a"}))).points == 0.0
    assert score_item(aon, MultipleResponseResponse(frozenset({"c", "a"}))).points == 2.0
    assert score_item(partial, MultipleResponseResponse(frozenset({"a"}))) == ItemScore(
        1.0, 2.0, "partial"
    )
    # one right, one wrong: nothing (ticking everything is not a strategy)
    assert score_item(partial, MultipleResponseResponse(frozenset({"a", "b"}))).points == 0.0
    assert score_item(partial, MultipleResponseResponse(frozenset())).status == "blank"


def test_multiple_response_map_response_with_bounds() -> None:
    mapping = ValueMap({"a": 1.0, "b": 1.0, "c": -1.0}, upper_bound=1.5)
    key = MultipleResponseKey(frozenset({"a", "b"}), 2.0, mapping=mapping)
    assert score_item(key, MultipleResponseResponse(frozenset({"a", "b"}))).points == 1.5
    assert score_item(key, MultipleResponseResponse(frozenset({"a", "c"}))).points == 0.0
    assert score_item(key, MultipleResponseResponse(frozenset({"a"}))).status == "partial"


def test_true_false() -> None:
    key = TrueFalseKey(correct=False)
    assert score_item(key, TrueFalseResponse(False)).status == "correct"
    assert score_item(key, TrueFalseResponse(True)).status == "incorrect"


def test_numeric_tolerances_and_ranges() -> None:
    key = NumericKey(9.81, absolute_tolerance=0.01)
    assert score_item(key, NumericResponse(9.8)).status == "correct"
    assert score_item(key, NumericResponse(9.79)).status == "incorrect"
    rel = NumericKey(1000.0, relative_tolerance=0.05)
    assert score_item(rel, NumericResponse(1049.0)).status == "correct"
    assert score_item(rel, NumericResponse(1051.0)).status == "incorrect"
    assert score_item(NumericKey(0.3), NumericResponse(0.1 + 0.2)).status == "correct"
    ranged = NumericKey(2.5, points=4.0, ranges=(NumericRange(2.0, 3.0, 0.5),))
    assert score_item(ranged, NumericResponse(2.9)) == ItemScore(2.0, 4.0, "partial")
    assert score_item(ranged, NumericResponse(float("nan"))).status == "incorrect"


def test_short_text_normalisation_alternatives_and_patterns() -> None:
    key = ShortTextKey(("Jakarta", "DKI Jakarta"))
    assert score_item(key, ShortTextResponse("  dki   JAKARTA ")).status == "correct"
    assert score_item(key, ShortTextResponse("   ")).status == "blank"
    accents = ShortTextKey(("Bogor",), ignore_diacritics=True)
    assert score_item(accents, ShortTextResponse("Bógor")).status == "correct"
    assert score_item(ShortTextKey(("Bogor",)), ShortTextResponse("Bógor")).status == "incorrect"
    fullwidth = "\uff2a\uff41\uff4b\uff41\uff52\uff54\uff41"  # "Jakarta" typed on a CJK keyboard
    assert normalise_text(fullwidth, case_sensitive=True) == "Jakarta"
    pattern = ShortTextKey((), patterns=(r"h2o|water",), partial={"air": 0.5})
    assert score_item(pattern, ShortTextResponse("H2O")).status == "correct"
    assert score_item(pattern, ShortTextResponse(" Air ")).points == 0.5
    assert score_item(pattern, ShortTextResponse("h2o2")).status == "incorrect"


def test_ordering_exact_and_by_pairs() -> None:
    exact = OrderingKey(("a", "b", "c", "d"))
    pairs = OrderingKey(("a", "b", "c", "d"), partial_credit=True)
    swapped = OrderingResponse(("b", "a", "c", "d"))
    assert score_item(exact, swapped).points == 0.0
    assert score_item(pairs, swapped).points == pytest.approx(5 / 6)
    assert score_item(pairs, OrderingResponse(("d", "c", "b", "a"))).points == 0.0
    # "a" left out: the three pairs with "a" are lost
    assert score_item(pairs, OrderingResponse(("b", "c", "d"))).points == pytest.approx(3 / 6)


def test_matching() -> None:
    key = MatchingKey(frozenset({("p", "1"), ("q", "2"), ("r", "3")}), 3.0, partial_credit=True)
    two = MatchingResponse(frozenset({("p", "1"), ("q", "2")}))
    assert score_item(key, two).points == pytest.approx(2.0)
    assert score_item(key, MatchingResponse(frozenset({("p", "1"), ("q", "3")}))).points == 0.0
    assert score_item(MatchingKey(key.pairs), two).points == 0.0


def test_an_undirected_pair_scores_the_same_either_way_round() -> None:
    # QTI associate (base-type pair): the key keeps each pair sorted, a response may not
    key = MatchingKey(frozenset({("a", "p"), ("c", "m")}), 2.0, undirected=True)
    turned = MatchingResponse(frozenset({("p", "a"), ("m", "c")}))
    assert score_item(key, turned).points == 2.0
    directed = MatchingKey(key.pairs, 2.0)
    assert score_item(directed, turned).points == 0.0
    mapped = MatchingKey(
        key.pairs, 3.0, mapping=ValueMap({"a p": 2.0, "c m": 1.0}), undirected=True
    )
    assert score_item(mapped, MatchingResponse(frozenset({("p", "a")}))).points == 2.0


def test_cloze_weights_blanks_and_knows_an_empty_one() -> None:
    key = ClozeKey(
        {
            "b1": SingleChoiceKey("x", points=1.0),
            "b2": NumericKey(42.0, points=3.0),
            "b3": ShortTextKey(("ibu kota",)),
        },
        points=5.0,
    )
    response = ClozeResponse({"b1": SingleChoiceResponse("x"), "b2": NumericResponse(42.0)})
    assert score_item(key, response) == ItemScore(4.0, 5.0, "partial")
    assert score_item(key, ClozeResponse({})).status == "blank"
    strict = ClozeKey(key.blanks, points=5.0, partial_credit=False)
    assert score_item(strict, response).points == 0.0


def test_essay_is_pending_until_marked() -> None:
    key = EssayKey(points=10.0, rubric=(RubricCriterion("content", 6), RubricCriterion("style", 4)))
    response = EssayResponse("Pendidikan adalah ...")
    assert score_item(key, response) == ItemScore(0.0, 10.0, "pending_manual")
    assert score_item(key, EssayResponse(" ")).status == "blank"
    marked = apply_manual_mark(key, response.text, ManualMark(criteria={"content": 5, "style": 9}))
    assert marked == ItemScore(9.0, 10.0, "partial")  # style is capped at its 4
    with pytest.raises(ValueError, match="not marked"):
        apply_manual_mark(key, response.text, ManualMark(criteria={"content": 5}))
    plain = EssayKey(points=5.0)
    assert apply_manual_mark(plain, "text", ManualMark(points=7.0)).status == "correct"
    paper = score_paper({"e": plain}, {"e": EssayResponse("x")}, {"e": ManualMark(points=2.0)})
    assert paper.points == 2.0


def test_select_point_maps_each_area_once() -> None:
    key = SelectPointKey(
        (
            AreaMapEntry("circle", (10, 10, 5), 1.0),
            AreaMapEntry("rect", (50, 50, 60, 60), 1.0),
            AreaMapEntry("poly", (100, 100, 120, 100, 110, 120), 1.0),
        ),
        points=2.0,
        default_value=-0.5,
        lower_bound=-1.0,
    )
    twice = SelectPointResponse(((10, 10), (11, 11)))
    assert score_item(key, twice).points == 1.0
    assert score_item(key, SelectPointResponse(((10, 10), (55, 55), (110, 105)))).points == 2.0
    assert score_item(key, SelectPointResponse(((0, 90), (90, 0), (99, 99)))) == ItemScore(
        -1.0, 2.0, "incorrect", -1.0
    )


def test_paper_totals_and_a_response_of_the_wrong_type() -> None:
    keys = {"q1": SingleChoiceKey("a"), "q2": TrueFalseKey(True), "q3": NumericKey(1.0)}
    paper = score_paper(keys, {"q1": SingleChoiceResponse("a"), "q2": NumericResponse(1.0)})
    assert (paper.points, paper.max_points) == (1.0, 3.0)
    assert [s.status for s in paper.items.values()] == ["correct", "incorrect", "blank"]
