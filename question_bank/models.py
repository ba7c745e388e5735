"""Wire schema of the content endpoints: items and their versions, banks, imports, media."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec

from question_bank.kinds import ItemCreate, ItemMeta

VersionStatus = Literal["draft", "published"]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


class ItemSaved(msgspec.Struct, frozen=True):
    id: uuid.UUID
    version: int
    kind: str
    status: VersionStatus


class StoredItem(msgspec.Struct, frozen=True):
    """Everything one item version row holds, derived from the authored item."""

    kind: str
    content: dict[str, Any]
    key: dict[str, Any]
    authored: dict[str, Any]
    metadata: dict[str, Any]
    search_text: str


class ItemVersionDoc(msgspec.Struct, frozen=True):
    """One version of an item as its authors (and readers of a shared bank) see it."""

    id: uuid.UUID
    version: int
    kind: str
    status: VersionStatus
    org_id: uuid.UUID
    bank_id: uuid.UUID | None
    item: ItemCreate
    created_at: datetime
    updated_at: datetime
    published_at: datetime | None
    latest_version: int
    # how many exams pin this version
    usage: int


class VersionInfo(msgspec.Struct, frozen=True):
    version: int
    status: VersionStatus
    created_at: datetime
    updated_at: datetime
    published_at: datetime | None
    usage: int


class ItemSummary(msgspec.Struct, frozen=True):
    id: uuid.UUID
    version: int
    kind: str
    status: VersionStatus
    bank_id: uuid.UUID | None
    stem: str  # plain text, shortened
    metadata: ItemMeta
    usage: int
    updated_at: datetime


class ItemPage(msgspec.Struct, frozen=True):
    items: list[ItemSummary]
    total: int
    limit: int
    offset: int


class FieldChange(msgspec.Struct, frozen=True):
    path: str  # e.g. "options[2].text", "metadata.tags"
    before: Any
    after: Any


class ItemDiff(msgspec.Struct, frozen=True):
    id: uuid.UUID
    from_version: int
    to_version: int
    changes: list[FieldChange]


class BankCreate(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    name: Name
    description: Annotated[str, msgspec.Meta(max_length=2000)] = ""


class Bank(msgspec.Struct, frozen=True):
    id: uuid.UUID
    org_id: uuid.UUID
    name: str
    description: str
    # true when the bank belongs to the caller's organisation (else it is shared, read-only)
    owned: bool
    shared_with: list[uuid.UUID]
    item_count: int


class ShareCreate(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    org_ids: Annotated[list[uuid.UUID], msgspec.Meta(min_length=1, max_length=1000)]


class RowError(msgspec.Struct, frozen=True):
    """Why one imported row or file was refused; the others are imported regardless."""

    row: int | str  # CSV row number (1 = the header) or the file name in a package
    field: str
    message: str


class ImportOutcome(msgspec.Struct, frozen=True, omit_defaults=True):
    """What became of one item of a QTI import: imported (as which kind) or refused, and why."""

    file: str
    status: Literal["imported", "refused"]
    kind: str | None = None
    code: str | None = None  # the problem code of a refusal (e.g. qti_unsupported_interaction)
    reason: str | None = None
    # a composite item's part (ADR 0016): its identifier (the item's and its response's) and
    # title (the item's, with its place: "Legend (2/4)")
    part: str | None = None
    title: str | None = None
    # how the item came in when that needs saying: a composite whose processing scores its
    # responses together is one composite item (ADR 0020)
    note: str | None = None


class ImportReport(msgspec.Struct, frozen=True):
    created: list[ItemSaved]
    errors: list[RowError]
    # one line per item of a QTI item or package, in the package's order
    items: list[ImportOutcome] = []


class Media(msgspec.Struct, frozen=True):
    id: uuid.UUID
    url: str  # what a stem's <img src> uses
    filename: str
    content_type: str
    size_bytes: int
    sha256: str


class CacheStats(msgspec.Struct, frozen=True):
    counts: dict[str, int]
    paper_hit_rate: float | None
    fragment_hit_rate: float | None
