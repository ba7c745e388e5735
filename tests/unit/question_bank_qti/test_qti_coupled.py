"""Composite QTI items whose processing scores the responses together come in as one composite
item and are scored by that processing at grading time (ADR 0020).

The expectations were written by reading each item's processing: what a right, a partial and a
wrong answer earns.
"""

from __future__ import annotations

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grading.keys import CompositeKey
from grading.qti_processing import run
from grading.qti_program import _compile, compile_program, outcome_score
from grading.responses import (
    CompositeResponse,
    PartResponse,
    ShortTextResponse,
    SingleChoiceResponse,
)
from grading.scoring import score_item
from question_bank.answer_rules import check_response, item_rule
from question_bank.items import CompositeItem, ItemCreate, item_kind, split_item
from question_bank.qti_export import export_item
from question_bank.qti_import import QtiError, import_items, parse_xml
from question_bank.qti_rules import declarations, processing
from tests.unit.question_bank_qti.composite_items import (
    BOTH,
    LOOKUP,
    LOOKUP_OUTCOMES,
    LOOKUP_TABLE,
    composite,
    float_outcome,
    if_,
    match,
    set_,
    value,
    var,
)
from tests.unit.question_bank_qti.qti3_schema import schema_errors

# the choice's response is RESPONSE_A (options A, B, C; B is right), the sentence's text entry
# RESPONSE_B ("Paris" is right): see composite_items.composite
RIGHT, OTHER = "B", "C"
# a condition on the choice sets the score from the text entry's own mapping
FROM_OTHER = if_(
    match("RESPONSE_A"),
    set_("SCORE", '<qti-map-response identifier="RESPONSE_B"/>'),
)
# the number right through an interpolation table: 2 marks for both, half a mark for one
TABLE = (
    '<qti-interpolation-table default-value="0">'
    '<qti-interpolation-table-entry source-value="2" target-value="2"/>'
    '<qti-interpolation-table-entry source-value="1" target-value="0.5"/>'
    "</qti-interpolation-table>"
)


def _one(document: bytes) -> CompositeItem:
    (part,) = import_items(document)
    assert isinstance(part.item, CompositeItem)
    return part.item


def _answer(choice: str | None, text: str | None) -> CompositeResponse | None:
    parts: dict[str, PartResponse] = {}
    if choice is not None:
        parts["RESPONSE_A"] = SingleChoiceResponse(choice)
    if text is not None:
        parts["RESPONSE_B"] = ShortTextResponse(text)
    return CompositeResponse(parts) if parts else None


def _score(item: ItemCreate, choice: str | None, text: str | None) -> float:
    return score_item(split_item("", item)[1], _answer(choice, text)).points


def test_an_and_of_two_matches_is_one_mark_for_both_right_and_nothing_for_one() -> None:
    item = _one(composite(BOTH))
    assert item.points == 1.0
    assert list(item.parts) == ["RESPONSE_A", "RESPONSE_B"]
    choice, text = item.parts.values()
    assert item_kind(choice) == "single_choice" and choice.correct == "B"  # type: ignore[union-attr]
    assert item_kind(text) == "short_text" and text.accepted == ["Paris"]  # type: ignore[union-attr]
    # the passage and each part's place, in the body's order
    assert item.stem.startswith("<p>France is a country in Europe.</p>")
    assert item.stem.index("{{RESPONSE_A}}") < item.stem.index("{{RESPONSE_B}}")
    assert _score(item, RIGHT, "Paris") == 1.0
    assert _score(item, RIGHT, "Lyon") == 0.0  # one right: the and fails
    assert _score(item, OTHER, "Paris") == 0.0
    assert _score(item, None, None) == 0.0
    key = split_item("", item)[1]
    assert score_item(key, None).status == "blank"
    assert score_item(key, _answer(RIGHT, "Paris")).status == "correct"


def test_a_table_over_the_number_right_gives_one_mark_for_both_only() -> None:
    item = _one(composite(LOOKUP, extra_outcomes=LOOKUP_OUTCOMES, score_table=LOOKUP_TABLE))
    assert item.points == 1.0
    assert [_score(item, c, t) for c, t in [(RIGHT, "Paris"), (RIGHT, "x"), (OTHER, "x")]] == [
        1.0,
        0.0,
        0.0,
    ]


