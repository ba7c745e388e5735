"""Device tokens (OWASP's "device cookies"): proof that this client signed in to this account.

A successful sign-in returns one; the client keeps it (for that account) and sends it with its
next sign-ins. A device that presents a valid token for the account it names is *trusted*: its
failed attempts are counted against that device alone, and failures of everyone else (the
untrusted clients: a classmate guessing, a bot) never lock it out
(engine/auth/ratelimit.py). Tokens are signed JWTs (PyJWT) under a key derived from the access
token secret for this one purpose, with their own audience, so neither kind of token passes for
the other.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import jwt

AUDIENCE = "ujian:device"
ALGORITHM = "HS256"


def _key(secret: str) -> bytes:
    return hmac.new(secret.encode(), b"ujian device token v1", hashlib.sha256).digest()


def account_key(username: str) -> str:
    """The account a sign-in names, as the limits and device tokens know it."""
    return username.strip().lower()


def issue(secret: str, username: str, device: str, ttl_s: int, now: datetime | None = None) -> str:
    issued = now or datetime.now(UTC)
    return jwt.encode(
        {
            "sub": account_key(username),
            "dev": device,
            "aud": AUDIENCE,
            "iat": issued,
            "exp": issued + timedelta(seconds=ttl_s),
        },
        _key(secret),
        algorithm=ALGORITHM,
    )


def trusted_device(secret: str, token: str | None, username: str) -> str | None:
    """The device id of a valid token for this account; None for anything else."""
    if not token:
        return None
    try:
        claims = jwt.decode(
            token,
            _key(secret),
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            options={"require": ["sub", "dev", "exp"]},
        )
    except jwt.PyJWTError:
        return None
    device = claims.get("dev")
    if claims.get("sub") != account_key(username) or not isinstance(device, str) or not device:
        return None
    return device
