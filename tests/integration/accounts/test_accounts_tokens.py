"""Sign-in: access token expiry, refresh rotation and reuse, revocation on password change,
rehash on login, and the rate limits (429 with Retry-After)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from argon2 import PasswordHasher
from litestar.testing import AsyncTestClient

from engine.app import create_app
from engine.auth.passwords import passwords_for
from engine.services import Services
from engine.settings import Settings
from tests.integration.accounts.conftest import Tenants
from tests.integration.conftest import PASSWORD


async def _new_user(svc: Services, tenants: Tenants, password_hash: str) -> str:
    username = f"tok-{uuid.uuid4().hex[:10]}"
    async with svc.pool.acquire() as conn:
        await conn.execute(
            "INSERT INTO users (id, org_id, username, display_name, role, password_hash) "
            "VALUES ($1, $2, $3, $3, 'teacher', $4)",
            uuid.uuid4(),
            tenants.a.school,
            username,
            password_hash,
        )
    return username


async def _sign_in(client: AsyncTestClient[Any], username: str) -> dict[str, Any]:
    r = await client.post("/v1/auth/token", json={"username": username, "password": PASSWORD})
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


async def test_expired_and_forged_access_tokens_are_refused(
    client: AsyncTestClient[Any], settings: Settings, tenants: Tenants
) -> None:
    pair = await _sign_in(client, tenants.a.users["teacher"])
    claims = jwt.decode(pair["access_token"], options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == settings.access_token_ttl_s
    assert claims["extras"]["role"] == "teacher" and claims["extras"]["dev"]
    expired = jwt.encode(
        {**claims, "exp": int((datetime.now(UTC) - timedelta(seconds=5)).timestamp())},
        settings.jwt_secret,
        "HS256",
    )
    forged = jwt.encode(
        {**claims, "extras": {**claims["extras"], "role": "admin"}}, "not-the-secret-" * 3, "HS256"
    )
    for token in (expired, forged):
        r = await client.get("/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 401 and r.json()["code"] == "unauthorized"
    r = await client.get("/v1/me", headers={"Authorization": f"Bearer {pair['access_token']}"})
    assert r.status_code == 200 and r.json()["username"] == tenants.a.users["teacher"]


async def test_refresh_rotates_and_a_reused_token_revokes_the_family(
    client: AsyncTestClient[Any], tenants: Tenants
) -> None:
    first = await _sign_in(client, tenants.a.users["proctor"])
    r = await client.post("/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert r.status_code == 200, r.text
    second = r.json()
    assert second["refresh_token"] != first["refresh_token"]

    def device(pair: dict[str, Any]) -> str:
        claims = jwt.decode(pair["access_token"], options={"verify_signature": False})
        return str(claims["extras"]["dev"])

    assert device(second) == device(first)  # the same sign-in, so the same device
    fresh = {"Authorization": f"Bearer {second['access_token']}"}
    assert (await client.get("/v1/me", headers=fresh)).status_code == 200
    # the spent token comes back: theft is assumed and the whole family dies, with the access
    # token the rotation handed out (whoever copied the token may hold it)
    r = await client.post("/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert r.status_code == 401 and r.json()["code"] == "refresh_token_reused"
    r = await client.get("/v1/me", headers=fresh)
    assert (r.status_code, r.json()["code"]) == (401, "unauthorized")
    r = await client.post("/v1/auth/refresh", json={"refresh_token": second["refresh_token"]})
    assert r.status_code == 401 and r.json()["code"] == "invalid_refresh_token"
    r = await client.post("/v1/auth/refresh", json={"refresh_token": "garbage"})
    assert r.status_code == 401 and r.json()["code"] == "invalid_refresh_token"


async def test_logout_and_password_change_revoke_refresh_tokens(
    client: AsyncTestClient[Any], svc: Services, tenants: Tenants
) -> None:
    username = await _new_user(svc, tenants, passwords_for(svc.settings).hash(PASSWORD))
    laptop, phone, tablet = [await _sign_in(client, username) for _ in range(3)]
    r = await client.post("/v1/auth/logout", json={"refresh_token": tablet["refresh_token"]})
    assert r.status_code == 204
    r = await client.post("/v1/auth/refresh", json={"refresh_token": tablet["refresh_token"]})
    assert r.status_code == 401
    auth = {"Authorization": f"Bearer {laptop['access_token']}"}
    r = await client.post(
        "/v1/me/password",
        headers=auth,
        json={"current_password": "wrong", "new_password": "n3w-password"},
    )
    assert r.status_code == 403
    r = await client.post(
        "/v1/me/password",
        headers=auth,
        json={"current_password": PASSWORD, "new_password": "n3w-password"},
    )
    assert r.status_code == 204, r.text
    for pair in (laptop, phone):
        r = await client.post("/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]})
        assert r.status_code == 401 and r.json()["code"] == "invalid_refresh_token"
    r = await client.post("/v1/auth/token", json={"username": username, "password": PASSWORD})
    assert r.status_code == 401
    r = await client.post("/v1/auth/token", json={"username": username, "password": "n3w-password"})
    assert r.status_code == 201


async def test_a_hash_with_old_parameters_is_upgraded_at_sign_in(
    client: AsyncTestClient[Any], svc: Services, tenants: Tenants
) -> None:
    old = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    username = await _new_user(svc, tenants, old)
    await _sign_in(client, username)
    async with svc.pool.acquire() as conn:
        stored = await conn.fetchval(
            "SELECT password_hash FROM users WHERE username = $1", username
        )
    hasher = passwords_for(svc.settings).hasher
    assert stored != old and not hasher.check_needs_rehash(stored)
    assert f"m={svc.settings.argon2_memory_kib},t={svc.settings.argon2_time_cost}" in stored
    await _sign_in(client, username)  # the new hash verifies too


async def test_failed_sign_ins_are_limited_per_account_and_per_address(
    settings: Settings, svc: Services, tenants: Tenants
) -> None:
    limited = Settings(
        **{
            **{f: getattr(settings, f) for f in settings.__struct_fields__},
            "redis_namespace": settings.redis_namespace + "rl",
            "signin_rate_per_account": "3/minute",
            "signin_rate_per_ip": "5/minute",
            "trust_forwarded_for": True,
        }
    )
    async with AsyncTestClient(app=create_app(limited)) as client:
        user = tenants.a.users["teacher"]
        ip1 = {"X-Forwarded-For": "10.0.0.1"}
        for _ in range(3):
            r = await client.post(
                "/v1/auth/token", headers=ip1, json={"username": user, "password": "wrong"}
            )
            assert r.status_code == 401
        r = await client.post(
            "/v1/auth/token", headers=ip1, json={"username": user, "password": PASSWORD}
        )
        assert r.status_code == 429 and r.json()["code"] == "rate_limited"
        assert 1 <= int(r.headers["retry-after"]) <= 60
        # another account from another address is not affected
        other = {"X-Forwarded-For": "10.0.0.2"}
        r = await client.post(
            "/v1/auth/token",
            headers=other,
            json={"username": tenants.a.users["proctor"], "password": PASSWORD},
        )
        assert r.status_code == 201
        # five failures from one address, spread over accounts, close the address
        for n in range(5):
            r = await client.post(
                "/v1/auth/token", headers=other, json={"username": f"ghost-{n}", "password": "x"}
            )
            assert r.status_code == 401
        r = await client.post(
            "/v1/auth/token",
            headers=other,
            json={"username": tenants.a.users["school_admin"], "password": PASSWORD},
        )
        assert r.status_code == 429 and "address" in r.json()["detail"]
        assert "retry-after" in r.headers


async def test_a_sign_in_tells_the_pages_the_schools_time_zone(
    client: AsyncTestClient[Any], svc: Services, tenants: Tenants
) -> None:
    """The pages show times on the school's clock (WIB, WITA or WIT), never the phone's."""
    teacher = tenants.a.users["teacher"]
    async with svc.pool.acquire() as conn:
        await conn.execute("DELETE FROM school_profiles WHERE org_id = $1", tenants.a.school)
    assert (await _sign_in(client, teacher))["time_zone"] == "Asia/Jakarta"
    async with svc.pool.acquire() as conn:
        await conn.execute(
            "INSERT INTO school_profiles (org_id, time_zone) VALUES ($1, 'Asia/Jayapura')",
            tenants.a.school,
        )
    try:
        first = await _sign_in(client, teacher)
        assert first["time_zone"] == "Asia/Jayapura"
        r = await client.post("/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
        assert r.status_code == 200 and r.json()["time_zone"] == "Asia/Jayapura"
    finally:
        async with svc.pool.acquire() as conn:
            await conn.execute("DELETE FROM school_profiles WHERE org_id = $1", tenants.a.school)
