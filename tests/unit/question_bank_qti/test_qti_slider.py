"""QTI 3.0 slider interactions: a numeric answer on a scale, imported as its author scores it,
exported valid and read back (by Ujian and by a tool that knows nothing of Ujian) the same."""

from __future__ import annotations

import re

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings

from grading.responses import NumericResponse
from grading.scoring import score_item
from question_bank.answer_rules import check_response, item_rule
from question_bank.items import ItemCreate, ItemMeta, NumericItem, split_item
from question_bank.kinds import NumericRangeSpec, SliderSpec
from question_bank.qti_export import export_item
from question_bank.qti_import import QtiError, import_item
from question_bank.scale import on_scale, scale_values
from tests.unit.question_bank.item_strategies import sliders, stored_items
from tests.unit.question_bank_qti.qti3_schema import schema_errors

NS = "http://www.imsglobal.org/xsd/imsqtiasi_v3p0"
TEMPLATES = "https://purl.imsglobal.org/spec/qti/v3p0/rptemplates/"


def _item(declaration: str, slider: str, processing: str) -> bytes:
    """A QTI 3.0 item the way authoring tools write one: the stem in the body and the prompt."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<qti-assessment-item xmlns="{NS}" identifier="ph-slider" title="pH" adaptive="false"
    time-dependent="false" xml:lang="en">
  {declaration}
  <qti-outcome-declaration identifier="SCORE" cardinality="single" base-type="float"/>
  <qti-item-body>
    <p>Lemon juice is acidic.</p>
    {slider}
  </qti-item-body>
  {processing}
</qti-assessment-item>""".encode()


PH_SLIDER = """<qti-slider-interaction response-identifier="RESPONSE" lower-bound="0"
      upper-bound="14" step="0.5" step-label="true" orientation="vertical" reverse="true">
      <qti-prompt>What is its pH?</qti-prompt>
    </qti-slider-interaction>"""
FLOAT_KEY = """<qti-response-declaration identifier="RESPONSE" cardinality="single"
      base-type="float">
    <qti-correct-response><qti-value>2.5</qti-value></qti-correct-response>
  </qti-response-declaration>"""
MATCH_CORRECT = f'<qti-response-processing template="{TEMPLATES}match_correct.xml"/>'
# 2 marks for 2.5 exactly, 1 mark anywhere from 2 to 3.5: the shape of a hand-written band
BANDED = """<qti-response-processing>
    <qti-response-condition>
      <qti-response-if>
        <qti-match><qti-variable identifier="RESPONSE"/><qti-correct identifier="RESPONSE"/>
        </qti-match>
        <qti-set-outcome-value identifier="SCORE">
          <qti-base-value base-type="float">2</qti-base-value></qti-set-outcome-value>
      </qti-response-if>
      <qti-response-else-if>
        <qti-and>
          <qti-gte><qti-variable identifier="RESPONSE"/>
            <qti-base-value base-type="float">2</qti-base-value></qti-gte>
          <qti-lte><qti-variable identifier="RESPONSE"/>
            <qti-base-value base-type="float">3.5</qti-base-value></qti-lte>
        </qti-and>
        <qti-set-outcome-value identifier="SCORE">
          <qti-base-value base-type="float">1</qti-base-value></qti-set-outcome-value>
      </qti-response-else-if>
    </qti-response-condition>
  </qti-response-processing>"""


EVERY_OTHER = (
    '<qti-response-declaration identifier="RESPONSE" cardinality="single" base-type="integer">'
    '<qti-mapping default-value="0">'
    + "".join(f'<qti-map-entry map-key="{n}" mapped-value="1"/>' for n in range(0, 15, 2))
    + "".join(f'<qti-map-entry map-key="{n}" mapped-value="0.5"/>' for n in range(1, 15, 4))
    + "</qti-mapping></qti-response-declaration>"
)


def _points(item: ItemCreate, *values: float) -> list[float]:
    key = split_item("", item)[1]
    return [score_item(key, NumericResponse(v)).points for v in values]


def test_a_float_slider_imports_with_its_scale_and_key() -> None:
    item = import_item(_item(FLOAT_KEY, PH_SLIDER, MATCH_CORRECT))
    assert isinstance(item, NumericItem)
    assert item.slider == SliderSpec(0, 14, 0.5, True, "vertical", True, "float")
    assert item.value == 2.5 and item.ranges == []
    # the stem is the whole body, the prompt in the slider's place
    assert item.stem == "<p>Lemon juice is acidic.</p>\n    What is its pH?"
    assert _points(item, 2.5, 3.0, 14) == [1.0, 0.0, 0.0]


def test_a_custom_processing_gives_the_key_and_its_bands() -> None:
    item = import_item(_item(FLOAT_KEY, PH_SLIDER, BANDED))
    assert isinstance(item, NumericItem)
    assert item.points == 2.0 and item.value == 2.5
    assert item.ranges == [NumericRangeSpec(2.0, 2.0, 0.5), NumericRangeSpec(3.0, 3.5, 0.5)]
    assert _points(item, 2.5, 2.0, 3.5, 4.0, 1.5) == [2.0, 1.0, 1.0, 0.0, 0.0]


