"""Test-level outcomes: weights, sections, negative marking, pass marks."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grading.outcomes import (
    NegativeMarking,
    PassMark,
    ScoringPolicy,
    Section,
    outcome_from_item_scores,
    score_exam,
)
from grading.types import (
    EssayKey,
    EssayResponse,
    ItemKey,
    ItemScore,
    ManualMark,
    MultipleResponseKey,
    MultipleResponseResponse,
    Response,
    SingleChoiceKey,
    SingleChoiceResponse,
)

KEYS: dict[str, ItemKey] = {f"q{i}": SingleChoiceKey("a") for i in range(1, 6)}
# q1, q2 right; q3 wrong; q4 blank; q5 not answered
RESPONSES: dict[str, Response | None] = {
    "q1": SingleChoiceResponse("a"),
    "q2": SingleChoiceResponse("a"),
    "q3": SingleChoiceResponse("b"),
    "q4": SingleChoiceResponse(""),
}


def test_raw_score_is_the_default() -> None:
    out = score_exam(KEYS, RESPONSES, ScoringPolicy())
    assert (out.raw, out.raw_max, out.score, out.max_score, out.percent) == (2, 5, 2, 5, 40.0)
    assert out.passed is None


def test_negative_marking_plus_four_minus_one() -> None:
    policy = ScoringPolicy(negative_marking=NegativeMarking(4, -1, 0))
    out = score_exam(KEYS, RESPONSES, policy)
    assert out.score == 2 * 4 - 1
    assert (out.max_score, out.min_score) == (20.0, -5.0)


def test_partial_credit_under_negative_marking_is_a_share_of_the_right_mark() -> None:
    keys: dict[str, ItemKey] = {
        "m": MultipleResponseKey(frozenset({"a", "b"}), points=2.0, partial_credit=True)
    }
    responses: dict[str, Response | None] = {"m": MultipleResponseResponse(frozenset({"a"}))}
    out = score_exam(keys, responses, ScoringPolicy(negative_marking=NegativeMarking()))
    assert out.score == pytest.approx(2.0)


def test_weights_sections_and_pass_mark() -> None:
    policy = ScoringPolicy(
        item_weights={"q1": 3.0},
        sections=(Section("A", ("q1", "q2")), Section("B", ("q3", "q4", "q5"), weight=2.0)),
        pass_mark=PassMark(50.0),
    )
    out = score_exam(KEYS, RESPONSES, policy)
    assert out.sections["A"].score == 4.0 and out.sections["A"].max_score == 4.0
    assert out.sections["B"].score == 0.0 and out.sections["B"].max_score == 6.0
    assert (out.sections["B"].incorrect, out.sections["B"].blank) == (1, 2)
    assert out.score == 4.0 and out.max_score == 10.0
    assert out.passed is False
    assert score_exam(KEYS, RESPONSES, ScoringPolicy(pass_mark=PassMark(2, "points"))).passed


def test_pass_is_undecided_while_an_essay_could_still_change_it() -> None:
    keys: dict[str, ItemKey] = {"q1": SingleChoiceKey("a"), "e": EssayKey(points=3.0)}
    responses: dict[str, Response | None] = {
        "q1": SingleChoiceResponse("a"),
        "e": EssayResponse("..."),
    }
    policy = ScoringPolicy(pass_mark=PassMark(50.0))
    pending = score_exam(keys, responses, policy)
    assert pending.passed is None and pending.pending_manual == 1
    marked = score_exam(keys, responses, policy, {"e": ManualMark(points=1.0)})
    assert marked.passed is True and marked.score == 2.0


def test_an_item_in_two_sections_is_refused() -> None:
    policy = ScoringPolicy(sections=(Section("A", ("q1",)), Section("B", ("q1",))))
    with pytest.raises(ValueError, match="two sections"):
        score_exam(KEYS, RESPONSES, policy)


STATUS = st.sampled_from(["correct", "partial", "incorrect", "blank", "pending_manual"])


@settings(max_examples=200)
@given(
    st.lists(st.tuples(STATUS, st.floats(0, 1), st.floats(0.5, 5), st.floats(0, 3)), max_size=12),
    st.booleans(),
)
def test_outcome_lies_between_its_min_and_max(
    rows: list[tuple[str, float, float, float]], negative: bool
) -> None:
    items = {}
    weights = {}
    for i, (status, share, points, weight) in enumerate(rows):
        got = points if status == "correct" else points * share if status == "partial" else 0.0
        items[f"i{i}"] = ItemScore(got, points, status)  # type: ignore[arg-type]
        weights[f"i{i}"] = weight
    policy = ScoringPolicy(weights, negative_marking=NegativeMarking() if negative else None)
    out = outcome_from_item_scores(items, policy)
    assert out.min_score - 1e-9 <= out.score <= out.max_score + 1e-9
