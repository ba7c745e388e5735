"""Rich text of items: a sanitised HTML subset, Markdown converted into it, math kept as LaTeX.

Authors paste from word processors and old banks, and the text ends up in every student's
browser, so everything is cleaned on the way in with nh3 (ammonia): an allow-list of tags and
attributes, no scripts, no event handlers, no style, images only from our media endpoint or
https. Math is LaTeX inside ``\\( … \\)`` / ``$$ … $$`` and is left as text for the client's
renderer (KaTeX/MathJax); a ``<`` inside math must be written ``&lt;`` in HTML (Markdown
escapes it by itself). Cleaning is idempotent: cleaning clean text changes nothing.
"""

from __future__ import annotations

import contextlib
import html
import re

import nh3
from markdown_it import MarkdownIt

from question_bank.kinds import MEDIA_PATH, TextFormat
from question_bank.scan import math_spans, nesting_depth

# MathML Core (https://www.w3.org/TR/mathml-core/): what browsers render natively; items from
# other tools write formulas this way, so they are kept, cleaned like the rest
MATHML_TAGS = frozenset(
    {
        "math",
        "mrow",
        "mi",
        "mn",
        "mo",
        "ms",
        "mtext",
        "mspace",
        "msub",
        "msup",
        "msubsup",
        "mfrac",
        "msqrt",
        "mroot",
        "mstyle",
        "merror",
        "mpadded",
        "mphantom",
        "munder",
        "mover",
        "munderover",
        "mmultiscripts",
        "mprescripts",
        "mtable",
        "mtr",
        "mtd",
        "semantics",
        "annotation",
    }
)
_MATHML_ATTRIBUTES = {"display", "mathvariant", "displaystyle", "scriptlevel", "dir"}

ALLOWED_TAGS = frozenset(
    {
        "p",
        "br",
        "b",
        "strong",
        "i",
        "em",
        "u",
        "s",
        "sub",
        "sup",
        "small",
        "span",
        "div",
        "ul",
        "ol",
        "li",
        "code",
        "pre",
        "blockquote",
        "hr",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "table",
        "thead",
        "tbody",
        "tr",
        "td",
        "th",
        "caption",
        "img",
        "figure",
        "figcaption",
    }
    | MATHML_TAGS
)
ALLOWED_ATTRIBUTES = {
    "img": {"src", "alt", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
    "ol": {"start", "type"},
    **{tag: set(_MATHML_ATTRIBUTES) for tag in MATHML_TAGS},
    "mo": {"form", "fence", "separator", "lspace", "rspace", "stretchy", "symmetric", "largeop"},
    "mfrac": {"linethickness"},
    "mspace": {"width", "height", "depth"},
    "mtd": {"columnspan", "rowspan"},
}
# classes a renderer understands; any other class is dropped (nh3 wants "class" listed here only)
ALLOWED_CLASSES = {"span": {"math", "math-inline", "math-display"}, "div": {"math-display"}}
_MEDIA_REF = re.compile(r'src="/v1/media/([0-9a-fA-F-]{36})"')

_TAG = re.compile(r"<[^>]*>")
# LaTeX spans are lifted out before Markdown runs (Markdown would eat the backslashes of \( \)),
# each replaced by a placeholder in these private-use characters, which are removed from the
# input first so an author cannot forge a placeholder
_LIFT_START, _LIFT_END = "\ue000", "\ue001"
_LIFTED = re.compile(f"{_LIFT_START}(\\d+){_LIFT_END}")
# how deep tags may nest: the sanitiser's HTML parser slows down with the square of the depth,
# and no exam text needs more than a few levels
MAX_NESTING = 100


class ContentError(ValueError):
    """A rich text refused as a whole (too deeply nested); ``code`` is the problem code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


_markdown = MarkdownIt("commonmark", {"html": False}).enable("table").enable("strikethrough")


def _allowed_attribute(tag: str, attribute: str, value: str) -> str | None:
    # images only from our own media endpoint or over https: no data:, no http, no javascript:
    if tag == "img" and attribute == "src":
        return value if value.startswith((MEDIA_PATH, "https://")) else None
    return value


def sanitise_html(text: str) -> str:
    """The allowed subset of ``text``: unknown tags unwrapped, dangerous ones removed whole.

    Raises ContentError when the tags nest deeper than MAX_NESTING.
    """
    if nesting_depth(text, MAX_NESTING) > MAX_NESTING:
        raise ContentError(
            "content_too_nested", f"the markup nests more than {MAX_NESTING} elements deep"
        )
    cleaned = nh3.clean(
        text,
        tags=set(ALLOWED_TAGS),
        clean_content_tags={"script", "style"},
        attributes={k: set(v) for k, v in ALLOWED_ATTRIBUTES.items()},
        attribute_filter=_allowed_attribute,
        allowed_classes={k: set(v) for k, v in ALLOWED_CLASSES.items()},
        url_schemes={"https"},
        link_rel=None,
        strip_comments=True,
    )
    return cleaned.strip()


def markdown_to_html(text: str) -> str:
    # raw HTML inside Markdown is escaped, not passed through: Markdown authors get Markdown
    text = text.replace(_LIFT_START, "").replace(_LIFT_END, "")
    maths: list[str] = []
    pieces: list[str] = []
    last = 0
    for start, end in math_spans(text):
        pieces += [text[last:start], f"{_LIFT_START}{len(maths)}{_LIFT_END}"]
        maths.append(text[start:end])
        last = end
    pieces.append(text[last:])
    rendered = _markdown.render("".join(pieces))
    return _LIFTED.sub(lambda m: html.escape(maths[int(m.group(1))], quote=False), rendered)


def rich_text(text: str, fmt: TextFormat = "html") -> str:
    return sanitise_html(markdown_to_html(text) if fmt == "markdown" else text)


def plain_text(text: str) -> str:
    """The words of a rich text, for search and CSV: tags dropped, entities decoded."""
    # text stored before depth was bounded was cleaned when saved: its tags go below anyway
    with contextlib.suppress(ContentError):
        text = sanitise_html(text)
    return " ".join(html.unescape(_TAG.sub(" ", text)).split())


def media_refs(text: str) -> list[str]:
    """Ids of our media that a rich text shows, so a package export can carry the files."""
    return _MEDIA_REF.findall(text)