def test_an_item_without_a_correct_response_takes_its_key_from_the_processing() -> None:
    mapping = """<qti-response-declaration identifier="RESPONSE" cardinality="single"
        base-type="integer">
      <qti-mapping default-value="0">
        <qti-map-entry map-key="7" mapped-value="3"/>
        <qti-map-entry map-key="6" mapped-value="1"/>
      </qti-mapping>
    </qti-response-declaration>"""
    slider = '<qti-slider-interaction response-identifier="RESPONSE" lower-bound="0" '
    slider += 'upper-bound="10"/>'
    item = import_item(
        _item(mapping, slider, f'<qti-response-processing template="{TEMPLATES}map_response.xml"/>')
    )
    assert isinstance(item, NumericItem) and item.slider is not None
    assert item.slider.base_type == "integer" and item.slider.step == 1.0  # the schema's default
    assert item.value == 7 and item.points == 3.0
    assert _points(item, 7, 6, 8) == [3.0, 1.0, 0.0]


@pytest.mark.parametrize(
    "declaration, slider, processing, code, words",
    [
        (  # the key sits between two steps: no student could give it
            FLOAT_KEY.replace("2.5", "2.25"),
            PH_SLIDER,
            MATCH_CORRECT,
            None,
            "scale",
        ),
        (
            FLOAT_KEY.replace('base-type="float"', 'base-type="string"'),
            PH_SLIDER,
            MATCH_CORRECT,
            None,
            "base-type integer or float",
        ),
        (  # a mark taken off for a far answer: no Ujian key scores below zero
            FLOAT_KEY,
            PH_SLIDER,
            BANDED.replace(">1</qti-base-value>", ">-1</qti-base-value>").replace(
                'base-type="float">3.5', 'base-type="float">14'
            ),
            "qti_unsupported_processing",
            "scores -1",
        ),
        (  # every other step worth a mark: more bands than a numeric key holds
            EVERY_OTHER,
            PH_SLIDER.replace('step="0.5"', 'step="1"'),
            f'<qti-response-processing template="{TEMPLATES}map_response.xml"/>',
            "qti_unsupported_processing",
            "bands",
        ),
        (  # no correct response and nothing that scores one
            '<qti-response-declaration identifier="RESPONSE" cardinality="single" '
            'base-type="float"/>',
            PH_SLIDER,
            "",
            None,
            "no correct response",
        ),
    ],
)
def test_a_slider_the_bank_cannot_score_as_written_is_refused(
    declaration: str, slider: str, processing: str, code: str | None, words: str
) -> None:
    with pytest.raises(QtiError) as caught:
        import_item(_item(declaration, slider, processing))
    assert words in caught.value.message and caught.value.code == code


def _as_another_tool_reads_it(document: bytes) -> bytes:
    # a tool that knows nothing of Ujian: no data-ujian-* rules, no ujian-stem marker
    document = re.sub(rb' data-ujian-[a-z-]+="[^"]*"', b"", document)
    return document.replace(b' class="ujian-stem"', b"")


@settings(max_examples=100, suppress_health_check=[HealthCheck.too_slow])
@given(stored_items(("numeric",)).filter(lambda i: getattr(i, "slider", None) is not None))
def test_a_slider_exports_valid_and_scores_the_same_everywhere(item: ItemCreate) -> None:
    assert isinstance(item, NumericItem) and item.slider is not None
    document = export_item("slider-1", item)
    # the slider's own markup is valid QTI (random stems may nest HTML the schema refuses)
    plain = msgspec.structs.replace(item, stem="<p>How far?</p>", explanation=None)
    assert schema_errors(export_item("slider-1", plain)) == []
    again = import_item(document)
    assert again == msgspec.structs.replace(
        item, metadata=ItemMeta(language=item.metadata.language)
    )
    # read by another tool through the standard template and mapping alone: the same share
    # of the marks on every value (match_correct itself knows no maximum but 1)
    foreign = import_item(_as_another_tool_reads_it(document))
    scale = scale_values(item.slider)
    theirs = [p / foreign.points for p in _points(foreign, *scale)]
    assert theirs == pytest.approx([p / item.points for p in _points(item, *scale)])


@given(sliders())
def test_the_scale_holds_its_bounds_and_steps_only(spec: SliderSpec) -> None:
    values = scale_values(spec)
    assert values[0] == spec.lower_bound and values[-1] <= spec.upper_bound
    assert all(on_scale(spec.lower_bound, spec.upper_bound, spec.step, v) for v in values)
    between = values[0] + spec.step / 2
    assert not on_scale(spec.lower_bound, spec.upper_bound, spec.step, between)
    assert not on_scale(spec.lower_bound, spec.upper_bound, spec.step, spec.upper_bound + spec.step)


def test_the_answer_endpoint_takes_only_values_of_the_scale() -> None:
    item = import_item(_item(FLOAT_KEY, PH_SLIDER, MATCH_CORRECT))
    rule = item_rule(split_item("q1", item)[0], 0)
    assert check_response(rule, NumericResponse(7.5), 1000) is None
    assert check_response(rule, NumericResponse(0.1 * 3 * 10), 1000) is None  # 3.0000000000000004
    refused = check_response(rule, NumericResponse(7.25), 1000)
    assert refused is not None and "not on this item's scale (0 to 14 by 0.5)" in refused
    assert check_response(rule, NumericResponse(14.5), 1000) is not None
