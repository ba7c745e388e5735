"""QTI 3.0 gap-match interactions: gap texts put into gaps inline in the text, imported as a
matching whose targets stand in the stem, exported valid and read back (by Ujian and by a tool
that knows nothing of Ujian) scoring the same; the answer endpoint holds a response to one text
per gap and to each text's match-max."""

from __future__ import annotations

import re
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings

from grading.responses import MatchingResponse
from grading.scoring import score_item
from question_bank.answer_rules import check_response, item_rule
from question_bank.items import ItemCreate, ItemError, ItemMeta, MatchingItem, split_item
from question_bank.kinds import ChoiceOption, GapMatchSpec
from question_bank.normalise import normalise_item
from question_bank.qti_export import export_item
from question_bank.qti_import import QtiError, import_item
from tests.unit.question_bank.item_strategies import stored_items
from tests.unit.question_bank_qti.qti3_schema import schema_errors

NS = "http://www.imsglobal.org/xsd/imsqtiasi_v3p0"
TEMPLATES = "https://purl.imsglobal.org/spec/qti/v3p0/rptemplates/"
MATCH_CORRECT = f'<qti-response-processing template="{TEMPLATES}match_correct.xml"/>'
MAP_RESPONSE = f'<qti-response-processing template="{TEMPLATES}map_response.xml"/>'


def _item(declaration: str, interaction: str, processing: str, before: str = "") -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<qti-assessment-item xmlns="{NS}" identifier="gaps" title="Gaps" adaptive="false"
    time-dependent="false" xml:lang="id">
  {declaration}
  <qti-outcome-declaration identifier="SCORE" cardinality="single" base-type="float"/>
  <qti-item-body>{before}
    {interaction}
    <qti-feedback-block outcome-identifier="FEEDBACK" identifier="done" show-hide="show">
      <p>Fotosintesis: CO2 + H2O.</p></qti-feedback-block>
  </qti-item-body>
  {processing}
