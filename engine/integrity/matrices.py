"""Finished sittings and their answer events → the arrays ``proctoring.forensics.analyse_exam``
takes.

Single-choice items only (the similarity indices are defined over options). Option indices
follow the item's authored option order, so the key has its true index and n_options is the
paper's. Times follow the analytics definition: the gap before each answer event (from the
previous event, or the start), summed per item — measured on the page's clock between two
events (answers travel in batches, so server arrival times bunch up), on the server's from the
start; ``answered_at`` is the final answer's server
time; ``changed`` marks an item whose answer was replaced by a different one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from engine.integrity.models import AnswerEvent, FinishedSitting
from engine.scheduling.allocator import seat_label
from proctoring.similarity import subnet_of


@dataclass
class ExamArrays:
    sittings: list[str]
    items: list[str]
    responses: np.ndarray  # int64, -1 omitted
    key: np.ndarray
    n_options: int
    times: np.ndarray  # seconds, NaN unanswered
    answered_at: np.ndarray  # epoch seconds of the final answer, NaN unanswered
    changed: np.ndarray  # bool
    blocks: dict[str, np.ndarray]
    options: dict[str, list[str]]  # item -> option ids by index (to show evidence as ids)
    seats: np.ndarray | None = None  # (row, column) of the allocated seat, NaN unknown
    # (seat label, room name) of the allocated seat, as the room list prints them; None unknown
    places: list[tuple[str, str] | None] | None = None


def labels(values: Sequence[object | None]) -> np.ndarray:
    """Integer labels for equal values; -1 for unknown (never blocks a pair)."""
    index: dict[object, int] = {}
    return np.array(
        [-1 if v is None else index.setdefault(v, len(index)) for v in values], dtype=np.int64
    )


def subnet_or_none(ip: str | None) -> str | None:
    try:
        return subnet_of(ip) if ip else None
    except ValueError:
        return None


def assemble(
    options: dict[str, list[str]],
    correct: dict[str, str],
    sittings: Sequence[FinishedSitting],
    answers: Sequence[AnswerEvent],
    ips: dict[str, str],
) -> ExamArrays | None:
    """options/correct: per single-choice item; answers ordered by sitting and seq; ips: the
    first address each sitting was seen from."""
    items = sorted(i for i in correct if i in options and correct[i] in options[i])
    ids = [str(s.id) for s in sittings]
    if len(items) < 2 or len(ids) < 2:
        return None
    col = {i: n for n, i in enumerate(items)}
    row = {s: n for n, s in enumerate(ids)}
    opt_index = {i: {o: k for k, o in enumerate(options[i])} for i in items}
    shape = (len(ids), len(items))
    responses = np.full(shape, -1, dtype=np.int64)
    times = np.full(shape, np.nan)
    answered_at = np.full(shape, np.nan)
    changed = np.zeros(shape, dtype=bool)
    started: dict[str, datetime | None] = {str(s.id): s.started_at for s in sittings}
    prev_sitting, prev_ts, prev_client = None, None, 0
    for a in answers:
        sid = str(a.sitting_id)
        ts: datetime = a.server_ts
        client = int(a.client_ts or 0)
        if sid != prev_sitting:
            prev_sitting, prev_ts, prev_client = sid, started.get(sid), 0
        if client > 0 and prev_client > 0:
            gap = max(0.0, (client - prev_client) / 1000.0)
        else:
            gap = max(0.0, (ts - prev_ts).total_seconds()) if prev_ts is not None else np.nan
        prev_ts, prev_client = ts, client
        r, c = row.get(sid), col.get(a.item_id)
        if r is None or c is None:
            continue
        response = a.response
        choice = response.get("choice") if isinstance(response, dict) else None
        k = opt_index[items[c]].get(choice, -1) if isinstance(choice, str) else -1
        if responses[r, c] >= 0 and k != responses[r, c]:
            changed[r, c] = True
        responses[r, c] = k
        times[r, c] = gap if np.isnan(times[r, c]) else times[r, c] + gap
        answered_at[r, c] = ts.timestamp() if k >= 0 else np.nan
    key = np.array([opt_index[i][correct[i]] for i in items], dtype=np.int64)
    n_options = max(2, *(len(options[i]) for i in items))
    times = np.where(responses >= 0, np.maximum(times, 0.5), np.nan)  # a 0 s gap is a batch
    # the room a sitting was seated in, where the allocator seated it, in its session (one
    # form may be sat in the same lab in the morning and again in the afternoon: those are
    # not in the room together, nor neighbours); else its class's
    rooms = [("seat", s.seat_session, s.seat_room) if s.seat_room else s.class_id for s in sittings]
    seats = np.full((len(ids), 2), np.nan)
    places: list[tuple[str, str] | None] = [None] * len(ids)
    for n, s in enumerate(sittings):
        seat, columns = s.seat, s.seat_columns
        if seat is not None and columns:
            seats[n] = divmod(int(seat) - 1, int(columns))  # 1-based, reading order
            places[n] = (seat_label(int(seat), int(columns)), s.seat_room_name or "")
    blocks = {
        "school": labels([s.org_id for s in sittings]),
        "room": labels(rooms),
        "ip": labels([ips.get(s) for s in ids]),
        "subnet": labels([subnet_or_none(ips.get(s)) for s in ids]),
    }
    return ExamArrays(
        ids,
        items,
        responses,
        key,
        n_options,
        times,
        answered_at,
        changed,
        blocks,
        {i: options[i] for i in items},
        seats,
        places,
    )
