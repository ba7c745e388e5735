"""QTI 3.0 hottext interactions: a single or multiple choice whose options are runs of a
passage, imported with the passage kept, exported valid and read back (by Ujian and by a tool
that knows nothing of Ujian) scoring the same."""

from __future__ import annotations

import re

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings

from grading.responses import MultipleResponseResponse, SingleChoiceResponse
from grading.scoring import score_item
from question_bank.answer_rules import check_response, item_rule
from question_bank.items import (
    ItemCreate,
    ItemMeta,
    MultipleResponseItem,
    SingleChoiceItem,
    split_item,
)
from question_bank.kinds import ChoiceOption, HottextSpec
from question_bank.qti_export import export_item
from question_bank.qti_import import QtiError, import_item
from tests.unit.question_bank.item_strategies import stored_items
from tests.unit.question_bank_qti.qti3_schema import schema_errors

NS = "http://www.imsglobal.org/xsd/imsqtiasi_v3p0"
TEMPLATES = "https://purl.imsglobal.org/spec/qti/v3p0/rptemplates/"


def _item(declaration: str, interaction: str, processing: str, before: str = "") -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<qti-assessment-item xmlns="{NS}" identifier="hottext" title="Identifying the error"
    adaptive="false" time-dependent="false" xml:lang="en">
  {declaration}
  <qti-outcome-declaration identifier="SCORE" cardinality="single" base-type="float"/>
  <qti-item-body>{before}
    {interaction}
  </qti-item-body>
  {processing}
