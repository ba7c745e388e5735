"""Import (QTI item, QTI package, CSV), export (QTI item, package) and media uploads.

Imports keep every good item and report every bad one (file or row) with its reason; the good
ones are created in one transaction, so a crash leaves all or none of them.
"""

from __future__ import annotations

import asyncio
import uuid

import msgspec

from engine.kernel.errors import DomainError, not_found
from engine.kernel.principal import Principal
from engine.kernel.sql import Pool
from question_bank import repository as sql
from question_bank import service
from question_bank.bulk import CsvError, parse_csv
from question_bank.content import media_refs
from question_bank.import_report import import_entries, imported
from question_bank.items import ItemCreate
from question_bank.kinds import MEDIA_PATH
from question_bank.media import EXTENSIONS, MediaError, MediaStore, check_upload
from question_bank.models import ImportReport, ItemSaved, Media, RowError
from question_bank.packages import (
    PackedMedia,
    export_package,
    read_package,
)
from question_bank.qti_export import export_item
from question_bank.qti_import import QtiError, import_items

MAX_EXPORT_ITEMS = 5000


def qti_problem(err: QtiError) -> DomainError:
    if err.unsafe:
        return DomainError(400, "unsafe_xml", "The XML was refused as unsafe", err.message)
    if err.code is not None:
        return DomainError(400, err.code, "The content cannot be imported", err.message)
    return DomainError(400, "qti_invalid", "The QTI document cannot be imported", err.message)


def media_problem(err: MediaError) -> DomainError:
    status = {"payload_too_large": 413, "unsupported_media_type": 415}.get(err.code, 400)
    return DomainError(status, err.code, "The file was refused", err.message)


async def _create_all(
    pool: Pool,
    principal: Principal,
    items: list[tuple[int | str, ItemCreate]],
    bank_id: uuid.UUID | None,
    publish: bool,
    errors: list[RowError],
) -> ImportReport:
    created: list[ItemSaved] = []
    async with pool.acquire() as conn, conn.transaction():
        await service._own_bank(conn, principal, bank_id)
        for _, item in items:
            created.append(await service.create_in(conn, principal, item, bank_id, publish))
    return ImportReport(created=created, errors=errors)


async def upload_media(
    pool: Pool, store: MediaStore, principal: Principal, filename: str, data: bytes, max_bytes: int
) -> Media:
    principal.require_staff()
    try:
        content_type, digest = check_upload(data, max_bytes)
    except MediaError as err:
        raise media_problem(err) from err
    media_id = uuid.uuid4()
    await store.put(str(media_id), data, content_type)
    async with pool.acquire() as conn:
        await sql.insert_media(
            conn,
            media_id,
            principal.org_id,
            filename[:200] or "file",
            content_type,
            len(data),
            digest,
            store.kind,
            principal.user_id,
        )
        doc = await sql.media(conn, media_id)
    assert doc is not None  # inserted just now, and media are never deleted
    return doc


async def media_for_student(
    pool: Pool, store: MediaStore, media_id: uuid.UUID
) -> tuple[Media, bytes | str]:
    """The medium and either its bytes (local) or a presigned URL to redirect to (S3)."""
    async with pool.acquire() as conn:
        doc = await sql.media(conn, media_id)
    if doc is None:
        raise not_found("media")
    url = store.presigned_url(str(media_id), doc.content_type)
    if url is not None:
        return doc, url
    data = await store.read(str(media_id))
    if data is None:
        raise not_found("media")
    return doc, data


