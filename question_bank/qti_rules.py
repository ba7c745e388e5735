"""A QTI 3.0 item's variables and response processing, read into ``grading.qti_processing``.

The XML stays here: its elements become ``Rule`` trees, which ``grading.qti_declarations``
reads into the ``Declaration`` Structs and rules the interpreter runs (the same reading a
stored composite program gets at grading time). Template processing (random values) is not
executed: an item that has it is refused by name before anything else is read.
"""

from __future__ import annotations

from xml.etree.ElementTree import Element

from grading.qti_declarations import DECLARATIONS, read_declarations, read_processing
from grading.qti_processing import Declaration, Rule
from question_bank.qti_html import local


def to_rule(element: Element) -> Rule:
    # the text of an element that has children is layout (no processing element mixes text
    # and children); a leaf's text is its value, spaces and all
    text = element.text or ""
    if len(element) and not text.strip():
        text = ""
    return Rule(
        local(element.tag),
        {local(k): v for k, v in element.attrib.items()},
        tuple(to_rule(c) for c in element),
        text,
    )


def declaration_rules(root: Element) -> tuple[Rule, ...]:
    """The item's response and outcome declarations, as written, in document order."""
    return tuple(to_rule(e) for e in root if local(e.tag) in DECLARATIONS)


def processing_element(root: Element) -> Element | None:
    return next((c for c in root if local(c.tag) == "qti-response-processing"), None)


def declarations(root: Element) -> dict[str, Declaration]:
    """Every response and outcome variable of the item, by identifier."""
    return read_declarations(declaration_rules(root))


def processing(root: Element) -> tuple[Rule, ...] | None:
    """The item's response-processing rules (a standard template expanded), or None."""
    element = processing_element(root)
    return None if element is None else read_processing(to_rule(element))
