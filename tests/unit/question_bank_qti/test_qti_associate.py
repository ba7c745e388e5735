"""QTI 3.0 associate interactions: pairs drawn from one set of choices, without direction,
imported as a matching whose targets are its sources, scored the same whichever way round a
pair is given, exported valid and read back (by Ujian and by a tool that knows nothing of
Ujian) scoring the same; the answer endpoint holds a response to max-associations and each
choice's match-max."""

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
from question_bank.kinds import AssociateSpec, ChoiceOption
from question_bank.normalise import normalise_item
from question_bank.qti_export import export_item
from question_bank.qti_import import QtiError, import_item
from tests.unit.question_bank.item_strategies import stored_items
from tests.unit.question_bank_qti.qti3_schema import schema_errors

NS = "http://www.imsglobal.org/xsd/imsqtiasi_v3p0"
TEMPLATES = "https://purl.imsglobal.org/spec/qti/v3p0/rptemplates/"
MATCH_CORRECT = f'<qti-response-processing template="{TEMPLATES}match_correct.xml"/>'
MAP_RESPONSE = f'<qti-response-processing template="{TEMPLATES}map_response.xml"/>'


def _item(declaration: str, interaction: str, processing: str) -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<qti-assessment-item xmlns="{NS}" identifier="pairs" title="Pairs" adaptive="false"
    time-dependent="false">
  {declaration}
  <qti-outcome-declaration identifier="SCORE" cardinality="single" base-type="float"/>
  <qti-item-body>
    <p>Pasangkan hewan dengan makanannya.</p>
    {interaction}
  </qti-item-body>
  {processing}
