"""HTTP endpoints of integrity: telemetry in, flags out, reviews, thresholds, forensics."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from litestar import Controller, Request, get, post, put
from litestar.datastructures import State
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from engine.accounts.audit import Actor
from engine.auth.policy import SCHOOL_STAFF, STAFF, allow
from engine.auth.ratelimit import client_ip
from engine.deps import Svc
from engine.integrity import review
from engine.integrity.ingest import ingest
from engine.integrity.models import (
    ExamThresholds,
    FlagDetail,
    FlagRow,
    FlagStatus,
    ForensicsRun,
    Review,
    RiskRow,
    Severity,
)
from engine.integrity.page_models import TelemetryAck
from engine.kernel.principal import Principal
from engine.services import Services
from proctoring.thresholds import Thresholds

Req = Request[Principal, Any, Any]


def _ip(request: Req, svc: Services) -> str:
    return client_ip(
        request.headers,
        request.client.host if request.client else None,
        svc.settings.trust_forwarded_for,
    )


def _actor(request: Req, svc: Services) -> Actor:
    return Actor(request.user, _ip(request, svc))


class TelemetryController(Controller):
    path = "/v1/sittings/{sitting_id:uuid}/telemetry"
    tags = ["integrity"]

    @post(
        "/",
        status_code=200,
        opt=allow("student", exam_card=True, tenancy="self"),
        summary="A batch of page telemetry (proctoring.telemetry.TelemetryBatch, JSON)",
    )
    async def telemetry(
        self, svc: Svc, request: Req, sitting_id: FromPath[uuid.UUID]
    ) -> TelemetryAck:
        # the raw body: decode_batch checks its size before any decoding work
        raw = await request.body()
        return await ingest(svc, request.user, sitting_id, raw, _ip(request, svc))


class FlagController(Controller):
    path = "/v1/integrity/flags"
    tags = ["integrity"]
    opt = allow(*SCHOOL_STAFF)

    @get("/", summary="Flags I may review, riskiest sittings first")
    async def flags(
        self,
        svc: Svc,
        request: Req,
        exam_id: FromQuery[uuid.UUID | None] = None,
        school_id: FromQuery[uuid.UUID | None] = None,
        severity: FromQuery[Severity | None] = None,
        status: FromQuery[FlagStatus | None] = None,
        rule: FromQuery[str | None] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 200,
        offset: Annotated[int, QueryParameter(ge=0)] = 0,
    ) -> list[FlagRow]:
        return await review.list_flags(
            svc,
            request.user,
            exam_id=exam_id,
            school_id=school_id,
            severity=severity,
            status=status,
            rule=rule,
            limit=limit,
            offset=offset,
        )

    @get("/{flag_id:uuid}", summary="One flag with its evidence and its sitting's risk")
    async def flag(self, svc: Svc, request: Req, flag_id: FromPath[uuid.UUID]) -> FlagDetail:
        return await review.get_flag(svc, request.user, flag_id)

    @post(
        "/{flag_id:uuid}/review",
        status_code=200,
        summary="Confirm or dismiss a flag with a note (audited; no score changes)",
    )
    async def review(
        self, svc: Svc, request: Req, flag_id: FromPath[uuid.UUID], data: JSONBody[Review]
    ) -> FlagDetail:
        return await review.review_flag(svc, _actor(request, svc), flag_id, data)


class ExamIntegrityController(Controller):
    path = "/v1/exams/{exam_id:uuid}"
    tags = ["integrity"]

    @get(
        "/integrity",
        opt=allow(*SCHOOL_STAFF),
        summary="Risk summary of every flagged sitting of the exam (the review queue)",
    )
    async def risk(
        self,
        svc: Svc,
        request: Req,
        exam_id: FromPath[uuid.UUID],
        limit: Annotated[int, QueryParameter(ge=1, le=10000)] = 500,
    ) -> list[RiskRow]:
        return await review.exam_risk(svc, request.user, exam_id, limit)

    @get(
        "/integrity/thresholds",
        opt=allow(*SCHOOL_STAFF),
        summary="The exam's proctoring thresholds (the documented defaults unless set)",
    )
    async def thresholds(
        self, svc: Svc, request: Req, exam_id: FromPath[uuid.UUID]
    ) -> ExamThresholds:
        return await review.get_thresholds(svc, request.user, exam_id)

    @put(
        "/integrity/thresholds",
        opt=allow(*STAFF),
        summary="Set the exam's proctoring thresholds (fields left out take their default)",
    )
    async def set_thresholds(
        self, svc: Svc, request: Req, exam_id: FromPath[uuid.UUID], data: JSONBody[Thresholds]
    ) -> ExamThresholds:
        return await review.set_thresholds(svc, _actor(request, svc), exam_id, data)

    @post(
        "/forensics",
        status_code=202,
        opt=allow(*STAFF),
        summary="Run cross-sitting forensics now (also runs by itself when the exam closes)",
    )
    async def forensics(
        self, svc: Svc, state: State, request: Req, exam_id: FromPath[uuid.UUID]
    ) -> ForensicsRun:
        overflow = getattr(state, "overflow", None)
        return await review.request_forensics(svc, overflow, request.user, exam_id)

    @get("/forensics", opt=allow(*STAFF), summary="The exam's latest forensics run")
    async def latest_forensics(
        self, svc: Svc, request: Req, exam_id: FromPath[uuid.UUID]
    ) -> ForensicsRun:
        return await review.latest_forensics(svc, request.user, exam_id)
