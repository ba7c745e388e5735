"""The WORKLOAD.md exam and what a simulated student does with it.

150 items (120 single choice with 5 options, 15 multiple response, 10 numeric, 5 short text) in
3 sections; each student answers every item once and changes a third of them again (~200
events), in batches of 1–5.
"""

from __future__ import annotations

import random
from typing import Any

import msgspec

OPTION_IDS = "abcde"
EXAM_MINUTES = 180


class Event(msgspec.Struct, frozen=True):
    """One answer event as the page sends it."""

    seq: int
    item: str
    response: dict[str, Any] | None
    client_ts: int = 0


def _options(n: int) -> list[dict[str, str]]:
    return [
        {"id": OPTION_IDS[i], "text": f"Pilihan {OPTION_IDS[i].upper()} nomor {n}"}
        for i in range(5)
    ]


def workload_items() -> list[dict[str, Any]]:
    """The 150 items of the national mock exam, as ``POST /v1/items`` bodies."""
    items: list[dict[str, Any]] = []
    for n in range(120):
        items.append(
            {
                "kind": "single_choice",
                "stem": f"Soal pilihan ganda {n + 1}",
                "options": _options(n),
                "correct": OPTION_IDS[n % 5],
            }
        )
    for n in range(15):
        items.append(
            {
                "kind": "multiple_response",
                "stem": f"Pilih semua yang benar {n + 1}",
                "options": _options(n),
                "correct": ["a", OPTION_IDS[1 + n % 4]],
                "partial_credit": n % 2 == 0,
            }
        )
    for n in range(10):
        items.append(
            {
                "kind": "numeric",
                "stem": f"Hitunglah {n} × 1,5",
                "value": n * 1.5,
                "absolute_tolerance": 0.01,
            }
        )
    for n in range(5):
        items.append(
            {"kind": "short_text", "stem": f"Isian singkat {n + 1}", "accepted": [f"jawaban {n}"]}
        )
    return items


def section_split(item_ids: list[str]) -> list[dict[str, Any]]:
    """Three sections of 60, 50 and 40 items."""
    return [
        {"title": "Penalaran Umum", "items": item_ids[:60]},
        {"title": "Pengetahuan Kuantitatif", "items": item_ids[60:110]},
        {"title": "Literasi", "items": item_ids[110:]},
    ]


def response_for(item: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """A plausible answer to a paper item (as ``GET /paper`` shows it)."""
    match item["kind"]:
        case "single_choice":
            return {"kind": "single_choice", "choice": rng.choice(item["options"])["id"]}
        case "multiple_response":
            picked = rng.sample([o["id"] for o in item["options"]], rng.randint(1, 3))
            return {"kind": "multiple_response", "choices": picked}
        case "numeric":
            return {"kind": "numeric", "value": round(rng.uniform(0, 15), 2)}
        case _:
            return {"kind": "short_text", "text": f"jawaban {rng.randint(0, 9)}"}


def plan_events(
    paper_items: list[dict[str, Any]], rng: random.Random, change_share: float = 1 / 3
) -> list[Event]:
    """Every item once in paper order, then a third of them changed again; seq 1, 2, …"""
    chosen = [(item, response_for(item, rng)) for item in paper_items]
    changed = rng.sample(paper_items, int(len(paper_items) * change_share))
    # a changed answer comes some while after the first one, as a student revisits a section
    for item in changed:
        first = next(k for k, (it, _) in enumerate(chosen) if it is item)
        chosen.insert(rng.randint(first + 1, len(chosen)), (item, response_for(item, rng)))
    return [Event(seq, item["id"], response) for seq, (item, response) in enumerate(chosen, 1)]


def batches(
    events: list[Event], rng: random.Random, low: int = 1, high: int = 5
) -> list[list[Event]]:
    """Split the events into batches of ``low``..``high`` as the page flushes them."""
    out: list[list[Event]] = []
    at = 0
    while at < len(events):
        size = rng.randint(low, high)
        out.append(events[at : at + size])
        at += size
    return out


def paper_items(paper: dict[str, Any]) -> list[dict[str, Any]]:
    return [item for section in paper["sections"] for item in section["items"]]


# The student page's conversation (engine/web/static/student.js, engine/integrity/conversation.py):
# an answer batch when the student changed something, else a heartbeat BEAT_S after the page's
# last request; each carries the telemetry queued since the last request (the page queues its
# own "heartbeat" telemetry event every TICK_S, and a device and a focus event as the paper
# opens), and each brings back the clock. No timer sync, no telemetry request of its own.
BEAT_S = 30.0
TICK_S = 30.0
EXAM_S = EXAM_MINUTES * 60.0


class PageRequest(msgspec.Struct, frozen=True):
    at: float  # seconds from the paper
    kind: str  # "answers" or "heartbeat"
    telemetry: bool  # carries pending telemetry
    upto: int = 0  # answers: the last seq of the batch


def page_conversation(
    answers: list[tuple[float, int]], window: float, beat_s: float = BEAT_S, tick_s: float = TICK_S
) -> list[PageRequest]:
    """What the page sends over ``window`` seconds from its paper, given when its answer
    batches go (seconds from the paper, last seq of the batch; in time order)."""
    out: list[PageRequest] = []
    last, next_tick = 0.0, 0.0  # the paper is the first contact; its events wait from then

    def carries(at: float) -> bool:
        nonlocal next_tick
        if next_tick > at:
            return False
        next_tick += tick_s * (1 + (at - next_tick) // tick_s)
        return True

    for at, upto in [*answers, (window, -1)]:
        while last + beat_s < at or (upto < 0 and last + beat_s <= window):
            last += beat_s
            out.append(PageRequest(last, "heartbeat", carries(last)))
        if upto < 0:
            break
        out.append(PageRequest(at, "answers", carries(at), upto))
        last = at
    return out


def answer_times(
    n_batches: int, window: float, rng: random.Random, uptos: list[int] | None = None
) -> list[tuple[float, int]]:
    """When a student's answer batches go: think times around window / batches, the last seq
    of each batch (``uptos``, else 1, 2, ...)."""
    gap = window / max(1, n_batches)
    at, out = 0.0, []
    for k in range(n_batches):
        at += gap * rng.uniform(0.5, 1.5)  # think time
        out.append((min(at, window), uptos[k] if uptos else k + 1))
    return out


def conversation_mix(students: int = 400, seed: int = 5) -> dict[str, float]:
    """Requests per student over the 180-minute exam, by kind, as the page sends them: the
    steady-state mix of bench_workload.py (and, over EXAM_S, requests per student per
    second). Kinds: ``answers`` and ``heartbeat``, with ``_telemetry`` when they carry some."""
    rng = random.Random(seed)
    counts: dict[str, float] = {}
    for _ in range(students):
        n_events = int(150 * (1 + 1 / 3))  # every item once, a third changed again
        sizes: list[int] = []
        while sum(sizes) < n_events:
            sizes.append(rng.randint(1, 5))
        for request in page_conversation(answer_times(len(sizes), EXAM_S, rng), EXAM_S):
            kind = request.kind + ("_telemetry" if request.telemetry else "")
            counts[kind] = counts.get(kind, 0.0) + 1 / students
    return {kind: round(n, 1) for kind, n in sorted(counts.items())}
