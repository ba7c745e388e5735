"""The rules of a hottext passage: every option stands once in it, as a run of inline text.

Checked where an authored choice item becomes a key (``items.split_item``), so an item the API
takes, the QTI import reads or a package brings in is one the student page can draw (each
option a toggle inside the passage's text) and the QTI export can write valid (``qti-hottext``
holds inline content only).
"""

from __future__ import annotations

import re

from question_bank.kinds import PLACEHOLDER, HottextSpec, ItemError

# a hottext is a run of text inside a sentence: a block (a paragraph, a list, a table) inside
# it would break the passage's lines on the page and is refused by QTI's schema
_BLOCK = re.compile(
    r"<(p|div|ul|ol|li|pre|blockquote|hr|h[1-6]|table|thead|tbody|tr|td|th|caption|figure"
    r"|figcaption)\b",
    re.IGNORECASE,
)
_TAG = re.compile(r"<[^>]*>")
# what shows without any text of its own
_SHOWN = re.compile(r"<(img|math)\b", re.IGNORECASE)


def passage_ids(passage: str) -> list[str]:
    """The option ids in the order the passage places them."""
    return PLACEHOLDER.findall(passage)


def check_hottext(
    spec: HottextSpec, options: dict[str, str], correct: list[str], single: bool
) -> None:
    """Raises ItemError when the passage, the options (id -> text) or the choice counts do not
    make a hottext item a student can answer."""
    placed = passage_ids(spec.passage)
    if len(set(placed)) != len(placed):
        raise ItemError("hottext.passage", "an option stands more than once in the passage")
    if set(placed) != set(options):
        missing = sorted(set(options) ^ set(placed))
        raise ItemError(
            "hottext.passage", f"every option needs one {{{{id}}}} in the passage: {missing}"
        )
    # a place-holder inside a tag (an alt text, say) would be no run of the passage's text
    if passage_ids(_TAG.sub("", spec.passage)) != placed:
        raise ItemError("hottext.passage", "an option's {{id}} stands inside a tag")
    for oid, text in options.items():
        if _BLOCK.search(text):
            raise ItemError("options", f"option {oid} is a run of text: no block elements")
        # an empty run is a toggle with nothing to see or read out on the page
        if not _TAG.sub("", text).strip() and not _SHOWN.search(text):
            raise ItemError("options", f"option {oid} shows nothing to pick")
    most = len(options) if spec.max_choices == 0 else spec.max_choices
    if single and spec.max_choices != 1:
        raise ItemError("hottext.max_choices", "a single choice takes one run of text")
    if spec.max_choices > len(options):
        raise ItemError("hottext.max_choices", "more than the passage has options")
    if spec.min_choices > most:
        raise ItemError("hottext.min_choices", "more than max_choices allows")
    if len(correct) > most:
        raise ItemError("correct", "more options than max_choices allows")
