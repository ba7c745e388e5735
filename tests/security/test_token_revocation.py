"""Access tokens already out stop working within a minute of a logout, a password change, an
account disabled or removed, in every process (the one that revoked them and another one,
which memoised the token before), and a disabled account cannot sign in at all."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from litestar.testing import AsyncTestClient

from engine.auth.passwords import hash_password
from engine.auth.revocation import RevokedSignIns
from engine.services import Services
from engine.settings import Settings
from tests.integration.conftest import PASSWORD, Api, School
from tests.security.served_api import serve
from tests.waiting import poll_until

# the other process refreshes its copy of the revocations every second; the promise is
# a minute, and that is the deadline
REFRESH_S = "1"
WITHIN_S = 60.0


@pytest.fixture(scope="module")
def other_process(settings: Settings) -> Iterator[str]:
    with serve(settings, UJIAN_REVOCATION_REFRESH_S=REFRESH_S) as base:
        yield base


async def _account(svc: Services, org: uuid.UUID, role: str = "student") -> tuple[str, str]:
    user_id, username = uuid.uuid4(), f"rev-{role}-{uuid.uuid4().hex[:10]}"
    async with svc.pool.acquire() as conn:
        await conn.execute(
            "INSERT INTO users (id, org_id, username, display_name, role, password_hash) "
            "VALUES ($1, $2, $3, $3, $4, $5)",
            user_id,
            org,
            username,
            role,
            hash_password(PASSWORD),
        )
    return str(user_id), username


async def _sign_in(
    client: AsyncTestClient[Any],
    username: str,
    password: str = PASSWORD,
) -> dict[str, Any]:
    r = await client.post("/v1/auth/token", json={"username": username, "password": password})
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


def _bearer(pair: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {pair['access_token']}"}


# the answer path's cheapest neighbour: a timer of an unknown sitting reads Redis only, so it
# answers 404 to a valid token and 401 to a refused one, whatever happened to the account row
def _probe() -> str:
    return f"/v1/sittings/{uuid.uuid4()}/timer"


async def _refused_by_both(
    client: AsyncTestClient[Any],
    other: str,
    headers: dict[str, str],
) -> float:
    r = await client.get(_probe(), headers=headers)
    assert r.status_code == 401, r.text  # the process that revoked: at once
    async with httpx.AsyncClient(base_url=other, timeout=10) as http:

        async def refused() -> bool:
            return (await http.get(_probe(), headers=headers)).status_code == 401

        return await poll_until(refused, WITHIN_S)


@pytest.mark.parametrize("how", ["logout", "password_change", "disable", "remove"])
async def test_a_revoked_access_token_is_refused_within_a_minute(
    how: str,
    client: AsyncTestClient[Any],
    svc: Services,
    school: School,
    other_process: str,
) -> None:
    user_id, username = await _account(svc, school.org_id)
    _, manager = await _account(svc, school.org_id, "school_admin")
    pair = await _sign_in(client, username)
    headers = _bearer(pair)
    async with httpx.AsyncClient(base_url=other_process, timeout=10) as http:
        # the other process has verified (and memoised) the token before it is revoked
        assert (await http.get(_probe(), headers=headers)).status_code == 404
    assert (await client.get(_probe(), headers=headers)).status_code == 404
    api = Api(client)
    match how:
        case "logout":
            r = await client.post("/v1/auth/logout", json={"refresh_token": pair["refresh_token"]})
            assert r.status_code == 204, r.text
        case "password_change":
            r = await client.post(
                "/v1/me/password",
                headers=headers,
                json={"current_password": PASSWORD, "new_password": "Quartz-lantern-7-meridian"},
            )
            assert r.status_code == 204, r.text
        case "disable":
            r = await api.call("POST", f"/v1/users/{user_id}/disable", manager)
            assert r.status_code == 200 and r.json()["disabled"] is True, r.text
        case "remove":
            r = await api.call("DELETE", f"/v1/users/{user_id}", manager)
            assert r.status_code == 204, r.text
            r = await api.call("GET", f"/v1/users/{user_id}", manager)
            assert r.status_code == 404, r.text
    took = await _refused_by_both(client, other_process, headers)
    assert took <= WITHIN_S


async def test_logout_ends_that_sign_in_only(
    client: AsyncTestClient[Any],
    svc: Services,
    school: School,
    other_process: str,
) -> None:
    _, username = await _account(svc, school.org_id)
    laptop, phone = await _sign_in(client, username), await _sign_in(client, username)
    r = await client.post("/v1/auth/logout", json={"refresh_token": laptop["refresh_token"]})
    assert r.status_code == 204
    await _refused_by_both(client, other_process, _bearer(laptop))
    assert (await client.get(_probe(), headers=_bearer(phone))).status_code == 404
    async with httpx.AsyncClient(base_url=other_process, timeout=10) as http:
        assert (await http.get(_probe(), headers=_bearer(phone))).status_code == 404


async def test_a_disabled_account_cannot_sign_in_until_enabled(
    client: AsyncTestClient[Any], svc: Services, school: School
) -> None:
    api = Api(client)
    user_id, username = await _account(svc, school.org_id)
    _, manager = await _account(svc, school.org_id, "school_admin")
    exam = await api.exam(school.teacher)
    r = await api.call("POST", f"/v1/exams/{exam['id']}/cards", school.teacher)
    code = next(
        row["code"] for row in csv.DictReader(io.StringIO(r.text)) if row["username"] == username
    )
    pair = await _sign_in(client, username)

    r = await api.call("POST", f"/v1/users/{user_id}/disable", manager)
    assert r.status_code == 200 and r.json()["disabled"] is True
    r = await client.post("/v1/auth/token", json={"username": username, "password": PASSWORD})
    assert r.status_code == 401 and r.json()["code"] == "invalid_credentials"
    r = await client.post("/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert r.status_code == 401 and r.json()["code"] == "invalid_refresh_token"
    r = await client.post("/v1/auth/card", json={"code": code})
    assert r.status_code == 401 and r.json()["code"] == "invalid_card"
    # a manager cannot lock themself out
    manager_id = (await api.call("GET", "/v1/me", manager)).json()["id"]
    r = await api.call("POST", f"/v1/users/{manager_id}/disable", manager)
    assert r.status_code == 409 and r.json()["code"] == "own_account"
    # a teacher may not disable anyone
    r = await api.call("POST", f"/v1/users/{user_id}/enable", school.teacher)
    assert r.status_code == 403

    r = await api.call("POST", f"/v1/users/{user_id}/enable", manager)
    assert r.status_code == 200 and r.json()["disabled"] is False
    fresh = await _sign_in(client, username)
    assert (await client.get("/v1/me", headers=_bearer(fresh))).status_code == 200
    # tokens from before the disable stay void
    assert (await client.get("/v1/me", headers=_bearer(pair))).status_code == 401
    r = await client.post("/v1/auth/card", json={"code": code})
    assert r.status_code == 201, r.text


async def test_a_removed_account_is_gone_and_its_name_free(
    client: AsyncTestClient[Any], svc: Services, school: School
) -> None:
    api = Api(client)
    user_id, username = await _account(svc, school.org_id)
    _, manager = await _account(svc, school.org_id, "school_admin")
    r = await api.call("DELETE", f"/v1/users/{user_id}", manager)
    assert r.status_code == 204
    r = await client.post("/v1/auth/token", json={"username": username, "password": PASSWORD})
    assert r.status_code == 401
    r = await api.call("GET", f"/v1/orgs/{school.org_id}/users", manager)
    assert username not in {u["username"] for u in r.json()}
    r = await api.call("DELETE", f"/v1/users/{user_id}", manager)
    assert r.status_code == 404
    r = await api.call(
        "POST",
        f"/v1/orgs/{school.org_id}/users",
        manager,
        json={"username": username, "display_name": "Again", "role": "student"},
    )
    assert r.status_code == 201, r.text
    async with svc.pool.acquire() as conn:
        audit = await conn.fetchval(
            "SELECT count(*) FROM audit_log WHERE action = 'user.remove' AND target = $1", user_id
        )
    assert audit == 1


_subjects = st.sampled_from(["u:a", "u:b", "d:x", "d:y", "c:a:e"])


@given(
    notes=st.lists(st.tuples(_subjects, st.integers(0, 10**6)), max_size=30),
    token=st.lists(_subjects, min_size=1, max_size=3, unique=True),
    issued=st.integers(0, 10**6),
)
def test_a_token_is_refused_exactly_when_one_of_its_subjects_was_revoked_after_it(
    notes: list[tuple[str, int]], token: list[str], issued: int
) -> None:
    mirror = RevokedSignIns()
    for subject, at in notes:
        mirror.note((subject,), at)
    latest = {s: max((at for n, at in notes if n == s), default=None) for s in token}
    expected = any(at is not None and issued < at for at in latest.values())
    assert mirror.refuses(tuple(token), issued) is expected
    # order does not matter: the markers only ever move forward
    again = RevokedSignIns()
    for subject, at in reversed(notes):
        again.note((subject,), at)
    assert again.before == mirror.before
