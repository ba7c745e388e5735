"""SQL of sign-in: the account a password opens, the exam a card opens, the school's clock, and
the refresh tokens a sign-in hands out.

Rows become Structs here and nowhere else; every function runs on the caller's connection, so a
sign-in never holds one connection while it waits for a second.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import msgspec

from engine.kernel.principal import Role
from engine.kernel.sql import Connection

# the clock the student's school reads (scheduling's school profile); none: WIB
DEFAULT_TIME_ZONE = "Asia/Jakarta"
_SCHOOL_TIME_ZONE = f"""
coalesce((SELECT time_zone FROM school_profiles WHERE org_id = {{org}}), '{DEFAULT_TIME_ZONE}')
"""
# a disabled account is refused like a wrong password (no hint that the account exists)
ACCOUNT_BY_USERNAME = f"""
SELECT u.id, u.org_id, u.role, u.password_hash,
       {_SCHOOL_TIME_ZONE.format(org="u.org_id")} AS time_zone
FROM users u WHERE u.username = $1 AND u.disabled_at IS NULL
"""
SCHOOL_TIME_ZONE = f"SELECT {_SCHOOL_TIME_ZONE.format(org='$1')}"
UPGRADE_HASH = "UPDATE users SET password_hash = $3 WHERE id = $1 AND password_hash = $2"
CARD_BY_DIGEST = f"""
SELECT c.exam_id, c.student_id, u.org_id, u.role,
       coalesce(o.window_open, v.window_open) AS window_open,
       coalesce(o.window_close, v.window_close) AS window_close, v.grace_s,
       s.extra_time_s AS granted_s,
       {_SCHOOL_TIME_ZONE.format(org="u.org_id")} AS time_zone
FROM exam_cards c
JOIN users u ON u.id = c.student_id AND u.disabled_at IS NULL
JOIN exam_versions v ON v.exam_id = c.exam_id AND v.status = 'published'
LEFT JOIN exam_overrides o ON o.exam_id = c.exam_id AND o.student_id = c.student_id
LEFT JOIN sittings s ON s.exam_id = c.exam_id AND s.student_id = c.student_id
WHERE c.code_hash = $1
"""


class Account(msgspec.Struct, frozen=True):
    """What a password sign-in needs of a user."""

    id: uuid.UUID
    org_id: uuid.UUID
    role: Role
    password_hash: str
    time_zone: str


class CardHolder(msgspec.Struct, frozen=True):
    """An exam card's student and the window the card opens."""

    exam_id: uuid.UUID
    student_id: uuid.UUID
    org_id: uuid.UUID
    role: Role
    window_open: datetime
    window_close: datetime
    grace_s: int
    # extra time a proctor granted this student's sitting (none: no sitting or none granted)
    granted_s: int | None
    time_zone: str


async def account_by_username(conn: Connection, username: str) -> Account | None:
    row = await conn.fetchrow(ACCOUNT_BY_USERNAME, username)
    return None if row is None else Account(**dict(row))


async def upgrade_hash(conn: Connection, user_id: uuid.UUID, old_hash: str, new_hash: str) -> None:
    """The new hash replaces the old one unless a password change raced the sign-in."""
    await conn.execute(UPGRADE_HASH, user_id, old_hash, new_hash)


async def card_holder(conn: Connection, digest: bytes) -> CardHolder | None:
    row = await conn.fetchrow(CARD_BY_DIGEST, digest)
    return None if row is None else CardHolder(**dict(row))


async def school_time_zone(conn: Connection, org_id: uuid.UUID) -> str:
    zone: str = await conn.fetchval(SCHOOL_TIME_ZONE, org_id)
    return zone


# refresh tokens (engine/auth/refresh.py)
INSERT_REFRESH_TOKEN = """
INSERT INTO refresh_tokens (id, family_id, user_id, secret_hash, device, expires_at)
VALUES ($1, $2, $3, $4, $5, $6)
"""
# locked while it is spent, so two uses of one token at once cannot both rotate it
REFRESH_TOKEN_FOR_UPDATE = """
SELECT t.family_id, t.user_id, t.secret_hash, t.device, t.expires_at, t.used_at, t.revoked_at,
       u.org_id, u.role
FROM refresh_tokens t JOIN users u ON u.id = t.user_id
WHERE t.id = $1 AND u.disabled_at IS NULL FOR UPDATE OF t
"""
MARK_REFRESH_TOKEN_USED = "UPDATE refresh_tokens SET used_at = now() WHERE id = $1"
REVOKE_REFRESH_FAMILY = """
UPDATE refresh_tokens SET revoked_at = now() WHERE family_id = $1 AND revoked_at IS NULL
"""
REVOKE_REFRESH_TOKENS_OF_USER = """
UPDATE refresh_tokens SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL
"""
REFRESH_FAMILY = "SELECT family_id, secret_hash, device FROM refresh_tokens WHERE id = $1"


class StoredRefreshToken(msgspec.Struct, frozen=True):
    """A refresh token as stored, with the account it signs in (an enabled one)."""

    family_id: uuid.UUID
    user_id: uuid.UUID
    secret_hash: bytes
    device: str
    expires_at: datetime
    used_at: datetime | None
    revoked_at: datetime | None
    org_id: uuid.UUID
    role: Role


class RefreshFamily(msgspec.Struct, frozen=True):
    family_id: uuid.UUID
    secret_hash: bytes
    device: str


async def insert_refresh_token(
    conn: Connection,
    token_id: uuid.UUID,
    family_id: uuid.UUID,
    user_id: uuid.UUID,
    secret_hash: bytes,
    device: str,
    expires_at: datetime,
) -> None:
    await conn.execute(
        INSERT_REFRESH_TOKEN, token_id, family_id, user_id, secret_hash, device, expires_at
    )


async def refresh_token_for_update(
    conn: Connection, token_id: uuid.UUID
) -> StoredRefreshToken | None:
    """The token, locked until the caller's transaction ends."""
    row = await conn.fetchrow(REFRESH_TOKEN_FOR_UPDATE, token_id)
    if row is None:
        return None
    return StoredRefreshToken(**{**dict(row), "secret_hash": bytes(row["secret_hash"])})


async def mark_refresh_token_used(conn: Connection, token_id: uuid.UUID) -> None:
    await conn.execute(MARK_REFRESH_TOKEN_USED, token_id)


async def refresh_family(conn: Connection, token_id: uuid.UUID) -> RefreshFamily | None:
    row = await conn.fetchrow(REFRESH_FAMILY, token_id)
    if row is None:
        return None
    return RefreshFamily(row["family_id"], bytes(row["secret_hash"]), row["device"])


async def revoke_refresh_family(conn: Connection, family_id: uuid.UUID) -> None:
    await conn.execute(REVOKE_REFRESH_FAMILY, family_id)


async def revoke_refresh_tokens_of_user(conn: Connection, user_id: uuid.UUID) -> None:
    await conn.execute(REVOKE_REFRESH_TOKENS_OF_USER, user_id)
