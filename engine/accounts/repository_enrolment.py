"""SQL of enrolment: the students a file names, the school's lock and classes, and the rows an
import stores or an export reads. Rows become Structs here and nowhere else; every function
runs on the caller's connection."""

from __future__ import annotations

import uuid

import msgspec

from engine.kernel.sql import Connection

BY_NATIONAL_ID = """
SELECT u.id, u.org_id, u.national_id, u.username, u.display_name, u.role, c.name AS class_name
FROM users u LEFT JOIN classes c ON c.id = u.class_id WHERE u.national_id = ANY($1::text[])
"""
BY_USERNAME = "SELECT username, national_id FROM users WHERE username = ANY($1::text[])"
LOCK_ORG = "SELECT pg_advisory_xact_lock(hashtextextended($1::text, 0))"
CLASS_COUNT = "SELECT count(*) FROM classes WHERE org_id = $1"
INSERT_CLASSES = """
INSERT INTO classes (id, org_id, name)
SELECT gen_random_uuid(), $1, unnest($2::text[]) ON CONFLICT (org_id, name) DO NOTHING
"""
CLASS_IDS = "SELECT id, name FROM classes WHERE org_id = $1"
INSERT_STUDENT = """
INSERT INTO users (id, org_id, username, display_name, role, password_hash, national_id, class_id)
VALUES ($1, $2, $3, $4, 'student', $5, $6, $7)
"""
UPDATE_STUDENT = """
UPDATE users SET username = $2, display_name = $3, class_id = $4 WHERE id = $1
"""
EXPORT = """
SELECT u.national_id, u.username, u.display_name, coalesce(c.name, '') AS class_name
FROM users u LEFT JOIN classes c ON c.id = u.class_id
WHERE u.org_id = $1 AND u.role = 'student' AND u.national_id IS NOT NULL
ORDER BY c.name, u.display_name, u.national_id
"""


class EnrolledAccount(msgspec.Struct, frozen=True):
    """An account holding a national id a file names, wherever it is enrolled."""

    id: uuid.UUID
    org_id: uuid.UUID
    national_id: str
    username: str
    display_name: str
    role: str
    class_name: str | None


class UsernameHolder(msgspec.Struct, frozen=True):
    username: str
    national_id: str | None


class NewStudent(msgspec.Struct, frozen=True):
    id: uuid.UUID
    username: str
    display_name: str
    password_hash: str
    national_id: str
    class_id: uuid.UUID


class StudentChange(msgspec.Struct, frozen=True):
    id: uuid.UUID
    username: str
    display_name: str
    class_id: uuid.UUID


class ExportedStudent(msgspec.Struct, frozen=True):
    national_id: str
    username: str
    display_name: str
    class_name: str


async def accounts_by_national_id(
    conn: Connection, national_ids: list[str]
) -> list[EnrolledAccount]:
    rows = await conn.fetch(BY_NATIONAL_ID, national_ids)
    return [EnrolledAccount(**dict(r)) for r in rows]


async def username_holders(conn: Connection, usernames: list[str]) -> list[UsernameHolder]:
    return [UsernameHolder(**dict(r)) for r in await conn.fetch(BY_USERNAME, usernames)]


async def lock_school_enrolment(conn: Connection, org_id: uuid.UUID) -> None:
    """Held until the caller's transaction ends."""
    await conn.execute(LOCK_ORG, str(org_id))


async def class_count(conn: Connection, org_id: uuid.UUID) -> int:
    count: int = await conn.fetchval(CLASS_COUNT, org_id)
    return count


async def insert_classes(conn: Connection, org_id: uuid.UUID, names: list[str]) -> None:
    """The classes the school does not have yet."""
    await conn.execute(INSERT_CLASSES, org_id, names)


async def class_ids_by_name(conn: Connection, org_id: uuid.UUID) -> dict[str, uuid.UUID]:
    return {r["name"]: r["id"] for r in await conn.fetch(CLASS_IDS, org_id)}


async def insert_students(conn: Connection, org_id: uuid.UUID, students: list[NewStudent]) -> None:
    await conn.executemany(
        INSERT_STUDENT,
        [
            (s.id, org_id, s.username, s.display_name, s.password_hash, s.national_id, s.class_id)
            for s in students
        ],
    )


async def update_students(conn: Connection, changes: list[StudentChange]) -> None:
    await conn.executemany(
        UPDATE_STUDENT, [(c.id, c.username, c.display_name, c.class_id) for c in changes]
    )


async def students_to_export(conn: Connection, org_id: uuid.UUID) -> list[ExportedStudent]:
    return [ExportedStudent(**dict(r)) for r in await conn.fetch(EXPORT, org_id)]
