"""Refresh tokens: opaque, stored as a hash, rotated on every use, revoked in families.

A token is ``<id>.<secret>``. Using it marks it used and returns a new token of the same
family (the same device). A used token presented again means it was copied: the whole family
is revoked. Changing a password revokes every family of the account.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from datetime import timedelta

import msgspec

from engine.auth import repository
from engine.kernel.clock import utc_now
from engine.kernel.errors import DomainError
from engine.kernel.sql import Connection


class Rotated(msgspec.Struct, frozen=True):
    user_id: uuid.UUID
    org_id: uuid.UUID
    role: str
    device: str
    token: str


class TokenReused(DomainError):
    """A spent token came back; the caller revokes ``family_id`` (after its transaction) and
    the access tokens of ``device``, the sign-in the family belongs to."""

    def __init__(self, family_id: uuid.UUID, device: str) -> None:
        super().__init__(
            401,
            "refresh_token_reused",
            "The refresh token was already used",
            "a used token came back, so it may have been copied: this session is "
            "signed out on every device that shared it; sign in again",
        )
        self.family_id = family_id
        self.device = device


async def revoke_family(conn: Connection, family_id: uuid.UUID) -> None:
    await repository.revoke_refresh_family(conn, family_id)


def _digest(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


def _split(raw: str) -> tuple[uuid.UUID, str] | None:
    head, _, secret = raw.partition(".")
    try:
        return uuid.UUID(hex=head), secret
    except ValueError:
        return None


class NotOurs(DomainError):
    """Not a token we issued (malformed, or its secret does not match): what a guess looks
    like. Expired and revoked tokens were ours, so they are no guesses (engine/auth/signin.py
    counts only these against the sign-in limits)."""


def _invalid(detail: str) -> DomainError:
    return DomainError(401, "invalid_refresh_token", "The refresh token is not valid", detail)


def _not_ours(detail: str) -> NotOurs:
    return NotOurs(401, "invalid_refresh_token", "The refresh token is not valid", detail)


async def issue(
    conn: Connection,
    user_id: uuid.UUID,
    device: str,
    ttl_s: int,
    family_id: uuid.UUID | None = None,
) -> str:
    token_id, secret = uuid.uuid4(), secrets.token_urlsafe(32)
    await repository.insert_refresh_token(
        conn,
        token_id,
        family_id or uuid.uuid4(),
        user_id,
        _digest(secret),
        device,
        utc_now() + timedelta(seconds=ttl_s),
    )
    return f"{token_id.hex}.{secret}"


async def rotate(conn: Connection, raw: str, ttl_s: int) -> Rotated:
    """Spend a refresh token and return its successor; call inside a transaction."""
    parts = _split(raw)
    if parts is None:
        raise _not_ours("malformed token")
    stored = await repository.refresh_token_for_update(conn, parts[0])
    if stored is None or not hmac.compare_digest(stored.secret_hash, _digest(parts[1])):
        raise _not_ours("unknown token")
    if stored.revoked_at is not None:
        raise _invalid("this session was signed out or its password changed")
    if stored.expires_at <= utc_now():
        raise _invalid("the token has expired; sign in again")
    if stored.used_at is not None:
        raise TokenReused(stored.family_id, stored.device)
    await repository.mark_refresh_token_used(conn, parts[0])
    token = await issue(conn, stored.user_id, stored.device, ttl_s, stored.family_id)
    return Rotated(stored.user_id, stored.org_id, stored.role, stored.device, token)


async def revoke_family_of(conn: Connection, raw: str) -> str | None:
    """Revoke the token's family; returns its device (whose access tokens the caller revokes),
    or None for a token that is not ours."""
    parts = _split(raw)
    if parts is None:
        return None
    family = await repository.refresh_family(conn, parts[0])
    if family is None or not hmac.compare_digest(family.secret_hash, _digest(parts[1])):
        return None
    await repository.revoke_refresh_family(conn, family.family_id)
    return family.device


async def revoke_user(conn: Connection, user_id: uuid.UUID) -> None:
    await repository.revoke_refresh_tokens_of_user(conn, user_id)
