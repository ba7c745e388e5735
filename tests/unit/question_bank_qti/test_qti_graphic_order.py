"""QTI 3.0 graphic-order interactions: hotspots of a picture put in order, imported as an
ordering whose options are the hotspots (each labelled, each keeping its shape and place),
exported valid and read back (by Ujian and by a tool that knows nothing of Ujian) scoring the
same."""

from __future__ import annotations

import re
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings

from grading.responses import OrderingResponse
from grading.scoring import score_item
from question_bank.items import ItemCreate, ItemError, ItemMeta, OrderingItem, split_item
from question_bank.kinds import ChoiceOption, GraphicSpec, Hotspot
from question_bank.normalise import normalise_item
from question_bank.qti_export import export_item
from question_bank.qti_import import QtiError, import_item
from tests.unit.question_bank.item_strategies import stored_items
from tests.unit.question_bank_qti.qti3_schema import schema_errors

NS = "http://www.imsglobal.org/xsd/imsqtiasi_v3p0"
TEMPLATES = "https://purl.imsglobal.org/spec/qti/v3p0/rptemplates/"
MATCH_CORRECT = f'<qti-response-processing template="{TEMPLATES}match_correct.xml"/>'
KEY = """<qti-response-declaration identifier="RESPONSE" cardinality="ordered"
      base-type="identifier">
    <qti-correct-response><qti-value>mdn</qti-value><qti-value>jkt</qti-value>
      <qti-value>jpr</qti-value></qti-correct-response>
  </qti-response-declaration>"""
# three cities on a map of Indonesia, west to east; the last with no label of its own
MAP = """<qti-graphic-order-interaction response-identifier="RESPONSE">
      <qti-prompt>Urutkan dari barat ke timur.</qti-prompt>
      <object type="image/png" width="400" height="150"
        data="https://media.example.org/indonesia.png">Peta Indonesia</object>
      <qti-hotspot-choice identifier="jkt" shape="rect" coords="100,90,120,110"
        hotspot-label="Jakarta"/>
      <qti-hotspot-choice identifier="mdn" shape="circle" coords="30,30,6" aria-label="Medan"/>
      <qti-hotspot-choice identifier="jpr" shape="poly" coords="380,60,390,60,385,70"/>
    </qti-graphic-order-interaction>"""


def _item(declaration: str, interaction: str) -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<qti-assessment-item xmlns="{NS}" identifier="map" title="Map" adaptive="false"
    time-dependent="false">
  {declaration}
  <qti-outcome-declaration identifier="SCORE" cardinality="single" base-type="float"/>
  <qti-item-body><p>Peta.</p>
    {interaction}
  </qti-item-body>
  {MATCH_CORRECT}
