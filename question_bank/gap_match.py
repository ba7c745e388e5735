"""The rules of a gap-match item: every gap stands once in the stem, each takes one gap text.

Checked where an authored matching item becomes a key (``items.split_item``), so an item the
API takes, the QTI import reads or a package brings in is one the student page can draw (a
select in each gap of the text) and the QTI export can write valid (``qti-gap`` is inline
content of the interaction's text). The answer endpoint holds a response to the same rules
(``answer_rules``): one text per gap, each text within its match-max, no more gaps filled than
``max_associations``. ``min_associations`` refuses nothing there: an answer is saved as the
student builds it, and the page points out one that fills fewer gaps.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from question_bank.kinds import PLACEHOLDER, ChoiceOption, GapMatchSpec, ItemError

_TAG = re.compile(r"<[^>]*>")
# a gap text is a run of text put inside a sentence: a block would break the line it fills
_BLOCK = re.compile(
    r"<(p|div|ul|ol|li|pre|blockquote|hr|h[1-6]|table|thead|tbody|tr|td|th|caption|figure"
    r"|figcaption)\b",
    re.IGNORECASE,
)


def gap_ids(stem: str) -> list[str]:
    """The gap ids in the order the stem places them."""
    return PLACEHOLDER.findall(stem)


def limit(spec: GapMatchSpec, source: str) -> int:
    """How many gaps ``source`` may fill (0: any number)."""
    return spec.match_max.get(source, 1)


def pairing_problem(spec: GapMatchSpec, pairs: Iterable[tuple[str, str]]) -> str | None:
    """Why these (gap text, gap) pairs are no filling of the gaps (None: they are)."""
    pairs = list(pairs)
    gaps = Counter(gap for _, gap in pairs)
    if any(n > 1 for n in gaps.values()):
        return "a gap is filled more than once"
    if spec.max_associations and len(pairs) > spec.max_associations:
        return f"{len(pairs)} gaps filled; this item takes at most {spec.max_associations}"
    for source, n in Counter(source for source, _ in pairs).items():
        most = limit(spec, source)
        if most and n > most:
            return f"gap text {source} fills {n} gaps; it may fill at most {most}"
    return None


def check_gap_match(
    spec: GapMatchSpec,
    stem: str,
    sources: list[ChoiceOption],
    targets: list[ChoiceOption],
    pairs: list[tuple[str, str]],
) -> None:
    """Raises ItemError when the stem, the gap texts, the gaps or the key do not make a gap-match
    item a student can answer."""
    placed = gap_ids(stem)
    if len(set(placed)) != len(placed):
        raise ItemError("stem", "a gap stands more than once in the stem")
    ids = {t.id for t in targets}
    if set(placed) != ids:
        missing = sorted(ids ^ set(placed))
        raise ItemError("stem", f"every gap (target) needs one {{{{id}}}} in the stem: {missing}")
    if gap_ids(_TAG.sub("", stem)) != placed:
        raise ItemError("stem", "a gap's {{id}} stands inside a tag")
    unknown = sorted(set(spec.match_max) - {s.id for s in sources})
    if unknown:
        raise ItemError("gap_match.match_max", f"not a source id: {', '.join(unknown)}")
    # a minimum no answer can reach would mark every answer incomplete
    if spec.min_associations > len(targets):
        raise ItemError("gap_match.min_associations", "more than the stem has gaps")
    if spec.max_associations and spec.min_associations > spec.max_associations:
        raise ItemError("gap_match.min_associations", "more than max_associations allows")
    for source in sources:
        if _BLOCK.search(source.text):
            raise ItemError("sources", f"gap text {source.id} fills a gap: no block elements")
    problem = pairing_problem(spec, pairs)
    if problem:
        raise ItemError("pairs", problem)
