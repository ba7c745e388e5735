"""QTI 3.0 hotspot interactions: places on a picture to choose, imported as a single or multiple
choice whose options are the hotspots (each labelled, each keeping its shape and place, the
choice counts kept with the picture), exported valid and read back (by Ujian and by a tool that
knows nothing of Ujian) scoring the same; the answer endpoint takes no more places than the
item allows."""

from __future__ import annotations

import re
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings

from grading.responses import MultipleResponseResponse, Response, SingleChoiceResponse
from grading.scoring import score_item
from question_bank.answer_rules import check_response, item_rule
from question_bank.items import (
    ItemCreate,
    ItemError,
    ItemMeta,
    MultipleResponseItem,
    SingleChoiceItem,
    split_item,
)
from question_bank.kinds import ChoiceOption, GraphicSpec, Hotspot, HottextSpec
from question_bank.normalise import normalise_item
from question_bank.packages import relink
from question_bank.qti_export import export_item
from question_bank.qti_import import QtiError, import_item
from tests.unit.question_bank.item_strategies import stored_items
from tests.unit.question_bank_qti.qti3_schema import CORPUS, schema_errors

NS = "http://www.imsglobal.org/xsd/imsqtiasi_v3p0"
TEMPLATES = "https://purl.imsglobal.org/spec/qti/v3p0/rptemplates/"
MATCH_CORRECT = f'<qti-response-processing template="{TEMPLATES}match_correct.xml"/>'
MAP_RESPONSE = f'<qti-response-processing template="{TEMPLATES}map_response.xml"/>'
SINGLE_KEY = """<qti-response-declaration identifier="RESPONSE" cardinality="single"
      base-type="identifier">
    <qti-correct-response><qti-value>jkt</qti-value></qti-correct-response>
  </qti-response-declaration>"""
# three cities on a map of Indonesia; the last with no label of its own
MAP = """<qti-hotspot-interaction response-identifier="RESPONSE" max-choices="1">
      <qti-prompt>Di mana ibu kota Indonesia?</qti-prompt>
      <object type="image/png" width="400" height="150"
        data="https://media.example.org/indonesia.png">Peta Indonesia</object>
      <qti-hotspot-choice identifier="jkt" shape="rect" coords="100,90,120,110"
        hotspot-label="Jakarta"/>
      <qti-hotspot-choice identifier="mdn" shape="circle" coords="30,30,6" aria-label="Medan"/>
      <qti-hotspot-choice identifier="jpr" shape="poly" coords="380,60,390,60,385,70"/>
    </qti-hotspot-interaction>"""
# islands to choose, two of them right: each worth one mark, a wrong one takes one away
ISLANDS_KEY = """<qti-response-declaration identifier="RESPONSE" cardinality="multiple"
      base-type="identifier">
    <qti-correct-response><qti-value>jawa</qti-value><qti-value>bali</qti-value>
      </qti-correct-response>
    <qti-mapping lower-bound="0" default-value="0">
      <qti-map-entry map-key="jawa" mapped-value="1"/>
      <qti-map-entry map-key="bali" mapped-value="1"/>
      <qti-map-entry map-key="papua" mapped-value="-1"/>
    </qti-mapping>
  </qti-response-declaration>"""
ISLANDS = """<qti-hotspot-interaction response-identifier="RESPONSE" max-choices="2"
      min-choices="1">
      <qti-prompt>Pilih dua pulau di sebelah barat Lombok.</qti-prompt>
      <img src="https://media.example.org/pulau.png" width="300" height="100" alt="Pulau"/>
      <qti-hotspot-choice identifier="jawa" shape="ellipse" coords="60,50,40,15"
        hotspot-label="Jawa"/>
      <qti-hotspot-choice identifier="bali" shape="circle" coords="120,50,8"
        hotspot-label="Bali"/>
      <qti-hotspot-choice identifier="papua" shape="rect" coords="250,20,290,80"
        hotspot-label="Papua"/>
    </qti-hotspot-interaction>"""


def _item(declaration: str, interaction: str, processing: str = MATCH_CORRECT) -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<qti-assessment-item xmlns="{NS}" identifier="map" title="Map" adaptive="false"
    time-dependent="false">
  {declaration}
  <qti-outcome-declaration identifier="SCORE" cardinality="single" base-type="float"/>
  <qti-item-body><p>Peta.</p>
    {interaction}
  </qti-item-body>
  {processing}
