"""The datetimes the API accepts: with a time zone, between 2000 and 2100, windows that close
after they open and last at most a year.

Declared once and used by every request Struct that carries a datetime (exams, overrides,
scheduling events and sessions). WHY: a naive datetime cannot be compared with an aware one
(a 500 when one window end had an offset and the other not), and an exam window from year 1 to
9999 was stored and then broke every later step that adds a grace period or a margin to it
(datetime overflow at start and at card sign-in). Refusing such values where they enter keeps
the stored data within what the arithmetic downstream can hold.

The checks raise ``ValueError``: called from a Struct's ``__post_init__``, msgspec turns that
into a decoding error, which the API answers ``400 validation_failed`` with the message (which
names the field) in ``errors``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

import msgspec

EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)
# an exam window (or a scheduling session) longer than this is a typo, not a plan
MAX_WINDOW = timedelta(days=366)

# a datetime with its offset (e.g. 2025-03-01T07:30:00+07:00 or ...Z); one without is refused
AwareDatetime = Annotated[
    datetime,
    msgspec.Meta(
        tz=True,
        description="ISO 8601 with a time zone offset (Z or +07:00), 2000-01-01..2100-01-01",
        examples=["2030-03-01T07:30:00+07:00"],
    ),
]


def check_instant(field: str, value: datetime) -> None:
    """A single datetime of a request: aware, and within the years the service plans for."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{field}: needs a time zone offset (e.g. Z or +07:00)")
    if not EARLIEST <= value < LATEST:
        raise ValueError(f"{field}: must be between {EARLIEST.date()} and {LATEST.date()}")


def check_window(
    open_field: str,
    opens: datetime,
    close_field: str,
    closes: datetime,
    max_length: timedelta = MAX_WINDOW,
) -> None:
    """Two datetimes that make a window: each sane, the close after the open, not too long."""
    check_instant(open_field, opens)
    check_instant(close_field, closes)
    if closes <= opens:
        raise ValueError(f"{close_field}: must be after {open_field}")
    if closes - opens > max_length:
        raise ValueError(f"{close_field}: the window may last at most {max_length.days} days")


def check_optional_window(
    open_field: str,
    opens: datetime | None,
    close_field: str,
    closes: datetime | None,
    max_length: timedelta = MAX_WINDOW,
) -> None:
    """Either end may be left out (an override that moves only one end of the window)."""
    if opens is not None and closes is not None:
        check_window(open_field, opens, close_field, closes, max_length)
    elif opens is not None:
        check_instant(open_field, opens)
    elif closes is not None:
        check_instant(close_field, closes)
