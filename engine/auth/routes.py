"""Sign-in and the caller's profile."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.di import Provide
from litestar.params import JSONBody

from engine.auth.passwords import verify_password
from engine.auth.principal import Principal, Role
from engine.auth.tokens import issue_access_token
from engine.deps import JwtAuthDep, Svc
from engine.problems import Problem
from engine.services import Services

USER_BY_USERNAME = "SELECT id, org_id, role, password_hash FROM users WHERE username = $1"
USER_BY_ID = """
SELECT u.id, u.org_id, u.username, u.display_name, u.role, o.name AS org_name
FROM users u JOIN orgs o ON o.id = u.org_id WHERE u.id = $1
"""


class SignIn(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    username: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    password: Annotated[str, msgspec.Meta(min_length=1, max_length=1000)]


class AccessToken(msgspec.Struct, frozen=True):
    access_token: str
    token_type: str
    expires_in: int
    role: Role
    user_id: uuid.UUID


class Profile(msgspec.Struct, frozen=True):
    id: uuid.UUID
    org_id: uuid.UUID
    org_name: str
    username: str
    display_name: str
    role: Role


async def sign_in(svc: Services, auth: Any, data: SignIn) -> AccessToken:
    async with svc.pool.acquire() as conn:
        row = await conn.fetchrow(USER_BY_USERNAME, data.username)
    if not await verify_password(row["password_hash"] if row else None, data.password):
        raise Problem(401, "invalid_credentials", "Wrong username or password")
    assert row is not None
    principal = Principal(user_id=row["id"], org_id=row["org_id"], role=row["role"])
    return AccessToken(
        access_token=issue_access_token(auth, principal), token_type="Bearer",
        expires_in=svc.settings.access_token_ttl_s, role=principal.role, user_id=principal.user_id,
    )  # fmt: skip


class AuthController(Controller):
    path = "/v1"
    tags = ["accounts"]

    @post("/auth/token", summary="Sign in with username and password")
    async def token(self, svc: Svc, jwt_auth: JwtAuthDep, data: JSONBody[SignIn]) -> AccessToken:
        return await sign_in(svc, jwt_auth, data)

    @get("/me", summary="The signed-in user")
    async def me(self, svc: Svc, request: Request[Principal, Any, Any]) -> Profile:
        async with svc.pool.acquire() as conn:
            row = await conn.fetchrow(USER_BY_ID, request.user.user_id)
        if row is None:
            raise Problem(401, "unauthorized", "This account no longer exists")
        return Profile(**{f: row[f] for f in Profile.__struct_fields__})


def jwt_auth_dependency(auth: Any) -> Provide:
    def provide() -> Any:
        return auth
    return Provide(provide, sync_to_thread=False)