async def import_qti(
    pool: Pool,
    store: MediaStore,
    principal: Principal,
    data: bytes,
    bank_id: uuid.UUID | None,
    publish: bool,
    max_media_bytes: int,
) -> ImportReport:
    """One item XML, or a content package (zip) whose media are uploaded and relinked."""
    principal.require_staff()
    # unpacking and parsing are CPU work on untrusted bytes: in a thread, so the event loop
    # keeps serving while a large or hostile file is read
    if not data.startswith(b"PK\x03\x04"):
        try:
            parts = await asyncio.to_thread(import_items, data)
        except QtiError as err:
            raise qti_problem(err) from err
        report = await _create_all(
            pool, principal, [("item", p.item) for p in parts], bank_id, publish, []
        )
        return msgspec.structs.replace(report, items=[imported("item", p) for p in parts])
    try:
        package = await asyncio.to_thread(read_package, data)
    except QtiError as err:
        raise qti_problem(err) from err
    urls: dict[str, str] = {}
    errors: list[RowError] = []
    for path, content in package.media.items():
        try:
            urls[path] = (
                await upload_media(
                    pool, store, principal, path.rsplit("/", 1)[-1], content, max_media_bytes
                )
            ).url
        except DomainError as problem:
            errors.append(RowError(row=path, field="media", message=problem.detail or ""))
    items, outcomes = await asyncio.to_thread(import_entries, package.items, urls)
    errors += [
        RowError(row=o.file, field="xml", message=o.reason or "")
        for o in outcomes
        if o.status == "refused"
    ]
    report = await _create_all(
        pool, principal, [(href, item) for href, item in items], bank_id, publish, errors
    )
    return msgspec.structs.replace(report, items=outcomes)


async def import_csv(
    pool: Pool, principal: Principal, data: bytes, bank_id: uuid.UUID | None, publish: bool
) -> ImportReport:
    principal.require_staff()
    try:
        good, errors = await asyncio.to_thread(parse_csv, data)
    except CsvError as err:
        raise DomainError(400, "csv_invalid", "The CSV file cannot be read", str(err)) from err
    return await _create_all(pool, principal, [(n, i) for n, i in good], bank_id, publish, errors)


async def export_qti_item(
    pool: Pool, principal: Principal, item_id: uuid.UUID, version: int | None
) -> bytes:
    doc = await service.get_item(pool, principal, item_id, version)
    return export_item(f"item-{doc.id}-v{doc.version}", doc.item)


async def export_qti_package(
    pool: Pool,
    store: MediaStore,
    principal: Principal,
    bank_id: uuid.UUID | None,
    item_ids: list[uuid.UUID],
) -> bytes:
    """A package of the given items, or of every item the caller sees in a bank."""
    if not item_ids:
        page = await service.search_items(
            pool, principal, service.SearchQuery(bank_id=bank_id, limit=MAX_EXPORT_ITEMS)
        )
        item_ids = [s.id for s in page.items]
    docs = [await service.get_item(pool, principal, i) for i in item_ids[:MAX_EXPORT_ITEMS]]
    wanted = {m for d in docs for m in _media_of(d.item)}
    media: list[PackedMedia] = []
    for media_id in sorted(wanted):
        try:
            doc, content = await media_for_student(pool, store, uuid.UUID(media_id))
        except DomainError:
            continue  # a dangling reference stays a reference; the item still exports
        data = content if isinstance(content, bytes) else await store.read(media_id)
        if data is not None:
            media.append(
                PackedMedia(
                    media_id, EXTENSIONS.get(doc.content_type, "bin"), doc.content_type, data
                )
            )
    return export_package([(f"item-{d.id}-v{d.version}", d.item) for d in docs], media)


def _media_of(item: ItemCreate) -> list[str]:
    texts = [item.stem, item.explanation or "", getattr(item, "image", "") or ""]
    if item.stimulus is not None:
        texts.append(item.stimulus.body)
    hottext = getattr(item, "hottext", None)
    if hottext is not None:
        texts.append(hottext.passage)
    for field in ("options", "sources", "targets"):
        texts += [o.text for o in getattr(item, field, None) or []]
    found = [m for t in texts for m in media_refs(t)]
    graphic = getattr(item, "graphic", None)
    image = getattr(item, "image", "") or (graphic.image if graphic is not None else "")
    if image.startswith(MEDIA_PATH):
        found.append(image.removeprefix(MEDIA_PATH))
    return found
