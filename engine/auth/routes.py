"""Sign-in (password, refresh, exam card), sign-out, and the caller's own profile."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, patch, post
from litestar.di import Provide
from litestar.params import JSONBody

from engine.accounts import people
from engine.accounts.audit import Actor
from engine.accounts.models import PasswordChange, Profile, ProfileUpdate
from engine.auth import signin
from engine.auth.policy import PUBLIC, allow
from engine.auth.ratelimit import client_ip
from engine.auth.signin import AccessToken, CardSignIn, RefreshRequest, SignIn
from engine.deps import JwtAuthDep, Svc
from engine.kernel.principal import ROLES, Principal
from engine.services import Services

Req = Request[Any, Any, Any]


def _ip(request: Req, svc: Services) -> str:
    return client_ip(
        request.headers,
        request.client.host if request.client else None,
        svc.settings.trust_forwarded_for,
    )


class AuthController(Controller):
    path = "/v1"
    tags = ["accounts"]

    @post("/auth/token", summary="Sign in with username and password", opt=PUBLIC)
    async def token(
        self, svc: Svc, jwt_auth: JwtAuthDep, request: Req, data: JSONBody[SignIn]
    ) -> AccessToken:
        return await signin.sign_in(svc, jwt_auth, data, _ip(request, svc))

    @post(
        "/auth/refresh",
        status_code=200,
        opt=PUBLIC,
        summary="Trade a refresh token for a new pair (the old one is spent)",
    )
    async def refresh(
        self, svc: Svc, jwt_auth: JwtAuthDep, request: Req, data: JSONBody[RefreshRequest]
    ) -> AccessToken:
        return await signin.refresh_tokens(svc, jwt_auth, data, _ip(request, svc))

    @post(
        "/auth/logout",
        status_code=204,
        opt=PUBLIC,
        summary="Sign out: the refresh token and its successors stop working",
    )
    async def logout(self, svc: Svc, data: JSONBody[RefreshRequest]) -> None:
        await signin.sign_out(svc, data)

    @post("/auth/card", summary="Sign in with an exam card code (that exam only)", opt=PUBLIC)
    async def card(
        self, svc: Svc, jwt_auth: JwtAuthDep, request: Req, data: JSONBody[CardSignIn]
    ) -> AccessToken:
        return await signin.card_sign_in(svc, jwt_auth, data, _ip(request, svc))

    @get("/me", summary="The signed-in user", opt=allow(*ROLES, exam_card=True, tenancy="self"))
    async def me(self, svc: Svc, request: Request[Principal, Any, Any]) -> Profile:
        return await people.my_profile(svc, request.user)

    @patch("/me", summary="Change my display name", opt=allow(*ROLES, tenancy="self"))
    async def update_me(
        self, svc: Svc, request: Request[Principal, Any, Any], data: JSONBody[ProfileUpdate]
    ) -> Profile:
        return await people.update_profile(svc, request.user, data)

    @post(
        "/me/password",
        status_code=204,
        opt=allow(*ROLES, tenancy="self"),
        summary="Change my password (signs out every session, this one included)",
    )
    async def password(
        self, svc: Svc, request: Request[Principal, Any, Any], data: JSONBody[PasswordChange]
    ) -> None:
        await people.change_password(svc, Actor(request.user, _ip(request, svc)), data)


def jwt_auth_dependency(auth: Any) -> Provide:
    def provide() -> Any:
        return auth

    return Provide(provide, sync_to_thread=False)
