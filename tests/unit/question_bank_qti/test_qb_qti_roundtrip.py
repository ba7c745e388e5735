"""QTI 3.0 export → import gives the same item and the same scores, for every item type;
hostile XML is refused before anything is expanded or fetched."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grading.scoring import score_item
from grading.types import (
    ClozeResponse,
    EssayResponse,
    MatchingResponse,
    MultipleResponseResponse,
    NumericResponse,
    OrderingResponse,
    Response,
    SelectPointResponse,
    ShortTextResponse,
    SingleChoiceResponse,
    TrueFalseResponse,
)
from question_bank.items import ItemCreate, ItemMeta, split_item
from question_bank.kinds import ChoiceBlank, NumericBlank
from question_bank.qti_export import export_item
from question_bank.qti_import import QtiError, import_item
from question_bank.qti_stimulus import export_stimulus, read_stimulus, stimulus_file
from tests.unit.question_bank.item_strategies import DRAWN_KINDS, plain, stored_items


def _exported_and_back(item: ItemCreate) -> ItemCreate:
    """The item exported alone and imported again, its stimulus (named, not held, by the item's
    document) beside it as a package holds it."""
    stimuli = {}
    if item.stimulus is not None:
        href = "../" + stimulus_file(item.stimulus)
        stimuli[href] = read_stimulus(export_stimulus(item.stimulus))
    return import_item(export_item("item-1", item), stimuli)


def _without_package_metadata(item: ItemCreate) -> ItemCreate:
    # a lone item document carries the language; the rest of the metadata is the manifest's
    return msgspec.structs.replace(item, metadata=ItemMeta(language=item.metadata.language))


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(stored_items(with_stimuli=True))
def test_export_then_import_gives_the_same_item(item: ItemCreate) -> None:
    assert _exported_and_back(item) == _without_package_metadata(item)


@pytest.mark.parametrize("kind", DRAWN_KINDS)
def test_every_kind_is_exercised(kind: str) -> None:
    # the round trip above draws from all kinds; make sure each one alone round-trips too
    @settings(max_examples=25, suppress_health_check=[HealthCheck.too_slow])
    @given(stored_items((kind,), with_stimuli=True))
    def check(item: ItemCreate) -> None:
        assert _exported_and_back(item) == _without_package_metadata(item)

    check()


@st.composite
def responses(draw: st.DrawFn, item: ItemCreate) -> Response:
    ids = [o.id for o in getattr(item, "options", None) or []]
    match item.__struct_config__.tag:
        case "single_choice":
            return SingleChoiceResponse(draw(st.sampled_from([*ids, "zz"])))
        case "multiple_response":
            return MultipleResponseResponse(frozenset(draw(st.lists(st.sampled_from(ids)))))
        case "true_false":
            return TrueFalseResponse(draw(st.booleans()))
        case "numeric":
            value = item.value  # type: ignore[union-attr]
            return NumericResponse(
                draw(st.sampled_from([value, value + 0.005, value + 0.9, value - 3, 0.0]))
            )
        case "short_text":
            pick = [*item.accepted, "nope", "123", "ABC"]  # type: ignore[union-attr]
            return ShortTextResponse(draw(st.sampled_from(pick) | plain))
        case "ordering":
            return OrderingResponse(tuple(draw(st.permutations(ids))))
        case "matching":
            pairs = [(s.id, t.id) for s in item.sources for t in item.targets]  # type: ignore[union-attr]
            return MatchingResponse(frozenset(draw(st.lists(st.sampled_from(pairs)))))
        case "cloze":
            blanks: dict[str, Any] = {}
            for bid, blank in item.blanks.items():  # type: ignore[union-attr]
                if isinstance(blank, ChoiceBlank):
                    blanks[bid] = SingleChoiceResponse(
                        draw(st.sampled_from([o.id for o in blank.options]))
                    )
                elif isinstance(blank, NumericBlank):
                    blanks[bid] = NumericResponse(blank.value + draw(st.sampled_from([0, 0.3])))
                else:
                    blanks[bid] = ShortTextResponse(draw(st.sampled_from(blank.accepted) | plain))
            return ClozeResponse(blanks)
        case "essay":
            return EssayResponse(draw(plain))
        case _:
            coords = st.floats(0, 40).map(lambda x: round(x, 1))
            return SelectPointResponse(tuple(draw(st.lists(st.tuples(coords, coords), max_size=3))))


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.data(), stored_items(with_stimuli=True))
def test_imported_item_scores_every_response_the_same(
    data: st.DataObject, item: ItemCreate
) -> None:
    _, key = split_item("x", item)
    _, key_again = split_item("x", _exported_and_back(item))
    for _ in range(5):
        response = data.draw(responses(item))
        assert score_item(key_again, response) == score_item(key, response)


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<qti-assessment-item xmlns="http://www.imsglobal.org/xsd/imsqtiasi_v3p0" identifier="x">
<qti-item-body><p>&lol4;</p></qti-item-body></qti-assessment-item>"""
EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE item [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<qti-assessment-item xmlns="http://www.imsglobal.org/xsd/imsqtiasi_v3p0" identifier="x">
<qti-item-body><p>&xxe;</p></qti-item-body></qti-assessment-item>"""
EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE item SYSTEM "http://127.0.0.1:9/evil.dtd">
<qti-assessment-item xmlns="http://www.imsglobal.org/xsd/imsqtiasi_v3p0" identifier="x"/>"""


@pytest.mark.parametrize("document", [BILLION_LAUGHS, EXTERNAL_ENTITY, EXTERNAL_DTD])
def test_hostile_xml_is_refused_as_unsafe(document: bytes) -> None:
    with pytest.raises(QtiError) as caught:
        import_item(document)
    assert caught.value.unsafe and "unsafe XML refused" in caught.value.message


@pytest.mark.parametrize(
    "document, message",
    [
        (b"<qti-assessment-item", "not well-formed"),
        (
            b'<qti-assessment-test xmlns="http://www.imsglobal.org/xsd/imsqtiasi_v3p0"/>',
            "expected a qti-assessment-item",
        ),
        (
            b'<qti-assessment-item xmlns="http://www.imsglobal.org/xsd/imsqtiasi_v3p0">'
            b"<qti-item-body><p>no interaction</p></qti-item-body></qti-assessment-item>",
            "no interaction",
        ),
    ],
)
def test_broken_items_are_refused_with_a_reason(document: bytes, message: str) -> None:
    with pytest.raises(QtiError) as caught:
        import_item(document)
    assert message in caught.value.message and not caught.value.unsafe


def test_foreign_choice_item_with_a_prompt_imports() -> None:
    # the shape other authoring tools write: the stem in qti-prompt, a standard template
    document = b"""<?xml version="1.0" encoding="UTF-8"?>
<qti-assessment-item xmlns="http://www.imsglobal.org/xsd/imsqtiasi_v3p0" identifier="q1"
    title="Capital" adaptive="false" time-dependent="false" xml:lang="en">
  <qti-response-declaration identifier="RESPONSE" cardinality="single" base-type="identifier">
    <qti-correct-response><qti-value>B</qti-value></qti-correct-response>
  </qti-response-declaration>
  <qti-outcome-declaration identifier="SCORE" cardinality="single" base-type="float"/>
  <qti-item-body>
    <qti-choice-interaction response-identifier="RESPONSE" max-choices="1">
      <qti-prompt>What is the capital of <b>Indonesia</b>?<script>x()</script></qti-prompt>
      <qti-simple-choice identifier="A">Bandung</qti-simple-choice>
      <qti-simple-choice identifier="B">Jakarta</qti-simple-choice>
    </qti-choice-interaction>
  </qti-item-body>
  <qti-response-processing
    template="https://purl.imsglobal.org/spec/qti/v3p0/rptemplates/match_correct.xml"/>
</qti-assessment-item>"""
    item = import_item(document)
    assert item.__struct_config__.tag == "single_choice"
    assert item.stem == "What is the capital of <b>Indonesia</b>?"
    assert item.correct == "B" and item.metadata.language == "en"  # type: ignore[union-attr]
