"""Organisations, classes, users and profiles: the rules, with their audit entries."""

from __future__ import annotations

import uuid
from typing import Protocol

import asyncpg
import msgspec

from engine.accounts import audit
from engine.accounts import repository as sql
from engine.accounts.audit import Actor
from engine.accounts.models import (
    ClassCreate,
    Org,
    OrgCreate,
    PasswordChange,
    Profile,
    ProfileUpdate,
    SchoolClass,
    User,
    UserCreate,
    UserUpdate,
)
from engine.accounts.scope import orgs_reached, require_org
from engine.auth import refresh, revocation
from engine.auth.password_policy import require_strong
from engine.auth.passwords import UNUSABLE_HASH, passwords_for
from engine.auth.ratelimit import limits_for
from engine.kernel.errors import DomainError, conflict, forbidden, not_found, validation_failed
from engine.kernel.principal import Principal
from engine.kernel.sql import Connection
from engine.ports import WithPool, WithRedis, WithSettings


class Needs(WithPool, WithRedis, WithSettings, Protocol):
    """What this module's services use of the process's collaborators (engine/ports.py)."""


# which roles each role may create (and manage)
MANAGEABLE: dict[str, frozenset[str]] = {
    "admin": frozenset({"admin", "school_admin", "teacher", "proctor", "student"}),
    "school_admin": frozenset({"school_admin", "teacher", "proctor", "student"}),
}


def _taken(err: asyncpg.UniqueViolationError) -> DomainError:
    what = {
        "users_username_key": "username",
        "users_national_id": "national_id",
        "orgs_code": "code",
    }.get(err.constraint_name or "", "value")
    return conflict("already_exists", "Already taken", f"this {what} is already in use")


async def _org(conn: Connection, org_id: uuid.UUID) -> Org:
    found = await sql.org_by_id(conn, org_id)
    if found is None:
        raise not_found("organisation")
    return found


async def _user(conn: Connection, user_id: uuid.UUID) -> User:
    """An account the caller's transaction has just written (or found in scope)."""
    found = await sql.user_by_id(conn, user_id)
    if found is None:
        raise not_found("user")
    return found


async def create_org(svc: Needs, actor: Actor, data: OrgCreate) -> Org:
    p = actor.principal
    org_id = uuid.uuid4()
    async with svc.pool.acquire() as conn, conn.transaction():
        parent = await require_org(conn, p, data.parent_id or p.org_id, "parent organisation")
        try:
            await sql.insert_org(conn, org_id, parent, data.name, data.kind, data.code)
        except asyncpg.UniqueViolationError as err:
            raise _taken(err) from err
        await audit.record(
            conn,
            actor,
            "org.create",
            org_id=org_id,
            target=org_id,
            detail={"name": data.name, "kind": data.kind, "parent": str(parent)},
        )
        return await _org(conn, org_id)


async def list_orgs(svc: Needs, principal: Principal) -> list[Org]:
    async with svc.pool.acquire() as conn:
        ids = await orgs_reached(conn, principal)
        return await sql.orgs_by_ids(conn, ids)


async def get_org(svc: Needs, principal: Principal, org_id: uuid.UUID) -> Org:
    async with svc.pool.acquire() as conn:
        await require_org(conn, principal, org_id)
        return await _org(conn, org_id)


async def create_class(
    svc: Needs, actor: Actor, org_id: uuid.UUID, data: ClassCreate
) -> SchoolClass:
    class_id = uuid.uuid4()
    async with svc.pool.acquire() as conn, conn.transaction():
        await require_org(conn, actor.principal, org_id)
        await sql.insert_class(conn, class_id, org_id, data.name)
        stored = await sql.class_by_name(conn, org_id, data.name)
        if stored is None:
            raise not_found("class")
        if stored.id == class_id:
            await audit.record(
                conn,
                actor,
                "class.create",
                org_id=org_id,
                target=class_id,
                detail={"name": data.name},
            )
        return stored


async def list_classes(svc: Needs, principal: Principal, org_id: uuid.UUID) -> list[SchoolClass]:
    async with svc.pool.acquire() as conn:
        await require_org(conn, principal, org_id)
        return await sql.classes_of_org(conn, org_id)


async def class_in_scope(
    conn: Connection, principal: Principal, class_id: uuid.UUID
) -> SchoolClass:
    found = await sql.class_by_id(conn, class_id)
    if found is None:
        raise not_found("class")
    await require_org(conn, principal, found.org_id, "class")
    return found


