"""Instants are stored in UTC; people read them in their school's IANA time zone.

Indonesia has three zones without daylight saving: WIB (Asia/Jakarta, UTC+7), WITA
(Asia/Makassar, UTC+8) and WIT (Asia/Jayapura, UTC+9). Other IANA zones are accepted (an
international school, a test), shown with their own abbreviation. ``tzdata`` is a dependency so
this works on machines without the system's zone files.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# Python's zone data spells these as offsets ("+07"); schools and parents know the names
INDONESIAN_ABBREVIATIONS = {
    "Asia/Jakarta": "WIB",
    "Asia/Pontianak": "WIB",
    "Asia/Makassar": "WITA",
    "Asia/Jayapura": "WIT",
}


class UnknownZone(ValueError):
    pass


@lru_cache(maxsize=64)
def zone(name: str) -> ZoneInfo:
    """The zone named ``name``; ``UnknownZone`` for anything that is not an IANA key."""
    if not name or name.startswith(("/", ".")) or ".." in name:
        raise UnknownZone(name)
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as err:
        raise UnknownZone(name) from err


def abbreviation(name: str, at: datetime) -> str:
    known = INDONESIAN_ABBREVIATIONS.get(name)
    if known:
        return known
    return at.astimezone(zone(name)).tzname() or name


def local(at: datetime, name: str) -> datetime:
    if at.tzinfo is None:
        raise ValueError("naive datetime: instants must carry their offset")
    return at.astimezone(zone(name))


def local_text(at: datetime, name: str) -> str:
    """``2025-03-01 07:30 WIB``: what an exam card and a timetable print."""
    return f"{local(at, name):%Y-%m-%d %H:%M} {abbreviation(name, at)}"


def local_span(starts: datetime, ends: datetime, name: str) -> str:
    """``2025-03-01 22:30–00:30 WIT (+1 day)``: a session that crosses midnight says so."""
    start, end = local(starts, name), local(ends, name)
    days = (end.date() - start.date()).days
    tail = f" (+{days} day{'s' if days > 1 else ''})" if days else ""
    return f"{start:%Y-%m-%d %H:%M}–{end:%H:%M} {abbreviation(name, starts)}{tail}"


def local_date(at: datetime, name: str) -> str:
    """The school's calendar date of an instant (a WIB morning can be a UTC evening)."""
    return local(at, name).date().isoformat()


def to_utc(at: datetime) -> datetime:
    if at.tzinfo is None:
        raise ValueError("naive datetime: instants must carry their offset")
    return at.astimezone(UTC)
