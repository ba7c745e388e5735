"""Rules of the item endpoints: create, edit (draft or new version), publish, read, diff, search.

Each function takes the pool and the caller and runs in one transaction. Errors a client can
cause are Problems with stable codes; nothing is stored when one is raised.
"""

from __future__ import annotations

import asyncio
import uuid

import msgspec

from engine.kernel.errors import DomainError, conflict, forbidden, not_found, validation_failed
from engine.kernel.principal import Principal
from engine.kernel.sql import Connection, Pool
from question_bank import repository as sql
from question_bank.content import plain_text
from question_bank.items import PLACEHOLDER, ItemCreate, ItemError, item_kind, split_item
from question_bank.models import (
    ItemDiff,
    ItemPage,
    ItemSaved,
    ItemVersionDoc,
    StoredItem,
    VersionInfo,
    VersionStatus,
)
from question_bank.normalise import normalise_item
from question_bank.versions import as_document, diff_items, edit_action


def stored_item(item: ItemCreate) -> StoredItem:
    """Normalise, check and split an authored item; raises ItemError when it is inconsistent."""
    item = normalise_item(item)
    student, key = split_item("", item)
    texts = [plain_text(item.stem)]
    if item.stimulus is not None:
        # an item is found by the title of the passage it asks about
        texts.append(item.stimulus.title)
    hottext = getattr(item, "hottext", None)
    if hottext is not None:
        # the passage's words are found too; its place-holders are no words
        texts.append(plain_text(PLACEHOLDER.sub(" ", hottext.passage)))
    for field in ("options", "sources", "targets"):
        texts += [plain_text(o.text) for o in getattr(item, field, None) or []]
    meta = item.metadata
    texts += [t for t in (meta.subject, meta.topic, *meta.tags) if t]
    return StoredItem(
        kind=item_kind(item),
        content=msgspec.to_builtins(student),
        key=msgspec.to_builtins(key),
        authored=as_document(item),
        metadata=msgspec.to_builtins(meta),
        search_text=" ".join(texts),
    )


def _invalid(err: ItemError) -> DomainError:
    errors = [{"field": err.field, "message": err.message}]
    if err.code != "validation_failed":
        return DomainError(
            400,
            err.code,
            "The item cannot be saved",
            f"{err.field}: {err.message}",
            extra={"errors": errors},
        )
    return validation_failed(err.message, errors)


async def _prepare(item: ItemCreate) -> StoredItem:
    # cleaning rich text is pure-Python parsing (Markdown, HTML) of up to a body's worth of
    # text: in a thread, so the event loop keeps serving while a large item is saved
    try:
        return await asyncio.to_thread(stored_item, item)
    except ItemError as err:
        raise _invalid(err) from err


def published_version_problem(item_id: uuid.UUID, version: int) -> DomainError:
    return conflict(
        "item_version_published",
        "This item version is published and cannot change",
        f"version {version} of item {item_id} is published (exams may pin it); edit the item "
        "instead, which creates a new draft version",
    )


async def _own_bank(conn: Connection, principal: Principal, bank_id: uuid.UUID | None) -> None:
    if bank_id is not None and not await sql.owns_bank(conn, bank_id, principal.org_id):
        raise validation_failed(
            "bank_id is not a bank of your organisation",
            [{"field": "bank_id", "message": "no such bank of yours"}],
        )


async def create_in(
    conn: Connection,
    principal: Principal,
    item: ItemCreate,
    bank_id: uuid.UUID | None,
    publish: bool,
) -> ItemSaved:
    """Create an item (version 1) on an open connection: imports create many in one go."""
    parts = await _prepare(item)
    item_id = uuid.uuid4()
    status: VersionStatus = "published" if publish else "draft"
    await sql.insert_item(conn, item_id, principal.org_id, principal.user_id, bank_id)
    await sql.insert_version(conn, item_id, 1, parts, principal.user_id, status)
    return ItemSaved(id=item_id, version=1, kind=parts.kind, status=status)


async def create_item(
    pool: Pool,
    principal: Principal,
    item: ItemCreate,
    bank_id: uuid.UUID | None = None,
    publish: bool = False,
) -> ItemSaved:
    principal.require_staff()
    async with pool.acquire() as conn, conn.transaction():
        await _own_bank(conn, principal, bank_id)
        return await create_in(conn, principal, item, bank_id, publish)


