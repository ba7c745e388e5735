"""HTTP endpoints for exams (items: question_bank/routes.py): decode → one call → encode."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import FromPath, JSONBody

from engine.auth.policy import STAFF, allow
from engine.deps import Svc
from engine.exams import service
from engine.exams.models import AssignmentCreate, Assignments, Exam, ExamCreate
from engine.kernel.principal import ROLES, Principal
from engine.sittings import service as sittings
from engine.sittings.models import Sitting

Req = Request[Principal, Any, Any]


class ExamController(Controller):
    path = "/v1/exams"
    tags = ["exams"]
    opt = allow(*STAFF)  # who may call (handlers below widen it): engine/auth/policy.py

    @post("/", summary="Create an exam with a draft version")
    async def create(self, svc: Svc, request: Req, data: JSONBody[ExamCreate]) -> Exam:
        return await service.create_exam(svc.pool, request.user, data)

    @get("/", summary="Exams of my school (staff) or students' assigned ones", opt=allow(*ROLES))
    async def list(self, svc: Svc, request: Req) -> list[Exam]:
        return await service.list_exams(svc.pool, request.user)

    @get("/{exam_id:uuid}", summary="One exam", opt=allow(*ROLES, exam_card=True))
    async def one(self, svc: Svc, request: Req, exam_id: FromPath[uuid.UUID]) -> Exam:
        return await service.get_exam(svc.pool, request.user, exam_id)

    @post(
        "/{exam_id:uuid}/publish",
        summary="Freeze the draft and compile the student paper",
        status_code=200,
    )
    async def publish(self, svc: Svc, request: Req, exam_id: FromPath[uuid.UUID]) -> Exam:
        return await service.publish_exam(svc.pool, svc.papers, request.user, exam_id)

    @post("/{exam_id:uuid}/assignments", summary="Assign the exam to schools", status_code=200)
    async def assign(
        self, svc: Svc, request: Req, exam_id: FromPath[uuid.UUID], data: JSONBody[AssignmentCreate]
    ) -> Assignments:
        return await service.assign_exam(svc.pool, request.user, exam_id, data.org_ids)

    @post(
        "/{exam_id:uuid}/sittings",
        summary="Start (or resume) my sitting of this exam",
        opt=allow("student", exam_card=True, tenancy="self"),
        status_code=200,
    )
    async def start(self, svc: Svc, request: Req, exam_id: FromPath[uuid.UUID]) -> Sitting:
        return await sittings.start_sitting(svc, request.user, exam_id)
