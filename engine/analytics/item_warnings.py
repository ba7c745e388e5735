"""Why a reviewer should look at an item, and how much: pure rules over its statistics.

Thresholds after the usual classical-test-theory guidance (and Moodle's hints). Warnings come
most serious first, so the dashboard can rank items and say the one reason that matters.
"""

from __future__ import annotations

from engine.analytics.models import OptionShare

# Review thresholds, after the usual classical-test-theory guidance (and Moodle's hints):
# items nearly everyone or nobody gets right tell little; a discrimination index below 20%
# is weak, below 0 the item rewards weaker candidates; a distractor almost nobody picks
# does no work.
TOO_HARD_PCT, TOO_EASY_PCT = 10.0, 95.0
WEAK_DISCRIMINATION_PCT = 20.0
IDLE_DISTRACTOR_SHARE = 0.05
MIN_SITTINGS_FOR_WARNINGS = 20

# how much each warning matters, most serious first: an item that rewards weaker students,
# then a key that may be wrong, then an item that tells little, then an idle distractor
SEVERITY = {
    "negative_discrimination": 4,
    "key_possibly_wrong": 3,
    "too_hard": 2,
    "too_easy": 2,
    "weak_discrimination": 2,
    "idle_distractor": 1,
}


def suspect_option(options: list[OptionShare] | None) -> str | None:
    """A wrong option the strongest students chose more often than the key: the key may be
    the wrong one (the classic sign of a mis-keyed item)."""
    if not options:
        return None
    correct = next((o for o in options if o.correct), None)
    if correct is None:
        return None
    rivals = [
        o
        for o in options
        if not o.correct and o.share_upper > correct.share_upper and o.share_upper > o.share_lower
    ]
    return max(rivals, key=lambda o: o.share_upper).id if rivals else None


def item_warnings(
    facility: float | None,
    discrimination: float | None,
    options: list[OptionShare] | None,
    sittings: int,
) -> list[str]:
    """Why a reviewer should look at an item, most serious first (empty when it looks fine)."""
    if sittings < MIN_SITTINGS_FOR_WARNINGS:
        return []
    found = []
    if facility is not None and facility <= TOO_HARD_PCT:
        found.append("too_hard")
    if facility is not None and facility >= TOO_EASY_PCT:
        found.append("too_easy")
    if discrimination is not None and discrimination < 0:
        found.append("negative_discrimination")
    elif discrimination is not None and discrimination < WEAK_DISCRIMINATION_PCT:
        found.append("weak_discrimination")
    if suspect_option(options) is not None:
        found.append("key_possibly_wrong")
    if options and any(not o.correct and o.share_all < IDLE_DISTRACTOR_SHARE for o in options):
        found.append("idle_distractor")
    return sorted(found, key=lambda w: -SEVERITY[w])
