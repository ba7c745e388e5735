"""Short text items: normalised comparison with alternatives, partial answers and regexes.

Patterns are teachers' input and are matched by RE2 in linear time (grading/patterns.py).
"""

from __future__ import annotations

import functools
import unicodedata

from grading.keys import ShortTextKey
from grading.patterns import full_match
from grading.scorers.common import blank, from_credit
from grading.types import ItemScore


def normalise_text(text: str, *, case_sensitive: bool, ignore_diacritics: bool = False) -> str:
    """Compatibility-normalised, whitespace-collapsed text, folded unless case matters."""
    folded = " ".join(unicodedata.normalize("NFKC", text).split())
    if ignore_diacritics:
        # decompose, then drop the combining marks: "é" -> "e", "ñ" -> "n"
        decomposed = unicodedata.normalize("NFKD", folded)
        stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
        folded = unicodedata.normalize("NFC", stripped)
    return folded if case_sensitive else folded.casefold()


@functools.lru_cache(maxsize=16384)
def _accepted(accepted: tuple[str, ...], case_sensitive: bool, plain: bool) -> frozenset[str]:
    # cached on the key's fields, not the key: a key holding a dict is not hashable
    return frozenset(
        normalise_text(a, case_sensitive=case_sensitive, ignore_diacritics=plain) for a in accepted
    )


def _norm(key: ShortTextKey, text: str) -> str:
    return normalise_text(
        text, case_sensitive=key.case_sensitive, ignore_diacritics=key.ignore_diacritics
    )


def short_text_credit(key: ShortTextKey, text: str) -> float:
    given = _norm(key, text)
    if given in _accepted(key.accepted, key.case_sensitive, key.ignore_diacritics):
        return 1.0
    if any(full_match(p, given, case_sensitive=key.case_sensitive) for p in key.patterns):
        return 1.0
    return max((c for alt, c in key.partial.items() if _norm(key, alt) == given), default=0.0)


def score_short_text(key: ShortTextKey, text: str) -> ItemScore:
    if not text.strip():
        return blank(key.points)
    return from_credit(short_text_credit(key, text), key.points)
