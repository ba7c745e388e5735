"""SQL for organisations, classes and users, and the organisation tree tenancy walks. Rows
become Structs here and nowhere else; every function runs on the caller's connection (inside
the caller's transaction, where there is one)."""

from __future__ import annotations

import uuid
from typing import Any

import msgspec

from engine.accounts.models import Org, Profile, SchoolClass, User
from engine.kernel.sql import Connection

INSERT_ORG = "INSERT INTO orgs (id, parent_id, name, kind, code) VALUES ($1, $2, $3, $4, $5)"
ORG_BY_ID = "SELECT id, parent_id, name, kind, code FROM orgs WHERE id = $1"
ORG_KIND = "SELECT kind FROM orgs WHERE id = $1"
ORGS_BY_IDS = """
SELECT id, parent_id, name, kind, code FROM orgs WHERE id = ANY($1::uuid[]) ORDER BY kind, name
"""
INSERT_CLASS = """
INSERT INTO classes (id, org_id, name) VALUES ($1, $2, $3)
ON CONFLICT (org_id, name) DO NOTHING
"""
CLASS_COLUMNS = """
c.id, c.org_id, c.name,
(SELECT count(*) FROM users u WHERE u.class_id = c.id AND u.role = 'student') AS students
"""
CLASSES_OF_ORG = f"SELECT {CLASS_COLUMNS} FROM classes c WHERE c.org_id = $1 ORDER BY c.name"
CLASS_BY_ID = f"SELECT {CLASS_COLUMNS} FROM classes c WHERE c.id = $1"
CLASS_BY_NAME = f"SELECT {CLASS_COLUMNS} FROM classes c WHERE c.org_id = $1 AND c.name = $2"
USER_COLUMNS = """
u.id, u.org_id, u.username, u.display_name, u.role, u.national_id, u.class_id,
c.name AS class_name, u.extra_time_pct, u.disabled_at IS NOT NULL AS disabled
"""
USER_BY_ID = f"""
SELECT {USER_COLUMNS} FROM users u LEFT JOIN classes c ON c.id = u.class_id
WHERE u.id = $1 AND u.removed_at IS NULL
"""
USERS_OF_ORG = f"""
SELECT {USER_COLUMNS} FROM users u LEFT JOIN classes c ON c.id = u.class_id
WHERE u.org_id = $1 AND u.removed_at IS NULL AND ($2::text IS NULL OR u.role = $2)
  AND ($3::uuid IS NULL OR u.class_id = $3) AND u.username > $4
ORDER BY u.username LIMIT $5
"""
INSERT_USER = """
INSERT INTO users (id, org_id, username, display_name, role, password_hash, national_id,
                   class_id, extra_time_pct)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
"""
UPDATE_USER = """
UPDATE users SET display_name = $2, class_id = $3, national_id = $4, extra_time_pct = $5
WHERE id = $1
"""
SET_PASSWORD = """
UPDATE users SET password_hash = $2, password_changed_at = now() WHERE id = $1
"""
# what a new password of the account is checked against (names make weak passwords)
PASSWORD_AND_NAMES = """
SELECT password_hash, username, display_name, national_id FROM users WHERE id = $1
"""
SET_DISPLAY_NAME = "UPDATE users SET display_name = $2 WHERE id = $1"
PROFILE = f"""
SELECT {USER_COLUMNS}, o.name AS org_name
FROM users u JOIN orgs o ON o.id = u.org_id LEFT JOIN classes c ON c.id = u.class_id
WHERE u.id = $1 AND u.removed_at IS NULL
"""
SET_DISABLED = """
UPDATE users SET disabled_at = CASE WHEN $2 THEN coalesce(disabled_at, now()) END WHERE id = $1
"""
# the username and national id are freed for a new account, and the account leaves its class
# (rooms, seat plans, head counts, exports); the row stays for the record of its sittings
REMOVE_USER = """
UPDATE users SET removed_at = now(), disabled_at = coalesce(disabled_at, now()),
    username = username || '~removed~' || id::text, national_id = NULL, class_id = NULL,
    password_hash = $2
WHERE id = $1
"""
DELETE_CARDS_OF = "DELETE FROM exam_cards WHERE student_id = $1"
# the organisation $1 and every one above it, as ``up``: written once, read by the queries below
# and by scheduling's (the organisers whose events a school may see)
_ORG_AND_ABOVE = """
WITH RECURSIVE up AS (
    SELECT id, parent_id FROM orgs WHERE id = $1
    UNION ALL SELECT o.id, o.parent_id FROM orgs o JOIN up ON o.id = up.parent_id
)
"""
# walk up from the target: is the ancestor on the way to the root?
ORG_UNDER = _ORG_AND_ABOVE + "SELECT EXISTS (SELECT 1 FROM up WHERE id = $2)"
ORG_AND_ANCESTORS = _ORG_AND_ABOVE + "SELECT id FROM up"
ORG_TREE = """
WITH RECURSIVE tree AS (
    SELECT id FROM orgs WHERE id = $1
    UNION ALL SELECT o.id FROM orgs o JOIN tree t ON o.parent_id = t.id
)
SELECT id FROM tree
"""


class PasswordAndNames(msgspec.Struct, frozen=True):
    """An account's password hash and the names a new password of it must not lean on."""

    password_hash: str
    username: str
    display_name: str
    national_id: str | None


def _org(row: Any) -> Org:
    return Org(**{f: row[f] for f in Org.__struct_fields__})


