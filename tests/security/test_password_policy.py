"""New passwords are checked against common and easily guessed ones (zxcvbn): account creation,
an administrator's reset, a password change and the enrolment CSV. A refused password changes
nothing already stored."""

from __future__ import annotations

import uuid
from typing import Any

from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from engine.accounts.enrolment_csv import parse_enrolment
from engine.auth.password_policy import weakness
from engine.demo import ADMIN, STUDENT_PASSWORD, TEACHER
from engine.services import Services
from engine.settings import Settings
from tests.integration.accounts.conftest import Tenants
from tests.integration.conftest import PASSWORD, Api

MIN_SCORE = Settings().password_min_score
COMMON = [
    "12345678",
    "password",
    "password1",
    "qwertyuiop",
    "iloveyou",
    "11111111",
    "123456789",
    "abc12345",
    "Password1!",
    "letmein1",
    "football",
    "sunshine",
    "princess",
    "1q2w3e4r",
    "admin123",
    "welcome1",
    "87654321",
    "asdfghjkl",
]


def _weak(r: Any, field: str) -> None:
    assert r.status_code == 400, r.text
    body = r.json()
    assert body["code"] == "weak_password" and body["extra"]["field"] == field, body


async def _can_sign_in(through: Api, username: str, password: str) -> bool:
    r = await through.client.post(
        "/v1/auth/token", json={"username": username, "password": password}
    )
    return bool(r.status_code == 201)


async def test_common_passwords_are_refused_and_nothing_changes(
    api: Api, svc: Services, tenants: Tenants
) -> None:
    admin = tenants.a.users["school_admin"]
    username = f"pw-{uuid.uuid4().hex[:8]}"
    account = {"username": username, "display_name": "Siti Rahma", "role": "teacher"}
    r = await api.call(
        "POST",
        f"/v1/orgs/{tenants.a.school}/users",
        admin,
        json={**account, "password": "12345678"},
    )
    _weak(r, "password")
    # built from the account's own name: as weak as a common one
    r = await api.call(
        "POST",
        f"/v1/orgs/{tenants.a.school}/users",
        admin,
        json={**account, "password": username + "1"},
    )
    _weak(r, "password")
    async with svc.pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM users WHERE username = $1", username) == 0
    r = await api.call(
        "POST", f"/v1/orgs/{tenants.a.school}/users", admin, json={**account, "password": PASSWORD}
    )
    assert r.status_code == 201, r.text
    user_id = r.json()["id"]
    # an administrator's reset
    r = await api.call("PATCH", f"/v1/users/{user_id}", admin, json={"password": "password1"})
    _weak(r, "password")
    # the owner's own change
    token = (
        await api.client.post("/v1/auth/token", json={"username": username, "password": PASSWORD})
    ).json()["access_token"]
    r = await api.client.post(
        "/v1/me/password",
        headers={"Authorization": f"Bearer {token}"},
        json={"current_password": PASSWORD, "new_password": "12345678"},
    )
    _weak(r, "new_password")
    assert await _can_sign_in(api, username, PASSWORD)
    assert not await _can_sign_in(api, username, "12345678")
    assert not await _can_sign_in(api, username, "password1")


async def test_enrolment_refuses_common_passwords_row_by_row(
    api: Api, svc: Services, tenants: Tenants
) -> None:
    org = uuid.uuid4()
    async with svc.pool.acquire() as conn:
        await conn.execute(
            "INSERT INTO orgs (id, parent_id, name, kind) VALUES ($1, $2, $3, 'school')",
            org,
            tenants.a.organiser,
            f"Pw {org.hex[:6]}",
        )
    base = 6_200_000_000 + uuid.uuid4().int % 10_000_000
    body = (
        b"national_id,display_name,class,password\n"
        b"%010d,Budi,9A,kuda-lari-di-sawah\n"
        b"%010d,Ani,9A,12345678\n"
        b"%010d,Dewi,9A,\n" % (base, base + 1, base + 2)
    )
    r = await api.client.post(
        f"/v1/orgs/{org}/enrolment",
        content=body,
        headers={**await api.headers(tenants.a.users["admin"]), "content-type": "text/csv"},
    )
    assert r.status_code == 422, r.text
    errors = r.json()["errors"]
    assert [(e["line"], e["column"]) for e in errors] == [(3, "password")]
    assert "weak_password" in errors[0]["reason"]
    async with svc.pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM users WHERE org_id = $1", org) == 0


def test_the_demo_and_documented_passwords_still_pass() -> None:
    for password in (STUDENT_PASSWORD, TEACHER[1], ADMIN[1], PASSWORD, "rahasia-123"):
        assert weakness(password, MIN_SCORE) is None, password


@hsettings(max_examples=60, deadline=None)
@given(common=st.sampled_from(COMMON), case=st.sampled_from([str, str.upper, str.capitalize]))
def test_every_common_password_is_refused(common: str, case: Any) -> None:
    assert weakness(case(common), MIN_SCORE) is not None


@hsettings(max_examples=150, deadline=None)
@given(password=st.text(min_size=8, max_size=400))
def test_scoring_any_text_gives_a_verdict_and_never_fails(password: str) -> None:
    reason = weakness(password, MIN_SCORE, ["someone", "Some One"])
    assert reason is None or (isinstance(reason, str) and reason)


@hsettings(max_examples=60, deadline=None)
@given(common=st.sampled_from(COMMON), line=st.integers(0, 4))
def test_the_enrolment_parser_reports_a_common_password_at_its_line(common: str, line: int) -> None:
    rows = [
        f"{7_300_000_000 + n:010d},Student {n},9A,lembu-{n}-makan-rumput-hijau" for n in range(5)
    ]
    rows[line] = f"{7_300_000_000 + line:010d},Student {line},9A,{common}"
    parsed = parse_enrolment(
        ("national_id,display_name,class,password\n" + "\n".join(rows)).encode()
    )
    assert [(e.line, e.column) for e in parsed.errors] == [(line + 2, "password")]
    assert len(parsed.rows) == 4