def test_an_interpolation_table_gives_partial_credit_for_one_right() -> None:
    document = composite(
        LOOKUP.replace('identifier="RIGHT"', 'identifier="N"'),
        extra_outcomes=float_outcome("N"),
        score_table=TABLE,
    )
    item = _one(document)
    assert item.points == 2.0
    key = split_item("", item)[1]
    right, partial, wrong = (
        score_item(key, _answer(c, t))
        for c, t in [(RIGHT, "Paris"), (OTHER, "Paris"), (OTHER, "Rome")]
    )
    assert (right.points, right.status) == (2.0, "correct")
    assert (partial.points, partial.status) == (0.5, "partial")
    assert (wrong.points, wrong.status) == (0.0, "incorrect")


def test_a_condition_on_one_response_sets_the_score_from_the_other() -> None:
    item = _one(composite(FROM_OTHER, mapping={"Paris": 2, "paris": 1}))
    assert item.points == 2.0
    assert _score(item, RIGHT, "Paris") == 2.0
    assert _score(item, RIGHT, "paris") == 1.0
    assert _score(item, OTHER, "Paris") == 0.0
    # Ujian trims the spaces around a typed answer, as its own scorers do
    assert _score(item, RIGHT, "  Paris ") == 2.0


def test_a_construct_the_interpreter_does_not_run_is_still_refused_by_name() -> None:
    substring = (
        '<qti-substring case-sensitive="true"><qti-base-value base-type="string">Par'
        '</qti-base-value><qti-variable identifier="RESPONSE_B"/></qti-substring>'
    )
    document = composite(
        if_(f"<qti-and>{match('RESPONSE_A')}{substring}</qti-and>", set_("SCORE", value(1)))
    )
    with pytest.raises(QtiError) as caught:
        import_items(document)
    assert caught.value.code == "qti_unsupported_processing"
    assert "qti-substring" in caught.value.message


@pytest.mark.parametrize(
    "document",
    [
        composite(BOTH),
        # (an interpolation table: the XSD types a match table's target-value as a base-type
        # name, so no match table is valid QTI 3.0.1, however it came in)
        composite(
            LOOKUP.replace('identifier="RIGHT"', 'identifier="N"'),
            extra_outcomes=float_outcome("N"),
            score_table=TABLE,
        ),
        composite(FROM_OTHER, mapping={"Paris": 2, "paris": 1}),
    ],
    ids=["and", "lookup", "condition"],
)
def test_the_export_is_valid_and_comes_back_scoring_the_same(document: bytes) -> None:
    item = _one(document)
    exported = export_item("france", item)
    assert schema_errors(exported) == []
    again = _one(exported)
    assert again.processing.processing == item.processing.processing
    answers = [(c, t) for c in (RIGHT, OTHER, None) for t in ("Paris", "paris", "Rome", None)]
    assert [_score(again, c, t) for c, t in answers] == [_score(item, c, t) for c, t in answers]
    # and once more: the second export is the first
    assert export_item("france", again) == exported


def test_the_answer_endpoint_checks_each_part_by_its_own_rules() -> None:
    student = split_item("france", _one(composite(BOTH)))[0]
    rule = item_rule(student, 0)
    assert check_response(rule, _answer(RIGHT, "Paris"), 1000) is None
    assert check_response(rule, _answer("Z", None), 1000) == (
        "part RESPONSE_A: not an option of this item: 'Z'"
    )
    wrong_kind = CompositeResponse({"RESPONSE_B": SingleChoiceResponse("B")})
    assert "part RESPONSE_B: this item takes a short_text response" in (
        check_response(rule, wrong_kind, 1000) or ""
    )
    unknown = CompositeResponse({"SCORE": ShortTextResponse("9")})
    assert check_response(rule, unknown, 1000) == "not a part of this item: 'SCORE'"
    assert check_response(rule, SingleChoiceResponse("B"), 1000) == (
        "this item takes a composite response, not single_choice"
    )


def test_a_part_named_as_an_outcome_cannot_set_it() -> None:
    # refused at the endpoint; the grader gives only response variables to the program too
    key = split_item("", _one(composite(FROM_OTHER, mapping={"Paris": 2})))[1]
    forged = CompositeResponse({"SCORE": ShortTextResponse("2")})
    assert score_item(key, forged).points == 0.0


