"""Waiting for a condition, never for a guessed time: a test's outcome must not depend on how
fast the machine is, only how long it waits."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Callable


async def poll_until(
    check: Callable[[], object], deadline_s: float, every_s: float = 0.02
) -> float:
    """Await ``check()`` until it is true; returns the seconds it took, or fails at the
    deadline."""
    started = time.monotonic()
    while True:
        outcome = check()
        if inspect.isawaitable(outcome):
            outcome = await outcome
        if outcome:
            return time.monotonic() - started
        if time.monotonic() - started > deadline_s:
            raise AssertionError(f"not so within {deadline_s} s")
        await asyncio.sleep(every_s)


async def idle_at_least(redis: object, stream: str | bytes, group: str, idle_ms: int) -> bool:
    """Every pending entry of the group has been idle for ``idle_ms`` (so XAUTOCLAIM takes it)."""
    pending = await redis.xpending_range(stream, group, min="-", max="+", count=1000)  # type: ignore[attr-defined]
    return bool(pending) and all(p["time_since_delivered"] >= idle_ms for p in pending)


async def past_deadline_and_grace(store: object, sitting_id: object, limit_s: float = 60) -> None:
    """Wait until Redis's clock (the one the sitting scripts read) is past the sitting's
    deadline plus grace: the condition itself, not a guessed margin on this machine's clock."""
    from engine.redis_adapter.clock import server_now_ms

    deadline, grace = await store.session_fields(sitting_id, "deadline", "grace")  # type: ignore[attr-defined]
    end_ms = int(deadline) + int(grace or 0)

    async def past() -> bool:
        return await server_now_ms(store.redis) > end_ms  # type: ignore[attr-defined]

    await poll_until(past, limit_s, every_s=0.05)