async def _check_class(conn: Connection, class_id: uuid.UUID | None, org_id: uuid.UUID) -> None:
    if class_id is None:
        return
    found = await sql.class_by_id(conn, class_id)
    if found is None or found.org_id != org_id:
        raise validation_failed(
            "no such class in this school",
            [{"field": "class_id", "message": "not a class of this school"}],
        )


def _require_manageable(principal: Principal, role: str) -> None:
    if role not in MANAGEABLE.get(principal.role, frozenset()):
        raise forbidden(f"a {principal.role} account may not manage {role} accounts")


async def create_user(svc: Needs, actor: Actor, org_id: uuid.UUID, data: UserCreate) -> User:
    p = actor.principal
    _require_manageable(p, data.role)
    if data.password:
        await require_strong(
            data.password,
            svc.settings.password_min_score,
            (data.username, data.display_name, data.national_id or ""),
        )
    password_hash = (
        await passwords_for(svc.settings).hash_async(data.password)
        if data.password
        else UNUSABLE_HASH
    )
    user_id = uuid.uuid4()
    async with svc.pool.acquire() as conn, conn.transaction():
        await require_org(conn, p, org_id)
        kind = await sql.org_kind(conn, org_id)
        if (data.role == "admin") != (kind == "organiser") and data.role in ("admin", "student"):
            raise validation_failed(f"a {data.role} account cannot belong to a {kind}")
        await _check_class(conn, data.class_id, org_id)
        try:
            await sql.insert_user(
                conn,
                user_id,
                org_id,
                data.username,
                data.display_name,
                data.role,
                password_hash,
                national_id=data.national_id,
                class_id=data.class_id,
                extra_time_pct=data.extra_time_pct,
            )
        except asyncpg.UniqueViolationError as err:
            raise _taken(err) from err
        await audit.record(
            conn,
            actor,
            "user.create",
            org_id=org_id,
            target=user_id,
            detail={"username": data.username, "role": data.role},
        )
        return await _user(conn, user_id)


async def list_users(
    svc: Needs,
    principal: Principal,
    org_id: uuid.UUID,
    role: str | None,
    class_id: uuid.UUID | None,
    after: str,
    limit: int,
) -> list[User]:
    async with svc.pool.acquire() as conn:
        await require_org(conn, principal, org_id)
        return await sql.users_of_org(conn, org_id, role, class_id, after, limit)


async def user_in_scope(conn: Connection, principal: Principal, user_id: uuid.UUID) -> User:
    found = await sql.user_by_id(conn, user_id)
    if found is None:
        raise not_found("user")
    await require_org(conn, principal, found.org_id, "user")
    return found


async def get_user(svc: Needs, principal: Principal, user_id: uuid.UUID) -> User:
    async with svc.pool.acquire() as conn:
        return await user_in_scope(conn, principal, user_id)


async def update_user(svc: Needs, actor: Actor, user_id: uuid.UUID, data: UserUpdate) -> User:
    p = actor.principal
    if data.password is not msgspec.UNSET:
        # names the caller gives in the same request count too
        await require_strong(
            data.password,
            svc.settings.password_min_score,
            [v for v in (data.display_name, data.national_id) if isinstance(v, str)],
        )
    new_hash = (
        None
        if data.password is msgspec.UNSET
        else await passwords_for(svc.settings).hash_async(data.password)
    )
    async with svc.pool.acquire() as conn, conn.transaction():
        found = await user_in_scope(conn, p, user_id)
        _require_manageable(p, found.role)
        merged = msgspec.structs.replace(
            found,
            **{
                f: getattr(data, f)
                for f in ("display_name", "class_id", "national_id", "extra_time_pct")
                if getattr(data, f) is not msgspec.UNSET
            },
        )
        await _check_class(conn, merged.class_id, found.org_id)
        try:
            await sql.update_user(conn, merged)
        except asyncpg.UniqueViolationError as err:
            raise _taken(err) from err
        changed = sorted(
            f
            for f in data.__struct_fields__
            if getattr(data, f) is not msgspec.UNSET and f != "password"
        )
        if new_hash is not None:
            await sql.set_password(conn, user_id, new_hash)
            await refresh.revoke_user(conn, user_id)
            changed.append("password")
        await audit.record(
            conn,
            actor,
            "user.update",
            org_id=found.org_id,
            target=user_id,
            detail={"fields": changed},
        )
        updated = await _user(conn, user_id)
    if new_hash is not None:
        await revoke_sign_ins(svc, user_id)
    return updated


