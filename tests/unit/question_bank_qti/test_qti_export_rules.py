"""The response processing an export writes scores as Ujian does: an item worth other than one
point, a short text's alternatives, case folding and partial answers, a number's tolerance and
ranges, a cloze's blanks, and partial credit by right minus wrong choices or pairs, which the
standard templates cannot say (the QTI cross-check, tests/e2e/browser/test_qti_crosscheck.py,
found them scored otherwise by another QTI 3.0 implementation)."""

from __future__ import annotations

from xml.etree import ElementTree as ET

from hypothesis import HealthCheck, given, settings

from question_bank.items import (
    ItemCreate,
    OrderingItem,
    ShortTextItem,
    SingleChoiceItem,
    TrueFalseItem,
)
from question_bank.kinds import ChoiceOption, ClozeItem, NumericBlank, TextBlank
from question_bank.qti_export import export_item
from question_bank.qti_ids import needs_prefix, prefixed
from question_bank.qti_probe import disagreement
from question_bank.qti_rules import declarations, processing
from tests.unit.question_bank.item_strategies import stored_items
from tests.unit.question_bank_qti.qti3_schema import schema_errors

TEMPLATE = "{http://www.imsglobal.org/xsd/imsqtiasi_v3p0}qti-response-processing"


def _differs(item: ItemCreate) -> object:
    root = ET.fromstring(export_item("item-1", item))
    rules = processing(root)
    assert rules is not None
    # the document names the ids as written (an id that is no XML name is prefixed: qti_ids.py)
    written = prefixed(item) if needs_prefix(item) else item
    return disagreement(written, "RESPONSE", declarations(root), rules)


def _says_only_what_qti_can(item: ItemCreate) -> bool:
    """Not an ordering's partial credit, nor a text's diacritics or patterns (Ujian's own)."""
    if isinstance(item, OrderingItem) and item.partial_credit:
        return False
    if isinstance(item, ShortTextItem) and (item.ignore_diacritics or item.patterns):
        return False
    if isinstance(item, ClozeItem):
        texts = [b for b in item.blanks.values() if isinstance(b, TextBlank)]
        # the in-house evaluator (grading/qti_processing.py) starts a numeric response the
        # probe leaves out at 0, as an outcome, not NULL: a blank keyed 0 would match it
        zero = any(isinstance(b, NumericBlank) and b.value == 0 for b in item.blanks.values())
        return not zero and not any(b.ignore_diacritics for b in texts)
    return item.__struct_config__.tag != "essay"


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(stored_items().filter(_says_only_what_qti_can))
def test_the_exported_processing_scores_every_probe_as_ujian(item: ItemCreate) -> None:
    assert _differs(item) is None


def test_an_item_worth_three_points_is_worth_three_by_its_processing() -> None:
    item = SingleChoiceItem(
        stem="Pick b",
        options=[ChoiceOption("a", "A"), ChoiceOption("b", "B")],
        correct="b",
        points=3,
    )
    document = export_item("item-1", item)
    assert schema_errors(document) == []
    processing_element = ET.fromstring(document).find(TEMPLATE)
    assert processing_element is not None and processing_element.get("template") is None
    assert b'<qti-base-value base-type="float">3.0</qti-base-value>' in document
    assert _differs(item) is None


def test_an_item_worth_one_point_keeps_the_standard_template() -> None:
    document = export_item("item-1", TrueFalseItem(stem="1 < 2", correct=True))
    processing_element = ET.fromstring(document).find(TEMPLATE)
    assert processing_element is not None
    assert processing_element.get("template", "").endswith("/match_correct.xml")


def test_a_case_folded_text_with_a_partial_answer_is_written_out() -> None:
    item = ShortTextItem(
        stem="Capital", accepted=["Jakarta", "DKI Jakarta"], partial={"Djakarta": 0.5}
    )
    document = export_item("item-1", item)
    assert schema_errors(document) == []
    assert b'case-sensitive="false"' in document and b">Djakarta<" in document
    assert _differs(item) is None
