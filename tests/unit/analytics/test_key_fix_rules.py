"""The key-fix rules and the item analysis' ranking: pure functions over many inputs."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.analytics.item_warnings import SEVERITY, item_warnings, suspect_option
from engine.analytics.key_fix import KeyFixError, corrected_key, rescore_item
from engine.analytics.models import OptionShare
from grading.keys import ItemKey, ShortTextKey, SingleChoiceKey
from grading.outcomes import ScoringPolicy
from grading.responses import Response, ShortTextResponse, SingleChoiceResponse
from grading.types import ItemScore
from question_bank.kinds import ItemCreate
from question_bank.service import stored_item

OPTIONS = ["a", "b", "c", "d"]


def _published(authored: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any], ItemKey]:
    stored = stored_item(msgspec.convert(authored, ItemCreate))
    return stored.authored, stored.content, msgspec.convert(stored.key, ItemKey)


CHOICE = _published(
    {
        "kind": "single_choice",
        "stem": "3 × 4?",
        "correct": "a",
        "options": [{"id": o, "text": o.upper()} for o in OPTIONS],
    }
)
TEXT = _published(
    {"kind": "short_text", "stem": "Ibu kota?", "accepted": ["Jakarta"], "case_sensitive": True}
)


@given(st.sampled_from(OPTIONS))
def test_a_choice_key_becomes_any_option_and_nothing_else(option: str) -> None:
    authored, content, key = CHOICE
    if option == "a":
        with pytest.raises(KeyFixError) as err:
            corrected_key(authored, content, key, {}, {"correct": option})
        assert err.value.code == "key_unchanged"
        return
    new, changes = corrected_key(authored, content, key, {}, {"correct": option})
    assert new == SingleChoiceKey(correct=option, points=1.0)
    assert changes == {"correct": option}


@given(st.text(min_size=1, max_size=8).filter(lambda s: s not in OPTIONS))
def test_a_choice_key_outside_the_options_is_refused(option: str) -> None:
    authored, content, key = CHOICE
    with pytest.raises(KeyFixError) as err:
        corrected_key(authored, content, key, {}, {"correct": option})
    assert err.value.code == "invalid_key"


@given(st.sampled_from(["stem", "options", "points", "kind", "max_length", "metadata", "x"]))
def test_what_students_saw_cannot_change(field: str) -> None:
    authored, content, key = TEXT
    with pytest.raises(KeyFixError) as err:
        corrected_key(authored, content, key, {}, {field: "anything"})
    assert err.value.code == "not_a_key_field"


def test_a_second_fix_builds_on_the_first() -> None:
    authored, content, key = TEXT
    first, changes = corrected_key(authored, content, key, {}, {"case_sensitive": False})
    second, merged = corrected_key(
        authored, content, first, changes, {"accepted": ["Jakarta", "DKI Jakarta"]}
    )
    assert second == ShortTextKey(accepted=("Jakarta", "DKI Jakarta"), case_sensitive=False)
    assert merged == {"case_sensitive": False, "accepted": ["Jakarta", "DKI Jakarta"]}


_score = st.builds(
    lambda p, m, s: ItemScore(points=min(p, m), max_points=m, status=s),
    st.floats(0, 5),
    st.floats(0.5, 5),
    st.sampled_from(["correct", "partial", "incorrect", "blank", "pending_manual"]),
)


@given(
    st.dictionaries(st.sampled_from([f"i{n}" for n in range(8)]), _score, min_size=1),
    st.sampled_from([*OPTIONS, None]),
)
def test_rescoring_changes_only_the_fixed_item(items: dict[str, ItemScore], choice: Any) -> None:
    item_id = next(iter(items))
    response: Response | None = None if choice is None else SingleChoiceResponse(choice=choice)
    key = SingleChoiceKey(correct="c")
    outcome = rescore_item(items, item_id, key, response, ScoringPolicy())
    assert {k: v for k, v in outcome.items.items() if k != item_id} == {
        k: v for k, v in items.items() if k != item_id
    }
    assert outcome.items[item_id].points == (1.0 if choice == "c" else 0.0)
    others = sum(v.points for k, v in items.items() if k != item_id)
    assert outcome.score == pytest.approx(others + outcome.items[item_id].points)


def test_case_insensitive_key_credits_every_spelling() -> None:
    items = {"q": ItemScore(points=0.0, max_points=1.0, status="incorrect")}
    key = ShortTextKey(accepted=("Jakarta",), case_sensitive=False)
    for text in ("jakarta", "JAKARTA", " Jakarta "):
        outcome = rescore_item(items, "q", key, ShortTextResponse(text=text), ScoringPolicy())
        assert outcome.items["q"].status == "correct"


def _option(oid: str, correct: bool, upper: float, lower: float, share: float) -> OptionShare:
    return OptionShare(oid, oid, correct, share, upper, lower)


@given(
    st.floats(0, 100),
    st.floats(-100, 100),
    st.lists(st.tuples(st.floats(0, 1), st.floats(0, 1), st.floats(0, 1)), min_size=2, max_size=5),
)
def test_warnings_come_most_serious_first(
    facility: float, discrimination: float, shares: list[tuple[float, float, float]]
) -> None:
    options = [
        _option(f"o{n}", n == 0, upper, lower, share)
        for n, (upper, lower, share) in enumerate(shares)
    ]
    found = item_warnings(facility, discrimination, options, 30)
    weights = [SEVERITY[w] for w in found]
    assert weights == sorted(weights, reverse=True)
    assert ("negative_discrimination" in found) == (discrimination < 0)
    assert ("key_possibly_wrong" in found) == (suspect_option(options) is not None)
    assert item_warnings(facility, discrimination, options, 19) == []


def test_a_distractor_the_best_students_prefer_marks_the_key_suspect() -> None:
    options = [
        _option("a", True, 0.1, 0.4, 0.3),
        _option("b", False, 0.8, 0.2, 0.5),
        _option("c", False, 0.1, 0.4, 0.2),
    ]
    assert suspect_option(options) == "b"
    assert item_warnings(30.0, -20.0, options, 30)[:2] == [
        "negative_discrimination",
        "key_possibly_wrong",
    ]
    # a rarely chosen distractor alone is the least serious warning there is
    calm = [_option("a", True, 0.9, 0.5, 0.7), _option("b", False, 0.1, 0.5, 0.28)]
    calm.append(_option("c", False, 0.0, 0.0, 0.02))
    assert item_warnings(70.0, 40.0, calm, 30) == ["idle_distractor"]