async def _lock_own(conn: Connection, principal: Principal, item_id: uuid.UUID) -> None:
    principal.require_staff()
    if not await sql.lock_own_item(conn, item_id, principal.org_id):
        # a shared item is visible but read-only: say so rather than "not found"
        if await sql.version_doc(conn, item_id, principal.org_id, None) is not None:
            raise forbidden("this item is shared with your organisation read-only")
        raise not_found("item")


async def edit_item(
    pool: Pool, principal: Principal, item_id: uuid.UUID, item: ItemCreate
) -> ItemSaved:
    """Change the draft, or start a new draft version when the latest one is published."""
    parts = await _prepare(item)
    async with pool.acquire() as conn, conn.transaction():
        await _lock_own(conn, principal, item_id)
        latest = await sql.latest_version(conn, item_id)
        if edit_action(latest.status) == "update_draft":
            version = latest.version
            await sql.update_draft(conn, item_id, version, parts)
        else:
            version = latest.version + 1
            await sql.insert_version(conn, item_id, version, parts, principal.user_id, "draft")
    return ItemSaved(id=item_id, version=version, kind=parts.kind, status="draft")


async def edit_version(
    pool: Pool, principal: Principal, item_id: uuid.UUID, version: int, item: ItemCreate
) -> ItemSaved:
    """Change one named version: only a draft can change; a published one is a 409."""
    parts = await _prepare(item)
    async with pool.acquire() as conn, conn.transaction():
        await _lock_own(conn, principal, item_id)
        status = await sql.version_status(conn, item_id, version)
        if status is None:
            raise not_found("item version")
        if status == "published":
            raise published_version_problem(item_id, version)
        await sql.update_draft(conn, item_id, version, parts)
    return ItemSaved(id=item_id, version=version, kind=parts.kind, status="draft")


async def publish_item(pool: Pool, principal: Principal, item_id: uuid.UUID) -> ItemSaved:
    async with pool.acquire() as conn, conn.transaction():
        await _lock_own(conn, principal, item_id)
        published = await sql.publish_draft(conn, item_id)
    if published is None:
        raise conflict(
            "no_draft",
            "This item has no draft to publish",
            "its latest version is already published; edit it to start a draft",
        )
    return published


async def get_item(
    pool: Pool, principal: Principal, item_id: uuid.UUID, version: int | None = None
) -> ItemVersionDoc:
    principal.require_staff()
    async with pool.acquire() as conn:
        doc = await sql.version_doc(conn, item_id, principal.org_id, version)
    if doc is None:
        raise not_found("item version" if version is not None else "item")
    return doc


async def list_versions(pool: Pool, principal: Principal, item_id: uuid.UUID) -> list[VersionInfo]:
    principal.require_staff()
    async with pool.acquire() as conn:
        found = await sql.versions(conn, item_id, principal.org_id)
    if not found:
        raise not_found("item")
    return found


async def diff_versions(
    pool: Pool, principal: Principal, item_id: uuid.UUID, before: int, after: int
) -> ItemDiff:
    a = await get_item(pool, principal, item_id, before)
    b = await get_item(pool, principal, item_id, after)
    return ItemDiff(
        id=item_id, from_version=before, to_version=after, changes=diff_items(a.item, b.item)
    )


class SearchQuery(msgspec.Struct, frozen=True):
    q: str | None = None
    tag: str | None = None
    topic: str | None = None
    subject: str | None = None
    kind: str | None = None
    status: str | None = None
    used: bool | None = None
    bank_id: uuid.UUID | None = None
    limit: int = 50
    offset: int = 0


async def search_items(pool: Pool, principal: Principal, query: SearchQuery) -> ItemPage:
    principal.require_staff()
    async with pool.acquire() as conn:
        items, total = await sql.search(
            conn,
            query.bank_id,
            principal.org_id,
            query.q or None,
            query.tag,
            query.topic,
            query.subject,
            query.kind,
            query.status,
            query.used,
            query.limit,
            query.offset,
        )
    return ItemPage(
        items=items,
        total=total,
        limit=query.limit,
        offset=query.offset,
    )