</qti-assessment-item>""".encode()


KEY = """<qti-response-declaration identifier="RESPONSE" cardinality="multiple" base-type="pair">
    <qti-correct-response><qti-value>sapi rumput</qti-value><qti-value>kucing ikan</qti-value>
    </qti-correct-response>
  </qti-response-declaration>"""
MAPPED = KEY.replace(
    "</qti-correct-response>",
    """</qti-correct-response>
    <qti-mapping default-value="-1" lower-bound="0">
      <qti-map-entry map-key="rumput sapi" mapped-value="2"/>
      <qti-map-entry map-key="kucing ikan" mapped-value="1"/>
    </qti-mapping>""",
)
# "ikan" may stand in two pairs (a fish eats fish too), the others in one
CHOICE = '<qti-simple-associable-choice identifier="{0}" match-max="{1}"{2}>{3}'
ANIMALS = (
    """<qti-associate-interaction response-identifier="RESPONSE" shuffle="true"
      max-associations="3">
      <qti-prompt>Setiap hewan dengan makanannya.</qti-prompt>"""
    + "".join(
        CHOICE.format(*c) + "</qti-simple-associable-choice>"
        for c in [
            ("sapi", 1, "", "sapi"),
            ("kucing", 1, "", "kucing"),
            ("rumput", 1, ' fixed="true"', "<em>rumput</em>"),
            ("ikan", 2, "", "ikan"),
        ]
    )
    + "</qti-associate-interaction>"
)


def _pairs(*ps: str) -> MatchingResponse:
    return MatchingResponse(frozenset(tuple(p.split()) for p in ps))  # type: ignore[misc]


def _points(item: ItemCreate, *responses: MatchingResponse) -> list[float]:
    key = split_item("", item)[1]
    return [score_item(key, r).points for r in responses]


def test_an_associate_imports_as_a_matching_of_one_set_of_choices() -> None:
    item = import_item(_item(KEY, ANIMALS, MATCH_CORRECT))
    assert isinstance(item, MatchingItem) and item.associate is not None
    assert (
        item.stem
        == "<p>Pasangkan hewan dengan makanannya.</p>\n    Setiap hewan dengan makanannya."
    )
    assert [(c.id, c.text, c.fixed) for c in item.sources] == [
        ("sapi", "sapi", False),
        ("kucing", "kucing", False),
        ("rumput", "<em>rumput</em>", True),
        ("ikan", "ikan", False),
    ]
    assert item.targets == item.sources
    assert item.associate == AssociateSpec(match_max={"ikan": 2}, max_associations=3)
    assert item.pairs == [("sapi", "rumput"), ("kucing", "ikan")] and item.shuffle is True
    # a pair has no direction: either way round it is right
    right, turned = _pairs("sapi rumput", "kucing ikan"), _pairs("rumput sapi", "ikan kucing")
    assert _points(item, right, turned, _pairs("sapi rumput"), _pairs("sapi ikan")) == [
        1.0,
        1.0,
        0.0,
        0.0,
    ]


def test_a_mapped_associate_keeps_its_marks_whichever_way_round() -> None:
    item = import_item(_item(MAPPED, ANIMALS, MAP_RESPONSE))
    assert isinstance(item, MatchingItem) and item.points == 3.0
    assert _points(
        item,
        _pairs("sapi rumput", "kucing ikan"),
        _pairs("sapi rumput"),
        _pairs("ikan kucing", "sapi ikan"),
        _pairs("sapi ikan"),
    ) == [3.0, 2.0, 0.0, 0.0]


def test_the_answer_endpoint_holds_max_associations_and_match_max() -> None:
    item = import_item(_item(KEY, ANIMALS, MATCH_CORRECT))
    rule = item_rule(split_item("q1", item)[0], 0)
    assert check_response(rule, _pairs("sapi rumput", "kucing ikan"), 1000) is None
    assert check_response(rule, _pairs("ikan kucing", "sapi ikan"), 1000) is None
    assert check_response(rule, _pairs("sapi rumput", "sapi ikan"), 1000) == (
        "choice sapi stands in 2 pairs; it may stand in at most 1"
    )
    assert check_response(rule, _pairs("sapi sapi"), 1000) == "a choice is paired with itself"
    assert check_response(rule, _pairs("sapi ikan", "ikan sapi"), 1000) == ("a pair is given twice")
    assert check_response(rule, _pairs("sapi zebra"), 1000) == "not a choice of this item: 'zebra'"
    many = AssociateSpec(match_max={"ikan": 0, "kucing": 0}, max_associations=2)
    rule = msgspec.structs.replace(rule, associate=many)
    three = _pairs("ikan kucing", "ikan sapi", "kucing rumput")
    assert check_response(rule, three, 1000) == "3 pairs; this item takes at most 2"


def test_min_associations_is_read_kept_written_back_and_refuses_no_answer() -> None:
    fewest = ANIMALS.replace('max-associations="3"', 'max-associations="3" min-associations="2"')
    item = import_item(_item(KEY, fewest, MATCH_CORRECT))
    assert isinstance(item, MatchingItem) and item.associate is not None
    assert item.associate == AssociateSpec(
        match_max={"ikan": 2}, max_associations=3, min_associations=2
    )
    document = export_item("assoc-2", item)
    assert b'min-associations="2"' in document and schema_errors(document) == []
    assert import_item(document) == item
    # none given: QTI's 0, not written
    plain = import_item(_item(KEY, ANIMALS, MATCH_CORRECT))
    assert isinstance(plain, MatchingItem) and plain.associate is not None
    assert plain.associate.min_associations == 0
    assert b"min-associations" not in export_item("assoc-3", plain)
    # one pair of the two asked for: saved as the student's work so far, scored as given
    rule = item_rule(split_item("q1", item)[0], 0)
    assert check_response(rule, _pairs("sapi rumput"), 1000) is None
    assert _points(item, _pairs("sapi rumput")) == [0.0]


def test_an_authored_associate_has_its_sources_as_targets() -> None:
    choices = [ChoiceOption("a", "Antonio"), ChoiceOption("p", "Prospero"), ChoiceOption("c", "C")]
    item = MatchingItem(
        stem="<p>Pair the rivals.</p>",
        sources=choices,
        targets=choices[:2],  # anything: the targets are the sources again once stored
        pairs=[("p", "a")],
        associate=AssociateSpec(match_max={"a": 1, "c": 0}, max_associations=0),
    )
    stored = normalise_item(item)
    assert isinstance(stored, MatchingItem) and stored.targets == stored.sources
    assert stored.associate == AssociateSpec(match_max={"c": 0}, max_associations=0)
    document = export_item("assoc-1", stored)
    assert schema_errors(document) == []
    assert import_item(document) == stored
    cases: list[tuple[dict[str, Any], str]] = [
        ({"pairs": [("a", "a")]}, "paired with itself"),
        ({"pairs": [("a", "p"), ("p", "a")]}, "given twice"),
        ({"pairs": [("a", "p"), ("a", "c")]}, "choice a stands in 2 pairs"),
        ({"targets": choices[::-1]}, "targets are its sources"),
        ({"associate": AssociateSpec(match_max={"x": 0})}, "not a source id: x"),
        # three choices make three pairs at most
        ({"associate": AssociateSpec(min_associations=4)}, "more pairs than the choices"),
        (
            {"associate": AssociateSpec(max_associations=2, min_associations=3)},
            "more than max_associations allows",
        ),
        (
            {"associate": AssociateSpec(max_associations=1), "pairs": [("a", "p"), ("c", "p")]},
            "2 pairs; this item takes at most 1",
        ),
    ]
    for bad, words in cases:
        with pytest.raises(ItemError) as caught:
            split_item("", msgspec.structs.replace(stored, **bad))
        assert words in str(caught.value), bad


@pytest.mark.parametrize(
    "declaration, interaction, words",
    [
        (KEY.replace('base-type="pair"', 'base-type="directedPair"'), ANIMALS, "base-type pair"),
        (KEY, ANIMALS.replace('match-max="2"', 'match-max="x"'), "match-max"),
        (KEY.replace("kucing ikan", "kucing kucing"), ANIMALS, "paired with itself"),
        (KEY, ANIMALS.replace('max-associations="3"', 'max-associations="1"'), "at most 1"),
        (
            KEY,
            ANIMALS.replace('max-associations="3"', 'max-associations="3" min-associations="4"'),
            "more than max_associations",
        ),
        (
            KEY,
            ANIMALS.replace('max-associations="3"', 'max-associations="3" min-associations="-1"'),
            "whole number",
        ),
    ],
)
def test_an_associate_the_bank_cannot_take_is_refused_with_its_reason(
    declaration: str, interaction: str, words: str
) -> None:
    with pytest.raises(QtiError) as caught:
        import_item(_item(declaration, interaction, MATCH_CORRECT))
    assert words in caught.value.message


def _as_another_tool_reads_it(document: bytes) -> bytes:
    # a tool that knows nothing of Ujian: no data-ujian-* rules, no ujian-* markers
    document = re.sub(rb' data-ujian-[a-z-]+="[^"]*"', b"", document)
    return re.sub(rb' class="ujian-[a-z]+"', b"", document)


def _every_response(item: MatchingItem) -> list[MatchingResponse]:
    ids = [c.id for c in item.sources]
    out = [MatchingResponse(frozenset(item.pairs))]
    out += [MatchingResponse(frozenset({(b, a) for a, b in item.pairs}))]
    out += [MatchingResponse(frozenset({(a, b)})) for a in ids for b in ids if a < b]
    return out


@settings(
    max_examples=40, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]
)
@given(stored_items(("matching",)).filter(lambda i: getattr(i, "associate", None) is not None))
def test_an_associate_exports_valid_and_scores_the_same_everywhere(item: ItemCreate) -> None:
    assert isinstance(item, MatchingItem) and item.associate is not None
    document = export_item("associate-1", item)
    # the associate's own markup is valid QTI (random stems may nest HTML the schema refuses
    # anywhere), with plain ids (one that begins with a digit is written prefixed: test_qti_ids.py)
    choices = [ChoiceOption("c" + c.id, "choice", c.fixed) for c in item.sources]
    limits = {"c" + k: v for k, v in item.associate.match_max.items()}
    plain = msgspec.structs.replace(
        item,
        stem="<p>Pair them.</p>",
        explanation=None,
        sources=choices,
        targets=choices,
        pairs=[("c" + a, "c" + b) for a, b in item.pairs],
        mapping=None,
        associate=msgspec.structs.replace(item.associate, match_max=limits),
    )
    assert schema_errors(export_item("associate-1", plain)) == []
    assert import_item(document) == msgspec.structs.replace(
        item, metadata=ItemMeta(language=item.metadata.language)
    )
    # QTI's standard templates cannot say Ujian's partial credit without a mapping, and how a
    # mapping's values (negative ones, unbounded) meet Ujian's points is matching's own matter
    if item.mapping or item.partial_credit:
        return
    foreign = import_item(_as_another_tool_reads_it(document))
    assert isinstance(foreign, MatchingItem) and foreign.associate is not None
    responses = _every_response(item)
    theirs = [p / foreign.points for p in _points(foreign, *responses)]
    assert theirs == pytest.approx([p / item.points for p in _points(item, *responses)])
