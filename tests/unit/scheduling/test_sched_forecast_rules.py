"""The capacity forecast (WORKLOAD.md rates), registration rules and the exports."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import icalendar
import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.scheduling import exports
from engine.scheduling.forecast import (
    STEADY_RPS_PER_STUDENT,
    Params,
    SessionLoad,
    forecast,
    pods_for,
)
from engine.scheduling.rules import shortfalls, split_seats

T0 = datetime(2025, 3, 1, 0, 30, tzinfo=UTC)


def test_half_a_million_students_in_steady_state_is_35000_rps() -> None:
    result = forecast(
        [SessionLoad("s", "Sesi 1", T0, T0 + timedelta(minutes=180), 500_000)],
        Params(pod_rps=1000, target_utilisation=0.7),
    )
    steady = result.sessions[0].minutes[60]
    assert steady.requests_per_s == pytest.approx(500_000 * STEADY_RPS_PER_STUDENT)
    assert steady.pods == 50  # 35,000 / (1,000 × 0.7)
    assert len(result.sessions[0].minutes) == 180


def test_the_start_burst_and_the_deadline_are_the_peaks() -> None:
    result = forecast(
        [SessionLoad("s", "Sesi 1", T0, T0 + timedelta(minutes=120), 10_000)],
        Params(pod_rps=200, pod_starts_per_s=5, min_pods=1),
    )
    minutes = result.sessions[0].minutes
    # 3 requests per student over 5 minutes = 100/s, plus those already answering
    assert minutes[0].requests_per_s == pytest.approx(100 + 10_000 * 0.07 * 0.1)
    # by count the start is light, but 33.3 students/s signing in need 33.3 / (5 × 0.7) pods,
    # more than the steady 700 requests/s do (700 / (200 × 0.7) = 5)
    assert minutes[0].starts_per_s == pytest.approx(10_000 / 300, abs=0.1)
    assert (minutes[0].pods, minutes[30].pods) == (10, 5)
    assert minutes[30].starts_per_s == 0
    assert minutes[-1].lambda_concurrency == 250  # 10,000 jobs in 10 s × 0.25 s
    assert all(m.lambda_concurrency == 0 for m in minutes[:-1])
    assert result.peak_lambda_concurrency == 250


def test_overlapping_sessions_add_up_in_the_timeline() -> None:
    a = SessionLoad("a", "WIB", T0, T0 + timedelta(minutes=60), 1000)
    b = SessionLoad("b", "WITA", T0 + timedelta(minutes=30), T0 + timedelta(minutes=90), 1000)
    result = forecast([a, b], Params())
    by_minute = {m.at: m.requests_per_s for m in result.timeline}
    assert len(by_minute) == 90
    assert by_minute[T0 + timedelta(minutes=40)] == pytest.approx(2 * 1000 * 0.07)
    assert by_minute[T0 + timedelta(minutes=10)] == pytest.approx(1000 * 0.07)


def test_bad_parameters_are_refused() -> None:
    with pytest.raises(ValueError, match="pod_rps"):
        forecast([], Params(pod_rps=0))


@given(st.floats(0, 1e6), st.floats(1, 1e4), st.floats(0, 1e4), st.floats(1, 500))
def test_pods_cover_the_load_at_the_target(
    rps: float, pod_rps: float, starts: float, pod_starts: float
) -> None:
    params = Params(pod_rps=pod_rps, pod_starts_per_s=pod_starts, target_utilisation=0.7)
    pods = pods_for(rps, params, starts)
    assert pods >= params.min_pods
    assert pods * pod_rps * 0.7 >= rps - 1e-6 * pod_rps
    assert pods * pod_starts * 0.7 >= starts - 1e-6 * pod_starts


@given(st.integers(0, 10_000), st.integers(1, 20))
def test_split_seats_is_balanced_and_complete(students: int, sessions: int) -> None:
    parts = split_seats(students, sessions)
    assert sum(parts) == students and len(parts) == sessions
    assert max(parts) - min(parts) <= 1


def test_shortfalls_name_the_limit_that_is_hit() -> None:
    wanted = {"a": 10, "b": 10, "c": 5}
    short = shortfalls(
        wanted, 30, {"a": 25, "b": 0, "c": 0}, {"a": None, "b": 15, "c": None}, {"b": 10}
    )
    assert short == {"a": "school_rooms", "b": "national_cap"}
    assert shortfalls({"c": 30}, 30, {}, {"c": 30}, {}) == {}


def test_ics_has_one_event_per_entry_in_utc() -> None:
    entry = exports.CalendarEntry(
        "u1@ujian",
        "Try-out: Sesi 1",
        T0,
        T0 + timedelta(hours=2),
        "SMA 1, Lab A, seat 3",
        "2025-03-01 07:30–09:30 WIB",
    )
    body = exports.ics([entry], "My exams", stamp=T0)
    cal = icalendar.Calendar.from_ical(body)
    events = list(cal.walk("VEVENT"))
    assert len(events) == 1
    assert events[0].decoded("dtstart") == T0
    assert events[0].decoded("dtend") == T0 + timedelta(hours=2)
    assert str(events[0]["location"]) == "SMA 1, Lab A, seat 3"
    assert b"DTSTART:20250301T003000Z" in body


def test_csv_round_trips_names_with_commas_and_quotes() -> None:
    body = exports.csv_bytes(("name", "room"), [('Siti "Ani", S.Pd', "Lab 1")])
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows == [["name", "room"], ['Siti "Ani", S.Pd', "Lab 1"]]


def test_seat_labels_and_form_letters() -> None:
    assert exports.seat_label(9, 6) == "R2-C3"
    assert exports.seat_label(1, 6) == "R1-C1"
    assert exports.seat_label(None, 6) == ""
    assert [exports.form_letter(n) for n in (0, 1, 2)] == ["A", "B", "C"]


def test_the_cli_report_collapses_equal_minutes_and_names_the_peak() -> None:
    from engine.scheduling.cli import render

    result = forecast(
        [SessionLoad("s", "Sesi 1 WIB", T0, T0 + timedelta(minutes=60), 1000)],
        Params(pod_rps=100, min_pods=1),
    )
    text = render(result)
    assert "Sesi 1 WIB" in text
    # five start minutes each differ, the 54 steady ones are one line, then the deadline
    assert "2025-03-01 00:35–01:28" in text and text.count("\n2025-03-01") == 7
    assert text.splitlines()[-1].startswith(f"peak: {result.peak_requests_per_s:.1f} req/s")
