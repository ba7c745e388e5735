"""What the teacher's dashboard reads besides the analytics JSON: live progress, the score
histogram as SVG, CSV/XLSX exports and one student's answers. Staff only (exam scope rules of
``engine.analytics.scope``)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery, JSONBody

from engine.analytics.progress import ExamProgress, exam_progress
from engine.analytics.results_service import exam_results
from engine.analytics.statistics_service import compute_statistics
from engine.auth.policy import STAFF, allow
from engine.deps import Svc
from engine.kernel.errors import validation_failed
from engine.kernel.principal import Principal
from engine.web import exports
from engine.web.charts import score_histogram_svg
from engine.web.item_chart import ItemPoint, item_chart_svg
from engine.web.review import StudentReview, student_review
from grading.outcomes import PassMark

Req = Request[Principal, Any, Any]
ExamId = FromPath[uuid.UUID]
Format = Literal["csv", "xlsx"]
Lang = Literal["id", "en"]
TableCell = Annotated[str, msgspec.Meta(max_length=2000)] | int | float | bool | None
TableRow = Annotated[list[TableCell], msgspec.Meta(max_length=60)]
HeaderText = Annotated[str, msgspec.Meta(max_length=200)]
_MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def pass_points(mark: PassMark | None, max_points: float) -> float | None:
    """The pass mark in points (a percentage is of the paper's maximum)."""
    if mark is None:
        return None
    return mark.value if mark.unit == "points" else mark.value / 100.0 * max_points


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
        summary="The score distribution as an SVG histogram with the mean and the pass mark",
        media_type="image/svg+xml",
    )
    async def scores_chart(
        self, svc: Svc, request: Req, exam_id: ExamId, lang: FromQuery[Lang] = "id"
    ) -> Response[str]:
        stats = await compute_statistics(svc, request.user, exam_id)
        rows = await exam_results(svc.pool, request.user, exam_id)
        graded = [r for r in rows if r.points is not None]
        top = max((r.max_points or 0.0 for r in graded), default=stats.max_points or 0.0)
        svg = score_histogram_svg(
            [r.points for r in graded if r.points is not None],
            top,
            mean=stats.distribution.mean if stats.distribution else None,
            pass_points=pass_points(stats.pass_mark, top),
            lang=lang,
        )
        return Response(svg, media_type="image/svg+xml", headers={"Cache-Control": "no-store"})

    @get(
        "/charts/items.svg",
        summary="Facility against discrimination, one dot per question, as SVG",
        media_type="image/svg+xml",
    )
    async def items_chart(
        self, svc: Svc, request: Req, exam_id: ExamId, lang: FromQuery[Lang] = "id"
    ) -> Response[str]:
        stats = await compute_statistics(svc, request.user, exam_id)
        points = [
            ItemPoint(i.item_id, i.position, i.facility_pct, i.discrimination_index_pct, i.severity)
            for i in stats.items
            if i.facility_pct is not None and i.discrimination_index_pct is not None
        ]
        return Response(
            item_chart_svg(points, lang),
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


class TableExport(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A table as the dashboard shows it (filtered and sorted), to be saved as a file."""

    name: Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9][a-z0-9-]{0,30}$")]
    header: Annotated[
        list[Annotated[str, msgspec.Meta(max_length=200)]], msgspec.Meta(max_length=60)
    ]
    rows: Annotated[
        list[Annotated[list[TableCell], msgspec.Meta(max_length=60)]],
        msgspec.Meta(max_length=20_000),
    ]


class TableExportController(Controller):
    """Any of the dashboard's smaller tables (schools and classes, flags, common answers, a
    student's answers) as CSV or XLSX: the page sends what it shows, the server writes the file
    with the same injection-safe cells as the exam exports (engine/web/exports.py). The body
    limit (``max_body_bytes``) bounds it; results and item statistics have their own exports."""

    path = "/v1/exports/table"
    tags = ["dashboard"]
    opt = allow(*STAFF)

    @post("/", summary="A table the dashboard shows, as CSV or XLSX", status_code=200)
    async def export_table(
        self, request: Req, data: JSONBody[TableExport], format: FromQuery[Format] = "csv"
    ) -> Response[bytes]:
        request.user.require_staff()
        table = exports.Table(data.name, list(data.header), [list(r) for r in data.rows])
        if exports.unencodable(table) is not None:
            raise validation_failed(
                "a cell is not valid Unicode text",
                [{"field": "rows", "message": "lone surrogate in a text"}],
            )
        body = exports.to_csv(table) if format == "csv" else exports.to_xlsx(table)
        return Response(
            body,
            media_type=_MEDIA[format],
            headers={
                "Content-Disposition": f'attachment; filename="{data.name}.{format}"',
                "Cache-Control": "no-store",
            },
        )
