"""Sign-in: password (argon2, rehash on login), refresh rotation, sign-out, exam cards."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Protocol

import msgspec

from engine.auth import cards, devices, refresh, repository, revocation
from engine.auth.passwords import passwords_for
from engine.auth.ratelimit import limits_for
from engine.auth.revocation import CARD_TOKEN_MAX_S
from engine.auth.tokens import issue_access_token, new_device_id
from engine.kernel.errors import DomainError
from engine.kernel.principal import Principal, Role
from engine.kernel.sql import Connection
from engine.ports import WithPool, WithRedis, WithSettings


class Needs(WithPool, WithRedis, WithSettings, Protocol):
    """What this module's services use of the process's collaborators (engine/ports.py)."""


def card_token_until(
    window_close: datetime, grace_s: int, granted_s: int | None, now: datetime
) -> datetime:
    """When a card token stops working: a sitting ends at the latest at the window's close
    plus the extra time a proctor granted, and its last answers may come within the grace
    period after that (pauses do not stretch it further); never more than a day after now."""
    until = window_close + timedelta(seconds=grace_s + (granted_s or 0))
    return min(until, now + timedelta(seconds=CARD_TOKEN_MAX_S))


class SignIn(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    username: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    password: Annotated[str, msgspec.Meta(min_length=1, max_length=1000)]
    # the device_token an earlier sign-in to this account returned on this device: with it,
    # nobody else's failed attempts lock this device out (engine/auth/ratelimit.py)
    device_token: Annotated[str, msgspec.Meta(max_length=2000)] | None = None


class RefreshRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    refresh_token: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


class CardSignIn(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    code: Annotated[str, msgspec.Meta(min_length=1, max_length=40)]


class AccessToken(msgspec.Struct, frozen=True):
    access_token: str
    token_type: str
    expires_in: int
    role: Role
    user_id: uuid.UUID
    refresh_token: str | None = None
    refresh_expires_in: int | None = None
    # set for an exam card: the one exam this token opens
    exam_id: uuid.UUID | None = None
    # password sign-in: keep it on this device and send it with the next sign-in to this
    # account (SignIn.device_token)
    device_token: str | None = None
    # the IANA zone of the user's school (WIB, WITA or WIT): the pages show times in it
    time_zone: str = repository.DEFAULT_TIME_ZONE


def _invalid_credentials() -> DomainError:
    return DomainError(401, "invalid_credentials", "Wrong username or password")


async def _pair(
    svc: Needs,
    auth: Any,
    conn: Connection | None,
    principal: Principal,
    refresh_token: str | None = None,
    time_zone: str | None = None,
) -> AccessToken:
    # on the caller's connection: a second acquire while one is held deadlocks the pool once
    # every connection is held by a sign-in waiting for its second (a school signing in at once)
    if conn is None:
        async with svc.pool.acquire() as own:
            return await _pair(svc, auth, own, principal, refresh_token, time_zone)
    ttl = svc.settings.refresh_token_ttl_s
    if refresh_token is None:
        refresh_token = await refresh.issue(conn, principal.user_id, principal.device, ttl)
    return AccessToken(
        access_token=issue_access_token(auth, principal),
        token_type="Bearer",
        expires_in=svc.settings.access_token_ttl_s,
        role=principal.role,
        user_id=principal.user_id,
        refresh_token=refresh_token,
        refresh_expires_in=ttl,
        time_zone=time_zone or await repository.school_time_zone(conn, principal.org_id),
    )


async def sign_in(svc: Needs, auth: Any, data: SignIn, ip: str) -> AccessToken:
    limits = limits_for(svc.redis, svc.settings)
    secret = auth.token_secret
    device = devices.trusted_device(secret, data.device_token, data.username)
    # counted as a failure before the password is looked at: parallel guesses cannot all pass
    reservation = await limits.reserve(ip, data.username, device)
    async with svc.pool.acquire() as conn:
        account = await repository.account_by_username(conn, data.username)
    passwords = passwords_for(svc.settings)
    ok, stale = await passwords.verify(account.password_hash if account else None, data.password)
    if not ok or account is None:
        raise _invalid_credentials()
    await limits.succeeded(reservation)
    # a trusted device keeps its id, so its next sign-ins stay trusted under the same counter
    principal = Principal(
        account.id, account.org_id, account.role, device=device or new_device_id()
    )
    # hashed before a connection is taken: argon2 takes far longer than the queries
    upgraded = await passwords.hash_async(data.password) if stale else None
    async with svc.pool.acquire() as conn:
        if upgraded is not None:
            # the cost settings changed since this hash was made: upgrade it while we know it
            await repository.upgrade_hash(conn, account.id, account.password_hash, upgraded)
        pair = await _pair(svc, auth, conn, principal, time_zone=account.time_zone)
    return msgspec.structs.replace(
        pair,
        device_token=devices.issue(
            secret, data.username, principal.device, svc.settings.device_token_ttl_s
        ),
    )


async def refresh_tokens(svc: Needs, auth: Any, data: RefreshRequest, ip: str) -> AccessToken:
    limits = limits_for(svc.redis, svc.settings)
    account = "refresh:" + data.refresh_token[:32]
    reservation = await limits.reserve(ip, account, kind="refresh")
    try:
        async with svc.pool.acquire() as conn, conn.transaction():
            rotated = await refresh.rotate(
                conn, data.refresh_token, svc.settings.refresh_token_ttl_s
            )
    except refresh.NotOurs:
        raise  # a guess: it stays counted
    except refresh.TokenReused as reused:
        # whoever holds the copy may already hold a fresh access token of this sign-in: the
        # device's access tokens stop too, at once, not when they expire
        async with svc.pool.acquire() as conn:
            await refresh.revoke_family(conn, reused.family_id)
        if reused.device:
            await revocation.revoke(
                svc.redis, svc.settings.redis_namespace, [revocation.device_subject(reused.device)]
            )
        await limits.succeeded(reservation)
        raise
    except DomainError:
        # expired or signed out: a real token, no guess. A school whose pupils all come back
        # with yesterday's tokens must not use up its address's failures
        await limits.succeeded(reservation)
        raise
    await limits.succeeded(reservation)
    principal = Principal(
        rotated.user_id,
        rotated.org_id,
        rotated.role,  # type: ignore[arg-type]
        device=rotated.device,
    )
    return await _pair(svc, auth, None, principal, rotated.token)


async def sign_out(svc: Needs, data: RefreshRequest) -> None:
    """The session's refresh tokens and, within seconds, its access tokens stop working."""
    async with svc.pool.acquire() as conn:
        device = await refresh.revoke_family_of(conn, data.refresh_token)
    if device:
        await revocation.revoke(
            svc.redis, svc.settings.redis_namespace, [revocation.device_subject(device)]
        )


