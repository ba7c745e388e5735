"""Authored items decode strictly and split into student content and key."""

from __future__ import annotations

import msgspec
import pytest

from grading.types import MultipleResponseKey, NumericKey
from question_bank.items import ItemCreate, ItemError, split_item


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
