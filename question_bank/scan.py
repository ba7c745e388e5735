"""Single-pass scanners over authors' rich text, linear in its length whatever it holds.

A lazy regular expression for math spans (``\\$\\$.+?\\$\\$|\\\\\\(.+?\\\\\\)|...``) rescans the
rest of the text from every unclosed opener: 10,000 unclosed ``\\(`` in a stem cost seconds.
``math_spans`` finds the same spans, remembering where each closer occurs next, so no character
is scanned more than a few times. ``nesting_depth`` measures how deep HTML tags nest, because
the HTML parser behind the sanitiser slows down quadratically with the depth of open elements.
"""

from __future__ import annotations

import re

# opener -> closer; a span holds at least one character between them
_CLOSERS = {"$$": "$$", "\\(": "\\)", "\\[": "\\]"}
_OPENER = re.compile(r"\$\$|\\\(|\\\[")
_NONE = -1

# a tag: "<name ...>" or "</name>"; [^<>]* stops at the next "<", so each character is
# looked at a bounded number of times
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9]*)[^<>]*>")
VOID_TAGS = frozenset(
    {
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "source",
        "track",
        "wbr",
    }
)
# start tags that close an open element by themselves (HTML's implied end tags): tag ->
# (what it closes, where the search for it stops); "<li>a<li>b" is two siblings, not nested
_LI, _CELL, _DEF = ({"li"}, {"ul", "ol"}), ({"td", "th"}, {"tr", "table"}), ({"dt", "dd"}, {"dl"})
_IMPLIED_ENDS: dict[str, tuple[set[str], set[str]]] = {
    "li": _LI,
    "td": _CELL,
    "th": _CELL,
    "dt": _DEF,
    "dd": _DEF,
    "tr": ({"tr"}, {"table"}),
    "option": ({"option"}, {"select"}),
}
# a block start tag closes an open <p> (up to a table cell or a button)
_CLOSES_P = frozenset(
    {
        "p",
        "div",
        "ul",
        "ol",
        "dl",
        "table",
        "blockquote",
        "pre",
        "figure",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "section",
        "article",
        "header",
        "footer",
        "address",
        "center",
        "details",
    }
)
_P_SCOPE = ({"p"}, {"td", "th", "table", "button", "caption"})


def math_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each LaTeX span, left to right, exactly those the lazy regex finds."""
    spans: list[tuple[int, int]] = []
    # closer -> the position of its next occurrence at or after the last search's start;
    # searches start ever further right, so a found position stays valid until passed
    next_at: dict[str, int] = {}
    pos = 0
    while (opener := _OPENER.search(text, pos)) is not None:
        start = opener.start()
        closer = _CLOSERS[opener.group()]
        earliest = start + 3
        at = next_at.get(closer)
        if at is None or (at != _NONE and at < earliest):
            at = next_at[closer] = text.find(closer, earliest)
        if at == _NONE:
            pos = start + 1  # no closer anywhere further: this opener is plain text
            continue
        spans.append((start, at + len(closer)))
        pos = at + len(closer)
    return spans


def nesting_depth(html: str, limit: int) -> int:
    """How deep the tags of ``html`` nest, counted up to ``limit + 1`` (then it stops).

    An approximation of the parser's tree good enough for a bound: void elements do not nest,
    a ``<li>`` closes the open ``<li>`` of its list (and so on: HTML's implied end tags), a
    closing tag closes up to its element. The stack never holds more than ``limit + 1`` names
    and each step looks at most at all of them, so this is linear in ``html``.
    """
    stack: list[str] = []
    deepest = 0
    for tag in _TAG.finditer(html):
        name = tag.group(2).lower()
        if name in VOID_TAGS:
            continue
        if tag.group(1):
            if name in stack:
                del stack[len(stack) - 1 - stack[::-1].index(name) :]
            continue
        if name in _CLOSES_P:
            _close_implied(stack, *_P_SCOPE)
        if name in _IMPLIED_ENDS:
            _close_implied(stack, *_IMPLIED_ENDS[name])
        stack.append(name)
        deepest = max(deepest, len(stack))
        if deepest > limit:
            break
    return deepest


def _close_implied(stack: list[str], closes: set[str], scope: set[str]) -> None:
    """Pop the innermost open element named in ``closes``, unless a ``scope`` one is nearer."""
    for at in range(len(stack) - 1, -1, -1):
        if stack[at] in closes:
            del stack[at:]
            return
        if stack[at] in scope:
            return
