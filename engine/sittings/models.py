"""Wire and storage schema of sittings and answers."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec

from grading.types import ItemScore, Response
from question_bank.items import StudentItem

SittingState = Literal["created", "active", "submitted", "graded"]


class Sitting(msgspec.Struct, frozen=True):
    id: uuid.UUID
    exam_id: uuid.UUID
    state: SittingState
    started_at: datetime | None
    deadline: datetime | None
    remaining_ms: int | None


class AnswerEvent(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    # per sitting, strictly increasing, assigned by the client
    seq: Annotated[int, msgspec.Meta(ge=1, le=2**53)]
    item: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    # null clears the answer: the item counts as blank again
    response: Response | None
    client_ts: Annotated[int, msgspec.Meta(ge=0, le=2**53)] = 0


# The page's pending telemetry, riding on a request it sends anyway (an answer batch, a
# heartbeat): a JSON object here, validated by the telemetry ingest exactly as the body of
# POST /telemetry (engine/integrity/ingest.py: decode_part), so one schema, one size limit and
# one set of refusals hold on every path.
TelemetryPart = Annotated[
    dict[str, Any],
    msgspec.Meta(
        title="TelemetryBatch",
        description="the page's pending telemetry: a TelemetryBatch (session, batch_seq, "
        "sent_at, events) exactly as POST /v1/sittings/{id}/telemetry takes it; refused with "
        "the same codes, marked extra.part = telemetry",
    ),
]


class AnswerBatch(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    events: Annotated[list[AnswerEvent], msgspec.Meta(min_length=1, max_length=500)]
    # stored as if sent to /telemetry, before the answers: a refused telemetry part refuses
    # the whole request (nothing of it stored), and the page sends both again
    telemetry: TelemetryPart | None = None


class AnswerAck(msgspec.Struct, frozen=True):
    # every event with seq <= acked_seq is stored; the client may forget them
    acked_seq: int
    remaining_ms: int


class StoredAnswer(msgspec.Struct, frozen=True):
    """The latest answer of an item, as kept in Redis and shown back on the paper; the same
    JSON is the event's record in the answer stream (engine/sittings/answer_stream.py)."""

    seq: int
    response: Response | None
    client_ts: int = 0
    item: str = ""  # the item it answers (the key it is kept under, too)


class Timer(msgspec.Struct, frozen=True):
    state: str
    remaining_ms: int
    deadline_ms: int
    server_time_ms: int
    # answers sent up to this long after the deadline are still stored
    grace_ms: int = 0


class SubmitOutcome(msgspec.Struct, frozen=True):
    sitting_id: uuid.UUID
    state: SittingState
    submitted_at_ms: int
    result: SittingResult | None = None
    # instant results, graded a moment later (GET /result until it is there)
    result_pending: bool = False


class SittingResult(msgspec.Struct, frozen=True):
    sitting_id: uuid.UUID
    exam_id: uuid.UUID
    points: float
    max_points: float
    items: dict[str, ItemScore]
    graded_at: datetime
    # percent, pass verdict, section sub-scores, essays awaiting a mark
    outcome: dict[str, object] | None = None
    # after an IRT calibration of the exam: ability, its standard error, the scaled score
    theta: float | None = None
    theta_se: float | None = None
    scaled_score: float | None = None


class ResultView(msgspec.Struct, frozen=True):
    sitting_id: uuid.UUID
    state: SittingState
    result: SittingResult | None
    # instant results not graded yet (a submit at the deadline burst is graded in bulk a
    # moment later): ask again
    result_pending: bool = False


class PaperSectionDoc(msgspec.Struct, frozen=True):
    title: str
    items: list[StudentItem]


class StudentPaperDoc(msgspec.Struct, frozen=True):
    """The shape of GET /paper for the OpenAPI docs; the body itself is joined from bytes."""

    sitting_id: uuid.UUID
    exam_version_id: uuid.UUID
    title: str
    navigation: str
    state: str
    remaining_ms: int
    last_seq: int
    # linear navigation: the furthest question (place in this order, from 0) answered so far;
    # answers to questions before it are refused (-1: none yet; always -1 on a free paper)
    furthest: int
    # answers sent up to this long after the deadline are still stored
    grace_ms: int
    # the ETag of GET /paper/content (the questions alone), for a device that keeps them
    content_etag: str
    # null with ?content=omit
    sections: list[PaperSectionDoc] | None
    answers: dict[str, StoredAnswer]
