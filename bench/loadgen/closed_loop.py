"""Closed-loop drivers for the benchmarks: C concurrent callers, each sending its next request
as soon as the previous one is answered, for a fixed time. Throughput at a concurrency whose
p99 stays under the target is the figure WORKLOAD.md asks for."""

from __future__ import annotations

import asyncio
import itertools
import random
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from .client import Api
from .stats import Stats
from .student import Ledger
from .workload import Event, paper_items, response_for


@dataclass
class Sitting:
    id: str
    token: str
    items: list[dict[str, Any]]
    session: str = field(default_factory=lambda: uuid.uuid4().hex)
    telemetry_seq: int = 0


async def start_students(
    api: Api,
    exam_id: str,
    names: list[str],
    password: str,
    concurrency: int,
    *,
    cards: list[str] | None = None,
) -> tuple[list[Sitting], float]:
    """The start burst: sign in, start, paper for every name (or, given ``cards``, for every
    exam card: the sign-in a national exam day uses); returns sittings and seconds."""
    sign_ins: list[tuple[str, str, dict[str, str]]] = (
        [("sign_in_card", "/v1/auth/card", {"code": code}) for code in cards]
        if cards is not None
        else [
            ("sign_in", "/v1/auth/token", {"username": name, "password": password})
            for name in names
        ]
    )
    queue = iter(sign_ins)
    sittings: list[Sitting] = []

    async def worker() -> None:
        for endpoint, path, body in queue:
            reply = await api.call(endpoint, "POST", path, body=body)
            if not reply.ok:
                continue
            token = reply.json()["access_token"]
            reply = await api.call("start", "POST", f"/v1/exams/{exam_id}/sittings", token=token)
            if not reply.ok:
                continue
            sitting_id = reply.json()["id"]
            reply = await api.call("paper", "GET", f"/v1/sittings/{sitting_id}/paper", token=token)
            if reply.ok:
                sittings.append(Sitting(sitting_id, token, paper_items(reply.json())))

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return sittings, time.perf_counter() - started


Step = Callable[[Api, Sitting], Awaitable[None]]


async def drive(
    api: Api, sittings: list[Sitting], step: Step, *, concurrency: int, seconds: float
) -> float:
    """Run ``step`` on the sittings from ``concurrency`` callers for ``seconds``; each caller
    owns its own sittings, so one sitting never has two requests in flight."""
    stop_at = time.perf_counter() + seconds
    owned = [sittings[i::concurrency] for i in range(concurrency)]

    async def caller(mine: list[Sitting]) -> None:
        for sitting in itertools.cycle(mine):
            if time.perf_counter() >= stop_at:
                return
            await step(api, sitting)

    started = time.perf_counter()
    await asyncio.gather(*(caller(m) for m in owned if m))
    return time.perf_counter() - started


@dataclass
class AnswerSteps:
    """Answer batches (``batch`` events each) with the seqs each sitting expects next, and the
    same bodies sent to the HTTP floor; acknowledgements go into ``ledger``."""

    ledger: Ledger
    batch: int = 3
    rng: random.Random = field(default_factory=lambda: random.Random(7))

    def _body(self, sitting: Sitting, record: bool) -> dict[str, Any]:
        events = self.ledger.events.setdefault(sitting.id, [])
        self.ledger.acked.setdefault(sitting.id, 0)
        start = self.ledger.acked[sitting.id]
        while len(events) < start + self.batch:
            item = sitting.items[len(events) % len(sitting.items)]
            events.append(Event(len(events) + 1, item["id"], response_for(item, self.rng)))
        batch = events[start : start + self.batch]
        if not record:  # the floor stores nothing: forget what was planned for it
            del events[start:]
        return {"events": batch}

    async def answers(self, api: Api, sitting: Sitting, telemetry: bool = False) -> None:
        body = self._body(sitting, True)
        if telemetry:
            body["telemetry"] = telemetry_batch(sitting)
        reply = await api.call(
            "answers",
            "POST",
            f"/v1/sittings/{sitting.id}/answers",
            token=sitting.token,
            body=body,
        )
        if reply.ok:
            acked = int(reply.json()["acked_seq"])
            api.stats.answers_acked += max(0, acked - self.ledger.acked[sitting.id])
            self.ledger.acked[sitting.id] = max(acked, self.ledger.acked[sitting.id])

    async def floor(self, api: Api, sitting: Sitting) -> None:
        await api.call(
            "floor", "POST", "/bench/floor", token=sitting.token, body=self._body(sitting, False)
        )


def telemetry_batch(sitting: Sitting) -> dict[str, Any]:
    """The page's pending telemetry as it goes every 30 s: its heartbeat event."""
    sitting.telemetry_seq += 1
    now = int(time.time() * 1000)
    return {
        "session": sitting.session,
        "batch_seq": sitting.telemetry_seq,
        "sent_at": now,
        "events": [{"type": "heartbeat", "ts": now}],
    }


def mixed_step(answers: AnswerSteps, weights: dict[str, float]) -> Step:
    """A steady-state mix by weight. The page's (workload.conversation_mix): ``answers``,
    ``answers_telemetry``, ``heartbeat``, ``heartbeat_telemetry``; the page's before the
    heartbeat (WORKLOAD.md's): ``answers``, ``telemetry``, ``timer``."""
    kinds, cum = list(weights), list(itertools.accumulate(weights.values()))
    rng = random.Random(11)

    async def step(api: Api, sitting: Sitting) -> None:
        kind = rng.choices(kinds, cum_weights=cum)[0]
        path = f"/v1/sittings/{sitting.id}/"
        if kind.startswith("answers"):
            await answers.answers(api, sitting, telemetry=kind.endswith("_telemetry"))
        elif kind.startswith("heartbeat"):
            body = {"telemetry": telemetry_batch(sitting)} if kind.endswith("_telemetry") else {}
            await api.call("heartbeat", "POST", path + "heartbeat", token=sitting.token, body=body)
        elif kind == "timer":
            await api.call("timer", "GET", path + "timer", token=sitting.token)
        else:
            await api.call(
                "telemetry",
                "POST",
                path + "telemetry",
                token=sitting.token,
                body=telemetry_batch(sitting),
            )

    return step


def fresh_stats(api: Api) -> Stats:
    api.stats = Stats()
    return api.stats
