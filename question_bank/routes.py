"""HTTP endpoints of the question bank: decode → one service call → encode."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from litestar import Controller, Request, Response, delete, get, post, put
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from engine.auth.policy import MANAGERS, STAFF, allow
from engine.deps import Svc
from engine.kernel.errors import DomainError
from engine.kernel.principal import Principal
from engine.services import Services
from question_bank import banks, service, transfer
from question_bank.blueprints import Picked
from question_bank.items import ItemCreate
from question_bank.media import IMMUTABLE, MediaStore, media_store
from question_bank.models import (
    Bank,
    BankCreate,
    CacheStats,
    ImportReport,
    ItemDiff,
    ItemPage,
    ItemSaved,
    ItemVersionDoc,
    Media,
    ShareCreate,
    VersionInfo,
)

Req = Request[Principal, Any, Any]
ItemId = FromPath[uuid.UUID]
Limit = Annotated[int, QueryParameter(ge=1, le=200)]
Offset = Annotated[int, QueryParameter(ge=0, le=1_000_000)]
Version = Annotated[int | None, QueryParameter(ge=1)]
BankQuery = FromQuery[uuid.UUID | None]
Publish = FromQuery[bool]
Text = FromQuery[str | None]


class ItemController(Controller):
    path = "/v1/items"
    tags = ["items"]
    opt = allow(*STAFF)  # who may call: engine/auth/policy.py

    @post("/", summary="Create an item: version 1, a draft unless publish=true")
    async def create(
        self,
        svc: Svc,
        request: Req,
        data: JSONBody[ItemCreate],
        bank_id: BankQuery = None,
        publish: Publish = False,
    ) -> ItemSaved:
        return await service.create_item(svc.pool, request.user, data, bank_id, publish)

    @get("/", summary="Search and list items (latest visible version of each), paginated")
    async def search(
        self,
        svc: Svc,
        request: Req,
        q: Text = None,
        tag: Text = None,
        topic: Text = None,
        subject: Text = None,
        kind: Text = None,
        status: Text = None,
        used: FromQuery[bool | None] = None,
        bank_id: BankQuery = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> ItemPage:
        query = service.SearchQuery(
            q, tag, topic, subject, kind, status, used, bank_id, limit, offset
        )
        return await service.search_items(svc.pool, request.user, query)

    @get("/{item_id:uuid}", summary="The latest version of an item (or ?version=N)")
    async def one(
        self, svc: Svc, request: Req, item_id: ItemId, version: Version = None
    ) -> ItemVersionDoc:
        return await service.get_item(svc.pool, request.user, item_id, version)

    @put("/{item_id:uuid}", summary="Edit: changes the draft, or starts a new draft version")
    async def edit(
        self, svc: Svc, request: Req, item_id: ItemId, data: JSONBody[ItemCreate]
    ) -> ItemSaved:
        return await service.edit_item(svc.pool, request.user, item_id, data)

    @get("/{item_id:uuid}/versions", summary="Version history")
    async def versions(self, svc: Svc, request: Req, item_id: ItemId) -> list[VersionInfo]:
        return await service.list_versions(svc.pool, request.user, item_id)

    @get("/{item_id:uuid}/versions/{version:int}", summary="One version")
    async def version(
        self, svc: Svc, request: Req, item_id: ItemId, version: FromPath[int]
    ) -> ItemVersionDoc:
        return await service.get_item(svc.pool, request.user, item_id, version)

    @put(
        "/{item_id:uuid}/versions/{version:int}",
        summary="Change a draft version (409 item_version_published for a published one)",
    )
    async def edit_version(
        self,
        svc: Svc,
        request: Req,
        item_id: ItemId,
        version: FromPath[int],
        data: JSONBody[ItemCreate],
    ) -> ItemSaved:
        return await service.edit_version(svc.pool, request.user, item_id, version, data)

    @post(
        "/{item_id:uuid}/publish",
        summary="Publish the draft: it becomes immutable",
        status_code=200,
    )
    async def publish(self, svc: Svc, request: Req, item_id: ItemId) -> ItemSaved:
        return await service.publish_item(svc.pool, request.user, item_id)

    @get("/{item_id:uuid}/diff", summary="What changed between two versions")
    async def diff(
        self,
        svc: Svc,
        request: Req,
        item_id: ItemId,
        from_version: Annotated[int, QueryParameter(name="from", ge=1)],
        to_version: Annotated[int, QueryParameter(name="to", ge=1)],
    ) -> ItemDiff:
        return await service.diff_versions(
            svc.pool, request.user, item_id, from_version, to_version
        )


class BankController(Controller):
    path = "/v1/banks"
    tags = ["banks"]
    opt = allow(*STAFF)  # who may call: engine/auth/policy.py

    @post("/", summary="Create a bank of my organisation")
    async def create(self, svc: Svc, request: Req, data: JSONBody[BankCreate]) -> Bank:
        return await banks.create_bank(svc.pool, request.user, data)

    @get("/", summary="My organisation's banks and the banks shared with it")
    async def list(self, svc: Svc, request: Req) -> list[Bank]:
        return await banks.list_banks(svc.pool, request.user)

    @post(
        "/{bank_id:uuid}/shares",
        summary="Share a bank read-only with organisations",
        status_code=200,
        opt=allow(*MANAGERS),
    )
    async def share(
        self, svc: Svc, request: Req, bank_id: FromPath[uuid.UUID], data: JSONBody[ShareCreate]
    ) -> Bank:
        return await banks.share_bank(svc.pool, request.user, bank_id, data.org_ids)

    @delete(
        "/{bank_id:uuid}/shares/{org_id:uuid}",
        summary="Stop sharing a bank with one org",
        status_code=200,
        opt=allow(*MANAGERS),
    )
    async def unshare(
        self, svc: Svc, request: Req, bank_id: FromPath[uuid.UUID], org_id: FromPath[uuid.UUID]
    ) -> Bank:
        return await banks.unshare_bank(svc.pool, request.user, bank_id, org_id)


class BlueprintController(Controller):
    path = "/v1/blueprints"
    tags = ["items"]
    opt = allow(*STAFF)

    @post(
        "/resolve",
        summary="The items a blueprint picks for a seed (deterministic)",
        status_code=200,
    )
    async def resolve(
        self, svc: Svc, request: Req, data: JSONBody[banks.BlueprintResolve]
    ) -> list[Picked]:
        return await banks.resolve_blueprint(svc.pool, request.user, data)


async def read_body(request: Req, limit: int) -> bytes:
    """The request body, refused with 413 as soon as it passes ``limit`` (never buffered past)."""
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise DomainError(
                413, "payload_too_large", "The request body is too large", f"at most {limit} bytes"
            )
        chunks.append(chunk)
    return b"".join(chunks)


def store_of(svc: Services) -> MediaStore:
    s = svc.settings
    return media_store(
        s.data_dir,
        s.media_s3_bucket,
        region=s.aws_region,
        endpoint_url=s.media_s3_endpoint_url,
        url_ttl_s=s.media_url_ttl_s,
    )


class ContentTransferController(Controller):
    path = "/v1/items"
    tags = ["items"]
    opt = allow(*STAFF)  # who may call: engine/auth/policy.py

    @post(
        "/import",
        summary="Import one QTI 3.0 item (XML) or a content package (zip)",
        request_max_body_size=None,
    )
    async def import_qti(
        self, svc: Svc, request: Req, bank_id: BankQuery = None, publish: Publish = False
    ) -> ImportReport:
        data = await read_body(request, svc.settings.import_max_bytes)
        return await transfer.import_qti(
            svc.pool,
            store_of(svc),
            request.user,
            data,
            bank_id,
            publish,
            svc.settings.media_max_bytes,
        )

    @post(
        "/import/csv",
        summary="Bulk import from CSV; every bad row is reported",
        request_max_body_size=None,
    )
    async def import_csv(
        self, svc: Svc, request: Req, bank_id: BankQuery = None, publish: Publish = False
    ) -> ImportReport:
        data = await read_body(request, svc.settings.import_max_bytes)
        return await transfer.import_csv(svc.pool, request.user, data, bank_id, publish)

    @get("/{item_id:uuid}/qti", summary="The item (latest or ?version=N) as QTI 3.0 XML")
    async def export_item(
        self, svc: Svc, request: Req, item_id: ItemId, version: Version = None
    ) -> Response[bytes]:
        body = await transfer.export_qti_item(svc.pool, request.user, item_id, version)
        return Response(
            body,
            media_type="application/xml",
            headers={"Content-Disposition": f'attachment; filename="item-{item_id}.xml"'},
        )

    @get("/export", summary="A QTI 3.0 content package of a bank or of named items")
    async def export_package(
        self,
        svc: Svc,
        request: Req,
        bank_id: BankQuery = None,
        ids: FromQuery[list[uuid.UUID] | None] = None,
    ) -> Response[bytes]:
        body = await transfer.export_qti_package(
            svc.pool, store_of(svc), request.user, bank_id, ids or []
        )
        return Response(
            body,
            media_type="application/zip",
            headers={"Content-Disposition": 'attachment; filename="ujian-items.zip"'},
        )


class MediaController(Controller):
    path = "/v1/media"
    tags = ["media"]
    opt = allow(*STAFF)  # who may call: engine/auth/policy.py

    @post(
        "/",
        summary="Upload an image or audio file for item stems (raw body)",
        request_max_body_size=None,
    )
    async def upload(self, svc: Svc, request: Req, filename: FromQuery[str] = "file") -> Media:
        data = await read_body(request, svc.settings.media_max_bytes)
        return await transfer.upload_media(
            svc.pool, store_of(svc), request.user, filename, data, svc.settings.media_max_bytes
        )

    # public: <img src> carries no bearer token; the id is an unguessable UUID
    @get(
        "/{media_id:uuid}",
        summary="A medium, cached for a year (immutable)",
        exclude_from_auth=True,
    )
    async def fetch(self, svc: Svc, media_id: FromPath[uuid.UUID]) -> Response[bytes]:
        doc, content = await transfer.media_for_student(svc.pool, store_of(svc), media_id)
        if isinstance(content, str):
            return Response(
                b"",
                status_code=302,
                headers={"Location": content, "Cache-Control": "private, max-age=300"},
            )
        return Response(
            content,
            media_type=doc.content_type,
            headers={
                "Cache-Control": IMMUTABLE,
                "ETag": f'"{doc.sha256}"',
                "X-Content-Type-Options": "nosniff",
            },
        )


@get(
    "/v1/cache/stats",
    tags=["operations"],
    summary="Item and paper cache hits per tier",
    opt=allow(*STAFF),
)
async def cache_stats(svc: Svc, request: Req) -> CacheStats:
    request.user.require_staff()
    return svc.papers.summary()
