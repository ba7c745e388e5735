"""The answer path's checks before its one script call, and the refusals of that script.

Every event is checked against its item (question_bank/answer_rules.py: kind, option ids, text
length, finite numbers) from the paper's rules this process keeps: no database, no Redis. On a
linear paper each event also carries its item's place in the sitting's order, which the answer
script compares with the furthest place the sitting has reached.
"""

from __future__ import annotations

import uuid
from array import array
from collections.abc import Sequence
from typing import Any

from engine.kernel.errors import DomainError
from engine.sittings.models import AnswerEvent
from question_bank.answer_rules import PaperRules, check_response, positions
from question_bank.paper import CompiledPaper
from question_bank.pools import drawn_ids

# sitting id -> its items' places in its order, for shuffled linear papers only: one shuffle
# per sitting and process rather than one per answer batch
_places_of_sitting: dict[uuid.UUID, array[int]] = {}
MAX_REMEMBERED_PLACES = 50_000  # ~1 KB each for a 150-item paper; cheap to rebuild


def check_events(rules: PaperRules, events: Sequence[AnswerEvent], text_cap: int) -> None:
    """Raise a 400 naming every event (seq, item, why) that does not fit its item. One bad
    event refuses the whole batch: storing the events before it would be sound too, but
    refusing all keeps "acked_seq: this and everything before it is stored" trivially true,
    and the page drops just the named events and sends the rest again."""
    items = rules.items
    refusals: list[dict[str, Any]] = []
    for index, event in enumerate(events):
        rule = items.get(event.item)
        if rule is None:
            refusals.append(
                {
                    "field": f"events[{index}].item",
                    "seq": event.seq,
                    "item": event.item,
                    "message": "not an item of this paper",
                }
            )
            continue
        why = check_response(rule, event.response, text_cap)
        if why is not None:
            refusals.append(
                {
                    "field": f"events[{index}].response",
                    "seq": event.seq,
                    "item": event.item,
                    "message": why,
                }
            )
    if refusals:
        first = refusals[0]
        raise DomainError(
            400,
            "validation_failed",
            "An answer does not fit its item",
            f"event seq {first['seq']} (item {first['item']}): {first['message']}; nothing of "
            "this batch was stored: send it again without the events named in errors",
            extra={"errors": refusals},
        )


# sitting id -> the item ids drawn for it, for papers with a pool section (same bound as above)
_drawn_of_sitting: dict[uuid.UUID, set[str]] = {}


def check_drawn(paper: CompiledPaper, sitting_id: uuid.UUID, events: Sequence[AnswerEvent]) -> None:
    """On a paper with pools, refuse (400, nothing stored) answers to items of the pool that
    were not drawn for this sitting."""
    mine = _drawn_of_sitting.get(sitting_id)
    if mine is None:
        if len(_drawn_of_sitting) >= MAX_REMEMBERED_PLACES:
            _drawn_of_sitting.clear()
        sections = [([i.id for i in s.items], s.draw) for s in paper.sections]
        mine = _drawn_of_sitting[sitting_id] = drawn_ids(sections, sitting_id)
    refusals = [
        {
            "field": f"events[{index}].item",
            "seq": event.seq,
            "item": event.item,
            "message": "not an item of this sitting's paper",
        }
        for index, event in enumerate(events)
        if event.item not in mine
    ]
    if refusals:
        first = refusals[0]
        raise DomainError(
            400,
            "validation_failed",
            "An answer does not fit its item",
            f"event seq {first['seq']} (item {first['item']}): {first['message']}; nothing of "
            "this batch was stored: send it again without the events named in errors",
            extra={"errors": refusals},
        )


def places(
    rules: PaperRules, paper: CompiledPaper, sitting_id: uuid.UUID, events: Sequence[AnswerEvent]
) -> list[int]:
    """Each event's item place in this sitting's order (the events fit the paper)."""
    items = rules.items
    if not rules.shuffle:
        return [items[e.item].index for e in events]
    by_index = _places_of_sitting.get(sitting_id)
    if by_index is None:
        if len(_places_of_sitting) >= MAX_REMEMBERED_PLACES:
            _places_of_sitting.clear()
        by_index = _places_of_sitting[sitting_id] = positions(paper, sitting_id)
    return [by_index[items[e.item].index] for e in events]


def rate_limited(acked: int, retry_after_ms: int) -> DomainError:
    seconds = max(1, -(-retry_after_ms // 1000))
    return DomainError(
        429,
        "answer_rate_limited",
        "Too many answers for now",
        "this sitting has sent more answers than its budget allows; nothing of this "
        f"batch was stored: send it again in {seconds} s",
        extra={"acked_seq": acked, "retry_after_s": seconds},
        headers={"Retry-After": str(seconds)},
    )


def went_back(events: Sequence[AnswerEvent], seq: int, furthest: int, acked: int) -> DomainError:
    item = next(e.item for e in events if e.seq == seq)
    return DomainError(
        409,
        "navigation_linear",
        "This exam does not go back",
        f"event seq {seq} answers item {item}, which comes before the furthest question this "
        f"sitting has reached (number {furthest + 1}); nothing of this batch was stored",
        extra={"seq": seq, "item": item, "furthest": furthest, "acked_seq": acked},
    )
