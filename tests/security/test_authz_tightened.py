"""Authorisation rules tightened (issue 18):

- a student sees an exam's details only as it appears in their own list: published, of or
  assigned to their school, and, when the exam is narrowed to classes, assigned to their class
  (404 otherwise, as for other people's things);
- only an organiser's admin assigns an exam across organisations; a teacher (even one working
  at the organiser) assigns only to their own organisation;
- per-student overrides: staff of the exam's own organisation, or a school admin for their own
  students on an exam assigned to the school; within the exam's window +-14 days, at most twice
  its limit, extra time at most its limit.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from engine.accounts.models import OverrideSet
from engine.accounts.override_rules import LIMIT_FACTOR, OVERRIDE_SLACK, ExamTerms, override_errors
from engine.auth.passwords import hash_password
from engine.services import Services
from tests.integration.accounts.conftest import Tenants, tenants
from tests.integration.conftest import PASSWORD, Api, api, client, settings, svc

__all__ = ["api", "client", "settings", "svc", "tenants"]  # the fixtures this module uses


async def _user(
    svc: Services, org_id: uuid.UUID, role: str, class_id: uuid.UUID | None = None
) -> tuple[str, uuid.UUID]:
    user_id, username = uuid.uuid4(), f"{role}-{uuid.uuid4().hex[:10]}"
    async with svc.pool.acquire() as conn:
        await conn.execute(
            "INSERT INTO users (id, org_id, username, display_name, role, password_hash, "
            "class_id) VALUES ($1, $2, $3, $3, $4, $5, $6)",
            user_id,
            org_id,
            username,
            role,
            hash_password(PASSWORD),
            class_id,
        )
    return username, user_id


async def _class(svc: Services, org_id: uuid.UUID) -> uuid.UUID:
    class_id = uuid.uuid4()
    async with svc.pool.acquire() as conn:
        await conn.execute(
            "INSERT INTO classes (id, org_id, name) VALUES ($1, $2, $3)",
            class_id,
            org_id,
            f"C{class_id.hex[:6]}",
        )
    return class_id


def _code(r: Any) -> str:
    return str(r.json().get("code"))


async def test_a_pupil_outside_the_assigned_classes_cannot_read_the_exam(
    api: Api, svc: Services, tenants: Tenants
) -> None:
    a = tenants.a
    teacher = a.users["teacher"]
    inside_class, outside_class = await _class(svc, a.school), await _class(svc, a.school)
    inside, _ = await _user(svc, a.school, "student", inside_class)
    outside, _ = await _user(svc, a.school, "student", outside_class)
    exam = await api.exam(teacher)
    # before any class assignment, every pupil of the school reads it
    assert (await api.call("GET", f"/v1/exams/{exam['id']}", outside)).status_code == 200
    r = await api.call(
        "POST", f"/v1/exams/{exam['id']}/classes", teacher, json={"class_ids": [str(inside_class)]}
    )
    assert r.status_code == 200, r.text
    r = await api.call("GET", f"/v1/exams/{exam['id']}", inside)
    assert r.status_code == 200 and r.json()["id"] == exam["id"]
    r = await api.call("GET", f"/v1/exams/{exam['id']}", outside)
    assert r.status_code == 404 and _code(r) == "not_found", r.text
    assert "Mock exam" not in r.text
    # the school's proctor, who may watch any room, still reads it
    assert (await api.call("GET", f"/v1/exams/{exam['id']}", a.users["proctor"])).status_code == 200
    # the same pupil in another school, and a draft exam of their own school: not found either
    r = await api.call("GET", f"/v1/exams/{exam['id']}", tenants.b.users["student"])
    assert r.status_code == 404
    draft = await api.exam(teacher, publish=False)
    r = await api.call("GET", f"/v1/exams/{draft['id']}", outside)
    assert r.status_code == 404 and _code(r) == "not_found"


async def test_only_an_organiser_admin_assigns_across_schools(
    api: Api, svc: Services, tenants: Tenants
) -> None:
    a, b = tenants.a, tenants.b
    second_school = uuid.uuid4()
    async with svc.pool.acquire() as conn:
        await conn.execute(
            "INSERT INTO orgs (id, parent_id, name, kind) VALUES ($1, $2, $3, 'school')",
            second_school,
            a.organiser,
            f"Second school {second_school.hex[:6]}",
        )
    organiser_teacher, _ = await _user(svc, a.organiser, "teacher")
    exam = await api.exam(organiser_teacher)
    body = {"org_ids": [str(a.school), str(second_school)]}
    r = await api.call("POST", f"/v1/exams/{exam['id']}/assignments", organiser_teacher, json=body)
    assert r.status_code == 403 and _code(r) == "forbidden", r.text
    async with svc.pool.acquire() as conn:
        assert (
            await conn.fetchval(
                "SELECT count(*) FROM exam_assignments WHERE exam_id = $1", uuid.UUID(exam["id"])
            )
            == 0
        )
    # the organiser's admin assigns its own exam to every school below
    admin_exam = await api.exam(a.users["admin"])
    r = await api.call(
        "POST", f"/v1/exams/{admin_exam['id']}/assignments", a.users["admin"], json=body
    )
    assert r.status_code == 200, r.text
    assert sorted(r.json()["org_ids"]) == sorted(body["org_ids"])
    # but not to a school of another organiser
    r = await api.call(
        "POST",
        f"/v1/exams/{admin_exam['id']}/assignments",
        a.users["admin"],
        json={"org_ids": [str(b.school)]},
    )
    assert r.status_code == 403
    # a school teacher assigns their own exam to their own school only
    own = await api.exam(a.users["teacher"])
    r = await api.call(
        "POST",
        f"/v1/exams/{own['id']}/assignments",
        a.users["teacher"],
        json={"org_ids": [str(a.school)]},
    )
    assert r.status_code == 200, r.text
    r = await api.call(
        "POST",
        f"/v1/exams/{own['id']}/assignments",
        a.users["teacher"],
        json={"org_ids": [str(second_school)]},
    )
    assert r.status_code == 403 and _code(r) == "forbidden"


async def test_overrides_on_the_organisers_exam_belong_to_its_staff_or_the_school_admin(
    api: Api, svc: Services, tenants: Tenants
) -> None:
    a = tenants.a
    admin = a.users["admin"]
    exam = await api.exam(admin, limit_s=3600)
    r = await api.call(
        "POST", f"/v1/exams/{exam['id']}/assignments", admin, json={"org_ids": [str(a.school)]}
    )
    assert r.status_code == 200, r.text
    student = a.user_ids["student"]
    url = f"/v1/exams/{exam['id']}/overrides/{student}"
    opens = datetime.fromisoformat(exam["window_open"])
    year_long = {
        "window_open": opens.isoformat(),
        "window_close": (opens + timedelta(days=365)).isoformat(),
    }
    # the school's teacher may not change the organiser's exam, not even a little
    for body in (year_long, {"extra_time_s": 60}):
        r = await api.call("PUT", url, a.users["teacher"], json=body)
        assert r.status_code == 403 and _code(r) == "forbidden", r.text
    # the school admin may, for the school's own student, within bounds
    school_admin = a.users["school_admin"]
    r = await api.call("PUT", url, school_admin, json=year_long)
    assert r.status_code == 400 and _code(r) == "validation_failed", r.text
    assert "window_close" in r.text
    for body, field in (
        ({"time_limit_s": 3 * 3600}, "time_limit_s"),
        ({"extra_time_s": 3601}, "extra_time_s"),
        ({"window_open": (opens - timedelta(days=30)).isoformat()}, "window_open"),
    ):
        r = await api.call("PUT", url, school_admin, json=body)
        assert r.status_code == 400 and field in r.text, r.text
    async with svc.pool.acquire() as conn:
        assert (
            await conn.fetchval(
                "SELECT count(*) FROM exam_overrides WHERE exam_id = $1", uuid.UUID(exam["id"])
            )
            == 0
        )
    sane = {
        "extra_time_s": 900,
        "window_close": (
            datetime.fromisoformat(exam["window_close"]) + timedelta(days=1)
        ).isoformat(),
    }
    r = await api.call("PUT", url, school_admin, json=sane)
    assert r.status_code == 200, r.text
    # the organiser's admin, who owns the exam, may as well
    r = await api.call("PUT", url, admin, json={"time_limit_s": 7200})
    assert r.status_code == 200, r.text
    # and nobody reaches a student of another organiser
    r = await api.call(
        "PUT",
        f"/v1/exams/{exam['id']}/overrides/{tenants.b.user_ids['student']}",
        admin,
        json={"extra_time_s": 60},
    )
    assert r.status_code == 404


async def test_a_proctors_extra_time_grants_add_up_to_the_exams_limit_at_most(
    api: Api, svc: Services, tenants: Tenants
) -> None:
    a = tenants.a
    student, _ = await _user(svc, a.school, "student", a.class_id)
    exam = await api.exam(a.users["teacher"], limit_s=600)
    sitting = (await api.start(student, exam["id"]))["id"]
    url = f"/v1/sittings/{sitting}/extra-time"
    r = await api.call("POST", url, a.users["proctor"], json={"seconds": 500})
    assert r.status_code == 200, r.text
    # 500 + 101 > 600: refused, and the deadline stays where it was
    deadline = r.json()["deadline_ms"]
    r = await api.call("POST", url, a.users["proctor"], json={"seconds": 101})
    assert r.status_code == 400 and _code(r) == "validation_failed", r.text
    assert "seconds" in r.text
    async with svc.pool.acquire() as conn:
        row = await conn.fetchrow(
            "SELECT extra_time_s, deadline FROM sittings WHERE id = $1", uuid.UUID(sitting)
        )
    assert row["extra_time_s"] == 500
    assert int(row["deadline"].timestamp() * 1000) == deadline
    r = await api.call("POST", url, a.users["proctor"], json={"seconds": 100})
    assert r.status_code == 200 and r.json()["deadline_ms"] == deadline + 100_000


# ---- the override bounds as a pure rule ----------------------------------------------------

_EXAM = ExamTerms(
    time_limit_s=3600,
    window_open=datetime(2030, 3, 1, 7, tzinfo=UTC),
    window_close=datetime(2030, 3, 1, 12, tzinfo=UTC),
)
_offsets = st.timedeltas(min_value=-3 * OVERRIDE_SLACK, max_value=3 * OVERRIDE_SLACK)


@given(
    opens=st.none() | _offsets,
    closes=st.none() | _offsets,
    limit=st.none() | st.integers(60, 24 * 3600),
    extra=st.integers(0, 12 * 3600),
)
def test_an_override_is_refused_exactly_when_it_strays_too_far(
    opens: timedelta | None, closes: timedelta | None, limit: int | None, extra: int
) -> None:
    window_open = None if opens is None else _EXAM.window_open + opens
    window_close = None if closes is None else _EXAM.window_close + closes
    try:
        data = OverrideSet(
            time_limit_s=limit,
            window_open=window_open,
            window_close=window_close,
            extra_time_s=extra,
        )
    except ValueError:
        return  # a reversed pair: refused as it is decoded (engine/datetimes.py)
    fields = {e["field"] for e in override_errors(data, _EXAM)}
    effective_open = window_open or _EXAM.window_open
    effective_close = window_close or _EXAM.window_close
    assert ("time_limit_s" in fields) == (
        limit is not None and limit > LIMIT_FACTOR * _EXAM.time_limit_s
    )
    assert ("extra_time_s" in fields) == (extra > _EXAM.time_limit_s)
    assert ("window_open" in fields) == (
        opens is not None
        and not (
            window_open - _EXAM.window_open >= -OVERRIDE_SLACK  # type: ignore[operator]
            and window_open <= _EXAM.window_close + OVERRIDE_SLACK
        )
    )  # type: ignore[operator]
    if effective_close <= effective_open:
        assert "window_close" in fields
    if not fields:
        # what is accepted lies within the exam's window give or take the slack
        assert _EXAM.window_open - OVERRIDE_SLACK <= effective_open < effective_close
        assert effective_close <= _EXAM.window_close + OVERRIDE_SLACK
