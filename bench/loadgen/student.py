"""One simulated student: sign in, start, paper, then what the student page really sends
(engine/web/static/student.js): answer batches with think times, and a heartbeat 30 s after the
page's last request, both carrying the page's pending telemetry and bringing back the clock
(workload.page_conversation); then submit. Sequential, as one page is.

``Scenario(conversation="legacy")`` sends the conversation of the page before the heartbeat
instead (a telemetry request every 30 s and a timer sync every 60 s beside the answer
batches), for comparison."""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import msgspec

from .client import Api, Reply
from .workload import (
    BEAT_S,
    TICK_S,
    Event,
    answer_times,
    batches,
    page_conversation,
    paper_items,
    plan_events,
)


@dataclass
class Scenario:
    """Timings of a run. WORKLOAD.md's 180-minute exam compressed into ``answer_window_s``:
    think times and the page's heartbeat (or, legacy, its telemetry and timer syncs) shrink by
    the same factor, so the request mix is the page's real one."""

    answer_window_s: float = 60.0
    ramp_s: float = 5.0  # the start burst: every student signs in within this many seconds
    telemetry: bool = False  # on when the server has the telemetry endpoint
    # "page": answer batches and heartbeats carrying telemetry (the page's conversation);
    # "legacy": answer batches, telemetry requests and timer syncs (the page before it)
    conversation: str = "page"
    submit: bool = True
    give_up_s: float = 60.0  # retry a failing call for at most this long
    exam_s: float = 180 * 60.0
    # the server limits telemetry per page and sitting in real time, so a compressed run queues
    # telemetry no more often than this (the requests themselves keep the page's cadence)
    telemetry_floor_s: float = 1.0

    @property
    def scale(self) -> float:
        return self.answer_window_s / self.exam_s


@dataclass
class Ledger:
    """What each sitting was sent and how far it was acknowledged: the integrity check's input."""

    events: dict[str, list[Event]] = field(default_factory=dict)
    acked: dict[str, int] = field(default_factory=dict)
    students_done: int = 0
    students_failed: int = 0
    failures: list[str] = field(default_factory=list)


class StudentFailed(Exception):
    pass


async def call_retrying(
    api: Api,
    give_up_at: float,
    endpoint: str,
    method: str,
    path: str,
    retry_429: bool = True,
    **kwargs: Any,
) -> Reply:
    """Retry what a page retries (no reply, 5xx, 429) with capped backoff."""
    delay = 0.1
    while True:
        reply = await api.call(endpoint, method, path, **kwargs)
        if (
            not reply.retryable
            or time.monotonic() > give_up_at
            or (reply.status == 429 and not retry_429)
        ):
            return reply
        await asyncio.sleep(delay * (0.5 + random.random()))
        delay = min(delay * 2, 2.0)


async def _must(
    api: Api, give_up_at: float, endpoint: str, method: str, path: str, **kwargs: Any
) -> Any:
    reply = await call_retrying(api, give_up_at, endpoint, method, path, **kwargs)
    if not reply.ok:
        raise StudentFailed(f"{endpoint}: {reply.error or reply.status}")
    return reply.json()


def _telemetry(session: str, batch_seq: int) -> dict[str, Any]:
    now = int(time.time() * 1000)
    return {
        "session": session,
        "batch_seq": batch_seq,
        "sent_at": now,
        "events": [{"type": "heartbeat", "ts": now}],
    }


def part_refused(reply: Reply) -> bool:
    """The request's telemetry part was refused for good (engine/integrity/conversation.py):
    the page drops it and sends the rest again."""
    if reply.status not in (400, 413, 429):
        return False
    try:
        extra = reply.json().get("extra") or {}
    except (ValueError, AttributeError):
        return False
    return bool(extra.get("part") == "telemetry")


async def send_answers(
    api: Api,
    ledger: Ledger,
    sitting: str,
    token: str,
    upto: int,
    give_up_at: float,
    max_events: int = 50,
    telemetry: dict[str, Any] | None = None,
) -> bool:
    """Send everything after the acknowledged seq up to ``upto``, the first batch carrying
    ``telemetry``; False when the sitting refuses answers for good (time up, submitted)."""
    path = f"/v1/sittings/{sitting}/answers"
    events = ledger.events[sitting]
    while ledger.acked[sitting] < upto:
        start = ledger.acked[sitting]
        batch = events[start : min(upto, start + max_events)]
        body: dict[str, Any] = {"events": batch}
        if telemetry is not None:
            body["telemetry"] = telemetry
        reply = await call_retrying(
            api,
            give_up_at,
            "answers",
            "POST",
            path,
            token=token,
            body=body,
            retry_429=telemetry is None,
        )
        if not reply.ok:
            if telemetry is not None and part_refused(reply):
                telemetry = None  # dropped, as the page drops it; the answers go again
                continue
            if reply.status == 429 and time.monotonic() < give_up_at:
                await asyncio.sleep(0.2)  # over the answer budget: the same batch again
                continue
            if reply.retryable:
                raise StudentFailed(f"answers: gave up after {reply.error}")
            return False
        telemetry = None
        acked = int(reply.json()["acked_seq"])
        if acked < start + 1:
            raise StudentFailed(f"answers: acked_seq {acked} did not advance past {start}")
        api.stats.answers_acked += acked - ledger.acked[sitting]
        ledger.acked[sitting] = acked
    return True


