"""A hottext passage between QTI 3.0 markup and Ujian's choice items.

In QTI the choices of a ``qti-hottext-interaction`` are ``qti-hottext`` runs anywhere inside the
interaction's block content. Ujian keeps them as the item's options and the passage as rich
text with ``{{id}}`` where each run stands (``kinds.HottextSpec``), the way a cloze keeps its
blanks; these two functions turn one into the other. The export wraps the passage in a
``div.ujian-passage``, since the interaction takes block content only and a passage may begin
with plain text; the import unwraps that div again so a round trip gives back the same text.
"""

from __future__ import annotations

from copy import deepcopy
from xml.etree.ElementTree import Element, SubElement

from question_bank.kinds import PLACEHOLDER, ChoiceOption
from question_bank.qti_html import append_html, inner_html, local, q

# parts of the interaction that are not the passage: the prompt joins the stem and feedback
# joins the explanation (qti_import reads both from the body)
_NOT_PASSAGE = frozenset({"qti-prompt", "qti-feedback-block", "qti-feedback-inline"})
PASSAGE_CLASS = "ujian-passage"


class PassageError(ValueError):
    """A hottext passage that cannot be read (a run inside a run, a run with no identifier)."""


def _remove(parent: Element, child: Element) -> None:
    # the text after the removed element stays where it was
    index = list(parent).index(child)
    parent.remove(child)
    if index:
        previous = parent[index - 1]
        previous.tail = (previous.tail or "") + (child.tail or "")
    else:
        parent.text = (parent.text or "") + (child.tail or "")


def read_passage(interaction: Element) -> tuple[str, list[ChoiceOption]]:
    """The passage (cleaned HTML, ``{{id}}`` where each run stands) and the runs as options,
    in the passage's order."""
    copy = deepcopy(interaction)
    for parent in list(copy.iter()):
        for child in list(parent):
            if local(child.tag) in _NOT_PASSAGE:
                _remove(parent, child)
    container = copy
    if (
        len(copy) == 1
        and not (copy.text or "").strip()
        and not (copy[0].tail or "").strip()
        and local(copy[0].tag) == "div"
        and copy[0].get("class") == PASSAGE_CLASS
    ):
        container = copy[0]
    runs = [e for e in container.iter() if local(e.tag) == "qti-hottext"]
    for run in runs:
        if not run.get("identifier"):
            raise PassageError("a qti-hottext has no identifier")
        if any(local(e.tag) == "qti-hottext" for e in run.iter() if e is not run):
            raise PassageError(f"qti-hottext {run.get('identifier')} holds another qti-hottext")
    options = [ChoiceOption(run.get("identifier", ""), inner_html(run)) for run in runs]
    placeholders = {run: "{{" + run.get("identifier", "") + "}}" for run in runs}
    return inner_html(container, placeholders), options


def write_passage(interaction: Element, passage: str, options: list[ChoiceOption]) -> None:
    """Append the passage to ``interaction``, each ``{{id}}`` a ``qti-hottext`` run holding
    its option's text."""
    container = SubElement(interaction, q("div"), {"class": PASSAGE_CLASS})
    append_html(
        container, PLACEHOLDER.sub(lambda m: f"<ujian-run>{m.group(1)}</ujian-run>", passage)
    )
    texts = {o.id: o.text for o in options}
    for parent in list(container.iter()):
        for index, child in enumerate(list(parent)):
            if child.tag != q("ujian-run"):
                continue
            run = Element(q("qti-hottext"), {"identifier": child.text or ""})
            append_html(run, texts[child.text or ""])
            run.tail = child.tail
            parent.remove(child)
            parent.insert(index, run)
