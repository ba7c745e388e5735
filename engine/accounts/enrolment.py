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
from typing import Protocol

import msgspec

from engine.accounts import audit, repository
from engine.accounts import repository_enrolment as sql
from engine.accounts.audit import Actor
from engine.accounts.enrolment_csv import EnrolmentRow, export_csv, parse_enrolment
from engine.accounts.models import EnrolmentReport, RowError
from engine.accounts.scope import require_org
from engine.auth.passwords import UNUSABLE_HASH, passwords_for
from engine.kernel.errors import DomainError
from engine.kernel.principal import Principal
from engine.kernel.sql import Connection
from engine.ports import WithPool, WithSettings


class Needs(WithPool, WithSettings, Protocol):
    """What this module's services use of the process's collaborators (engine/ports.py)."""


class Plan(msgspec.Struct):
    create: list[EnrolmentRow]
    update: list[tuple[uuid.UUID, EnrolmentRow]]
    unchanged: int
    errors: list[RowError]


async def _plan(conn: Connection, org_id: uuid.UUID, rows: list[EnrolmentRow]) -> Plan:
    known = {
        a.national_id: a
        for a in await sql.accounts_by_national_id(conn, [row.national_id for row in rows])
    }
    usernames = {
        h.username.lower(): h.national_id
        for h in await sql.username_holders(conn, [row.username for row in rows])
    }
    plan = Plan([], [], 0, [])
    for row in rows:
        found = known.get(row.national_id)
        holder = usernames.get(row.username.lower(), row.national_id)
        if found is not None and found.org_id != org_id:
            plan.errors.append(RowError(row.line, "national_id", "enrolled at another school"))
        elif found is not None and found.role != "student":
            plan.errors.append(RowError(row.line, "national_id", "belongs to a staff account"))
        elif holder != row.national_id:
            plan.errors.append(RowError(row.line, "username", "already in use by someone else"))
        elif found is None:
            plan.create.append(row)
        elif (found.username, found.display_name, found.class_name) != (
            row.username,
            row.display_name,
            row.class_name,
        ):
            plan.update.append((found.id, row))
        else:
            plan.unchanged += 1
    return plan


async def _hash_passwords(
    svc: Needs, rows: list[EnrolmentRow], done: dict[int, str] | None = None
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


async def _apply(
    conn: Connection, org_id: uuid.UUID, plan: Plan, password_hashes: dict[int, str]
) -> int:
    names = sorted({r.class_name for r in plan.create} | {r.class_name for _, r in plan.update})
    before = await sql.class_count(conn, org_id)
    await sql.insert_classes(conn, org_id, names)
    class_ids = await sql.class_ids_by_name(conn, org_id)
    hashes = [password_hashes[r.line] for r in plan.create]
    await sql.insert_students(
        conn,
        org_id,
        [
            sql.NewStudent(
                id=uuid.uuid4(),
                username=r.username,
                display_name=r.display_name,
                password_hash=h,
                national_id=r.national_id,
                class_id=class_ids[r.class_name],
            )
            for r, h in zip(plan.create, hashes, strict=True)
        ],
    )
    await sql.update_students(
        conn,
        [
            sql.StudentChange(uid, r.username, r.display_name, class_ids[r.class_name])
            for uid, r in plan.update
        ],
    )
    return await sql.class_count(conn, org_id) - before


async def import_students(
    svc: Needs, actor: Actor, org_id: uuid.UUID, body: bytes, dry_run: bool
) -> EnrolmentReport:
    # off the loop: scoring every password (zxcvbn) of a big file takes a while
    parsed = await asyncio.to_thread(
        parse_enrolment, body, password_min_score=svc.settings.password_min_score
    )
    async with svc.pool.acquire() as conn:
        await require_org(conn, actor.principal, org_id)
        kind = await repository.org_kind(conn, org_id)
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
        await sql.lock_school_enrolment(conn, org_id)
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


async def export_students(svc: Needs, principal: Principal, org_id: uuid.UUID) -> bytes:
    async with svc.pool.acquire() as conn:
        await require_org(conn, principal, org_id)
        students = await sql.students_to_export(conn, org_id)
    return export_csv([(s.national_id, s.username, s.display_name, s.class_name) for s in students])
