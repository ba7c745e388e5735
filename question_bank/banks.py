"""Banks: owned by one organisation, shared read-only with others; blueprints drawn from them."""

from __future__ import annotations

import uuid

import msgspec

from engine.kernel.errors import conflict, forbidden, not_found, validation_failed
from engine.kernel.principal import Principal
from engine.kernel.sql import Connection, Pool
from question_bank import repository as sql
from question_bank.blueprints import Blueprint, BlueprintError, Picked, resolve
from question_bank.models import Bank, BankCreate

# sharing decides what other schools can read: an organisation's admins decide it
SHARING_ROLES = frozenset({"admin", "school_admin"})


async def create_bank(pool: Pool, principal: Principal, data: BankCreate) -> Bank:
    principal.require_staff()
    bank_id = uuid.uuid4()
    async with pool.acquire() as conn, conn.transaction():
        created = await sql.insert_bank(
            conn, bank_id, principal.org_id, data.name, data.description, principal.user_id
        )
        if not created:
            raise conflict(
                "bank_exists",
                "A bank with this name exists",
                f"your organisation already has a bank named {data.name!r}",
            )
        return await sql.bank(conn, principal.org_id, bank_id)


async def list_banks(pool: Pool, principal: Principal) -> list[Bank]:
    principal.require_staff()
    async with pool.acquire() as conn:
        return await sql.banks(conn, principal.org_id)


async def _own_bank(conn: Connection, principal: Principal, bank_id: uuid.UUID) -> None:
    if principal.role not in SHARING_ROLES:
        raise forbidden("sharing a bank needs an organiser or school admin account")
    if not await sql.owns_bank(conn, bank_id, principal.org_id):
        raise not_found("bank")


async def share_bank(
    pool: Pool, principal: Principal, bank_id: uuid.UUID, org_ids: list[uuid.UUID]
) -> Bank:
    async with pool.acquire() as conn, conn.transaction():
        await _own_bank(conn, principal, bank_id)
        known = await sql.existing_orgs(conn, org_ids)
        unknown = [str(o) for o in org_ids if o not in known]
        if unknown:
            raise validation_failed(
                "unknown organisations",
                [
                    {"field": "org_ids", "message": f"no such organisation: {o}"}
                    for o in unknown[:20]
                ],
            )
        targets = [o for o in org_ids if o != principal.org_id]
        await sql.share_bank(conn, bank_id, targets)
        return await sql.bank(conn, principal.org_id, bank_id)


async def unshare_bank(
    pool: Pool, principal: Principal, bank_id: uuid.UUID, org_id: uuid.UUID
) -> Bank:
    async with pool.acquire() as conn, conn.transaction():
        await _own_bank(conn, principal, bank_id)
        await sql.unshare_bank(conn, bank_id, org_id)
        return await sql.bank(conn, principal.org_id, bank_id)


class BlueprintResolve(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    blueprint: Blueprint
    seed: int = 0
    # draw only from this bank (else from everything the organisation may use)
    bank_id: uuid.UUID | None = None


async def resolve_blueprint(
    pool: Pool, principal: Principal, data: BlueprintResolve
) -> list[Picked]:
    """The (item, version) pins a blueprint gives for a seed, from published versions only:
    what an exam section pins when it is defined by rules."""
    principal.require_staff()
    async with pool.acquire() as conn:
        pool_items = await sql.candidates(conn, data.bank_id, principal.org_id)
    try:
        return resolve(data.blueprint, pool_items, data.seed)
    except BlueprintError as err:
        raise validation_failed(
            err.message, [{"field": f"blueprint.rules[{err.rule}]", "message": err.message}]
        ) from err
