"""Item analysis reads a composite item (ADR 0020) as a multi-point item by its score: its
maximum from its points, facility as the mean share of them, no option shares."""

from __future__ import annotations

import uuid

import msgspec

from engine.analytics.repository import SittingTexts
from engine.analytics.statistics_service import build_from_rows
from question_bank.qti_import import import_items
from tests.unit.question_bank_qti.composite_items import composite, float_outcome, if_, match

# 2 marks for both right, half a mark for one: a polytomous item
TABLE = (
    '<qti-interpolation-table default-value="0">'
    '<qti-interpolation-table-entry source-value="2" target-value="2"/>'
    '<qti-interpolation-table-entry source-value="1" target-value="0.5"/>'
    "</qti-interpolation-table>"
)
COUNT = (
    if_(
        match("RESPONSE_A"),
        '<qti-set-outcome-value identifier="N"><qti-base-value '
        'base-type="float">1</qti-base-value></qti-set-outcome-value>',
    )
    + if_(
        match("RESPONSE_B"),
        '<qti-set-outcome-value identifier="N"><qti-sum><qti-variable '
        'identifier="N"/><qti-base-value base-type="float">1</qti-base-value></qti-sum>'
        "</qti-set-outcome-value>",
    )
    + '<qti-lookup-outcome-value identifier="SCORE"><qti-variable identifier="N"/>'
    "</qti-lookup-outcome-value>"
)


def test_a_composite_is_analysed_by_its_score_as_a_polytomous_item() -> None:
    (part,) = import_items(composite(COUNT, extra_outcomes=float_outcome("N"), score_table=TABLE))
    content = msgspec.to_builtins(part.item)
    assert content["kind"] == "composite" and content["points"] == 2.0
    choice = {
        "kind": "single_choice",
        "stem": "Q",
        "points": 1.0,
        "options": [{"id": "a", "text": "A"}, {"id": "b", "text": "B"}],
    }
    data = {
        "order": [("c", "S", 1), ("q", "S", 1)],
        "contents": {
            "c": {"kind": "composite", "content": content, "answer_key": {}, "key_fixed": False},
            "q": {
                "kind": "single_choice",
                "content": choice,
                "answer_key": {"correct": "a"},
                "key_fixed": False,
            },
        },
        "times": {},
        "parameters": {},
        "pass_mark": None,
    }
    # four sittings: the composite earned 2, 0.5, 0.5 and 0; the choice 1, 1, 0, 0
    earned = [(2.0, 1.0), (0.5, 1.0), (0.5, 0.0), (0.0, 0.0)]
    texts = [
        msgspec.json.encode({"c": {"points": c}, "q": {"points": q}}).decode() for c, q in earned
    ]
    ids = [str(uuid.uuid4()) for _ in earned]
    chosen = [msgspec.json.encode({"q": "a" if q else "b"}).decode() for _, q in earned]
    view = build_from_rows(
        uuid.uuid4(), data, (SittingTexts(ids, texts), SittingTexts(ids, chosen))
    )
    composite_row, choice_row = view.items
    assert composite_row.kind == "composite" and composite_row.max_points == 2.0
    # mean share of its points: (2 + 0.5 + 0.5 + 0) / 4 / 2
    assert composite_row.facility_pct == 37.5
    assert composite_row.options is None  # no distractor analysis of a composite
    assert choice_row.options is not None and view.max_points == 3.0
