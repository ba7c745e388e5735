"""A gap-match interaction between QTI 3.0 markup and Ujian's matching items.

In QTI a ``qti-gap-match-interaction`` holds its gap texts (``qti-gap-text``) and then the
text with its gaps (``qti-gap``, inline). Ujian keeps the gap texts as the matching item's
sources and the gaps as its targets, with the text in the stem where each gap is a ``{{id}}``
(``kinds.GapMatchSpec``), the way a cloze keeps its blanks. The import reads the stem from the
whole item body, the interaction giving way to its prompt and its text in place; the export
writes the stem as a ``div.ujian-stem`` inside the interaction (which takes block content
only), and the import reads that div alone again, so a round trip gives back the same stem.
"""

from __future__ import annotations

from copy import deepcopy
from xml.etree.ElementTree import Element, SubElement

from question_bank.gap_match import limit
from question_bank.kinds import PLACEHOLDER, ChoiceOption, MatchingItem
from question_bank.qti_html import append_html, inner_html, local, q

_FEEDBACK = frozenset({"qti-feedback-block", "qti-feedback-inline"})
STEM_CLASS = "ujian-stem"


class GapMatchError(ValueError):
    """A gap-match interaction that cannot be read (a picture as a gap text, a gap with no
    identifier, a text with no match-max that is a number)."""


def _splice(parent: Element, child: Element, keep_content: bool) -> None:
    """``child`` gives way to its own content (``keep_content``) or to nothing; its tail stays."""
    index = list(parent).index(child)
    parent.remove(child)
    inner = list(child) if keep_content else []
    for offset, element in enumerate(inner):
        parent.insert(index + offset, element)
    lead = (child.text or "") if keep_content else ""
    if index:
        previous = parent[index - 1]
        previous.tail = (previous.tail or "") + lead
    else:
        parent.text = (parent.text or "") + lead
    tail = child.tail or ""
    if inner:
        inner[-1].tail = (inner[-1].tail or "") + tail
    elif index:
        previous = parent[index - 1]
        previous.tail = (previous.tail or "") + tail
    else:
        parent.text = (parent.text or "") + tail


def _parents(root: Element) -> dict[Element, Element]:
    return {child: parent for parent in root.iter() for child in parent}


def _sources(interaction: Element) -> tuple[list[ChoiceOption], dict[str, int]]:
    sources: list[ChoiceOption] = []
    match_max: dict[str, int] = {}
    for element in interaction.iter():
        name = local(element.tag)
        if name == "qti-gap-img":
            raise GapMatchError("qti-gap-img (a picture as a gap text) is not supported")
        if name != "qti-gap-text":
            continue
        sid = element.get("identifier", "")
        raw = element.get("match-max", "1").strip()
        if not raw.isdigit():
            raise GapMatchError(f"qti-gap-text {sid}: match-max is not a whole number: {raw!r}")
        sources.append(ChoiceOption(sid, inner_html(element), element.get("fixed") == "true"))
        if int(raw) != 1:
            match_max[sid] = int(raw)
    return sources, match_max


def read_gap_match(
    body: Element, interaction: Element
) -> tuple[str, list[ChoiceOption], list[str], dict[str, int]]:
    """(the stem with ``{{id}}`` for each gap, the gap texts, the gap ids in the stem's order,
    the gap texts' match-max other than 1)."""
    sources, match_max = _sources(interaction)
    own = next(
        (
            e
            for e in interaction
            if local(e.tag) == "div" and STEM_CLASS in (e.get("class") or "").split()
        ),
        None,
    )
    if own is not None:
        container = own
    else:
        container = deepcopy(body)
        # the same position in the copy: located before anything is removed from it
        copy = list(container.iter())[list(body.iter()).index(interaction)]
        parents = _parents(container)
        for element in list(container.iter()):
            name = local(element.tag)
            if name in _FEEDBACK or (name == "qti-gap-text" and parents[element] is copy):
                if name == "qti-gap-text" and not (element.tail or "").strip():
                    element.tail = ""  # the word bank's layout is no text of the stem
                _splice(parents[element], element, keep_content=False)
        for element in list(copy):
            if local(element.tag) == "qti-prompt":
                _splice(copy, element, keep_content=True)
        _splice(parents[copy], copy, keep_content=True)
    gaps = [e for e in container.iter() if local(e.tag) == "qti-gap"]
    if any(not g.get("identifier") for g in gaps):
        raise GapMatchError("a qti-gap has no identifier")
    placeholders = {g: "{{" + g.get("identifier", "") + "}}" for g in gaps}
    return (
        inner_html(container, placeholders),
        sources,
        [g.get("identifier", "") for g in gaps],
        match_max,
    )


def write_gap_match(body: Element, item: MatchingItem, attrs: dict[str, str]) -> Element:
    """Append the interaction to ``body``: its gap texts, then the stem with a ``qti-gap`` in
    each gap's place; returns the interaction."""
    assert item.gap_match is not None
    inter = SubElement(body, q("qti-gap-match-interaction"), attrs)
    for source in item.sources:
        text_attrs = {
            "identifier": source.id,
            "match-max": str(limit(item.gap_match, source.id)),
        }
        if source.fixed:
            text_attrs["fixed"] = "true"
        append_html(SubElement(inter, q("qti-gap-text"), text_attrs), source.text)
    container = SubElement(inter, q("div"), {"class": STEM_CLASS})
    marked = PLACEHOLDER.sub(lambda m: f"<ujian-gap>{m.group(1)}</ujian-gap>", item.stem)
    append_html(container, marked)
    for parent in list(container.iter()):
        for index, child in enumerate(list(parent)):
            if child.tag != q("ujian-gap"):
                continue
            gap = Element(q("qti-gap"), {"identifier": child.text or ""})
            gap.tail = child.tail
            parent.remove(child)
            parent.insert(index, gap)
    return inter