</qti-assessment-item>""".encode()


def _multi(*choices: str) -> MultipleResponseResponse:
    return MultipleResponseResponse(frozenset(choices))


def _points(item: ItemCreate, *responses: Response) -> list[float]:
    key = split_item("", item)[1]
    return [score_item(key, r).points for r in responses]


def test_a_single_hotspot_imports_as_a_choice_of_labelled_places() -> None:
    item = import_item(_item(SINGLE_KEY, MAP))
    assert isinstance(item, SingleChoiceItem) and item.graphic is not None
    # the picture is no part of the stem: it is the spec's
    assert item.stem == "<p>Peta.</p>\n    Di mana ibu kota Indonesia?"
    assert [(o.id, o.text) for o in item.options] == [
        ("jkt", "Jakarta"),
        ("mdn", "Medan"),
        ("jpr", "C"),  # no label: the letter of its place in the list
    ]
    assert item.graphic == GraphicSpec(
        image="https://media.example.org/indonesia.png",
        width=400,
        height=150,
        alt="Peta Indonesia",
        hotspots={
            "jkt": Hotspot("rect", [100.0, 90.0, 120.0, 110.0]),
            "mdn": Hotspot("circle", [30.0, 30.0, 6.0]),
            "jpr": Hotspot("poly", [380.0, 60.0, 390.0, 60.0, 385.0, 70.0]),
        },
        max_choices=1,
    )
    assert item.correct == "jkt" and item.shuffle is False and item.mapping is None
    right, wrong = SingleChoiceResponse("jkt"), SingleChoiceResponse("jpr")
    assert _points(item, right, wrong) == [1.0, 0.0]
    document = export_item("map-1", item)
    assert schema_errors(document) == []
    assert b"<qti-hotspot-interaction" in document and b'hotspot-label="C"' in document
    again = import_item(document)
    assert again == item and _points(again, right, wrong) == [1.0, 0.0]


def test_a_multiple_hotspot_keeps_its_marks_and_its_limits() -> None:
    item = import_item(_item(ISLANDS_KEY, ISLANDS, MAP_RESPONSE))
    assert isinstance(item, MultipleResponseItem) and item.graphic is not None
    assert [(o.id, o.text) for o in item.options] == [
        ("jawa", "Jawa"),
        ("bali", "Bali"),
        ("papua", "Papua"),
    ]
    assert item.correct == ["jawa", "bali"]
    assert (item.graphic.max_choices, item.graphic.min_choices) == (2, 1)
    assert item.graphic.alt == "Pulau" and item.graphic.width == 300
    assert item.mapping is not None and item.mapping.entries["papua"] == -1.0
    responses = [_multi("jawa", "bali"), _multi("jawa"), _multi("jawa", "papua"), _multi("papua")]
    # the mapping's marks out of its best, 2: a right pair, one of them, one cancelled, none
    assert _points(item, *responses) == [2.0, 1.0, 0.0, 0.0]
    document = export_item("islands-1", item)
    assert schema_errors(document) == []
    assert b'max-choices="2"' in document and b'min-choices="1"' in document
    again = import_item(document)
    assert again == item and _points(again, *responses) == [2.0, 1.0, 0.0, 0.0]
    # the answer endpoint takes at most max-choices places
    rule = item_rule(split_item("q1", item)[0], 0)
    assert check_response(rule, _multi("jawa", "bali"), 1000) is None
    refused = check_response(rule, _multi("jawa", "bali", "papua"), 1000)
    assert refused == "3 choices; this item takes at most 2"


def test_the_saxony_sketch_comes_in_as_twelve_lettered_places() -> None:
    path = CORPUS / "1edtech" / "interactionMixSaxonyV3" / "Hotspot_278940407.xml"
    picture = {"media/f88c5aa2c6724a388fdbadc7133eb757.jpg": "https://media.example.org/s.jpg"}
    item = import_item(relink(path.read_bytes(), picture))
    assert isinstance(item, SingleChoiceItem) and item.graphic is not None
    assert [o.text for o in item.options] == list("ABCDEFGHIJKL")
    assert item.options[6].id == item.correct == "Choice6"
    # the object gives no size: the picture's own, which the page measures once loaded
    assert (item.graphic.width, item.graphic.height) == (None, None)
    assert item.graphic.hotspots["Choice6"] == Hotspot("circle", [239.0, 129.0, 12.0])
    assert b"width=" not in export_item("sachsen", item).split(b"<img")[1].split(b"/>")[0]


def test_an_authored_hotspot_choice_is_checked() -> None:
    item = normalise_item(
        MultipleResponseItem(
            stem="<p>Choose them.</p>",
            options=[ChoiceOption("a", "<b>North</b> &amp; up"), ChoiceOption("b", "South")],
            correct=["a"],
            graphic=GraphicSpec(
                image="/v1/media/0d5f6a0e-1111-2222-3333-444455556666",
                width=100,
                height=100,
                hotspots={
                    "a": Hotspot("circle", [50, 10, 5]),
                    "b": Hotspot("ellipse", [50, 90, 9, 4]),
                },
                max_choices=1,
            ),
        )
    )
    assert isinstance(item, MultipleResponseItem) and item.graphic is not None
    # a label is a line of plain text
    assert [o.text for o in item.options] == ["North &amp; up", "South"]
    assert import_item(export_item("g", item)) == item
    spec = item.graphic
    cases: list[tuple[dict[str, Any], str, str]] = [
        ({"image": "http://example.org/a.png"}, "graphic.image", "https URL"),
        ({"hotspots": {"a": spec.hotspots["a"]}}, "graphic.hotspots", "needs one hotspot"),
        (
            {"hotspots": {**spec.hotspots, "b": Hotspot("circle", [500, 10, 5])}},
            "graphic.hotspots",
            "lies off",
        ),
        (
            {"hotspots": {**spec.hotspots, "b": Hotspot("circle", [5.5, 10, 5])}},
            "graphic.hotspots",
            "whole number",
        ),
        ({"width": None}, "graphic.width", "width and height"),
        ({"max_choices": 3}, "graphic.max_choices", "more than the picture has"),
        ({"min_choices": 2}, "graphic.min_choices", "more than max_choices"),
    ]
    for bad, field, words in cases:
        wrong = msgspec.structs.replace(item, graphic=msgspec.structs.replace(spec, **bad))
        with pytest.raises(ItemError) as caught:
            split_item("", wrong)
        assert caught.value.field == field and words in caught.value.message, bad
    # a key the limit would not let a student give
    with pytest.raises(ItemError) as caught:
        split_item("", msgspec.structs.replace(item, correct=["a", "b"]))
    assert caught.value.field == "correct" and "max_choices" in caught.value.message
    # runs of a passage or places on a picture, not both
    both = msgspec.structs.replace(item, hottext=HottextSpec(passage="{{a}} {{b}}", max_choices=1))
    with pytest.raises(ItemError) as caught:
        split_item("", both)
    assert caught.value.field == "graphic"


def _single(hotspots: dict[str, list[int]]) -> ItemCreate:
    """A single hotspot choice on a picture of its own size, as the API takes it."""
    raw = {
        "kind": "single_choice",
        "stem": "Which?",
        "options": [{"id": "a", "text": "A"}, {"id": "b", "text": "B"}],
        "correct": "a",
        "graphic": {
            "image": "https://media.example.org/p.png",
            "hotspots": {k: {"shape": "circle", "coords": v} for k, v in hotspots.items()},
        },
    }
    return msgspec.convert(raw, ItemCreate)  # type: ignore[arg-type]


def test_a_single_hotspot_takes_one_place_however_it_was_written() -> None:
    item = normalise_item(_single({"a": [5, 5, 2], "b": [9, 9, 2]}))
    assert isinstance(item, SingleChoiceItem) and item.graphic is not None
    assert item.graphic.max_choices == 1
    student, _ = split_item("q", item)
    assert student.graphic == item.graphic and b"correct" not in msgspec.json.encode(student)
    # a place on a picture of its own size lies off it only before its top left corner
    assert split_item("q", normalise_item(_single({"a": [5000, 9000, 2], "b": [9, 9, 2]})))
    with pytest.raises(ItemError) as caught:
        split_item("q", normalise_item(_single({"a": [-5, 5, 2], "b": [9, 9, 2]})))
    assert caught.value.message == "a lies off the picture"


def test_an_ordering_s_picture_takes_no_choice_counts() -> None:
    raw = {
        "kind": "ordering",
        "stem": "Order them.",
        "options": [{"id": "a", "text": "A"}, {"id": "b", "text": "B"}],
        "correct": ["a", "b"],
        "graphic": {
            "image": "https://media.example.org/p.png",
            "width": 20,
            "height": 20,
            "max_choices": 1,
            "hotspots": {
                "a": {"shape": "circle", "coords": [5, 5, 2]},
                "b": {"shape": "circle", "coords": [9, 9, 2]},
            },
        },
    }
    with pytest.raises(ItemError) as caught:
        split_item("q", msgspec.convert(raw, ItemCreate))  # type: ignore[arg-type]
    assert caught.value.field == "graphic.max_choices"


@pytest.mark.parametrize(
    "declaration, interaction, code, words",
    [
        (
            SINGLE_KEY.replace('cardinality="single"', 'cardinality="ordered"'),
            MAP,
            "qti_invalid",
            "single or multiple response",
        ),
        (SINGLE_KEY, re.sub(r"<object.*?</object>", "", MAP, flags=re.S), "qti_invalid", "img"),
        (SINGLE_KEY, MAP.replace('shape="circle"', 'shape="default"'), "qti_invalid", "'default'"),
        (SINGLE_KEY, MAP.replace('coords="30,30,6"', 'coords="30.5,30,6"'), "qti_invalid", "whole"),
        (
            SINGLE_KEY,
            MAP.replace('coords="30,30,6"', 'coords="900,30,6"'),
            "qti_invalid",
            "lies off",
        ),
        (
            SINGLE_KEY,
            MAP.replace("https://media.example.org/indonesia.png", "media/indonesia.png"),
            "qti_invalid",
            "https URL",
        ),
        (SINGLE_KEY, MAP.replace('width="400"', 'width="80%"'), "qti_invalid", "whole number"),
        (
            SINGLE_KEY,
            MAP.replace("qti-hotspot-interaction", "qti-graphic-associate-interaction"),
            "qti_unsupported_interaction",
            "qti-graphic-associate-interaction",
        ),
        (
            SINGLE_KEY,
            MAP.replace("qti-hotspot-interaction", "qti-graphic-gap-match-interaction"),
            "qti_unsupported_interaction",
            "qti-graphic-gap-match-interaction",
        ),
    ],
)
def test_a_hotspot_the_bank_cannot_take_is_refused_with_its_reason(
    declaration: str, interaction: str, code: str, words: str
) -> None:
    with pytest.raises(QtiError) as caught:
        import_item(_item(declaration, interaction))
    # the code a package's report and the API answer with (import_report.py)
    assert (caught.value.code or "qti_invalid") == code
    assert words in caught.value.message


def _as_another_tool_reads_it(document: bytes) -> bytes:
    document = re.sub(rb' data-ujian-[a-z-]+="[^"]*"', b"", document)
    return re.sub(rb' class="ujian-[a-z]+"', b"", document)


def _every_response(item: SingleChoiceItem | MultipleResponseItem) -> list[Response]:
    ids = [o.id for o in item.options]
    if isinstance(item, SingleChoiceItem):
        return [SingleChoiceResponse(i) for i in ids]
    return [*(_multi(i) for i in ids), _multi(*item.correct), _multi(*ids[:2])]


@settings(
    max_examples=60, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]
)
@given(
    stored_items(("single_choice", "multiple_response")).filter(
        # ids that begin with a digit are written prefixed (question_bank/qti_ids.py)
        lambda i: getattr(i, "graphic", None) is not None
    )
)
def test_a_hotspot_exports_valid_and_scores_the_same_everywhere(item: ItemCreate) -> None:
    assert isinstance(item, SingleChoiceItem | MultipleResponseItem) and item.graphic
    document = export_item("hotspot-1", item)
    # the hotspot's own markup is valid QTI (random stems may nest HTML the schema refuses)
    plain = msgspec.structs.replace(item, stem="<p>Which?</p>", explanation=None)
    assert schema_errors(export_item("hotspot-1", plain)) == []
    assert import_item(document) == msgspec.structs.replace(
        item, metadata=ItemMeta(language=item.metadata.language)
    )
    # QTI's standard templates cannot say Ujian's partial credit without a mapping, and a
    # mapping's values are the choice kinds' own matter whatever their layout
    if item.mapping or (isinstance(item, MultipleResponseItem) and item.partial_credit):
        return
    foreign = import_item(_as_another_tool_reads_it(document))
    assert isinstance(foreign, SingleChoiceItem | MultipleResponseItem)
    assert foreign.graphic == item.graphic
    responses = _every_response(item)
    theirs = [p / foreign.points for p in _points(foreign, *responses)]
    assert theirs == pytest.approx([p / item.points for p in _points(item, *responses)])
