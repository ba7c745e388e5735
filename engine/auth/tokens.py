"""JWT bearer tokens through Litestar's security backend; the claims carry org and role.

Access tokens are short-lived and never looked up: the hot path decodes them and reads
nothing else. Revocation works on the refresh tokens (engine/auth/refresh.py) and, for the
access tokens already out, through per-process markers (engine/auth/revocation.py). The
signing secret is never a built-in string (engine/auth/signing_keys.py).
"""

from __future__ import annotations

import dataclasses
import secrets
import time
import uuid
from datetime import timedelta
from typing import Any

import jwt
from litestar.connection import ASGIConnection
from litestar.security.jwt import JWTAuth, Token

from engine.auth.cached_jwt import CachedJWTAuthenticationMiddleware
from engine.auth.signing_keys import KeyRing, data_folder_secret, parse_previous, require_strong
from engine.kernel.principal import Principal
from engine.settings import Settings


async def _principal_from_token(token: Token, _: ASGIConnection[Any, Any, Any, Any]) -> Principal:
    extras = token.extras
    exam = extras.get("exam")
    return Principal(
        user_id=uuid.UUID(token.sub),
        org_id=uuid.UUID(extras["org"]),
        role=extras["role"],
        exam_id=uuid.UUID(exam) if exam else None,
        device=extras.get("dev", ""),
    )


def signing_secret(settings: Settings) -> str:
    """The configured secret if strong; in the embedded mode, unset, the data folder's own.
    Anything else raises ``InsecureSecret``, so the service does not start."""
    if not settings.jwt_secret and settings.embedded:
        return data_folder_secret(settings.data_dir)
    return require_strong(settings.jwt_secret)


def keyed_token_class(ring: KeyRing) -> type[Token]:
    """Tokens signed with the ring's current secret and a ``kid`` header, verified with the
    secret their ``kid`` names (engine/auth/signing_keys.py)."""

    @dataclasses.dataclass
    class KeyedToken(Token):
        def encode(self, secret: str, algorithm: str) -> str:
            # the fields as they are: dataclasses.asdict would deep-copy the extras for nothing
            # (a fifth of an exam-card sign-in's CPU went to copying them)
            fields = ((f.name, getattr(self, f.name)) for f in dataclasses.fields(self))
            payload = {k: v for k, v in fields if v is not None}
            return jwt.encode(payload, ring.current, algorithm, headers={"kid": ring.current_kid})

        @classmethod
        def decode_payload(
            cls,
            encoded_token: str,
            secret: str,
            algorithms: list[str],
            issuer: Any = None,
            audience: Any = None,
            options: Any = None,
        ) -> Any:
            key = ring.secret_for(jwt.get_unverified_header(encoded_token).get("kid"))
            if key is None:
                raise jwt.InvalidTokenError("signed with a key this service does not hold")
            return super().decode_payload(encoded_token, key, algorithms, issuer, audience, options)

    return KeyedToken


def build_jwt_auth(settings: Settings, *, ephemeral: bool = False) -> JWTAuth[Principal, Token]:
    """``ephemeral``: a process that never issues nor accepts tokens (the worker, which serves
    only its probes) signs with a random secret of its own instead of needing the real one."""
    if ephemeral:
        ring = KeyRing(secrets.token_urlsafe(48))
    else:
        ring = KeyRing(signing_secret(settings), parse_previous(settings.jwt_previous_secrets))
    return JWTAuth[Principal, Token](
        retrieve_user_handler=_principal_from_token,
        # the ring signs and verifies (KeyedToken); this string only keys the per-process memo
        # of verified tokens (engine/auth/cached_jwt.py), so a ring without a key drops them
        token_secret="\n".join((ring.current, *ring.previous)),
        token_cls=keyed_token_class(ring),
        default_token_expiration=timedelta(seconds=settings.access_token_ttl_s),
        # no path patterns: public handlers are marked when the app is built (apply_policies in
        # engine/auth/policy.py), so a request skips authentication on one dict lookup
        exclude=None,
        # each token verified once per process, then reused until it expires (hot path)
        authentication_middleware_class=CachedJWTAuthenticationMiddleware,
    )


def issue_access_token(
    auth: JWTAuth[Principal, Token], principal: Principal, expires_in: timedelta | None = None
) -> str:
    # ims: the issue time in ms, which a revocation (engine/auth/revocation.py) compares with
    extras: dict[str, Any] = {
        "org": str(principal.org_id),
        "role": principal.role,
        "ims": int(time.time() * 1000),
    }
    if principal.exam_id is not None:
        extras["exam"] = str(principal.exam_id)
    if principal.device:
        extras["dev"] = principal.device
    return auth.create_token(
        identifier=str(principal.user_id), token_expiration=expires_in, token_extras=extras
    )


def new_device_id() -> str:
    return uuid.uuid4().hex[:16]
