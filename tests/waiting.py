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
