"""HTTP endpoints of a sitting: decode → one service call → encode."""

from __future__ import annotations

import uuid
from typing import Any, Literal

from litestar import Controller, Request, Response, get, post
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, FromQuery, JSONBody

from engine.auth.policy import STAFF, allow
from engine.auth.ratelimit import client_ip
from engine.compression import SKIP_COMPRESSION, accepts_gzip
from engine.deps import Svc
from engine.integrity import conversation
from engine.integrity.page_models import BatchAck, HeartbeatBody, PageClock
from engine.kernel.principal import Principal
from engine.services import Services
from engine.sittings import service
from engine.sittings.models import (
    AnswerBatch,
    ResultView,
    StudentPaperDoc,
    SubmitOutcome,
    Timer,
)

Req = Request[Principal, Any, Any]
SittingId = FromPath[uuid.UUID]


def _ip(request: Req, svc: Services) -> str:
    """The address the request came from: the server's observation stored with telemetry."""
    return client_ip(
        request.headers,
        request.client.host if request.client else None,
        svc.settings.trust_forwarded_for,
    )


class SittingController(Controller):
    path = "/v1/sittings/{sitting_id:uuid}"
    tags = ["sittings"]
    # who may call: engine/auth/policy.py
    opt = allow("student", exam_card=True, tenancy="self")

    # the paper compresses itself (gzip from pieces kept per exam version), so the
    # compression middleware is skipped
    @get(
        "/paper",
        summary="My paper in my order, with my latest answers and the time left",
        responses={
            200: ResponseSpec(
                StudentPaperDoc, description="the student paper", generate_examples=False
            )
        },
        opt={SKIP_COMPRESSION: True},
    )
    async def paper(
        self,
        svc: Svc,
        request: Req,
        sitting_id: SittingId,
        # ?content=omit: a device that keeps the questions (GET /paper/content) wants the rest
        content: FromQuery[Literal["include", "omit"]] = "include",
    ) -> Response[bytes]:
        reply = await service.paper(
            svc,
            request.user,
            sitting_id,
            with_sections=content == "include",
            gzip=accepts_gzip(request.headers.get("accept-encoding")),
        )
        return _paper_response(reply, {"Cache-Control": "no-store"})

    @get(
        "/paper/content",
        summary="My paper's questions in my order, with an ETag (304 when the device has them)",
        opt={SKIP_COMPRESSION: True},
    )
    async def paper_content(self, svc: Svc, request: Req, sitting_id: SittingId) -> Response[bytes]:
        reply = await service.paper_content(
            svc,
            request.user,
            sitting_id,
            if_none_match=request.headers.get("if-none-match"),
            gzip=accepts_gzip(request.headers.get("accept-encoding")),
        )
        # kept by the device, asked again on each load: never a stale question after a deploy
        headers = {"ETag": reply.etag, "Cache-Control": "private, no-cache"}
        if reply.body is None:
            headers["Vary"] = "Accept-Encoding"
            return Response(b"", status_code=304, headers=headers)
        return _paper_response(reply, headers)

    # the hot path: its replies are tiny, so the compression middleware is skipped altogether
    @post(
        "/answers",
        summary="Store a batch of answer events (idempotent by seq), with the page's pending "
        "telemetry if it carries any",
        description="The reply's acked_seq is what is stored and remaining_ms the server's "
        "clock. An optional `telemetry` part is stored as if sent to /telemetry, before the "
        "answers: when it is refused (the telemetry endpoint's codes, extra.part = telemetry) "
        "nothing of the request is stored.",
        status_code=200,
        opt={SKIP_COMPRESSION: True},
    )
    async def answers(
        self, svc: Svc, request: Req, sitting_id: SittingId, data: JSONBody[AnswerBatch]
    ) -> BatchAck:
        # the address is only needed (and looked at) when telemetry rides along
        ip = "" if data.telemetry is None else _ip(request, svc)
        return await conversation.record_answers(svc, request.user, sitting_id, data, ip)

    @post(
        "/heartbeat",
        summary="The page's heartbeat: its pending telemetry in, the sitting's clock out",
        description="Sent by the page when no answer batch went for 30 s (every 5 s while a "
        'proctor has the sitting paused). The body is `{}` or `{"telemetry": '
        "TelemetryBatch}`, stored as if sent to /telemetry (the same limits and codes, "
        "extra.part = telemetry; a refused part stores nothing). The reply is the clock: "
        "state (active, paused, submitted), remaining_ms, deadline_ms, server_time_ms, "
        "grace_ms, device_replaced when another device took the sitting over, and what became "
        "of the telemetry. No database read: the session is in Redis.",
        status_code=200,
        opt={SKIP_COMPRESSION: True},
    )
    async def heartbeat(
        self, svc: Svc, request: Req, sitting_id: SittingId, data: JSONBody[HeartbeatBody]
    ) -> PageClock:
        return await conversation.heartbeat(svc, request.user, sitting_id, data, _ip(request, svc))

    @get("/timer", summary="The server's clock for this sitting", cache_control=None)
    async def timer(self, svc: Svc, request: Req, sitting_id: SittingId) -> Timer:
        return await service.timer(svc, request.user, sitting_id)

    @post(
        "/submit",
        summary="Submit; the result comes back at once when the exam allows",
        status_code=200,
    )
    async def submit(self, svc: Svc, request: Req, sitting_id: SittingId) -> SubmitOutcome:
        return await service.submit(svc, request.user, sitting_id)

    @get(
        "/result",
        summary="The graded result of a sitting",
        opt=allow("student", *STAFF, exam_card=True),
    )
    async def result(self, svc: Svc, request: Req, sitting_id: SittingId) -> ResultView:
        return await service.result(svc, request.user, sitting_id)


def _paper_response(reply: service.PaperBody, headers: dict[str, str]) -> Response[bytes]:
    assert reply.body is not None
    headers["Vary"] = "Accept-Encoding"
    if reply.gzipped:
        headers["Content-Encoding"] = "gzip"
    return Response(reply.body, media_type="application/json", headers=headers)
