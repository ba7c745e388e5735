"""One scorer module per family of item types; :mod:`grading.scoring` dispatches to them."""

from __future__ import annotations

from grading.scorers.choice import (
    score_multiple_response,
    score_single_choice,
    score_true_false,
)
from grading.scorers.cloze import score_cloze
from grading.scorers.essay import apply_manual_mark, score_essay
from grading.scorers.numeric import score_numeric
from grading.scorers.ordering import ordering_pair_credit, score_matching, score_ordering
from grading.scorers.point import area_contains, score_select_point
from grading.scorers.text import normalise_text, score_short_text

__all__ = [
    "apply_manual_mark",
    "area_contains",
    "normalise_text",
    "ordering_pair_credit",
    "score_cloze",
    "score_essay",
    "score_matching",
    "score_multiple_response",
    "score_numeric",
    "score_ordering",
    "score_select_point",
    "score_short_text",
    "score_single_choice",
    "score_true_false",
]