</qti-assessment-item>""".encode()


# the QTI 3.0 implementation guide's hottext example: one error to find in a sentence
SINGLE_KEY = """<qti-response-declaration identifier="RESPONSE" cardinality="single"
      base-type="identifier">
    <qti-correct-response><qti-value>BIN</qti-value></qti-correct-response>
  </qti-response-declaration>"""
OLYMPICS = """<qti-hottext-interaction response-identifier="RESPONSE" max-choices="1">
      <qti-prompt>Select the error in the following passage of text (or No Error if there is
        none).</qti-prompt>
      <p>Sponsors of the Olympic Games <qti-hottext identifier="BOB">who bought</qti-hottext>
        advertising time on United States television <qti-hottext identifier="BIN">includes
        </qti-hottext> <qti-hottext identifier="BOB2">at least</qti-hottext> a dozen
        international firms <qti-hottext identifier="BOB3">whose</qti-hottext> names are familiar
        to American consumers. <qti-hottext identifier="NOERR"><b>No error.</b></qti-hottext></p>
    </qti-hottext-interaction>"""
MATCH_CORRECT = f'<qti-response-processing template="{TEMPLATES}match_correct.xml"/>'
MAP_RESPONSE = f'<qti-response-processing template="{TEMPLATES}map_response.xml"/>'
# two marks for each of the two nouns, one taken off for the verb; at most two runs, at least one
NOUNS_KEY = """<qti-response-declaration identifier="RESPONSE" cardinality="multiple"
      base-type="identifier">
    <qti-correct-response><qti-value>cat</qti-value><qti-value>mat</qti-value>
    </qti-correct-response>
    <qti-mapping default-value="0" lower-bound="0">
      <qti-map-entry map-key="cat" mapped-value="2"/>
      <qti-map-entry map-key="mat" mapped-value="2"/>
      <qti-map-entry map-key="sat" mapped-value="-1"/>
    </qti-mapping>
  </qti-response-declaration>"""
NOUNS = """<qti-hottext-interaction response-identifier="RESPONSE" max-choices="2"
      min-choices="1">
      <qti-prompt>Pick the nouns.</qti-prompt>
      <blockquote><p>The <qti-hottext identifier="cat">cat</qti-hottext>
        <qti-hottext identifier="sat">sat</qti-hottext> on the
        <qti-hottext identifier="mat">mat</qti-hottext>.</p></blockquote>
    </qti-hottext-interaction>"""


def _points(item: ItemCreate, *responses: object) -> list[float]:
    key = split_item("", item)[1]
    return [score_item(key, r).points for r in responses]  # type: ignore[arg-type]


def _multi(*ids: str) -> MultipleResponseResponse:
    return MultipleResponseResponse(frozenset(ids))


def test_the_guide_s_single_hottext_imports_as_a_choice_in_its_passage() -> None:
    item = import_item(_item(SINGLE_KEY, OLYMPICS, MATCH_CORRECT))
    assert isinstance(item, SingleChoiceItem) and item.hottext is not None
    # the prompt is the question; the passage keeps every run in its place
    assert item.stem == (
        "Select the error in the following passage of text (or No Error if there is\n        none)."
    )
    assert item.hottext.passage.startswith("<p>Sponsors of the Olympic Games {{BOB}}")
    assert "television {{BIN}} {{BOB2}} a dozen" in item.hottext.passage
    assert item.hottext.passage.endswith("consumers. {{NOERR}}</p>")
    assert [o.id for o in item.options] == ["BOB", "BIN", "BOB2", "BOB3", "NOERR"]
    assert item.options[1].text.strip() == "includes" and item.options[4].text == "<b>No error.</b>"
    assert item.correct == "BIN" and item.shuffle is False and item.hottext.max_choices == 1
    right, wrong = SingleChoiceResponse("BIN"), SingleChoiceResponse("NOERR")
    assert _points(item, right, wrong) == [1.0, 0.0]


def test_a_mapped_multiple_hottext_keeps_its_marks_and_its_limits() -> None:
    item = import_item(_item(NOUNS_KEY, NOUNS, MAP_RESPONSE, before="<p>A sentence.</p>"))
    assert isinstance(item, MultipleResponseItem) and item.hottext is not None
    assert item.hottext == HottextSpec(
        passage="<blockquote><p>The {{cat}}\n        {{sat}} on the\n        {{mat}}.</p>"
        "</blockquote>",
        max_choices=2,
        min_choices=1,
    )
    assert item.stem == "<p>A sentence.</p>\n    Pick the nouns."
    assert item.points == 4.0 and sorted(item.correct) == ["cat", "mat"]
    assert _points(item, _multi("cat", "mat"), _multi("cat", "sat"), _multi("sat")) == [
        4.0,
        1.0,
        0.0,
    ]
    # the answer endpoint takes at most max-choices runs
    rule = item_rule(split_item("q1", item)[0], 0)
    assert check_response(rule, _multi("cat", "mat"), 1000) is None
    refused = check_response(rule, _multi("cat", "sat", "mat"), 1000)
    assert refused == "3 choices; this item takes at most 2"


def test_the_saxony_passage_comes_in_with_its_nine_runs() -> None:
    from tests.unit.question_bank_qti.qti3_schema import CORPUS

    path = CORPUS / "1edtech" / "interactionMixSaxonyV3" / "Hottext_801974120.xml"
    item = import_item(path.read_bytes())
    assert isinstance(item, MultipleResponseItem) and item.hottext is not None
    assert item.hottext.max_choices == 0  # as many as the passage has
    assert [o.text for o in item.options][:3] == [
        "1950",
        "5,7 Millionen Einwohner",
        "3,9 Millionen",
    ]
    assert "seit ca. {{Choice0}} rückläufig" in item.hottext.passage
    assert item.explanation is not None and "Richtig!" in item.explanation
    again = import_item(export_item("x", item))
    assert again == item


@pytest.mark.parametrize(
    "declaration, interaction, words",
    [
        (
            SINGLE_KEY.replace('base-type="identifier"', 'base-type="string"'),
            OLYMPICS,
            "base-type identifier",
        ),
        (  # a run inside a run: the schema forbids it, and no page could draw it
            SINGLE_KEY,
            OLYMPICS.replace(
                '<qti-hottext identifier="BOB3">whose</qti-hottext>',
                '<qti-hottext identifier="BOB3">who<qti-hottext identifier="X">se</qti-hottext>'
                "</qti-hottext>",
            ),
            "holds another qti-hottext",
        ),
        (  # nothing but the passage: no question to show above it
            SINGLE_KEY,
            re.sub(r"<qti-prompt>.*</qti-prompt>", "", OLYMPICS, flags=re.S),
            "no text besides the passage",
        ),
        (  # three runs are right, but only two may be picked
            NOUNS_KEY.replace(
                "</qti-correct-response>", "<qti-value>sat</qti-value></qti-correct-response>"
            ),
            NOUNS,
            "more options than max_choices allows",
        ),
        (
            SINGLE_KEY,
            OLYMPICS.replace('identifier="BOB2"', 'identifier="BOB"'),
            "ids must be unique",
        ),
    ],
)
def test_a_hottext_the_bank_cannot_take_is_refused_with_its_reason(
    declaration: str, interaction: str, words: str
) -> None:
    with pytest.raises(QtiError) as caught:
        import_item(_item(declaration, interaction, MATCH_CORRECT))
    assert words in caught.value.message


def _as_another_tool_reads_it(document: bytes) -> bytes:
    # a tool that knows nothing of Ujian: no data-ujian-* rules, no ujian-* markers
    document = re.sub(rb' data-ujian-[a-z-]+="[^"]*"', b"", document)
    return re.sub(rb' class="ujian-[a-z]+"', b"", document)


def _every_response(item: SingleChoiceItem | MultipleResponseItem) -> list[object]:
    ids = [o.id for o in item.options]
    if isinstance(item, SingleChoiceItem):
        return [SingleChoiceResponse(i) for i in ids]
    singles = [_multi(i) for i in ids]
    return [*singles, _multi(*item.correct), _multi(*ids), _multi(*ids[:2])]


@settings(
    max_examples=100, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]
)
@given(
    stored_items(("single_choice", "multiple_response")).filter(
        # ids that begin with a digit are written prefixed (question_bank/qti_ids.py)
        lambda i: getattr(i, "hottext", None) is not None
    )
)
def test_a_hottext_exports_valid_and_scores_the_same_everywhere(item: ItemCreate) -> None:
    assert isinstance(item, SingleChoiceItem | MultipleResponseItem) and item.hottext
    document = export_item("hottext-1", item)
    # the hottext's own markup is valid QTI (random stems and passages may nest HTML the
    # schema refuses anywhere): the runs as drawn, in a plain sentence
    sentence = "<p>" + " and ".join("{{" + o.id + "}}" for o in item.options) + ".</p>"
    plain = msgspec.structs.replace(
        item,
        stem="<p>Which?</p>",
        explanation=None,
        hottext=msgspec.structs.replace(item.hottext, passage=sentence),
    )
    assert schema_errors(export_item("hottext-1", plain)) == []
    assert import_item(document) == msgspec.structs.replace(
        item, metadata=ItemMeta(language=item.metadata.language)
    )
    # QTI's standard templates cannot say Ujian's partial credit without a mapping, and how a
    # mapping's values (negative ones, unbounded) meet Ujian's points is the choice kinds' own
    # matter whatever their layout: the plain keys are read back the same by another tool
    if item.mapping or (isinstance(item, MultipleResponseItem) and item.partial_credit):
        return
    foreign = import_item(_as_another_tool_reads_it(document))
    assert isinstance(foreign, SingleChoiceItem | MultipleResponseItem) and foreign.hottext
    assert [o.id for o in foreign.options] == [o.id for o in item.options]
    responses = _every_response(item)
    theirs = [p / foreign.points for p in _points(foreign, *responses)]
    assert theirs == pytest.approx([p / item.points for p in _points(item, *responses)])


@pytest.mark.parametrize(
    "passage",
    [
        "Plain text first: {{a}}, then {{b}}.",  # no block around it: the export adds one
        "<ul><li>{{a}}</li><li>x</li></ul><table><tbody><tr><td>{{b}}</td></tr></tbody></table>",
        "<p><b>{{a}}</b> <em>and</em> <sub>{{b}}</sub></p>",
    ],
)
def test_passages_of_every_common_shape_export_valid(passage: str) -> None:
    item = SingleChoiceItem(
        stem="<p>Which?</p>",
        options=[ChoiceOption("a", "one"), ChoiceOption("b", "<em>two</em>")],
        correct="b",
        shuffle=False,
        hottext=HottextSpec(passage=passage),
    )
    document = export_item("hottext-2", item)
    assert schema_errors(document) == []
    assert import_item(document) == item