async def card_sign_in(svc: Needs, auth: Any, data: CardSignIn, ip: str) -> AccessToken:
    symbols = cards.normalise(data.code)
    limits = limits_for(svc.redis, svc.settings)
    account = "card:" + (symbols or data.code)
    reservation = await limits.reserve(ip, account, kind="card")
    row = None
    if symbols is not None:
        async with svc.pool.acquire() as conn:
            row = await repository.card_holder(conn, cards.digest(symbols))
    if row is None:
        raise DomainError(401, "invalid_card", "This exam card code is not valid")
    # a real card is not a guess, even outside its window
    await limits.succeeded(reservation)
    now = datetime.now(UTC)
    opens = row.window_open - timedelta(seconds=svc.settings.card_early_s)
    until = card_token_until(row.window_close, row.grace_s, row.granted_s, now)
    # after the close only a student with a sitting still running (granted time) gets back in
    closes = row.window_close if row.granted_s is None else until
    if not opens <= now < closes:
        raise DomainError(
            403,
            "card_not_valid_now",
            "This exam card is not valid now",
            f"it opens the exam from {opens.isoformat()} until {row.window_close.isoformat()}",
        )
    principal = Principal(
        row.student_id,
        row.org_id,
        row.role,
        exam_id=row.exam_id,
        device=new_device_id(),
    )
    lifetime = (until - now).total_seconds()
    return AccessToken(
        access_token=issue_access_token(auth, principal, timedelta(seconds=lifetime)),
        token_type="Bearer",
        expires_in=int(lifetime),
        role=principal.role,
        user_id=principal.user_id,
        exam_id=row.exam_id,
        time_zone=row.time_zone,
    )