def _school_class(row: Any) -> SchoolClass:
    return SchoolClass(**{f: row[f] for f in SchoolClass.__struct_fields__})


def _user(row: Any) -> User:
    return User(**{f: row[f] for f in User.__struct_fields__})


async def insert_org(
    conn: Connection,
    org_id: uuid.UUID,
    parent_id: uuid.UUID | None,
    name: str,
    kind: str,
    code: str | None = None,
) -> None:
    """Raises asyncpg's UniqueViolationError when the code is taken."""
    await conn.execute(INSERT_ORG, org_id, parent_id, name, kind, code)


async def org_by_id(conn: Connection, org_id: uuid.UUID) -> Org | None:
    row = await conn.fetchrow(ORG_BY_ID, org_id)
    return None if row is None else _org(row)


async def orgs_by_ids(conn: Connection, org_ids: list[uuid.UUID]) -> list[Org]:
    return [_org(r) for r in await conn.fetch(ORGS_BY_IDS, org_ids)]


async def org_kind(conn: Connection, org_id: uuid.UUID) -> str | None:
    kind: str | None = await conn.fetchval(ORG_KIND, org_id)
    return kind


async def org_is_under(conn: Connection, org_id: uuid.UUID, ancestor_id: uuid.UUID) -> bool:
    """Whether ``ancestor_id`` is the organisation itself or one above it."""
    return bool(await conn.fetchval(ORG_UNDER, org_id, ancestor_id))


async def org_and_below(conn: Connection, org_id: uuid.UUID) -> list[uuid.UUID]:
    return [r["id"] for r in await conn.fetch(ORG_TREE, org_id)]


async def insert_class(conn: Connection, class_id: uuid.UUID, org_id: uuid.UUID, name: str) -> None:
    """Nothing happens when the school already has a class of that name."""
    await conn.execute(INSERT_CLASS, class_id, org_id, name)


async def class_by_id(conn: Connection, class_id: uuid.UUID) -> SchoolClass | None:
    row = await conn.fetchrow(CLASS_BY_ID, class_id)
    return None if row is None else _school_class(row)


async def class_by_name(conn: Connection, org_id: uuid.UUID, name: str) -> SchoolClass | None:
    row = await conn.fetchrow(CLASS_BY_NAME, org_id, name)
    return None if row is None else _school_class(row)


async def classes_of_org(conn: Connection, org_id: uuid.UUID) -> list[SchoolClass]:
    return [_school_class(r) for r in await conn.fetch(CLASSES_OF_ORG, org_id)]


async def insert_user(
    conn: Connection,
    user_id: uuid.UUID,
    org_id: uuid.UUID,
    username: str,
    display_name: str,
    role: str,
    password_hash: str,
    *,
    national_id: str | None = None,
    class_id: uuid.UUID | None = None,
    extra_time_pct: int = 0,
) -> None:
    """Raises asyncpg's UniqueViolationError when the username or national id is taken."""
    await conn.execute(
        INSERT_USER,
        user_id,
        org_id,
        username,
        display_name,
        role,
        password_hash,
        national_id,
        class_id,
        extra_time_pct,
    )


async def user_by_id(conn: Connection, user_id: uuid.UUID) -> User | None:
    """The account unless it was removed."""
    row = await conn.fetchrow(USER_BY_ID, user_id)
    return None if row is None else _user(row)


async def users_of_org(
    conn: Connection,
    org_id: uuid.UUID,
    role: str | None,
    class_id: uuid.UUID | None,
    after: str,
    limit: int,
) -> list[User]:
    """A page of the organisation's accounts by username, after the username ``after``."""
    rows = await conn.fetch(USERS_OF_ORG, org_id, role, class_id, after, limit)
    return [_user(r) for r in rows]


async def update_user(conn: Connection, user: User) -> None:
    """Store the account's display name, class, national id and extra time; raises asyncpg's
    UniqueViolationError when the national id is taken."""
    await conn.execute(
        UPDATE_USER,
        user.id,
        user.display_name,
        user.class_id,
        user.national_id,
        user.extra_time_pct,
    )


async def set_password(conn: Connection, user_id: uuid.UUID, password_hash: str) -> None:
    await conn.execute(SET_PASSWORD, user_id, password_hash)


async def password_and_names(conn: Connection, user_id: uuid.UUID) -> PasswordAndNames | None:
    row = await conn.fetchrow(PASSWORD_AND_NAMES, user_id)
    return None if row is None else PasswordAndNames(**dict(row))


async def set_display_name(conn: Connection, user_id: uuid.UUID, display_name: str) -> None:
    await conn.execute(SET_DISPLAY_NAME, user_id, display_name)


async def profile(conn: Connection, user_id: uuid.UUID) -> Profile | None:
    row = await conn.fetchrow(PROFILE, user_id)
    return None if row is None else Profile(**{f: row[f] for f in Profile.__struct_fields__})


async def set_disabled(conn: Connection, user_id: uuid.UUID, disabled: bool) -> None:
    """Disable (keeping the first time it was disabled) or enable again."""
    await conn.execute(SET_DISABLED, user_id, disabled)


async def remove_user(conn: Connection, user_id: uuid.UUID, unusable_hash: str) -> None:
    """The account removed for good (see REMOVE_USER) and its exam cards deleted."""
    await conn.execute(REMOVE_USER, user_id, unusable_hash)
    await conn.execute(DELETE_CARDS_OF, user_id)