</qti-assessment-item>""".encode()


def _points(item: ItemCreate, *orders: tuple[str, ...]) -> list[float]:
    key = split_item("", item)[1]
    return [score_item(key, OrderingResponse(o)).points for o in orders]


def test_a_graphic_order_imports_as_an_ordering_of_labelled_hotspots() -> None:
    item = import_item(_item(KEY, MAP))
    assert isinstance(item, OrderingItem) and item.graphic is not None
    # the picture is no part of the stem: it is the spec's
    assert item.stem == "<p>Peta.</p>\n    Urutkan dari barat ke timur."
    assert [(o.id, o.text) for o in item.options] == [
        ("jkt", "Jakarta"),
        ("mdn", "Medan"),
        ("jpr", "C"),  # no label: the letter the page shows
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
    )
    assert item.correct == ["mdn", "jkt", "jpr"] and item.shuffle is False
    assert _points(item, ("mdn", "jkt", "jpr"), ("jkt", "mdn", "jpr")) == [1.0, 0.0]
    document = export_item("map-1", item)
    assert schema_errors(document) == []
    assert import_item(document) == item


def test_an_authored_graphic_order_is_checked() -> None:
    item = normalise_item(
        OrderingItem(
            stem="<p>Order them.</p>",
            options=[ChoiceOption("a", "<b>North</b> &amp; up"), ChoiceOption("b", "South")],
            correct=["a", "b"],
            graphic=GraphicSpec(
                image="/v1/media/0d5f6a0e-1111-2222-3333-444455556666",
                width=100,
                height=100,
                hotspots={
                    "a": Hotspot("circle", [50, 10, 5]),
                    "b": Hotspot("ellipse", [50, 90, 9, 4]),
                },
            ),
        )
    )
    assert isinstance(item, OrderingItem) and item.graphic is not None
    # a label is a line of plain text
    assert [o.text for o in item.options] == ["North &amp; up", "South"]
    assert import_item(export_item("g", item)) == item
    spec = item.graphic
    cases: list[tuple[dict[str, Any], str]] = [
        ({"image": "http://example.org/a.png"}, "https URL"),
        ({"hotspots": {"a": spec.hotspots["a"]}}, "every option needs one hotspot"),
        ({"hotspots": {**spec.hotspots, "a": Hotspot("rect", [1, 2, 3])}}, "3 coords"),
        ({"hotspots": {**spec.hotspots, "b": Hotspot("circle", [500, 10, 5])}}, "lies off"),
        ({"hotspots": {**spec.hotspots, "b": Hotspot("circle", [5.5, 10, 5])}}, "whole number"),
    ]
    for bad, words in cases:
        wrong = msgspec.structs.replace(item, graphic=msgspec.structs.replace(spec, **bad))
        with pytest.raises(ItemError) as caught:
            split_item("", wrong)
        assert words in str(caught.value), bad


@pytest.mark.parametrize(
    "declaration, interaction, words",
    [
        (KEY.replace('cardinality="ordered"', 'cardinality="multiple"'), MAP, "ordered response"),
        (KEY, re.sub(r"<object.*?</object>", "", MAP, flags=re.S), "needs an img"),
        (KEY, MAP.replace('shape="circle"', 'shape="default"'), "shape 'default'"),
        (KEY.replace("<qti-value>jpr</qti-value>", ""), MAP, "every option exactly once"),
    ],
)
def test_a_graphic_order_the_bank_cannot_take_is_refused_with_its_reason(
    declaration: str, interaction: str, words: str
) -> None:
    with pytest.raises(QtiError) as caught:
        import_item(_item(declaration, interaction))
    assert words in caught.value.message


# an order of some choices only, asked for by min-choices or max-choices below the choices
SOME = "asks for an order of some choices only"
ORDER = """<qti-order-interaction response-identifier="RESPONSE" shuffle="true"{0}>
      <qti-prompt>Urutkan dari barat ke timur.</qti-prompt>
      <qti-simple-choice identifier="jkt">Jakarta</qti-simple-choice>
      <qti-simple-choice identifier="mdn">Medan</qti-simple-choice>
      <qti-simple-choice identifier="jpr">Jayapura</qti-simple-choice>
    </qti-order-interaction>"""
OPEN = '<qti-graphic-order-interaction response-identifier="RESPONSE"'


@pytest.mark.parametrize("order", [False, True])
@pytest.mark.parametrize(
    "limits, words",
    [
        ("", None),
        (' min-choices="3"', None),
        (' min-choices="3" max-choices="3"', None),
        # QTI: with no min-choices, every choice is ordered; 0 is no limit
        (' max-choices="0"', None),
        (' min-choices="2"', f"min-choices 2 (of 3 choices) {SOME}"),
        (
            ' min-choices="1" max-choices="3"',
            f"min-choices 1 and max-choices 3 (of 3 choices) {SOME}",
        ),
        (' max-choices="2"', f"max-choices 2 (of 3 choices) {SOME}"),
        (' min-choices="4"', "min-choices 4 is more than its 3 choices"),
        (' min-choices="3" max-choices="2"', "max-choices 2 is less than min-choices 3"),
        (' min-choices="all"', "min-choices is not a whole number: 'all'"),
    ],
)
def test_min_and_max_choices_ask_for_every_choice_in_order_or_are_refused(
    order: bool, limits: str, words: str | None
) -> None:
    interaction = ORDER.format(limits) if order else MAP.replace(OPEN, OPEN + limits)
    document = _item(KEY, interaction)
    if words is None:
        item = import_item(document)
        assert isinstance(item, OrderingItem) and (item.graphic is None) is order
        assert item.correct == ["mdn", "jkt", "jpr"]
        assert item == import_item(_item(KEY, ORDER.format("") if order else MAP))
        return
    with pytest.raises(QtiError) as caught:
        import_item(document)
    name = "qti-order-interaction" if order else "qti-graphic-order-interaction"
    assert caught.value.message.startswith(f"{name}: {words}")
    if SOME in words:
        assert caught.value.code == "qti_unsupported"


def _as_another_tool_reads_it(document: bytes) -> bytes:
    document = re.sub(rb' data-ujian-[a-z-]+="[^"]*"', b"", document)
    return re.sub(rb' class="ujian-[a-z]+"', b"", document)


@settings(
    max_examples=40, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]
)
@given(stored_items(("ordering",)).filter(lambda i: getattr(i, "graphic", None) is not None))
def test_a_graphic_order_exports_valid_and_scores_the_same_everywhere(item: ItemCreate) -> None:
    assert isinstance(item, OrderingItem) and item.graphic is not None
    document = export_item("graphic-1", item)
    # plain ids too (an id that begins with a digit is written prefixed: test_qti_ids.py)
    options = [ChoiceOption("o" + o.id, o.text, o.fixed) for o in item.options]
    hotspots = {"o" + k: v for k, v in item.graphic.hotspots.items()}
    plain = msgspec.structs.replace(
        item,
        stem="<p>Order them.</p>",
        explanation=None,
        options=options,
        correct=["o" + c for c in item.correct],
        graphic=msgspec.structs.replace(item.graphic, hotspots=hotspots),
    )
    assert schema_errors(export_item("graphic-1", plain)) == []
    assert import_item(document) == msgspec.structs.replace(
        item, metadata=ItemMeta(language=item.metadata.language)
    )
    if item.partial_credit:
        return  # QTI's standard templates cannot say Ujian's partial credit
    foreign = import_item(_as_another_tool_reads_it(document))
    assert isinstance(foreign, OrderingItem) and foreign.graphic == item.graphic
    orders = [tuple(item.correct), tuple(reversed(item.correct))]
    theirs = [p / foreign.points for p in _points(foreign, *orders)]
    assert theirs == pytest.approx([p / item.points for p in _points(item, *orders)])
