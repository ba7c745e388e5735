"""Authored items decode strictly and split into student content and key."""

from __future__ import annotations

import msgspec
import pytest

from grading.types import MultipleResponseKey, NumericKey
from question_bank.items import ItemCreate, ItemError, split_item
from question_bank.service import stored_item
from question_bank.transfer import _media_of


def _decode(raw: str) -> ItemCreate:
    return msgspec.json.decode(raw.encode(), type=ItemCreate)  # type: ignore[arg-type]


def test_split_multiple_response() -> None:
    item = _decode(
        '{"kind":"multiple_response","stem":"?","correct":["a","c"],'
        '"partial_credit":true,"options":[{"id":"a","text":"1"},'
        '{"id":"b","text":"2"},{"id":"c","text":"3"}]}'
    )
    student, key = split_item("x", item)
    assert key == MultipleResponseKey(correct=frozenset({"a", "c"}), partial_credit=True)
    assert student.options is not None and [o.id for o in student.options] == ["a", "b", "c"]


def test_numeric_key_keeps_tolerance() -> None:
    _, key = split_item(
        "x", _decode('{"kind":"numeric","stem":"?","value":2.5,"relative_tolerance":0.1}')
    )
    assert key == NumericKey(value=2.5, relative_tolerance=0.1)


@pytest.mark.parametrize(
    "raw, field",
    [
        (
            '{"kind":"single_choice","stem":"?","correct":"z","options":[{"id":"a","text":"1"},'
            '{"id":"b","text":"2"}]}',
            "correct",
        ),
        (
            '{"kind":"single_choice","stem":"?","correct":"a","options":[{"id":"a","text":"1"},'
            '{"id":"a","text":"2"}]}',
            "options",
        ),
        (
            '{"kind":"multiple_response","stem":"?","correct":["a","a"],"options":'
            '[{"id":"a","text":"1"},{"id":"b","text":"2"}]}',
            "correct",
        ),
    ],
)
def test_inconsistent_items_are_refused(raw: str, field: str) -> None:
    with pytest.raises(ItemError) as caught:
        split_item("x", _decode(raw))
    assert caught.value.field == field


@pytest.mark.parametrize(
    "raw",
    [
        '{"kind":"single_choice","stem":"?","correct":"a","options":[{"id":"a","text":"1"}]}',
        '{"kind":"numeric","stem":"","value":1}',
        '{"kind":"numeric","stem":"?","value":1,"absolute_tolerance":-1}',
        '{"kind":"short_text","stem":"?","accepted":[]}',
        '{"kind":"hotspot","stem":"?"}',
    ],
)
def test_malformed_items_do_not_decode(raw: str) -> None:
    with pytest.raises(msgspec.ValidationError):
        _decode(raw)


def _slider_item(value: float, **spec: object) -> ItemCreate:
    scale = {"lower_bound": 0, "upper_bound": 10, "step": 0.5, **spec}
    raw = {"kind": "numeric", "stem": "?", "value": value, "slider": scale}
    return msgspec.convert(raw, ItemCreate)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "value, spec, field",
    [
        (10.5, {}, "value"),  # past the upper bound
        (2.25, {}, "value"),  # between two steps
        (3, {"base_type": "integer"}, "slider.step"),  # a half step on a whole-number scale
        (3, {"upper_bound": 0}, "slider.upper_bound"),  # an empty scale
        (3, {"step": 0.0001}, "slider.step"),  # more steps than the page draws
    ],
)
def test_a_slider_key_must_be_a_value_of_its_scale(
    value: float, spec: dict[str, object], field: str
) -> None:
    with pytest.raises(ItemError) as caught:
        split_item("x", _slider_item(value, **spec))
    assert caught.value.field == field


def test_a_negative_scale_does_not_decode() -> None:
    # QTI 3's schema types the bounds as non-negative: such a slider could not be exported
    with pytest.raises(msgspec.ValidationError):
        _slider_item(0, lower_bound=-5)


def test_a_slider_shows_its_scale_and_keeps_the_key_to_itself() -> None:
    student, key = split_item("x", _slider_item(7.5))
    assert student.slider is not None and student.slider.step == 0.5
    assert b"7.5" not in msgspec.json.encode(student)
    assert key == NumericKey(value=7.5)


def _hottext_item(passage: str, kind: str = "multiple_response", **extra: object) -> ItemCreate:
    """A hottext item; ``extra`` replaces its options or key, or goes into its hottext."""
    raw: dict[str, object] = {
        "kind": kind,
        "stem": "Pick the nouns.",
        "correct": ["cat"] if kind == "multiple_response" else "cat",
        "options": [{"id": "cat", "text": "cat"}, {"id": "mat", "text": "mat"}],
    }
    spec: dict[str, object] = {"passage": passage}
    for name, value in extra.items():
        (raw if name in raw else spec)[name] = value
    return msgspec.convert({**raw, "hottext": spec}, ItemCreate)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "passage, extra, field, words",
    [
        ("The {{cat}} sat.", {}, "hottext.passage", "['mat']"),  # an option with no place
        ("The {{cat}} {{cat}} on the {{mat}}.", {}, "hottext.passage", "more than once"),
        ('<img src="https://x.org/a.png" alt="{{cat}}"> {{mat}}', {}, "hottext.passage", "tag"),
        (
            "The {{cat}} on the {{mat}}.",
            {"options": [{"id": "cat", "text": "<p>cat</p>"}, {"id": "mat", "text": "mat"}]},
            "options",
            "no block elements",
        ),
        (
            "The {{cat}} on the {{mat}}.",
            {"options": [{"id": "cat", "text": "<b> </b>"}, {"id": "mat", "text": "mat"}]},
            "options",
            "nothing to pick",
        ),
        ("The {{cat}} on the {{mat}}.", {"max_choices": 3}, "hottext.max_choices", "more than"),
        ("The {{cat}} on the {{mat}}.", {"min_choices": 2}, "hottext.min_choices", "max_choices"),
        (
            "The {{cat}} on the {{mat}}.",
            {"correct": ["cat", "mat"]},
            "correct",
            "more options than max_choices",
        ),
    ],
)
def test_a_hottext_passage_places_every_option_once_as_a_run(
    passage: str, extra: dict[str, object], field: str, words: str
) -> None:
    with pytest.raises(ItemError) as caught:
        split_item("x", _hottext_item(passage, **extra))
    assert caught.value.field == field and words in caught.value.message


def test_a_single_hottext_takes_one_run_and_shows_its_passage_without_the_key() -> None:
    with pytest.raises(ItemError) as caught:
        split_item("x", _hottext_item("{{cat}} {{mat}}", "single_choice", max_choices=0))
    assert caught.value.field == "hottext.max_choices"
    student, key = split_item("x", _hottext_item("The {{cat}} on the {{mat}}.", "single_choice"))
    assert student.hottext is not None and student.hottext.passage == "The {{cat}} on the {{mat}}."
    assert key.correct == "cat"  # type: ignore[union-attr]
    assert b"correct" not in msgspec.json.encode(student)


def test_a_hottext_passage_is_searched_and_its_pictures_travel_with_the_item() -> None:
    picture = '<img src="/v1/media/0d5f6a0e-1111-2222-3333-444455556666" alt="peta">'
    item = _hottext_item(f"<p>The {{{{cat}}}} lay on the {{{{mat}}}} by the fire. {picture}</p>")
    stored = stored_item(item)
    assert "by the fire" in stored.search_text and "{{" not in stored.search_text
    assert _media_of(item) == ["0d5f6a0e-1111-2222-3333-444455556666"]
