"""HTTP endpoints of exam access (classes, overrides, device policy, exam cards, my exams) and of
proctor actions on rooms and sittings."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from litestar import Controller, Request, Response, get, post, put
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from engine.accounts import exam_access
from engine.accounts.card_sheets import MEDIA_TYPES
from engine.accounts.models import (
    ClassAssignment,
    ClassAssignments,
    ExamPolicy,
    ExtraTime,
    MyExam,
    Override,
    OverrideSet,
    ProctorOutcome,
    Room,
    RoomOutcome,
)
from engine.accounts.routes import actor_of
from engine.auth.policy import SCHOOL_STAFF, STAFF, allow
from engine.deps import Svc
from engine.kernel.principal import Principal
from engine.sittings import proctor

Req = Request[Principal, Any, Any]
ExamId = FromPath[uuid.UUID]
ClassId = FromPath[uuid.UUID]
SittingId = FromPath[uuid.UUID]


class ExamAccessController(Controller):
    path = "/v1/exams/{exam_id:uuid}"
    tags = ["exam access"]

    @post(
        "/classes",
        status_code=200,
        summary="Assign the exam to classes (only they sit it)",
        opt=allow(*STAFF),
    )
    async def assign_classes(
        self, svc: Svc, request: Req, exam_id: ExamId, data: JSONBody[ClassAssignment]
    ) -> ClassAssignments:
        return await exam_access.assign_classes(svc, actor_of(request, svc), exam_id, data)

    @put(
        "/overrides/{student_id:uuid}",
        summary="A student's own window, time limit, extra time",
        opt=allow(*STAFF),
    )
    async def override(
        self,
        svc: Svc,
        request: Req,
        exam_id: ExamId,
        student_id: FromPath[uuid.UUID],
        data: JSONBody[OverrideSet],
    ) -> Override:
        return await exam_access.set_override(
            svc, actor_of(request, svc), exam_id, student_id, data
        )

    @put(
        "/policy", summary="What a second device does: take over, or be refused", opt=allow(*STAFF)
    )
    async def policy(
        self, svc: Svc, request: Req, exam_id: ExamId, data: JSONBody[ExamPolicy]
    ) -> ExamPolicy:
        return await exam_access.set_policy(svc, actor_of(request, svc), exam_id, data)

    @post(
        "/cards",
        status_code=200,
        opt=allow(*STAFF),
        summary="Issue exam cards (CSV or PDF to print); replaces earlier cards",
    )
    async def cards(
        self,
        svc: Svc,
        request: Req,
        exam_id: ExamId,
        org_id: FromQuery[uuid.UUID | None] = None,
        class_id: FromQuery[uuid.UUID | None] = None,
        fmt: Annotated[Literal["csv", "pdf"], QueryParameter(name="format")] = "csv",
    ) -> Response[bytes]:
        body = await exam_access.issue_cards(
            svc, actor_of(request, svc), exam_id, org_id, class_id, fmt
        )
        return Response(
            body,
            media_type=MEDIA_TYPES[fmt],
            headers={
                "Content-Disposition": f'attachment; filename="cards-{exam_id}.{fmt}"',
                "Cache-Control": "no-store",
            },
        )

    @get(
        "/rooms/{class_id:uuid}",
        summary="A room: who is online, paused, time left",
        opt=allow(*SCHOOL_STAFF),
    )
    async def room(self, svc: Svc, request: Req, exam_id: ExamId, class_id: ClassId) -> Room:
        return await proctor.room(svc, actor_of(request, svc), exam_id, class_id)

    @post(
        "/rooms/{class_id:uuid}/pause",
        status_code=200,
        opt=allow(*SCHOOL_STAFF),
        summary="Pause every running sitting of the room (their clocks stop)",
    )
    async def pause_room(
        self, svc: Svc, request: Req, exam_id: ExamId, class_id: ClassId
    ) -> RoomOutcome:
        return await proctor.room_action(svc, actor_of(request, svc), exam_id, class_id, "pause")

    @post(
        "/rooms/{class_id:uuid}/resume",
        status_code=200,
        opt=allow(*SCHOOL_STAFF),
        summary="Resume the room: each deadline moves on by the time it was paused",
    )
    async def resume_room(
        self, svc: Svc, request: Req, exam_id: ExamId, class_id: ClassId
    ) -> RoomOutcome:
        return await proctor.room_action(svc, actor_of(request, svc), exam_id, class_id, "resume")


class ProctorController(Controller):
    path = "/v1/sittings/{sitting_id:uuid}"
    tags = ["proctoring"]

    @post("/pause", status_code=200, summary="Pause a sitting", opt=allow(*SCHOOL_STAFF))
    async def pause(self, svc: Svc, request: Req, sitting_id: SittingId) -> ProctorOutcome:
        return await proctor.pause(svc, actor_of(request, svc), sitting_id)

    @post("/resume", status_code=200, summary="Resume a sitting", opt=allow(*SCHOOL_STAFF))
    async def resume(self, svc: Svc, request: Req, sitting_id: SittingId) -> ProctorOutcome:
        return await proctor.resume(svc, actor_of(request, svc), sitting_id)

    @post("/extra-time", status_code=200, summary="Grant extra time", opt=allow(*SCHOOL_STAFF))
    async def extra_time(
        self, svc: Svc, request: Req, sitting_id: SittingId, data: JSONBody[ExtraTime]
    ) -> ProctorOutcome:
        return await proctor.extra_time(svc, actor_of(request, svc), sitting_id, data.seconds)

    @post(
        "/device-reset",
        status_code=200,
        opt=allow(*SCHOOL_STAFF),
        summary="Reset the device lock: the next device to open the sitting holds it",
    )
    async def device_reset(self, svc: Svc, request: Req, sitting_id: SittingId) -> ProctorOutcome:
        return await proctor.reset_device(svc, actor_of(request, svc), sitting_id)


class MyExamsController(Controller):
    path = "/v1/me/exams"
    tags = ["accounts"]

    @get(
        "/",
        summary="The exams assigned to me, with my own window and time",
        opt=allow("student", exam_card=True, tenancy="self"),
    )
    async def mine(self, svc: Svc, request: Req) -> list[MyExam]:
        return await exam_access.my_exams(svc, request.user)
