"""The integrity API's schema."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec

from proctoring.flags import Evidence, RiskSummary
from proctoring.thresholds import Thresholds

Severity = Literal["none", "low", "medium", "high"]
FlagStatus = Literal["open", "confirmed", "dismissed"]


class FlagRow(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    sitting_id: uuid.UUID
    exam_id: uuid.UUID
    org_id: uuid.UUID  # the sitting's school
    student_id: uuid.UUID
    student: str
    source: Literal["live", "forensics"]
    rule: str
    subject: str  # the other sitting of a pair rule, else ""
    kind: Literal["test", "behaviour"]
    statistic: float
    threshold: float
    direction: Literal["above", "below"]
    p_value: float | None
    correction: str
    note: str
    status: FlagStatus
    # the risk level of the flag's sitting over its flags not dismissed
    severity: Severity
    evidence_count: int
    review_note: str | None
    reviewed_by: uuid.UUID | None
    reviewed_at: datetime | None
    created_at: datetime
    updated_at: datetime


class FlagDetail(msgspec.Struct, frozen=True, kw_only=True):
    flag: FlagRow
    evidence: list[Evidence]
    risk: RiskSummary | None


class Review(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    decision: Literal["confirm", "dismiss"]
    note: Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]


class RiskRow(msgspec.Struct, frozen=True, kw_only=True):
    sitting_id: uuid.UUID
    org_id: uuid.UUID
    student: str
    level: Severity
    score: float
    rules: list[str]
    smallest_p: float | None


class ForensicsRun(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    exam_id: uuid.UUID
    trigger: Literal["close", "demand"]
    status: Literal["queued", "running", "done", "failed"]
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    sittings: int | None
    items: int | None
    flags: int | None
    parameters: str | None  # "calibration" or "quick"
    seconds: dict[str, Any] | None
    error: str | None


# The forensics job's two large reads (a national exam's answer log is millions of rows): tuples
# in column order and no garbage-collector tracking keep building them close to asyncpg's cost.
class FinishedSitting(msgspec.Struct, frozen=True, gc=False):
    """A submitted or graded sitting, and its seat where the allocator seated it."""

    id: uuid.UUID
    org_id: uuid.UUID
    class_id: uuid.UUID | None
    started_at: datetime | None
    seat_room: uuid.UUID | None = None
    seat: int | None = None
    seat_columns: int | None = None
    seat_room_name: str | None = None
    seat_session: uuid.UUID | None = None


class AnswerEvent(msgspec.Struct, frozen=True, gc=False):
    """One event of a finished sitting's answer log; ``client_ts`` is the page's clock (ms)."""

    sitting_id: uuid.UUID
    seq: int
    item_id: str
    response: Any
    client_ts: int | None
    server_ts: datetime


class ExamThresholds(msgspec.Struct, frozen=True, kw_only=True):
    exam_id: uuid.UUID
    thresholds: Thresholds
    defaults: bool  # True: no row for this exam, the documented defaults apply
