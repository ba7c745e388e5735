"""Enrolment: import students and classes from CSV (dry run, all or nothing, idempotent) and
export them back.

A file is checked whole before anything is stored: the parser's row errors, then the rows
against the database (a national id enrolled at another school, a username someone else has).
Any error → nothing is stored. Students are matched by national id, so sending the same file
twice creates them once and then reports them unchanged. A password is only ever set when an
account is created, so a re-import never overwrites one.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import msgspec

from engine.accounts import audit
from engine.accounts.audit import Actor
from engine.accounts.enrolment_csv import EnrolmentRow, export_csv, parse_enrolment
from engine.accounts.models import EnrolmentReport, RowError
from engine.accounts.scope import require_org
from engine.auth.passwords import UNUSABLE_HASH, passwords_for
from engine.kernel.errors import DomainError
from engine.kernel.principal import Principal
from engine.services import Services

BY_NATIONAL_ID = """
SELECT u.id, u.org_id, u.national_id, u.username, u.display_name, u.role, c.name AS class_name
FROM users u LEFT JOIN classes c ON c.id = u.class_id WHERE u.national_id = ANY($1::text[])
"""
BY_USERNAME = "SELECT username, national_id FROM users WHERE username = ANY($1::text[])"
LOCK_ORG = "SELECT pg_advisory_xact_lock(hashtextextended($1::text, 0))"
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


class Plan(msgspec.Struct):
    create: list[EnrolmentRow]
    update: list[tuple[uuid.UUID, EnrolmentRow]]
    unchanged: int
    errors: list[RowError]


async def _plan(conn: Any, org_id: uuid.UUID, rows: list[EnrolmentRow]) -> Plan:
    known = {
        r["national_id"]: r
        for r in await conn.fetch(BY_NATIONAL_ID, [row.national_id for row in rows])
    }
    usernames = {
        r["username"].lower(): r["national_id"]
        for r in await conn.fetch(BY_USERNAME, [row.username for row in rows])
    }
    plan = Plan([], [], 0, [])
    for row in rows:
        found = known.get(row.national_id)
        holder = usernames.get(row.username.lower(), row.national_id)
        if found is not None and found["org_id"] != org_id:
            plan.errors.append(RowError(row.line, "national_id", "enrolled at another school"))
        elif found is not None and found["role"] != "student":
            plan.errors.append(RowError(row.line, "national_id", "belongs to a staff account"))
        elif holder != row.national_id:
            plan.errors.append(RowError(row.line, "username", "already in use by someone else"))
        elif found is None:
            plan.create.append(row)
        elif (found["username"], found["display_name"], found["class_name"]) != (
            row.username,
            row.display_name,
            row.class_name,
        ):
            plan.update.append((found["id"], row))
        else:
            plan.unchanged += 1
    return plan


async def _hash_passwords(
    svc: Services, rows: list[EnrolmentRow], done: dict[int, str] | None = None
) -> dict[int, str]:
    """Each new student's password hash by file line (those in ``done`` are kept). In the
    bulk pool: a thousand hashes queue there, not in front of everyone's sign-in."""
    done = dict(done or {})
    todo = [r for r in rows if r.line not in done]
    passwords = passwords_for(svc.settings)
    hashes = await asyncio.gather(
        *(
            passwords.hash_bulk(r.password) if r.password else asyncio.sleep(0, UNUSABLE_HASH)
            for r in todo
        )
    )
    done.update(zip((r.line for r in todo), hashes, strict=True))
    return done


async def _apply(conn: Any, org_id: uuid.UUID, plan: Plan, password_hashes: dict[int, str]) -> int:
    names = sorted({r.class_name for r in plan.create} | {r.class_name for _, r in plan.update})
    before: int = await conn.fetchval("SELECT count(*) FROM classes WHERE org_id = $1", org_id)
    await conn.execute(INSERT_CLASSES, org_id, names)
    class_ids = {r["name"]: r["id"] for r in await conn.fetch(CLASS_IDS, org_id)}
    hashes = [password_hashes[r.line] for r in plan.create]
    await conn.executemany(
        INSERT_STUDENT,
        [
            (
                uuid.uuid4(),
                org_id,
                r.username,
                r.display_name,
                h,
                r.national_id,
                class_ids[r.class_name],
            )
            for r, h in zip(plan.create, hashes, strict=True)
        ],
    )
    await conn.executemany(
        UPDATE_STUDENT,
        [(uid, r.username, r.display_name, class_ids[r.class_name]) for uid, r in plan.update],
    )
    after: int = await conn.fetchval("SELECT count(*) FROM classes WHERE org_id = $1", org_id)
    return after - before


async def import_students(
    svc: Services, actor: Actor, org_id: uuid.UUID, body: bytes, dry_run: bool
) -> EnrolmentReport:
    # off the loop: scoring every password (zxcvbn) of a big file takes a while
    parsed = await asyncio.to_thread(
        parse_enrolment, body, password_min_score=svc.settings.password_min_score
    )
    async with svc.pool.acquire() as conn:
        await require_org(conn, actor.principal, org_id)
        kind = await conn.fetchval("SELECT kind FROM orgs WHERE id = $1", org_id)
        if kind != "school":
            raise DomainError(
                400,
                "validation_failed",
                "The request is not valid",
                "students are enrolled at a school, not at an organiser",
            )
        # the new students' passwords are hashed before the transaction, holding no lock and
        # no connection (a big file's hashes take minutes): planned once to know whom to hash,
        # and again under the school's lock, where only a student enrolled meanwhile by
        # another import could still need a hash
        provisional = await _plan(conn, org_id, parsed.rows)
    hashed: dict[int, str] = {}
    if not dry_run and not parsed.errors and not provisional.errors:
        hashed = await _hash_passwords(svc, provisional.create)
    async with svc.pool.acquire() as conn, conn.transaction():
        # two imports of one school wait for each other, so a file sent twice at once
        # still creates each student once
        await conn.execute(LOCK_ORG, str(org_id))
        plan = await _plan(conn, org_id, parsed.rows)
        errors = sorted(parsed.errors + plan.errors, key=lambda e: (e.line, e.column or ""))
        report = EnrolmentReport(
            dry_run=dry_run,
            rows=parsed.count,
            errors=errors,
            created=len(plan.create),
            updated=len(plan.update),
            unchanged=plan.unchanged,
        )
        if errors or dry_run:
            return report
        if any(r.line not in hashed for r in plan.create):
            hashed = await _hash_passwords(svc, plan.create, hashed)
        classes_created = await _apply(conn, org_id, plan, hashed)
        await audit.record(
            conn,
            actor,
            "enrolment.import",
            org_id=org_id,
            target=org_id,
            detail={
                "rows": parsed.count,
                "created": len(plan.create),
                "updated": len(plan.update),
            },
        )
    return msgspec.structs.replace(report, classes_created=classes_created, stored=True)


async def export_students(svc: Services, principal: Principal, org_id: uuid.UUID) -> bytes:
    async with svc.pool.acquire() as conn:
        await require_org(conn, principal, org_id)
        rows = await conn.fetch(EXPORT, org_id)
    return export_csv(
        [(r["national_id"], r["username"], r["display_name"], r["class_name"]) for r in rows]
    )
