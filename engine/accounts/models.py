"""Wire schema of organisations, classes, users, enrolment, exam access and proctor actions."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

import msgspec

from engine.datetimes import AwareDatetime, check_optional_window
from engine.kernel.principal import Role

Name = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
Username = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9._@-]{3,64}$")]
NationalId = Annotated[str, msgspec.Meta(pattern=r"^[0-9]{10}$")]
NewPassword = Annotated[str, msgspec.Meta(min_length=8, max_length=1000)]
OrgKind = Literal["organiser", "school"]
DevicePolicy = Literal["take_over", "refuse"]


class OrgCreate(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    name: Name
    kind: OrgKind = "school"
    # below the caller's organisation when not given
    parent_id: uuid.UUID | None = None
    code: Annotated[str, msgspec.Meta(min_length=1, max_length=40)] | None = None


class Org(msgspec.Struct, frozen=True):
    id: uuid.UUID
    parent_id: uuid.UUID | None
    name: str
    kind: OrgKind
    code: str | None


class ClassCreate(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=50)]


class SchoolClass(msgspec.Struct, frozen=True):
    id: uuid.UUID
    org_id: uuid.UUID
    name: str
    students: int = 0


class UserCreate(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    username: Username
    display_name: Name
    role: Role
    # none: the account signs in with exam cards only
    password: NewPassword | None = None
    national_id: NationalId | None = None
    class_id: uuid.UUID | None = None
    extra_time_pct: Annotated[int, msgspec.Meta(ge=0, le=300)] = 0


class UserUpdate(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    display_name: Name | msgspec.UnsetType = msgspec.UNSET
    class_id: uuid.UUID | msgspec.UnsetType | None = msgspec.UNSET
    national_id: NationalId | msgspec.UnsetType | None = msgspec.UNSET
    extra_time_pct: Annotated[int, msgspec.Meta(ge=0, le=300)] | msgspec.UnsetType = msgspec.UNSET
    # an administrator's reset: every refresh token of the account is revoked
    password: NewPassword | msgspec.UnsetType = msgspec.UNSET


class User(msgspec.Struct, frozen=True):
    id: uuid.UUID
    org_id: uuid.UUID
    username: str
    display_name: str
    role: Role
    national_id: str | None
    class_id: uuid.UUID | None
    class_name: str | None
    extra_time_pct: int
    # a disabled account cannot sign in; its tokens were revoked when it was disabled
    disabled: bool = False


class Profile(msgspec.Struct, frozen=True):
    id: uuid.UUID
    org_id: uuid.UUID
    org_name: str
    username: str
    display_name: str
    role: Role
    national_id: str | None = None
    class_id: uuid.UUID | None = None
    class_name: str | None = None


class ProfileUpdate(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    display_name: Name


class PasswordChange(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    current_password: Annotated[str, msgspec.Meta(min_length=1, max_length=1000)]
    new_password: NewPassword


class RowError(msgspec.Struct, frozen=True):
    line: int
    column: str | None
    reason: str


class EnrolmentReport(msgspec.Struct, frozen=True):
    dry_run: bool
    rows: int
    errors: list[RowError]
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    classes_created: int = 0
    stored: bool = False


class ClassAssignment(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    class_ids: Annotated[list[uuid.UUID], msgspec.Meta(min_length=1, max_length=5000)]


class ClassAssignments(msgspec.Struct, frozen=True):
    exam_id: uuid.UUID
    class_ids: list[uuid.UUID]


class OverrideSet(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    time_limit_s: Annotated[int, msgspec.Meta(ge=60, le=24 * 3600)] | None = None
    # either end may be left out (the exam's own end then holds); the service bounds both
    # to the exam's window give or take OVERRIDE_SLACK (engine/accounts/exam_access.py)
    window_open: AwareDatetime | None = None
    window_close: AwareDatetime | None = None
    extra_time_s: Annotated[int, msgspec.Meta(ge=0, le=12 * 3600)] = 0

    def __post_init__(self) -> None:
        check_optional_window("window_open", self.window_open, "window_close", self.window_close)


class Override(msgspec.Struct, frozen=True):
    exam_id: uuid.UUID
    student_id: uuid.UUID
    time_limit_s: int | None
    window_open: datetime | None
    window_close: datetime | None
    extra_time_s: int


class ExamPolicy(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    device_policy: DevicePolicy


class MyExam(msgspec.Struct, frozen=True):
    """An exam assigned to me, with my own window and time (overrides applied)."""

    id: uuid.UUID
    title: str
    window_open: datetime
    window_close: datetime
    time_limit_s: int
    extra_time_s: int


class ExtraTime(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    seconds: Annotated[int, msgspec.Meta(ge=1, le=6 * 3600)]


class Seat(msgspec.Struct, frozen=True):
    """One student of a room as the proctor sees them."""

    student_id: uuid.UUID
    username: str
    display_name: str
    sitting_id: uuid.UUID | None
    state: str
    online: bool
    paused: bool
    remaining_ms: int | None
    device_locked: bool


class Room(msgspec.Struct, frozen=True):
    exam_id: uuid.UUID
    class_id: uuid.UUID
    server_time_ms: int
    seats: list[Seat]


class ProctorOutcome(msgspec.Struct, frozen=True):
    sitting_id: uuid.UUID
    status: str
    deadline_ms: int
    paused: bool


class RoomOutcome(msgspec.Struct, frozen=True):
    exam_id: uuid.UUID
    class_id: uuid.UUID
    sittings: list[ProctorOutcome]
