"""Composite QTI items (several interactions, each with its own response) come in as their
parts when the item's response processing scores the responses apart (ADR 0016), and as one
composite item, saying which responses its processing scores together, otherwise (ADR 0020;
tests/unit/question_bank_qti/test_qti_coupled.py).

The expectations were written by reading each item's processing: what a right, a partial and a
wrong answer to each part earns.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.console import Console

from engine.cli import main
from engine.items_cli import run_import
from grading.qti_processing import run
from grading.qti_program import outcome_score
from grading.responses import Response, ShortTextResponse, SingleChoiceResponse
from grading.scoring import score_item
from question_bank.content import plain_text
from question_bank.import_report import import_entries
from question_bank.items import ItemCreate, item_kind, split_item
from question_bank.packages import read_package, relink
from question_bank.qti_export import export_item
from question_bank.qti_import import QtiError, import_item, import_items, parse_xml
from question_bank.qti_rules import declarations, processing
from tests.unit.question_bank_qti.composite_items import (
    BOTH,
    LOOKUP,
    LOOKUP_OUTCOMES,
    LOOKUP_TABLE,
    SUM,
    WEIGHTED,
    add,
    composite,
    float_outcome,
    if_,
    match,
    set_,
    value,
    var,
)
from tests.unit.question_bank_qti.qti3_schema import CORPUS, schema_errors

ONE = CORPUS / "1edtech"


def _score(item: ItemCreate, response: Response | None) -> float:
    return score_item(split_item("", item)[1], response).points


def _parts(document: bytes) -> list[ItemCreate]:
    return [p.item for p in import_items(document)]


def test_a_sum_of_two_marks_comes_in_as_two_parts_under_the_shared_passage() -> None:
    parts = import_items(composite(SUM))
    assert [(p.identifier, p.title) for p in parts] == [
        ("france-RESPONSE_A", "France, two ways (1/2)"),
        ("france-RESPONSE_B", "France, two ways (2/2)"),
    ]
    choice, text = (p.item for p in parts)
    assert item_kind(choice) == "single_choice" and item_kind(text) == "short_text"
    assert choice.stem == "Which letter comes second?"
    assert plain_text(text.stem) == "The capital of France is ."
    assert choice.correct == "B" and text.accepted == ["Paris"]  # type: ignore[union-attr]
    assert choice.points == text.points == 1.0
    # the passage around the interactions is the parts' stimulus, named after the item
    for item in (choice, text):
        assert item.stimulus is not None
        assert item.stimulus.id == "france" and item.stimulus.title == "France, two ways"
        assert item.stimulus.body == "<p>France is a country in Europe.</p>"
        assert item.metadata.language == "en"
    assert [_score(choice, SingleChoiceResponse(c)) for c in "BA"] == [1.0, 0.0]
    # qti-match compares strings as they are: "paris" is wrong
    assert [_score(text, ShortTextResponse(t)) for t in ("Paris", "paris", "Lyon")] == [
        1.0,
        0.0,
        0.0,
    ]


def test_a_weighted_sum_gives_each_part_its_own_marks_and_partial_credit() -> None:
    choice, text = _parts(composite(WEIGHTED, mapping={"Paris": 3, "paris": 1.5}))
    assert (choice.points, text.points) == (2.0, 3.0)
    assert [_score(choice, SingleChoiceResponse(c)) for c in "BC"] == [2.0, 0.0]
    assert text.partial == {"paris": 0.5}  # type: ignore[union-attr]
    assert [_score(text, ShortTextResponse(t)) for t in ("Paris", "paris", "Rome")] == [
        3.0,
        1.5,
        0.0,
    ]


def test_one_mark_for_both_right_is_one_composite_naming_the_two_responses() -> None:
    (part,) = import_items(composite(BOTH))
    assert item_kind(part.item) == "composite"
    assert "scores RESPONSE_A and RESPONSE_B together" in (part.note or "")
    assert '{"RESPONSE_A": "B", "RESPONSE_B": "Paris"} score 1' in (part.note or "")


def test_a_table_over_the_number_right_is_one_composite_naming_the_two_responses() -> None:
    document = composite(LOOKUP, extra_outcomes=LOOKUP_OUTCOMES, score_table=LOOKUP_TABLE)
    (part,) = import_items(document)
    assert item_kind(part.item) == "composite"
    assert "scores RESPONSE_A and RESPONSE_B together" in (part.note or "")


def test_a_part_with_no_prompt_is_named_by_its_place_in_the_item_language() -> None:
    choice, _ = _parts(composite(SUM, prompt=None, language="de-AT"))
    assert choice.stem == "Teil 1"
    choice, _ = _parts(composite(SUM, prompt=None, language="id"))
    assert choice.stem == "Bagian 1"


def test_no_shared_text_means_no_stimulus() -> None:
    choice, text = _parts(composite(SUM, passage=""))
    assert choice.stimulus is None and text.stimulus is None


def test_a_part_the_processing_never_scores_is_refused() -> None:
    # only the choice is scored: the text entry would be a part worth nothing
    with pytest.raises(QtiError) as caught:
        import_items(composite(add(1, match("RESPONSE_A"))))
    assert caught.value.code == "qti_unsupported_processing"
    assert "never scores RESPONSE_B" in caught.value.message


def test_a_composite_is_not_one_item() -> None:
    with pytest.raises(QtiError, match="comes in as 2 items"):
        import_item(composite(SUM))


def test_a_cloze_of_inline_interactions_stays_one_item() -> None:
    (item,) = _parts(
        (ONE / "interactionMixSaxonyV3" / "TextEntrynumeric_2040297025.xml").read_bytes()
    )
    assert item_kind(item) == "cloze"


# real composites (tests/data/qti3/SOURCES.md)


def test_a_real_composite_scoring_only_its_first_response_is_refused_naming_the_other() -> None:
    # two hotspot interactions under the match_correct template, which reads RESPONSE alone
    path = ONE / "shared-vocabulary" / "Item_QTI3_Hotspot_01" / "hotspot-qti3.xml"
    document = relink(path.read_bytes(), {"ukair.png": "https://media.example.org/ukair.png"})
    with pytest.raises(QtiError) as caught:
        import_items(document)
    assert caught.value.code == "qti_unsupported_processing"
    assert "never scores RESPONSE1" in caught.value.message


def test_a_real_composite_summing_four_parts_is_read_to_the_construct_it_cannot_run() -> None:
    # the legend of Marion: four parts summed, the text entry's last branch a qti-substring
    with pytest.raises(QtiError) as caught:
        import_items((ONE / "items" / "multi-input.xml").read_bytes())
    assert caught.value.code == "qti_unsupported_processing"
    assert "qti-substring" in caught.value.message


def test_the_real_composite_is_split_as_its_author_laid_it_out_without_the_substring() -> None:
    # the same item with the text entry's partial branches taken out: its four parts, the
    # inline choice and the text entry of one sentence a cloze
    document = (ONE / "items" / "multi-input.xml").read_bytes()
    start = document.index(b"<qti-response-else-if>")
    end = document.index(b"<qti-response-else>", start)
    parts = import_items(document[:start] + document[end:])
    assert [(p.identifier, item_kind(p.item), p.item.points) for p in parts] == [
        ("multi-input-RESPONSE1", "single_choice", 1.0),
        ("multi-input-RESPONSE2", "cloze", 2.0),
        ("multi-input-RESPONSE4", "matching", 1.0),
    ]
    choice, cloze, gaps = (p.item for p in parts)
    assert choice.stem == "Why are some people afraid of the Forest Area in the Theme Park?"
    assert plain_text(cloze.stem).startswith("The woman, whose name was {{RESPONSE2}}")
    assert gaps.stem.startswith("Part 3") and "He killed her {{G1}}" in gaps.stem
    assert gaps.pairs == [("F", "G1"), ("C", "G2"), ("H", "G3")]  # type: ignore[union-attr]
    assert choice.stimulus is not None and "a legend" in choice.stimulus.body
    assert choice.stimulus.title == "Legend" and choice.stimulus.id == "multi-input"
    # the feedback is the explanation, not the passage
    assert "right reason" not in choice.stimulus.body
    assert "right reason" in (choice.explanation or "")


@pytest.mark.parametrize(
    ("processing", "mapping"),
    [(SUM, None), (WEIGHTED, {"Paris": 3.0, "paris": 1.5})],
    ids=["sum", "weighted"],
)
def test_each_part_exports_valid_and_comes_back_the_same(
    processing: str, mapping: dict[str, float] | None
) -> None:
    answers: list[Response] = [
        *(SingleChoiceResponse(c) for c in "ABC"),
        *(ShortTextResponse(t) for t in ("Paris", "paris", "Rome")),
    ]
    for item in _parts(composite(processing, mapping=mapping)):
        document = export_item("item-1", item)
        assert schema_errors(document) == []
        assert item.stimulus is not None
        # an ordinary item that names the shared stimulus, as any item of a passage does
        assert b'href="../stimuli/france.xml"' in document
        again = import_item(document, {"../stimuli/france.xml": item.stimulus})
        assert again.stimulus == item.stimulus and again.points == item.points
        fits = [r for r in answers if isinstance(r, type(_probe(item)))]
        assert [_score(again, r) for r in fits] == [_score(item, r) for r in fits]


def _probe(item: ItemCreate) -> Response:
    return (
        SingleChoiceResponse("A") if item_kind(item) == "single_choice" else ShortTextResponse("")
    )


def test_the_package_report_has_a_line_for_each_part_and_one_for_a_coupled_item() -> None:
    manifest = (
        '<manifest xmlns="http://www.imsglobal.org/xsd/qti/qtiv3p0/imscp_v1p1"><resources>'
        '<resource identifier="c" type="imsqti_item_xmlv3p0" href="items/c.xml">'
        '<file href="items/c.xml"/></resource>'
        '<resource identifier="b" type="imsqti_item_xmlv3p0" href="items/b.xml">'
        '<file href="items/b.xml"/></resource></resources></manifest>'
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("imsmanifest.xml", manifest)
        archive.writestr("items/c.xml", composite(SUM))
        archive.writestr("items/b.xml", composite(BOTH))
    items, outcomes = import_entries(read_package(out.getvalue()).items, {})
    assert [href for href, _ in items] == ["items/c.xml", "items/c.xml", "items/b.xml"]
    assert [(o.file, o.status, o.kind, o.part, o.title, o.code) for o in outcomes] == [
        (
            "items/c.xml",
            "imported",
            "single_choice",
            "france-RESPONSE_A",
            "France, two ways (1/2)",
            None,
        ),
        (
            "items/c.xml",
            "imported",
            "short_text",
            "france-RESPONSE_B",
            "France, two ways (2/2)",
            None,
        ),
        # one item, scored by its processing: the line says why it is not split
        ("items/b.xml", "imported", "composite", None, None, None),
    ]
    assert "RESPONSE_A and RESPONSE_B together" in (outcomes[2].note or "")


# the parts' scores add up to the item's, whatever the answers

WORDS = st.text(alphabet="abcXYZ", min_size=1, max_size=4)


@st.composite
def separable(draw: st.DrawFn) -> bytes:
    """A choice and a text entry scored apart: by marks per right answer, partial marks from
    the text entry's mapping, per-response outcomes summed, or marks added to SCORE."""
    options = tuple(f"O{n}" for n in range(draw(st.integers(2, 5))))
    correct = draw(st.sampled_from(options))
    accepted = draw(WORDS)
    a = draw(st.sampled_from([0.5, 1.0, 2.0, 4.0]))
    b = draw(st.sampled_from([1.0, 2.0, 3.0]))
    others = draw(st.lists(WORDS.filter(lambda w: w != accepted), max_size=2, unique=True))
    mapping = {accepted: b, **{w: b / 2 for w in others}}
    style = draw(st.sampled_from(["add", "mapped", "outcomes"]))
    if style == "add":
        rules = add(a, match("RESPONSE_A")) + add(b, match("RESPONSE_B"))
        return composite(rules, options=options, correct=correct, accepted=accepted)
    text_score = '<qti-map-response identifier="RESPONSE_B"/>'
    if style == "mapped":
        rules = add(a, match("RESPONSE_A")) + set_(
            "SCORE", f"<qti-sum>{var('SCORE')}{text_score}</qti-sum>"
        )
    else:
        # each response's marks in an outcome of its own, summed at the end
        rules = (
            if_(match("RESPONSE_A"), set_("S1", value(a)))
            + set_("S2", text_score)
            + set_("SCORE", f"<qti-sum>{var('S1')}{var('S2')}</qti-sum>")
        )
    return composite(
        rules,
        options=options,
        correct=correct,
        accepted=accepted,
        mapping=mapping,
        extra_outcomes=float_outcome("S1") + float_outcome("S2"),
    )


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(separable(), st.data())
def test_the_parts_scores_add_up_to_the_items_own_score(
    document: bytes, data: st.DataObject
) -> None:
    choice, text = _parts(document)
    root = parse_xml(document)
    rules, decls = processing(root), declarations(root)
    assert rules is not None
    option = data.draw(st.none() | st.sampled_from([o.id for o in choice.options]))  # type: ignore[union-attr]
    words = [*text.accepted, *text.partial]  # type: ignore[union-attr]
    typed = data.draw(st.none() | st.sampled_from(words) | WORDS)
    whole = outcome_score(run(rules, decls, {"RESPONSE_A": option, "RESPONSE_B": typed}))
    marks = _score(choice, None if option is None else SingleChoiceResponse(option))
    marks += _score(text, None if typed is None else ShortTextResponse(typed))
    assert marks == pytest.approx(whole)


def test_the_command_reports_each_part_of_a_composite_file(tmp_path: Path) -> None:
    (tmp_path / "france.xml").write_bytes(composite(SUM))
    shown = io.StringIO()
    outcomes = run_import(tmp_path, Console(file=shown, width=200))
    assert [(o.file, o.part) for o in outcomes] == [
        ("france.xml", "france-RESPONSE_A"),
        ("france.xml", "france-RESPONSE_B"),
    ]
    assert main(["items", "import", str(tmp_path / "france.xml")]) == 0
