"""QTI 3.0 export of a composite item (ADR 0020): its interactions where the stem puts them,
and its author's declarations and response processing written back as they came.

Each part is written by the same code as a lone item of its kind, into a scratch body, and
moved to its place in the stem with its response identifier (a cloze part's blanks keep
theirs); the part's own declaration and template are dropped, as the item's program declares
and scores every response. A part's stem becomes its interaction's ``qti-prompt``.
"""

from __future__ import annotations

from collections.abc import Callable
from xml.etree.ElementTree import Element

from grading.qti_processing import Rule
from question_bank.kinds import (
    PLACEHOLDER,
    ClozeItem,
    CompositeItem,
    ItemCreate,
    MatchingItem,
    NumericItem,
    ShortTextItem,
)
from question_bank.qti_html import append_html, local, q

# what writes a lone item's declaration and interaction (qti_export._interaction)
WriteInteraction = Callable[[Element, Element, ItemCreate], str]
RESPONSE_DECLARATION = "qti-response-declaration"


def from_rule(rule: Rule) -> Element:
    """A Rule tree as the QTI element it was read from."""
    element = Element(q(rule.name), dict(rule.attrs))
    if rule.text:
        element.text = rule.text
    element.extend(from_rule(c) for c in rule.children)
    return element


def write_declarations(root: Element, item: CompositeItem) -> set[str]:
    """The program's declarations, responses before outcomes (the schema's order); returns
    the identifiers declared."""
    rules = sorted(item.processing.declarations, key=lambda r: r.name != RESPONSE_DECLARATION)
    root.extend(from_rule(r) for r in rules)
    return {r.attrs.get("identifier", "") for r in rules}


def write_processing(root: Element, item: CompositeItem) -> None:
    root.append(from_rule(item.processing.processing))


def _inline(part: ItemCreate) -> bool:
    """A text entry: QTI gives it no prompt, its stem stands before it."""
    return isinstance(part, (ShortTextItem, NumericItem)) and getattr(part, "slider", None) is None


def _part_elements(pid: str, part: ItemCreate, interaction: WriteInteraction) -> list[Element]:
    scratch, body = Element(q("qti-assessment-item")), Element(q("qti-item-body"))
    interaction(scratch, body, part)
    for element in body.iter():
        if element.get("response-identifier") == "RESPONSE":
            element.set("response-identifier", pid)
    written = list(body)
    if isinstance(part, ClozeItem):
        return written  # the stem is the cloze's own text, written with its blanks
    if _inline(part):
        # the text entry stands at the end of its stem's last paragraph, where the import
        # found it (a stem read from "<p>Type it: <text-entry/></p>" is "<p>Type it: </p>")
        container = append_html(Element(q("div")), part.stem)
        entry = next(e for e in body.iter() if local(e.tag) == "qti-text-entry-interaction")
        blocks = list(container)
        last = blocks[-1] if blocks and local(blocks[-1].tag) == "p" else container
        last.append(entry)
        return blocks if blocks and not (container.text or "").strip() else [container]
    gap_match = isinstance(part, MatchingItem) and part.gap_match is not None
    if not gap_match:
        # the part's stem is its question: the interaction's prompt (a gap match's stem is
        # the text its gaps stand in, written inside the interaction already)
        inter = next(e for e in body.iter() if local(e.tag).endswith("-interaction"))
        prompt = append_html(Element(q("qti-prompt")), part.stem)
        inter.insert(0, prompt)
        written = [e for e in written if e.get("class") != "ujian-stem"]
    return written


def write_body(body: Element, item: CompositeItem, interaction: WriteInteraction) -> None:
    """The stem, each ``{{id}}`` replaced by its part's interaction."""
    marked = PLACEHOLDER.sub(lambda m: f"<ujian-part>{m.group(1)}</ujian-part>", item.stem)
    stem = append_html(Element(q("div"), {"class": "ujian-stem"}), marked)
    loose = (stem.text or "").strip() or any((c.tail or "").strip() for c in stem)
    if loose:
        # text straight in the item body is not QTI: it stays in a block of its own
        body.append(stem)
    else:
        body.text, stem.text = stem.text, None
        body.extend(stem)
        stem = body
    for parent in list(stem.iter()):
        for child in list(parent):
            if child.tag != q("ujian-part"):
                continue
            pid = child.text or ""
            index = list(parent).index(child)
            elements = _part_elements(pid, item.parts[pid], interaction)
            parent.remove(child)
            for offset, element in enumerate(elements):
                parent.insert(index + offset, element)
            elements[-1].tail = (elements[-1].tail or "") + (child.tail or "")
