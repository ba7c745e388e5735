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
VOID_TAGS = frozenset({
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
    "track", "wbr",
})  # fmt: skip
# elements HTML closes by itself when a sibling of the same name opens ("<li>a<li>b")
_SELF_CLOSING_SIBLINGS = frozenset({"li", "p", "td", "th", "tr", "dt", "dd", "option"})


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
    a ``<li>`` (etc.) opened right inside another closes it, a closing tag closes up to its
    element. The stack never holds more than ``limit + 1`` names, so this is linear.
    """
    stack: list[str] = []
    deepest = 0
    for tag in _TAG.finditer(html):
        name = tag.group(2).lower()
        if name in VOID_TAGS:
            continue
        if tag.group(1):
            if name in stack:
                del stack[len(stack) - 1 - stack[::-1].index(name):]
            continue
        if name in _SELF_CLOSING_SIBLINGS and stack and stack[-1] == name:
            continue
        stack.append(name)
        deepest = max(deepest, len(stack))
        if deepest > limit:
            break
    return deepest
