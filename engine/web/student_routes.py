"""What the student page reads besides the sitting's own endpoints: the review of a graded
sitting (engine/web/student_review.py)."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, get
from litestar.params import FromPath

from engine.auth.policy import allow
from engine.deps import Svc
from engine.kernel.principal import Principal
from engine.web.student_review import SittingReview, sitting_review


class StudentReviewController(Controller):
    path = "/v1/sittings/{sitting_id:uuid}"
    tags = ["sittings"]
    opt = allow("student", exam_card=True, tenancy="self")

    @get(
        "/review",
        summary="My graded sitting question by question, once the results are released",
    )
    async def review(
        self, svc: Svc, request: Request[Principal, Any, Any], sitting_id: FromPath[uuid.UUID]
    ) -> SittingReview:
        return await sitting_review(svc, request.user, sitting_id)
