"""Datetimes at the API's edge: a naive or extreme datetime, or a reversed or year-long window,
is refused with 400 validation_failed naming the field, and nothing is stored; sane windows are
accepted; and a window stored before these checks existed (year 1 to 9999) never makes start
or card sign-in answer 500."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import asyncpg
import hypothesis
import pytest
from hypothesis import HealthCheck, given
from hypothesis import strategies as st

from engine.datetimes import EARLIEST, LATEST, MAX_WINDOW, check_window
from engine.services import Services
from tests.integration.accounts.conftest import Tenants, tenants
from tests.integration.conftest import (
    Api,
    School,
    api,
    client,
    sample_items,
    school,
    settings,
    svc,
)

__all__ = ["api", "client", "school", "settings", "svc", "tenants"]  # the fixtures this module uses

PROBLEM = "application/problem+json"

_zones = st.sampled_from(
    [
        UTC,
        timezone(timedelta(hours=7)),
        timezone(timedelta(hours=-11)),
        timezone(timedelta(hours=14)),
    ]
)
_aware_sane = st.datetimes(
    min_value=datetime(2000, 1, 2), max_value=datetime(2099, 12, 30), timezones=_zones
)


def _refused_fields(r: Any) -> str:
    assert r.status_code == 400, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    body = r.json()
    assert body["code"] == "validation_failed"
    return " ".join(
        f"{e.get('key', '')} {e.get('field', '')} {e.get('message', '')}"
        for e in body.get("errors") or []
    )


async def _item_ids(api: Api, teacher: str) -> list[str]:
    ids = []
    for item in sample_items()[:2]:
        r = await api.call("POST", "/v1/items", teacher, json=item)
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
    return ids


_items: dict[str, list[str]] = {}


async def _exam_body(api: Api, school: School, opens: str, closes: str) -> dict[str, Any]:
    if not _items:
        _items["ids"] = await _item_ids(api, school.teacher)
    return {
        "title": "Dates",
        "sections": [{"title": "A", "items": _items["ids"]}],
        "time_limit_s": 600,
        "window_open": opens,
        "window_close": closes,
    }


async def _exam_count(svc: Services, school: School) -> int:
    async with svc.pool.acquire() as conn:
        return int(
            await conn.fetchval("SELECT count(*) FROM exams WHERE org_id = $1", school.org_id)
        )


# ---- the pure rule -------------------------------------------------------------------------


@hypothesis.settings(max_examples=300, deadline=None)
@given(
    opens=st.datetimes(timezones=st.none() | _zones),
    closes=st.datetimes(timezones=st.none() | _zones),
)
def test_the_window_rule_accepts_exactly_the_sane_windows(
    opens: datetime, closes: datetime
) -> None:
    sane = (
        opens.tzinfo is not None
        and closes.tzinfo is not None
        and EARLIEST <= opens < LATEST
        and EARLIEST <= closes < LATEST
        and opens < closes <= opens + MAX_WINDOW
    )
    try:
        check_window("window_open", opens, "window_close", closes)
    except ValueError as err:
        assert not sane
        assert str(err).startswith(("window_open:", "window_close:"))
    else:
        assert sane


# ---- the API: exams ------------------------------------------------------------------------

_bad_windows = st.one_of(
    # naive, one end or both
    st.tuples(
        st.datetimes(min_value=datetime(2001, 1, 1), max_value=datetime(2098, 1, 1)),
        st.just("naive-open"),
    ),
    st.tuples(
        st.datetimes(min_value=datetime(2001, 1, 1), max_value=datetime(2098, 1, 1)),
        st.just("naive-close"),
    ),
    # far past, far future
    st.tuples(st.datetimes(max_value=datetime(1999, 12, 31), timezones=_zones), st.just("past")),
    st.tuples(st.datetimes(min_value=datetime(2100, 1, 2), timezones=_zones), st.just("future")),
    # reversed, and longer than a year
    st.tuples(_aware_sane, st.just("reversed")),
    st.tuples(_aware_sane, st.just("too-long")),
)


def _window(start: datetime, kind: str) -> tuple[str, str, str]:
    """(window_open, window_close, the field the answer must name) for one kind of bad."""
    aware = start if start.tzinfo else start.replace(tzinfo=UTC)
    match kind:
        case "naive-open":
            return start.isoformat(), (aware + timedelta(hours=2)).isoformat(), "window_open"
        case "naive-close":
            return aware.isoformat(), (start + timedelta(hours=2)).isoformat(), "window_close"
        case "past":
            return start.isoformat(), datetime(2030, 1, 1, tzinfo=UTC).isoformat(), "window_open"
        case "future":
            return datetime(2099, 1, 1, tzinfo=UTC).isoformat(), start.isoformat(), "window_close"
        case "reversed":
            return start.isoformat(), (start - timedelta(seconds=1)).isoformat(), "window_close"
        case _:
            return (
                start.isoformat(),
                (start + MAX_WINDOW + timedelta(minutes=1)).isoformat(),
                "window_close",
            )


@hypothesis.settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(bad=_bad_windows)
async def test_an_exam_with_a_bad_window_is_refused_and_not_stored(
    bad: tuple[datetime, str], api: Api, school: School, svc: Services
) -> None:
    opens, closes, field = _window(*bad)
    body = await _exam_body(api, school, opens, closes)
    before = await _exam_count(svc, school)
    r = await api.call("POST", "/v1/exams", school.teacher, json=body)
    assert field in _refused_fields(r), (opens, closes, r.text)
    assert await _exam_count(svc, school) == before


@hypothesis.settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    opens=_aware_sane, length=st.timedeltas(min_value=timedelta(seconds=1), max_value=MAX_WINDOW)
)
async def test_a_sane_window_is_accepted_as_given(
    opens: datetime, length: timedelta, api: Api, school: School
) -> None:
    closes = opens + length
    if closes >= LATEST:
        closes = LATEST - timedelta(seconds=1)
    body = await _exam_body(api, school, opens.isoformat(), closes.isoformat())
    r = await api.call("POST", "/v1/exams", school.teacher, json=body)
    assert r.status_code == 201, r.text
    got = r.json()
    assert datetime.fromisoformat(got["window_open"]) == opens
    assert datetime.fromisoformat(got["window_close"]) == closes


# ---- the API: overrides and scheduling -----------------------------------------------------


async def _student_id(svc: Services, username: str) -> uuid.UUID:
    async with svc.pool.acquire() as conn:
        found: uuid.UUID = await conn.fetchval("SELECT id FROM users WHERE username = $1", username)
    return found


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"window_open": "2030-03-01T07:30:00"}, "window_open"),
        ({"window_close": "9999-12-31T23:59:59Z"}, "window_close"),
        ({"window_open": "0001-01-01T00:00:00Z"}, "window_open"),
        (
            {"window_open": "2030-03-02T00:00:00Z", "window_close": "2030-03-01T00:00:00Z"},
            "window_close",
        ),
    ],
)
async def test_an_override_with_a_bad_datetime_is_refused_and_not_stored(
    override: dict[str, Any], field: str, api: Api, school: School, svc: Services
) -> None:
    exam = await api.exam(school.teacher)
    student = await _student_id(svc, school.students[0])
    r = await api.call(
        "PUT", f"/v1/exams/{exam['id']}/overrides/{student}", school.teacher, json=override
    )
    assert field in _refused_fields(r)
    async with svc.pool.acquire() as conn:
        assert (
            await conn.fetchval(
                "SELECT count(*) FROM exam_overrides WHERE exam_id = $1", uuid.UUID(exam["id"])
            )
            == 0
        )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": "E", "changes_close_at": "2030-03-01T07:30:00"}, "changes_close_at"),
        ({"title": "E", "changes_close_at": "0001-01-01T00:00:00Z"}, "changes_close_at"),
        ({"title": "E", "changes_close_at": "9999-12-31T00:00:00+07:00"}, "changes_close_at"),
    ],
)
async def test_a_scheduling_event_with_a_bad_datetime_is_refused(
    body: dict[str, Any], field: str, api: Api, tenants: Tenants, svc: Services
) -> None:
    admin = tenants.a.users["admin"]
    async with svc.pool.acquire() as conn:
        before = await conn.fetchval("SELECT count(*) FROM exam_events")
    r = await api.call("POST", "/v1/scheduling/events", admin, json=body)
    assert field in _refused_fields(r)
    async with svc.pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM exam_events") == before


# ---- what the database holds ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("opens", "closes"),
    [
        (datetime.min.replace(tzinfo=UTC), datetime.max.replace(tzinfo=UTC)),
        (datetime(1, 1, 1, tzinfo=UTC), datetime(1, 1, 2, tzinfo=UTC)),
        (datetime(9999, 12, 30, tzinfo=UTC), datetime.max.replace(tzinfo=UTC)),
    ],
)
async def test_the_database_refuses_an_extreme_window_whatever_writes_it(
    opens: datetime, closes: datetime, api: Api, school: School, svc: Services
) -> None:
    exam = await api.exam(school.teacher)
    async with svc.pool.acquire() as conn:
        with pytest.raises(asyncpg.CheckViolationError):
            await conn.execute(
                "UPDATE exam_versions SET window_open = $2, window_close = $3 WHERE exam_id = $1",
                uuid.UUID(exam["id"]),
                opens,
                closes,
            )


# the widest windows the database keeps (scheduling's "never opens" sits at the epoch)
@pytest.mark.parametrize(
    ("opens", "closes", "card_code", "start_code"),
    [
        (datetime(1970, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC), None, None),
        (
            datetime(1970, 1, 1, tzinfo=UTC),
            datetime(1970, 1, 1, 0, 0, 1, tzinfo=UTC),
            "card_not_valid_now",
            "exam_closed",
        ),
        (
            datetime(2099, 12, 31, 23, 59, 59, tzinfo=UTC),
            datetime(2100, 1, 1, tzinfo=UTC),
            "card_not_valid_now",
            "exam_not_open",
        ),
    ],
)
async def test_start_and_card_sign_in_never_fail_on_a_stored_extreme_window(
    opens: datetime,
    closes: datetime,
    card_code: str | None,
    start_code: str | None,
    api: Api,
    school: School,
    svc: Services,
) -> None:
    """Open, long closed or not yet open: each answered as such, never a server error."""
    exam = await api.exam(school.teacher)
    r = await api.call("POST", f"/v1/exams/{exam['id']}/cards", school.teacher)
    assert r.status_code == 200, r.text
    code = next(iter(csv.DictReader(io.StringIO(r.text))))["code"]
    async with svc.pool.acquire() as conn:
        await conn.execute(
            "UPDATE exam_versions SET window_open = $2, window_close = $3 WHERE exam_id = $1",
            uuid.UUID(exam["id"]),
            opens,
            closes,
        )
    r = await api.client.post("/v1/auth/card", json={"code": code})
    if card_code is None:
        assert r.status_code == 201, r.text
    else:
        assert (r.status_code, r.json()["code"]) == (403, card_code), r.text
    for student in school.students[1:3]:
        r = await api.call("POST", f"/v1/exams/{exam['id']}/sittings", student)
        if start_code is None:
            assert r.status_code == 200, r.text
        else:
            assert (r.status_code, r.json()["code"]) == (409, start_code), r.text
