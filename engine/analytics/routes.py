"""HTTP endpoints of exam analytics: decode → one service call → encode."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, get, post, put
from litestar.params import FromPath, JSONBody

from engine.accounts.audit import Actor
from engine.analytics import (
    answers_service,
    calibration_service,
    equating_service,
    key_fix_service,
    marking_service,
    results_service,
)
from engine.analytics.models import (
    CalibrationRequest,
    CalibrationRun,
    CommonAnswers,
    EquatingRequest,
    EquatingRun,
    ExamStatisticsView,
    KeyFixOutcome,
    KeyFixRequest,
    MarkRequest,
    PendingMark,
    ResultRow,
)
from engine.analytics.statistics_service import compute_statistics
from engine.auth.policy import STAFF, allow
from engine.auth.ratelimit import client_ip
from engine.deps import Svc
from engine.kernel.principal import Principal
from engine.services import Services
from engine.sittings.models import SittingResult

Req = Request[Principal, Any, Any]
ExamId = FromPath[uuid.UUID]


def _actor(request: Req, svc: Services) -> Actor:
    host = request.client.host if request.client else None
    return Actor(request.user, client_ip(request.headers, host, svc.settings.trust_forwarded_for))


class AnalyticsController(Controller):
    path = "/v1/exams/{exam_id:uuid}"
    tags = ["analytics"]
    opt = allow(*STAFF)  # who may call: engine/auth/policy.py

    @get("/results", summary="Every sitting of the exam with its score (staff)")
    async def results(self, svc: Svc, request: Req, exam_id: ExamId) -> list[ResultRow]:
        return await results_service.exam_results(svc.pool, request.user, exam_id)

    @get("/statistics", summary="Test statistics and item analysis (Moodle's definitions)")
    async def statistics(self, svc: Svc, request: Req, exam_id: ExamId) -> ExamStatisticsView:
        return await compute_statistics(svc, request.user, exam_id)

    @post(
        "/calibration",
        summary="Calibrate IRT item parameters and re-score every sitting",
        status_code=202,
    )
    async def calibrate(
        self, svc: Svc, request: Req, exam_id: ExamId, data: JSONBody[CalibrationRequest]
    ) -> CalibrationRun:
        return await calibration_service.start_calibration(svc, request.user, exam_id, data)

    @get("/calibration", summary="The latest calibration run of the exam")
    async def calibration(self, svc: Svc, request: Req, exam_id: ExamId) -> CalibrationRun:
        return await calibration_service.latest_calibration(svc.pool, request.user, exam_id)

    @put(
        "/items/{item_id:uuid}/key",
        summary="Fix an item's key for this exam and re-grade every sitting (audited)",
        status_code=200,
    )
    async def fix_key(
        self,
        svc: Svc,
        request: Req,
        exam_id: ExamId,
        item_id: FromPath[uuid.UUID],
        data: JSONBody[KeyFixRequest],
    ) -> KeyFixOutcome:
        return await key_fix_service.fix_key(svc, _actor(request, svc), exam_id, str(item_id), data)

    @get(
        "/items/{item_id:uuid}/answers",
        summary=(
            "The most common answers of an item, with counts and whether the key credits them, "
            "and the shared passage the item asks about"
        ),
    )
    async def common_answers(
        self, svc: Svc, request: Req, exam_id: ExamId, item_id: FromPath[uuid.UUID]
    ) -> CommonAnswers:
        return await answers_service.common_answers(svc, request.user, exam_id, str(item_id))

    @get("/marking", summary="Essay answers awaiting a mark")
    async def marking(self, svc: Svc, request: Req, exam_id: ExamId) -> list[PendingMark]:
        return await marking_service.pending_marks(svc, request.user, exam_id)


class MarkingController(Controller):
    path = "/v1/sittings/{sitting_id:uuid}/marks"
    tags = ["analytics"]
    opt = allow(*STAFF)

    @post("/", summary="Mark an essay answer; the result is updated at once", status_code=200)
    async def mark(
        self, svc: Svc, request: Req, sitting_id: FromPath[uuid.UUID], data: JSONBody[MarkRequest]
    ) -> SittingResult:
        return await marking_service.mark_item(svc, request.user, sitting_id, data)


class EquatingController(Controller):
    path = "/v1/events/{event_id:uuid}/equating"
    tags = ["analytics"]
    opt = allow("admin")  # the event's organiser (engine/scheduling/access.py)

    @post(
        "/",
        summary="Equate the event's forms: every sitting scored on the reference form's scale",
        status_code=202,
    )
    async def equate(
        self, svc: Svc, request: Req, event_id: FromPath[uuid.UUID], data: JSONBody[EquatingRequest]
    ) -> EquatingRun:
        return await equating_service.start_equating(svc, request.user, event_id, data)

    @get("/", summary="The latest equating of the event's forms, with its linking report")
    async def latest(self, svc: Svc, request: Req, event_id: FromPath[uuid.UUID]) -> EquatingRun:
        return await equating_service.latest_equating(svc.pool, request.user, event_id)
