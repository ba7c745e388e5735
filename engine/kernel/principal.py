"""Who is calling: decoded from the bearer token alone, so the hot path never reads the database."""

from __future__ import annotations

import uuid
from typing import Literal

import msgspec

from engine.kernel.errors import forbidden

Role = Literal["admin", "school_admin", "teacher", "proctor", "student"]
ROLES: tuple[Role, ...] = ("admin", "school_admin", "teacher", "proctor", "student")
STAFF_ROLES: frozenset[str] = frozenset({"admin", "school_admin", "teacher"})


class Principal(msgspec.Struct, frozen=True):
    user_id: uuid.UUID
    org_id: uuid.UUID
    role: Role
    # set when signed in with an exam card: the token opens that one exam only
    exam_id: uuid.UUID | None = None
    # one id per sign-in (kept across refreshes): the "one active sitting device" lock holds it
    device: str = ""

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    def require_staff(self) -> None:
        if not self.is_staff:
            raise forbidden("this action needs an organiser, school admin or teacher account")

    def require_student(self) -> None:
        if self.role != "student":
            raise forbidden("only students sit exams")
