"""When each answer of a sitting was given: the evidence a teacher compares side by side.

Pure: the sitting's answer events (server clock, in seq order) in, per item out. Time on an
item is the gap between an answer and the answer before it (or the start), summed over the
item's events, as the item analysis counts it (engine/analytics/repository.py
MEAN_TIME_ON_ITEM); a gap is never negative.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import msgspec


class AnswerEvent(msgspec.Struct, frozen=True):
    seq: int
    item_id: str
    at: datetime


class ItemTiming(msgspec.Struct, frozen=True):
    first_at: datetime
    last_at: datetime
    seconds: float
    # how many times the answer was changed after it was first given
    changes: int


def timeline(events: Iterable[AnswerEvent], started_at: datetime | None) -> dict[str, ItemTiming]:
    found: dict[str, ItemTiming] = {}
    previous = started_at
    for event in sorted(events, key=lambda e: e.seq):
        gap = 0.0 if previous is None else max((event.at - previous).total_seconds(), 0.0)
        seen = found.get(event.item_id)
        found[event.item_id] = (
            ItemTiming(event.at, event.at, gap, 0)
            if seen is None
            else ItemTiming(seen.first_at, event.at, seen.seconds + gap, seen.changes + 1)
        )
        previous = event.at
    return found