async def my_profile(svc: Needs, principal: Principal) -> Profile:
    async with svc.pool.acquire() as conn:
        found = await sql.profile(conn, principal.user_id)
    if found is None:
        raise DomainError(401, "unauthorized", "This account no longer exists")
    return found


async def update_profile(svc: Needs, principal: Principal, data: ProfileUpdate) -> Profile:
    async with svc.pool.acquire() as conn:
        await sql.set_display_name(conn, principal.user_id, data.display_name)
    return await my_profile(svc, principal)


async def change_password(svc: Needs, actor: Actor, data: PasswordChange) -> None:
    """Needs the current password; signs out every other session (refresh tokens revoked).

    Guesses of the current password are limited like sign-in's, per (account, device): the
    device is the signed-in session's, so a stolen session guesses at the sign-in rate at most
    and cannot lock its owner's other devices out (engine/auth/ratelimit.py).
    """
    p = actor.principal
    passwords = passwords_for(svc.settings)
    async with svc.pool.acquire() as conn:
        account = await sql.password_and_names(conn, p.user_id)
    if account is None:
        raise DomainError(401, "unauthorized", "This account no longer exists")
    await require_strong(
        data.new_password,
        svc.settings.password_min_score,
        (account.username, account.display_name, account.national_id or ""),
        field="new_password",
    )
    limits = limits_for(svc.redis, svc.settings)
    reservation = await limits.reserve(actor.ip, f"password:{p.user_id}", p.device or "-")
    ok, _ = await passwords.verify(account.password_hash, data.current_password)
    if not ok:
        raise DomainError(403, "invalid_credentials", "The current password is wrong")
    await limits.succeeded(reservation)
    new_hash = await passwords.hash_async(data.new_password)
    async with svc.pool.acquire() as conn, conn.transaction():
        await sql.set_password(conn, p.user_id, new_hash)
        await refresh.revoke_user(conn, p.user_id)
        await audit.record(conn, actor, "user.password_change", org_id=p.org_id, target=p.user_id)
    await revoke_sign_ins(svc, p.user_id)


async def revoke_sign_ins(svc: Needs, user_id: uuid.UUID) -> None:
    """Every access token of the account, wherever issued, is refused within the revocation
    refresh interval (engine/auth/revocation.py)."""
    await revocation.revoke(
        svc.redis, svc.settings.redis_namespace, [revocation.user_subject(user_id)]
    )


async def _managed_other(conn: Connection, actor: Actor, user_id: uuid.UUID) -> User:
    found = await user_in_scope(conn, actor.principal, user_id)
    _require_manageable(actor.principal, found.role)
    if user_id == actor.principal.user_id:
        raise conflict(
            "own_account", "You cannot do this to your own account", "ask another administrator"
        )
    return found


async def set_disabled(svc: Needs, actor: Actor, user_id: uuid.UUID, disabled: bool) -> User:
    """Disable (no sign-in of any kind, every session and token revoked) or enable again."""
    async with svc.pool.acquire() as conn, conn.transaction():
        found = await _managed_other(conn, actor, user_id)
        await sql.set_disabled(conn, user_id, disabled)
        if disabled:
            await refresh.revoke_user(conn, user_id)
        await audit.record(
            conn,
            actor,
            "user.disable" if disabled else "user.enable",
            org_id=found.org_id,
            target=user_id,
        )
        changed = await _user(conn, user_id)
    if disabled:
        await revoke_sign_ins(svc, user_id)
    return changed


async def remove_user(svc: Needs, actor: Actor, user_id: uuid.UUID) -> None:
    """Remove an account: disabled for good, its exam cards deleted, hidden from listings, its
    username and national id free again; its sittings and results stay on record."""
    async with svc.pool.acquire() as conn, conn.transaction():
        found = await _managed_other(conn, actor, user_id)
        await sql.remove_user(conn, user_id, UNUSABLE_HASH)
        await refresh.revoke_user(conn, user_id)
        await audit.record(
            conn,
            actor,
            "user.remove",
            org_id=found.org_id,
            target=user_id,
            detail={
                "username": found.username,
                "role": found.role,
                "national_id": found.national_id,
            },
        )
    await revoke_sign_ins(svc, user_id)
