"""Printable and importable exports, pure: iCalendar (.ics) with the ``icalendar`` library, and
CSV (room lists, exam cards) with the standard ``csv`` module."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

import icalendar
import msgspec

from engine.scheduling.allocator import seat_label as seat_label  # the room list's seats
from engine.spreadsheet_cells import escape_row

PRODID = "-//Ujian//Exam schedule//EN"
ICS_MEDIA_TYPE = "text/calendar; charset=utf-8"
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"


class CalendarEntry(msgspec.Struct, frozen=True):
    uid: str
    summary: str
    starts_at: datetime
    ends_at: datetime
    location: str
    description: str


def ics(entries: Iterable[CalendarEntry], name: str, stamp: datetime | None = None) -> bytes:
    """One VEVENT per entry, times in UTC (every calendar shows them in its own zone, so a
    parent in WIT and a school in WIB read the same instant correctly)."""
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    now = (stamp or datetime.now(UTC)).astimezone(UTC)
    for entry in entries:
        event = icalendar.Event()
        event.add("uid", entry.uid)
        event.add("dtstamp", now)
        event.add("dtstart", entry.starts_at.astimezone(UTC))
        event.add("dtend", entry.ends_at.astimezone(UTC))
        event.add("summary", entry.summary)
        if entry.location:
            event.add("location", entry.location)
        if entry.description:
            event.add("description", entry.description)
        cal.add_component(event)
    body: bytes = cal.to_ical()
    return body


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    """UTF-8 with a byte-order mark, so spreadsheet programs read names with accents right;
    every cell escaped against CSV injection (names, rooms and titles are typed by people)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(escape_row(r) for r in rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def form_letter(position: int | None) -> str:
    return "" if position is None else chr(ord("A") + position)