async def run_student(
    api: Api,
    exam_id: str,
    username: str,
    password: str,
    scenario: Scenario,
    ledger: Ledger,
    rng: random.Random,
) -> None:
    await asyncio.sleep(rng.uniform(0, scenario.ramp_s))
    give_up = scenario.give_up_s
    started = time.monotonic()
    token = (
        await _must(
            api,
            started + give_up,
            "sign_in",
            "POST",
            "/v1/auth/token",
            body={"username": username, "password": password},
        )
    )["access_token"]
    sitting = (
        await _must(
            api,
            time.monotonic() + give_up,
            "start",
            "POST",
            f"/v1/exams/{exam_id}/sittings",
            token=token,
        )
    )["id"]
    paper = await _must(
        api,
        time.monotonic() + give_up,
        "paper",
        "GET",
        f"/v1/sittings/{sitting}/paper",
        token=token,
    )
    events = plan_events(paper_items(paper), rng)
    # a resumed sitting (a second run with the same students) continues after its last seq
    offset = int(paper.get("last_seq", 0))
    events = [msgspec.structs.replace(e, seq=e.seq + offset) for e in events]
    ledger.events[sitting] = [Event(0, "", None)] * offset + events
    ledger.acked[sitting] = offset
    plan = _schedule(batches(events, rng), scenario, rng)
    t0 = time.monotonic()
    session, telemetry_seq = uuid.uuid4().hex, 0
    for at, kind, upto, carries in plan:
        delay = t0 + at - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        give_up_at = time.monotonic() + give_up
        telemetry = None
        if carries and scenario.telemetry:
            telemetry_seq += 1
            telemetry = _telemetry(session, telemetry_seq)
        if kind == "answers":
            if not await send_answers(
                api, ledger, sitting, token, upto + offset, give_up_at, telemetry=telemetry
            ):
                break
        elif kind == "heartbeat":
            # a refused telemetry part (429: over the page's rate) is dropped, not retried
            reply = await call_retrying(
                api,
                give_up_at,
                "heartbeat",
                "POST",
                f"/v1/sittings/{sitting}/heartbeat",
                token=token,
                body={} if telemetry is None else {"telemetry": telemetry},
                retry_429=False,
            )
            if reply.ok and reply.json()["state"] == "submitted":
                break
        elif kind == "timer":
            await call_retrying(
                api, give_up_at, "timer", "GET", f"/v1/sittings/{sitting}/timer", token=token
            )
        else:
            telemetry_seq += 1
            # a page drops a refused telemetry batch (429: over its rate) rather than retry it
            await call_retrying(
                api,
                give_up_at,
                "telemetry",
                "POST",
                f"/v1/sittings/{sitting}/telemetry",
                token=token,
                body=_telemetry(session, telemetry_seq),
                retry_429=False,
            )
    if scenario.submit:
        await _must(
            api,
            time.monotonic() + give_up,
            "submit",
            "POST",
            f"/v1/sittings/{sitting}/submit",
            token=token,
        )


def _schedule(
    answer_batches: list[list[Event]], scenario: Scenario, rng: random.Random
) -> list[tuple[float, str, int, bool]]:
    """(seconds from the paper, kind, last seq to send, carries telemetry) for every request
    of the sitting after its paper."""
    window = scenario.answer_window_s
    answers = answer_times(len(answer_batches), window, rng, [b[-1].seq for b in answer_batches])
    if scenario.conversation == "page":
        tick = max(TICK_S * scenario.scale, scenario.telemetry_floor_s)
        page = page_conversation(answers, window, BEAT_S * scenario.scale, tick)
        return [(r.at, r.kind, r.upto, r.telemetry) for r in page]
    actions: list[tuple[float, str, int, bool]] = [
        (at, "answers", upto, False) for at, upto in answers
    ]
    timer_every = 60 * scenario.scale
    telemetry_every = max(30 * scenario.scale, scenario.telemetry_floor_s)
    t = timer_every
    while t < window:
        actions.append((t, "timer", 0, False))
        t += timer_every
    if scenario.telemetry:
        t = telemetry_every
        while t < window:
            actions.append((t, "telemetry", 0, False))
            t += telemetry_every
    actions.sort(key=lambda a: a[0])
    return actions