</qti-assessment-item>""".encode()


KEY = """<qti-response-declaration identifier="RESPONSE" cardinality="multiple"
      base-type="directedPair">
    <qti-correct-response><qti-value>co2 G1</qti-value><qti-value>air G2</qti-value>
      <qti-value>o2 G3</qti-value></qti-correct-response>
  </qti-response-declaration>"""
# a word bank of four, one a distractor; "air" may fill any number of gaps, "o2" two
PLANTS = """<qti-gap-match-interaction response-identifier="RESPONSE" shuffle="true"
      min-associations="3">
      <qti-prompt>Lengkapi kalimat berikut.</qti-prompt>
      <qti-gap-text identifier="co2" match-max="1">karbon dioksida</qti-gap-text>
      <qti-gap-text identifier="air" match-max="0">air</qti-gap-text>
      <qti-gap-text identifier="o2" match-max="2" fixed="true"><b>oksigen</b></qti-gap-text>
      <qti-gap-text identifier="n2" match-max="1">nitrogen</qti-gap-text>
      <p>Tumbuhan menyerap <qti-gap identifier="G1"/> dan <qti-gap identifier="G2"/>, lalu
        melepaskan <qti-gap identifier="G3"/>.</p>
    </qti-gap-match-interaction>"""


def _pairs(*ps: str) -> MatchingResponse:
    return MatchingResponse(frozenset(tuple(p.split()) for p in ps))  # type: ignore[misc]


def _points(item: ItemCreate, *responses: MatchingResponse) -> list[float]:
    key = split_item("", item)[1]
    return [score_item(key, r).points for r in responses]


def test_a_gap_match_imports_as_a_matching_whose_gaps_stand_in_the_stem() -> None:
    item = import_item(_item(KEY, PLANTS, MATCH_CORRECT, before="<p>Biologi.</p>"))
    assert isinstance(item, MatchingItem) and item.gap_match is not None
    # the body before, the prompt and the text with its gaps in place; the feedback block is
    # the explanation, the word bank is the sources
    assert item.stem.startswith("<p>Biologi.</p>")
    assert "Lengkapi kalimat berikut." in item.stem
    assert "<p>Tumbuhan menyerap {{G1}} dan {{G2}}, lalu\n        melepaskan {{G3}}.</p>" in (
        item.stem
    )
    assert "karbon dioksida" not in item.stem and "Fotosintesis" not in item.stem
    assert item.explanation is not None and "Fotosintesis" in item.explanation
    assert [(s.id, s.text, s.fixed) for s in item.sources] == [
        ("co2", "karbon dioksida", False),
        ("air", "air", False),
        ("o2", "<b>oksigen</b>", True),
        ("n2", "nitrogen", False),
    ]
    assert [(t.id, t.text) for t in item.targets] == [("G1", "1"), ("G2", "2"), ("G3", "3")]
    # no max-associations: as many gaps as there are (not the schema's 1: the key fills three)
    assert item.gap_match == GapMatchSpec(match_max={"air": 0, "o2": 2}, min_associations=3)
    assert item.shuffle is True and item.pairs == [("co2", "G1"), ("air", "G2"), ("o2", "G3")]
    assert item.metadata.language == "id"
    right, partial = _pairs("co2 G1", "air G2", "o2 G3"), _pairs("co2 G1", "air G2")
    assert _points(item, right, partial, _pairs("n2 G1")) == [1.0, 0.0, 0.0]


def test_a_mapped_gap_match_keeps_its_marks() -> None:
    mapped = KEY.replace(
        "</qti-correct-response>",
        """</qti-correct-response>
    <qti-mapping default-value="-1" lower-bound="0">
      <qti-map-entry map-key="co2 G1" mapped-value="1"/>
      <qti-map-entry map-key="air G2" mapped-value="1"/>
      <qti-map-entry map-key="o2 G3" mapped-value="2"/>
    </qti-mapping>""",
    )
    item = import_item(_item(mapped, PLANTS, MAP_RESPONSE))
    assert isinstance(item, MatchingItem) and item.points == 4.0
    assert _points(
        item,
        _pairs("co2 G1", "air G2", "o2 G3"),
        _pairs("o2 G3"),
        _pairs("o2 G3", "n2 G1"),
        _pairs("n2 G1", "n2 G2"),
    ) == [4.0, 2.0, 1.0, 0.0]


def test_the_answer_endpoint_takes_one_text_per_gap_within_its_match_max() -> None:
    item = import_item(_item(KEY, PLANTS, MATCH_CORRECT))
    rule = item_rule(split_item("q1", item)[0], 0)
    assert check_response(rule, _pairs("co2 G1", "air G2", "o2 G3"), 1000) is None
    # "air" may fill every gap, "o2" two of them, the others one
    assert check_response(rule, _pairs("air G1", "air G2", "air G3"), 1000) is None
    assert check_response(rule, _pairs("o2 G1", "o2 G3"), 1000) is None
    assert check_response(rule, _pairs("co2 G1", "co2 G2"), 1000) == (
        "gap text co2 fills 2 gaps; it may fill at most 1"
    )
    assert check_response(rule, _pairs("co2 G1", "air G1"), 1000) == (
        "a gap is filled more than once"
    )
    assert check_response(rule, _pairs("co2 G9"), 1000) == "not a target of this item: 'G9'"
    assert check_response(rule, _pairs("zz G1"), 1000) == "not a source of this item: 'zz'"


def test_max_and_min_associations_are_read_kept_and_written_back() -> None:
    limited = PLANTS.replace('min-associations="3"', 'min-associations="2" max-associations="3"')
    item = import_item(_item(KEY, limited, MATCH_CORRECT))
    assert isinstance(item, MatchingItem) and item.gap_match is not None
    assert (item.gap_match.max_associations, item.gap_match.min_associations) == (3, 2)
    document = export_item("gaps-1", item)
    assert b'max-associations="3"' in document and b'min-associations="2"' in document
    assert schema_errors(document) == []
    assert import_item(document) == item
    # none given: no limit and no minimum, written as QTI's "no restriction" (0), no minimum
    loose = import_item(_item(KEY, PLANTS.replace('min-associations="3"', ""), MATCH_CORRECT))
    assert isinstance(loose, MatchingItem) and loose.gap_match is not None
    assert (loose.gap_match.max_associations, loose.gap_match.min_associations) == (0, 0)
    document = export_item("gaps-2", loose)
    assert b'max-associations="0"' in document and b"min-associations" not in document
    # a single response holds one pair, whatever the interaction says
    single = KEY.replace('cardinality="multiple"', 'cardinality="single"').replace(
        "<qti-value>air G2</qti-value>\n      <qti-value>o2 G3</qti-value>", ""
    )
    one = import_item(_item(single, PLANTS.replace('min-associations="3"', ""), MATCH_CORRECT))
    assert isinstance(one, MatchingItem) and one.gap_match is not None
    assert one.pairs == [("co2", "G1")] and one.gap_match.max_associations == 1


def test_the_answer_endpoint_holds_max_associations_and_saves_fewer_than_the_minimum() -> None:
    limited = PLANTS.replace('min-associations="3"', 'min-associations="2" max-associations="2"')
    # the key fills two gaps: within the limit
    key = KEY.replace("<qti-value>o2 G3</qti-value>", "")
    item = import_item(_item(key, limited, MATCH_CORRECT))
    rule = item_rule(split_item("q1", item)[0], 0)
    assert check_response(rule, _pairs("co2 G1", "air G2"), 1000) is None
    assert check_response(rule, _pairs("co2 G1", "air G2", "o2 G3"), 1000) == (
        "3 gaps filled; this item takes at most 2"
    )
    # one gap of the two asked for: saved as the student's work so far, and scored as given
    assert check_response(rule, _pairs("co2 G1"), 1000) is None
    assert _points(item, _pairs("co2 G1"), _pairs("co2 G1", "air G2")) == [0.0, 1.0]


def test_an_authored_gap_match_is_checked_and_named_by_its_places() -> None:
    item = MatchingItem(
        stem="<p>Ibu kota {{b}} ialah {{a}}.</p>",
        sources=[ChoiceOption("jkt", "Jakarta"), ChoiceOption("idn", "Indonesia")],
        targets=[ChoiceOption("a", "anything"), ChoiceOption("b", "else")],
        pairs=[("jkt", "a"), ("idn", "b")],
        gap_match=GapMatchSpec(match_max={"jkt": 1, "idn": 2}),
    )
    stored = normalise_item(item)
    assert isinstance(stored, MatchingItem)
    # the gaps listed as the stem places them, each named by its number; match-max 1 is the
    # default and is not kept
    assert [(t.id, t.text) for t in stored.targets] == [("b", "1"), ("a", "2")]
    assert stored.gap_match == GapMatchSpec(match_max={"idn": 2})
    document = export_item("gap-1", stored)
    assert schema_errors(document) == []
    assert import_item(document) == stored
    cases: list[tuple[dict[str, Any], str]] = [
        ({"stem": "<p>Only {{a}}.</p>"}, "every gap (target) needs one {{id}}"),
        ({"stem": "<p>{{a}} {{a}} {{b}}</p>"}, "a gap stands more than once"),
        ({"stem": '<p><img src="https://x.org/{{a}}" alt=""> {{b}}</p>'}, "inside a tag"),
        ({"pairs": [("jkt", "a"), ("jkt", "b")]}, "gap text jkt fills 2 gaps"),
        ({"pairs": [("jkt", "a"), ("idn", "a")]}, "a gap is filled more than once"),
        ({"gap_match": GapMatchSpec(match_max={"xx": 0})}, "not a source id: xx"),
        ({"gap_match": GapMatchSpec(max_associations=1)}, "2 gaps filled; this item takes at"),
        ({"gap_match": GapMatchSpec(min_associations=3)}, "more than the stem has gaps"),
        (
            {
                "gap_match": GapMatchSpec(max_associations=1, min_associations=2),
                "pairs": [("jkt", "a")],
            },
            "more than max_associations allows",
        ),
        (
            {"sources": [ChoiceOption("jkt", "<p>Jakarta</p>"), ChoiceOption("idn", "I")]},
            "no block elements",
        ),
    ]
    for bad, words in cases:
        with pytest.raises(ItemError) as caught:
            split_item("", msgspec.structs.replace(stored, **bad))
        assert words in caught.value.message or words in str(caught.value), bad


@pytest.mark.parametrize(
    "declaration, interaction, words",
    [
        (KEY.replace("directedPair", "pair"), PLANTS, "base-type directedPair"),
        (
            KEY,
            PLANTS.replace(
                '<qti-gap-text identifier="n2" match-max="1">nitrogen</qti-gap-text>',
                '<qti-gap-img identifier="n2" match-max="1"><img src="a.png" alt="N"/>'
                "</qti-gap-img>",
            ),
            "qti-gap-img",
        ),
        (KEY, PLANTS.replace('match-max="2"', 'match-max="two"'), "match-max"),
        (
            KEY,
            PLANTS.replace('<qti-gap identifier="G3"/>', '<qti-gap identifier=""/>'),
            "no identifier",
        ),
        (KEY, PLANTS.replace('match-max="0"', 'match-max="1"'), "pairs"),
        # the key fills three gaps, but an answer may fill two
        (KEY, PLANTS.replace('min-associations="3"', 'max-associations="2"'), "at most 2"),
        (KEY, PLANTS.replace('min-associations="3"', 'min-associations="4"'), "has gaps"),
        (KEY, PLANTS.replace('min-associations="3"', 'max-associations="x"'), "max-assoc"),
    ],
)
def test_a_gap_match_the_bank_cannot_take_is_refused_with_its_reason(
    declaration: str, interaction: str, words: str
) -> None:
    bad = interaction
    if words == "pairs":
        # the key puts "air" in two gaps, but it may fill one
        declaration = declaration.replace("o2 G3", "air G3")
    with pytest.raises(QtiError) as caught:
        import_item(_item(declaration, bad, MATCH_CORRECT))
    assert words in caught.value.message


def _as_another_tool_reads_it(document: bytes) -> bytes:
    # a tool that knows nothing of Ujian: no data-ujian-* rules, no ujian-* markers
    document = re.sub(rb' data-ujian-[a-z-]+="[^"]*"', b"", document)
    return re.sub(rb' class="ujian-[a-z]+"', b"", document)


def _every_response(item: MatchingItem) -> list[MatchingResponse]:
    gaps = [t.id for t in item.targets]
    out = [MatchingResponse(frozenset(item.pairs))]
    out += [MatchingResponse(frozenset({(s.id, g)})) for s in item.sources for g in gaps]
    return out


@settings(
    max_examples=40, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]
)
@given(stored_items(("matching",)).filter(lambda i: getattr(i, "gap_match", None) is not None))
def test_a_gap_match_exports_valid_and_scores_the_same_everywhere(item: ItemCreate) -> None:
    assert isinstance(item, MatchingItem) and item.gap_match is not None
    document = export_item("gap-match-1", item)
    # the gap match's own markup is valid QTI (random stems may nest HTML the schema refuses
    # anywhere): the gaps in a plain sentence
    # plain ids too (an id that begins with a digit is written prefixed: test_qti_ids.py)
    sources = [ChoiceOption("s" + s.id, s.text, s.fixed) for s in item.sources]
    targets = [ChoiceOption("g" + t.id, t.text) for t in item.targets]
    sentence = "<p>" + " and ".join("{{" + t.id + "}}" for t in targets) + ".</p>"
    plain = msgspec.structs.replace(
        item,
        stem=sentence,
        explanation=None,
        sources=sources,
        targets=targets,
        pairs=[("s" + s, "g" + t) for s, t in item.pairs],
        mapping=None,
        gap_match=msgspec.structs.replace(
            item.gap_match, match_max={"s" + k: v for k, v in item.gap_match.match_max.items()}
        ),
    )
    assert schema_errors(export_item("gap-match-1", plain)) == []
    assert import_item(document) == msgspec.structs.replace(
        item, metadata=ItemMeta(language=item.metadata.language)
    )
    # QTI's standard templates cannot say Ujian's partial credit without a mapping, and how a
    # mapping's values (negative ones, unbounded) meet Ujian's points is matching's own matter
    # whatever its layout: the plain keys are read back the same by another tool
    if item.mapping or item.partial_credit:
        return
    foreign = import_item(_as_another_tool_reads_it(document))
    assert isinstance(foreign, MatchingItem) and foreign.gap_match is not None
    responses = _every_response(item)
    theirs = [p / foreign.points for p in _points(foreign, *responses)]
    assert theirs == pytest.approx([p / item.points for p in _points(item, *responses)])
