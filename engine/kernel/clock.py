"""The time for the rules that run in Python (registration cut-offs, token expiry, schedules).

Sitting deadlines are not decided here: Redis ``TIME`` inside the Lua scripts is their one
clock for every pod. A rule that needs a controllable time takes ``now`` as an argument and its
caller passes ``utc_now()``.
"""

from __future__ import annotations

from datetime import UTC, datetime


def utc_now() -> datetime:
    """The system clock, timezone-aware in UTC."""
    return datetime.now(UTC)
