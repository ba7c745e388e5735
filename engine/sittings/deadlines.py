"""Deadline arithmetic in milliseconds of the Redis clock.

``lua/start.lua`` and ``lua/answer.lua`` apply the same rules atomically inside Redis; the
integration tests check that the two agree.
"""

from __future__ import annotations

from typing import Literal

WindowState = Literal["not_open", "open", "closed"]


def window_state(now_ms: int, open_ms: int, close_ms: int) -> WindowState:
    if now_ms < open_ms:
        return "not_open"
    return "open" if now_ms < close_ms else "closed"


def deadline_ms(started_ms: int, limit_ms: int, extra_ms: int, window_close_ms: int) -> int:
    """The earlier of the student's own time (limit + extra time) and the window's close."""
    return min(started_ms + limit_ms + extra_ms, window_close_ms)


def remaining_ms(deadline: int, now_ms: int) -> int:
    return max(0, deadline - now_ms)


def accepts_answers(now_ms: int, deadline: int, grace_ms: int) -> bool:
    """Answers sent up to the grace period after the deadline are still stored: a phone on a
    slow network sends its last batch a little late."""
    return now_ms <= deadline + grace_ms


def due_for_sweep(now_ms: int, deadline: int, grace_ms: int) -> bool:
    return now_ms >= deadline + grace_ms
