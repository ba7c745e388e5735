"""What the teacher's dashboard reads besides the analytics JSON: live progress, the score
histogram as SVG, CSV/XLSX exports and one student's answers. Staff only (exam scope rules of
``engine.analytics.scope``)."""

from __future__ import annotations

import uuid
from typing import Any, Literal

from litestar import Controller, Request, Response, get
from litestar.params import FromPath, FromQuery

from engine.analytics.progress import ExamProgress, exam_progress
from engine.analytics.results_service import exam_results
from engine.analytics.statistics_service import compute_statistics
from engine.auth.policy import STAFF, allow
from engine.auth.principal import Principal
from engine.deps import Svc
from engine.web import exports
from engine.web.charts import histogram_svg
from engine.web.review import StudentReview, student_review

Req = Request[Principal, Any, Any]
ExamId = FromPath[uuid.UUID]
Format = Literal["csv", "xlsx"]
_MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _download(table: exports.Table, exam_id: uuid.UUID, fmt: Format) -> Response[bytes]:
    body = exports.to_csv(table) if fmt == "csv" else exports.to_xlsx(table)
    return Response(
        body,
        media_type=_MEDIA[fmt],
        headers={
            "Content-Disposition": f'attachment; filename="{table.name}-{exam_id}.{fmt}"',
            "Cache-Control": "no-store",
        },
    )


class DashboardController(Controller):
    path = "/v1/exams/{exam_id:uuid}"
    tags = ["dashboard"]
    opt = allow(*STAFF)  # who may call: engine/auth/policy.py

    @get(
        "/progress",
        summary="Live progress per school and class: signed in, started, submitted, online now",
        cache_control=None,
    )
    async def progress(self, svc: Svc, request: Req, exam_id: ExamId) -> ExamProgress:
        return await exam_progress(svc, request.user, exam_id)

    @get(
        "/charts/scores.svg",
        summary="The score distribution as an SVG histogram",
        media_type="image/svg+xml",
    )
    async def scores_chart(self, svc: Svc, request: Req, exam_id: ExamId) -> Response[str]:
        stats = await compute_statistics(svc, request.user, exam_id)
        histogram = stats.distribution.histogram if stats.distribution else None
        return Response(
            histogram_svg(histogram, x_label="points"),
            media_type="image/svg+xml",
            headers={"Cache-Control": "no-store"},
        )

    @get("/exports/results", summary="Every sitting's result as CSV or XLSX")
    async def export_results(
        self, svc: Svc, request: Req, exam_id: ExamId, format: FromQuery[Format] = "csv"
    ) -> Response[bytes]:
        table = exports.results_table(await exam_results(svc.pool, request.user, exam_id))
        return _download(table, exam_id, format)

    @get("/exports/items", summary="Item statistics as CSV or XLSX")
    async def export_items(
        self, svc: Svc, request: Req, exam_id: ExamId, format: FromQuery[Format] = "csv"
    ) -> Response[bytes]:
        stats = await compute_statistics(svc, request.user, exam_id)
        return _download(exports.items_table(stats), exam_id, format)

    @get("/sittings/{sitting_id:uuid}/review", summary="One student's answers and scores")
    async def review(
        self, svc: Svc, request: Req, exam_id: ExamId, sitting_id: FromPath[uuid.UUID]
    ) -> StudentReview:
        return await student_review(svc, request.user, exam_id, sitting_id)
