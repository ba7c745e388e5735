"""Time zones: UTC instants shown in WIB, WITA and WIT around their boundaries, and a session
crossing midnight."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.scheduling import zones

JAKARTA, MAKASSAR, JAYAPURA = "Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"


def test_one_instant_reads_differently_in_each_indonesian_zone() -> None:
    at = datetime(2025, 3, 1, 0, 30, tzinfo=UTC)
    assert zones.local_text(at, JAKARTA) == "2025-03-01 07:30 WIB"
    assert zones.local_text(at, MAKASSAR) == "2025-03-01 08:30 WITA"
    assert zones.local_text(at, JAYAPURA) == "2025-03-01 09:30 WIT"


def test_the_same_utc_instant_can_be_two_calendar_dates() -> None:
    # 16:30 UTC is 23:30 WIB on the 1st, but 00:30 WITA and 01:30 WIT on the 2nd
    at = datetime(2025, 3, 1, 16, 30, tzinfo=UTC)
    assert zones.local_date(at, JAKARTA) == "2025-03-01"
    assert zones.local_date(at, MAKASSAR) == "2025-03-02"
    assert zones.local_date(at, JAYAPURA) == "2025-03-02"


def test_wib_midnight_is_seventeen_hundred_utc_the_day_before() -> None:
    wib_midnight = datetime(2025, 3, 2, 0, 0, tzinfo=zones.zone(JAKARTA))
    assert zones.to_utc(wib_midnight) == datetime(2025, 3, 1, 17, 0, tzinfo=UTC)
    just_before = wib_midnight - timedelta(microseconds=1)
    assert zones.local_date(just_before, JAKARTA) == "2025-03-01"
    assert zones.local_date(wib_midnight, JAKARTA) == "2025-03-02"


def test_a_session_crossing_midnight_says_plus_one_day_only_where_it_does() -> None:
    # 15:30–17:30 UTC: 22:30–00:30 WIB (crosses), 23:30–01:30 WITA (crosses), 00:30–02:30 WIT
    starts = datetime(2025, 3, 1, 15, 30, tzinfo=UTC)
    ends = starts + timedelta(hours=2)
    assert zones.local_span(starts, ends, JAKARTA) == "2025-03-01 22:30–00:30 WIB (+1 day)"
    assert zones.local_span(starts, ends, MAKASSAR) == "2025-03-01 23:30–01:30 WITA (+1 day)"
    assert zones.local_span(starts, ends, JAYAPURA) == "2025-03-02 00:30–02:30 WIT"


def test_offsets_given_in_any_zone_are_the_same_instant() -> None:
    wita = datetime(2025, 3, 1, 8, 0, tzinfo=timezone(timedelta(hours=8)))
    assert zones.to_utc(wita) == datetime(2025, 3, 1, 0, 0, tzinfo=UTC)
    assert zones.local_text(wita, JAKARTA) == "2025-03-01 07:00 WIB"


def test_unknown_and_unsafe_zone_names_are_refused() -> None:
    for bad in ("", "Mars/Olympus", "../etc/passwd", "/etc/localtime", "WIB"):
        with pytest.raises(zones.UnknownZone):
            zones.zone(bad)


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        zones.local_text(datetime(2025, 3, 1, 7, 0), JAKARTA)


def test_other_zones_show_their_own_abbreviation() -> None:
    at = datetime(2025, 7, 1, 12, 0, tzinfo=UTC)
    assert zones.local_text(at, "Europe/Amsterdam") == "2025-07-01 14:00 CEST"


@given(
    st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
    )
)
def test_indonesian_zones_are_fixed_offsets_seven_eight_nine(at: datetime) -> None:
    for name, hours in ((JAKARTA, 7), (MAKASSAR, 8), (JAYAPURA, 9)):
        local = zones.local(at, name)
        assert local.utcoffset() == timedelta(hours=hours)
        assert local.replace(tzinfo=None) - at.replace(tzinfo=None) == timedelta(hours=hours)
