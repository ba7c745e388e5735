"""JWT bearer tokens through Litestar's security backend; the claims carry org and role."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from litestar.connection import ASGIConnection
from litestar.security.jwt import JWTAuth, Token

from engine.auth.principal import Principal
from engine.settings import Settings

# Paths anyone may call: health, docs, metrics, sign-in and the pages that do their own sign-in.
PUBLIC_PATHS = ["^/health", "^/schema", "^/metrics", "^/v1/auth/token", "^/$", "^/static"]


async def _principal_from_token(token: Token, _: ASGIConnection[Any, Any, Any, Any]) -> Principal:
    extras = token.extras
    return Principal(
        user_id=uuid.UUID(token.sub), org_id=uuid.UUID(extras["org"]), role=extras["role"]
    )


def build_jwt_auth(settings: Settings) -> JWTAuth[Principal, Token]:
    return JWTAuth[Principal, Token](
        retrieve_user_handler=_principal_from_token,
        token_secret=settings.jwt_secret,
        default_token_expiration=timedelta(seconds=settings.access_token_ttl_s),
        exclude=PUBLIC_PATHS,
    )


def issue_access_token(auth: JWTAuth[Principal, Token], principal: Principal) -> str:
    return auth.create_token(
        identifier=str(principal.user_id),
        token_extras={"org": str(principal.org_id), "role": principal.role},
    )
