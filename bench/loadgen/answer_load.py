"""Students sending answer batches as fast as they are acknowledged, each batch sent again
until it is (as the student page does, sooner): what the failover test and bench run while a
Redis primary dies. Keeps what a student was told (the highest acknowledged seq) to compare with
what the stores hold afterwards, and every refusal with its time."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx


@dataclass
class Sitting:
    id: str
    headers: dict[str, str]
    items: list[str]
    # the highest seq the server acknowledged: every seq up to it was said to be stored
    acked: int = 0
    # the server acknowledged less than it had before: acknowledged answers were lost, and
    # (the answer script stops at a gap) none of this sitting's later answers can be stored
    went_back: bool = False


@dataclass
class Tally:
    ok: int = 0
    refusals: Counter[str] = field(default_factory=Counter)
    # (monotonic time, code) of each refusal or transport error
    refused_at: list[tuple[float, str]] = field(default_factory=list)
    latencies_ms: list[float] = field(default_factory=list)
    # 503s that did not say when to send again (every one should: engine/problems.py)
    unavailable_without_retry_after: int = 0

    def refuse(self, code: str) -> None:
        self.refusals[code] += 1
        self.refused_at.append((time.monotonic(), code))

    def unavailable_s(self) -> float:
        """From the first refusal to the last: how long answers were not acknowledged."""
        if not self.refused_at:
            return 0.0
        return self.refused_at[-1][0] - self.refused_at[0][0]


def batch(sitting: Sitting, size: int) -> list[dict[str, Any]]:
    first = sitting.acked + 1
    return [
        {
            "seq": seq,
            "item": sitting.items[seq % len(sitting.items)],
            "response": {"kind": "single_choice", "choice": "abc"[seq % 3]},
            "client_ts": seq,
        }
        for seq in range(first, first + size)
    ]


async def answer_until(
    client: httpx.AsyncClient,
    sitting: Sitting,
    tally: Tally,
    stop: asyncio.Event,
    *,
    size: int = 2,
    retry_s: float = 0.05,
    pause_s: float = 0.0,
) -> None:
    """Send batches until ``stop``, ``pause_s`` apart; a refused batch goes again after
    ``retry_s``, the same events (the answer script is idempotent on seq)."""
    while not stop.is_set() and not sitting.went_back:
        events = batch(sitting, size)
        started = time.perf_counter()
        try:
            r = await client.post(
                f"/v1/sittings/{sitting.id}/answers",
                json={"events": events},
                headers=sitting.headers,
            )
        except httpx.TransportError as err:  # a served app restarting: the connection drops
            tally.refuse(type(err).__name__)
            await asyncio.sleep(retry_s)
            continue
        if r.status_code == 200:
            acked = int(r.json()["acked_seq"])
            tally.ok += 1
            tally.latencies_ms.append((time.perf_counter() - started) * 1000)
            if acked < sitting.acked:
                sitting.went_back = True
            sitting.acked = max(sitting.acked, acked)
            if pause_s:
                await asyncio.sleep(pause_s)
            continue
        try:
            code = str(r.json().get("code", r.status_code))
        except ValueError:
            code = str(r.status_code)
        tally.refuse(code)
        if r.status_code == 503 and "retry-after" not in r.headers:
            tally.unavailable_without_retry_after += 1
        await asyncio.sleep(retry_s)