def test_the_program_is_compiled_once_per_process() -> None:
    key = split_item("", _one(composite(BOTH)))[1]
    assert isinstance(key, CompositeKey)
    assert compile_program(key.program) is compile_program(key.program)
    # a key decoded again (another exam version, the Lambda) finds it by the program's bytes
    again = msgspec.json.decode(msgspec.json.encode(key), type=CompositeKey)
    hits = _compile.cache_info().hits
    assert compile_program(again.program) is compile_program(key.program)
    assert _compile.cache_info().hits == hits + 1


def test_an_authored_composite_must_declare_what_its_parts_answer() -> None:
    item = _one(composite(BOTH))
    program = item.processing
    fewer = msgspec.structs.replace(program, declarations=program.declarations[1:])
    with pytest.raises(Exception) as caught:
        split_item("", msgspec.structs.replace(item, processing=fewer))
    assert "RESPONSE_A" in str(caught.value)


# --- random coupled composites --------------------------------------------------------------

WORDS = st.text(alphabet="abcdefghijklmnopqrstuvwxyz ÁÉ", min_size=1, max_size=8)


@st.composite
def coupled(draw: st.DrawFn) -> bytes:
    """A choice and a text entry scored together: an and, a table on the number right, or a
    condition on the choice that takes the text entry's mapping."""
    options = draw(st.lists(st.sampled_from("ABCDEFG"), min_size=2, max_size=5, unique=True))
    correct = draw(st.sampled_from(options))
    accepted = draw(st.sampled_from(["Paris", "Jakarta", "Bogor"]))
    marks = draw(st.sampled_from([1.0, 2.0, 3.5]))
    shape = draw(st.sampled_from(["and", "lookup", "condition"]))
    if shape == "and":
        test = f"<qti-and>{match('RESPONSE_A')}{match('RESPONSE_B')}</qti-and>"
        return composite(
            if_(test, set_("SCORE", value(marks))),
            options=options,
            correct=correct,
            accepted=accepted,
        )
    if shape == "lookup":
        one = draw(st.sampled_from([0.0, 0.25]))
        table = (
            '<qti-interpolation-table default-value="0">'
            f'<qti-interpolation-table-entry source-value="2" target-value="{marks}"/>'
            f'<qti-interpolation-table-entry source-value="1" target-value="{one}"/>'
            "</qti-interpolation-table>"
        )
        rules = (
            if_(match("RESPONSE_A"), set_("N", value(1)))
            + if_(match("RESPONSE_B"), set_("N", f"<qti-sum>{var('N')}{value(1)}</qti-sum>"))
            + f'<qti-lookup-outcome-value identifier="SCORE">{var("N")}</qti-lookup-outcome-value>'
        )
        return composite(
            rules,
            options=options,
            correct=correct,
            accepted=accepted,
            extra_outcomes=float_outcome("N"),
            score_table=table,
        )
    mapping = {accepted: marks, accepted.lower(): marks / 2}
    return composite(
        FROM_OTHER, options=options, correct=correct, accepted=accepted, mapping=mapping
    )


def _interpreter(document: bytes, choice: str | None, text: str | None) -> float:
    """The whole item's score, the processing run on the document as it is."""
    root = parse_xml(document)
    rules = processing(root)
    assert rules is not None
    typed = None if text is None or not text.strip() else text.strip()
    return outcome_score(
        run(rules, declarations(root), {"RESPONSE_A": choice, "RESPONSE_B": typed})
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(coupled(), st.data())
def test_the_grader_scores_as_the_items_own_processing_before_and_after_export(
    document: bytes, data: st.DataObject
) -> None:
    item = _one(document)
    choice_part = item.parts["RESPONSE_A"]
    options = [o.id for o in choice_part.options]  # type: ignore[union-attr]
    accepted = item.parts["RESPONSE_B"].accepted[0]  # type: ignore[union-attr]
    choice = data.draw(st.none() | st.sampled_from(options), label="choice")
    text = data.draw(
        st.none() | st.sampled_from([accepted, accepted.lower(), accepted.upper()]) | WORDS,
        label="text",
    )
    want = _interpreter(document, choice, text)
    assert _score(item, choice, text) == pytest.approx(want)
    again = _one(export_item("item", item))
    assert _score(again, choice, text) == pytest.approx(want)
