"""QTI 3.0 shared stimuli: ``qti-assessment-stimulus`` documents read and written.

An item refers to a stimulus with ``qti-assessment-stimulus-ref`` (its ``href`` relative to
the item's own file); the package reader finds the document, this module reads it into the
``StimulusSpec`` the item then carries (ADR 0012). The body is read as a stem is: the same
hardened parser and size budget, the same HTML subset, MathML kept, foreign namespaces
reduced to their text. Its stylesheets are not read (items show no author CSS) and its
catalog (accessibility cards) is left, as an item's is.
"""

from __future__ import annotations

from xml.etree import ElementTree as ET
from xml.etree.ElementTree import Element, SubElement

import msgspec

from question_bank.content import ContentError
from question_bank.kinds import StimulusSpec
from question_bank.qti_html import append_html, inner_html, local, q
from question_bank.qti_import import QtiError, parse_xml

STIMULI_FOLDER = "stimuli"
STIMULUS_RESOURCE = "imsqti_stimulus_xmlv3p0"
# the schema's stimulus body takes blocks only: the export wraps the body's rich text in this
# div, and the import takes it off again (as the stem's div.ujian-stem)
OWN_WRAPPER = "ujian-stimulus"


def read_stimulus(data: bytes) -> StimulusSpec:
    """The stimulus a ``qti-assessment-stimulus`` document holds; QtiError when it is none."""
    root = parse_xml(data)
    if local(root.tag) != "qti-assessment-stimulus":
        raise QtiError(f"expected a qti-assessment-stimulus, found {local(root.tag)}")
    body = next((e for e in root if local(e.tag) == "qti-stimulus-body"), None)
    if body is None:
        raise QtiError("the stimulus has no qti-stimulus-body")
    own = [e for e in body if local(e.tag) == "div"]
    if len(body) == 1 and own and OWN_WRAPPER in (own[0].get("class") or "").split():
        body = own[0]
    try:
        text = inner_html(body)
    except ContentError as err:
        raise QtiError(err.message, code=err.code) from err
    if not text:
        raise QtiError("the stimulus body has nothing to show once unsafe markup is removed")
    identifier = root.get("identifier", "")
    # the schema requires a title; a tool that leaves it out is named by its identifier
    title = " ".join((root.get("title") or identifier).split())[:200]
    try:
        return msgspec.convert({"id": identifier, "title": title, "body": text}, StimulusSpec)
    except msgspec.ValidationError as err:
        raise QtiError(f"the stimulus {identifier!r} does not fit: {err}") from err


def stimulus_file(stimulus: StimulusSpec, taken: int = 0) -> str:
    """Where a package export writes a stimulus (the ``taken``-th other one of the same id
    gets a suffix: two stimuli may share an id and differ)."""
    suffix = f"-{taken + 1}" if taken else ""
    return f"{STIMULI_FOLDER}/{stimulus.id}{suffix}.xml"


def write_stimulus_ref(root: Element, stimulus: StimulusSpec, href: str) -> None:
    """The item's reference to its stimulus (the schema puts it after the declarations)."""
    attrs = {"identifier": stimulus.id, "href": href, "title": stimulus.title}
    SubElement(root, q("qti-assessment-stimulus-ref"), attrs)


def export_stimulus(stimulus: StimulusSpec) -> bytes:
    """A QTI 3.0 ``qti-assessment-stimulus`` document for a (normalised) stimulus."""
    root = Element(
        q("qti-assessment-stimulus"), {"identifier": stimulus.id, "title": stimulus.title}
    )
    body = SubElement(root, q("qti-stimulus-body"))
    append_html(SubElement(body, q("div"), {"class": OWN_WRAPPER}), stimulus.body)
    out: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return out
