"""Rich text between our HTML subset and the XHTML inside QTI 3.0 item bodies.

Export parses the (already sanitised) HTML with the standard library's tolerant parser and
builds elements in the QTI namespace; import serialises elements back to HTML and cleans it
again, so whatever a foreign package carries still ends up in the allowed subset, and our
own export comes back byte for byte.
"""

from __future__ import annotations

import html
from html.parser import HTMLParser
from xml.etree.ElementTree import Element, SubElement

from question_bank.content import MATHML_TAGS, sanitise_html

QTI_NS = "http://www.imsglobal.org/xsd/imsqtiasi_v3p0"
MATHML_NS = "http://www.w3.org/1998/Math/MathML"
VOID = frozenset({"br", "hr", "img"})
# elements of these namespaces are read as HTML (by their local name); any other namespace
# (SSML, PNP, a vendor's) is not HTML: its element is unwrapped, its text kept
_READ_AS_HTML = frozenset({QTI_NS, MATHML_NS, ""})


def q(tag: str) -> str:
    """A tag name in the QTI namespace."""
    return f"{{{QTI_NS}}}{tag}"


def local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def namespace(tag: str) -> str:
    return tag[1:].split("}", 1)[0] if tag.startswith("{") else ""


class _Builder(HTMLParser):
    def __init__(self, parent: Element) -> None:
        super().__init__(convert_charrefs=True)
        self.stack = [parent]

    def _text(self, text: str) -> None:
        top = self.stack[-1]
        if len(top):
            top[-1].tail = (top[-1].tail or "") + text
        else:
            top.text = (top.text or "") + text

    def _name(self, tag: str) -> str:
        # MathML keeps its own namespace inside a QTI body (the schema imports MathML 3)
        if tag in MATHML_TAGS:
            return f"{{{MATHML_NS}}}{tag}"
        return q(tag)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img" and not dict(attrs).get("src"):
            # an image whose source the cleaner refused: its alternative text stands for it
            self._text(dict(attrs).get("alt") or "[image]")
            return
        element = SubElement(self.stack[-1], self._name(tag), {k: v or "" for k, v in attrs})
        if tag not in VOID:
            self.stack.append(element)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img" and not dict(attrs).get("src"):
            self._text(dict(attrs).get("alt") or "[image]")
            return
        SubElement(self.stack[-1], self._name(tag), {k: v or "" for k, v in attrs})

    def handle_endtag(self, tag: str) -> None:
        # close up to the matching open element; a stray end tag is ignored
        for depth in range(len(self.stack) - 1, 0, -1):
            if local(self.stack[depth].tag) == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data: str) -> None:
        self._text(data)


def append_html(parent: Element, text: str) -> Element:
    """Append the elements and text of an HTML fragment to ``parent``; returns ``parent``."""
    builder = _Builder(parent)
    builder.feed(text)
    builder.close()
    return parent


def _attributes(element: Element) -> str:
    return "".join(
        f' {local(k)}="{html.escape(v, quote=True)}"'
        for k, v in element.attrib.items()
        if not local(k).startswith("data-")
    )


def element_html(element: Element, replace: dict[Element, str] | None = None) -> str:
    """An element and its content as HTML (without its tail)."""
    if replace and element in replace:
        return html.escape(replace[element], quote=False)
    if namespace(element.tag) not in _READ_AS_HTML:
        return _raw_inner(element, replace)
    name = local(element.tag)
    if name in VOID:
        return f"<{name}{_attributes(element)}>"
    return f"<{name}{_attributes(element)}>{_raw_inner(element, replace)}</{name}>"


def inner_html(element: Element, replace: dict[Element, str] | None = None) -> str:
    """The content of an element as HTML, cleaned. ``replace`` swaps elements for plain text
    (a cloze's interactions become their ``{{id}}`` placeholders)."""
    return sanitise_html(_raw_inner(element, replace))


def _raw_inner(element: Element, replace: dict[Element, str] | None) -> str:
    parts = [html.escape(element.text or "", quote=False)]
    for child in element:
        parts.append(element_html(child, replace))
        parts.append(html.escape(child.tail or "", quote=False))
    return "".join(parts)
