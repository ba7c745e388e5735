"""Deadline arithmetic, as pure functions."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from engine.sittings.deadlines import (
    accepts_answers,
    deadline_ms,
    due_for_sweep,
    remaining_ms,
    window_state,
)

ms = st.integers(min_value=0, max_value=2**42)
durations = st.integers(min_value=0, max_value=24 * 3600 * 1000)


def test_time_limit_within_the_window() -> None:
    assert deadline_ms(1_000, 3_600_000, 0, 10_000_000) == 3_601_000


def test_window_close_cuts_the_time_limit() -> None:
    assert deadline_ms(1_000, 3_600_000, 0, 2_000_000) == 2_000_000


def test_extra_time_extends_but_not_past_the_window() -> None:
    assert deadline_ms(0, 3_600_000, 900_000, 10_000_000) == 4_500_000
    assert deadline_ms(0, 3_600_000, 900_000, 4_000_000) == 4_000_000


@given(ms, durations, durations, ms)
def test_deadline_never_after_close_nor_limit(
    start: int, limit: int, extra: int, close: int
) -> None:
    d = deadline_ms(start, limit, extra, close)
    assert d <= close and d <= start + limit + extra
    assert d in (close, start + limit + extra)


@given(ms, ms)
def test_remaining_is_never_negative(deadline: int, now: int) -> None:
    r = remaining_ms(deadline, now)
    assert r >= 0 and (r == 0 or r == deadline - now)


@given(ms, ms, durations)
def test_grace_accepts_until_sweep_is_due(now: int, deadline: int, grace: int) -> None:
    # the sweeper only submits once answers are no longer accepted (or exactly at the edge)
    if not accepts_answers(now, deadline, grace):
        assert due_for_sweep(now, deadline, grace)
    if now < deadline + grace:
        assert accepts_answers(now, deadline, grace) and not due_for_sweep(now, deadline, grace)


def test_window_states() -> None:
    assert window_state(5, 10, 20) == "not_open"
    assert window_state(10, 10, 20) == "open"
    assert window_state(19, 10, 20) == "open"
    assert window_state(20, 10, 20) == "closed"
