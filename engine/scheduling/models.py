"""Wire schema of scheduling: events, sessions, rooms, registrations, allocations, views."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

import msgspec

from engine.datetimes import AwareDatetime, check_instant, check_window

Title = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
SessionKind = Literal["regular", "makeup"]
RegistrationStatus = Literal["registered", "waitlisted"]


class EventCreate(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    title: Title
    changes_close_at: AwareDatetime
    # the allocation's seed; omitted: a random one, kept, so allocating again is reproducible
    seed: Annotated[int, msgspec.Meta(ge=0, le=2**62)] | None = None

    def __post_init__(self) -> None:
        check_instant("changes_close_at", self.changes_close_at)


class Event(msgspec.Struct, frozen=True):
    id: uuid.UUID
    org_id: uuid.UUID
    title: str
    changes_close_at: datetime
    seed: int


class SessionCreate(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    label: Title
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    # the forms: published exams of the organiser whose window covers the session
    form_exam_ids: Annotated[list[uuid.UUID], msgspec.Meta(min_length=1, max_length=26)]
    kind: SessionKind = "regular"
    national_cap: Annotated[int, msgspec.Meta(ge=0, le=10_000_000)] | None = None

    def __post_init__(self) -> None:
        check_window("starts_at", self.starts_at, "ends_at", self.ends_at)


class SessionUpdate(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    national_cap: Annotated[int, msgspec.Meta(ge=0, le=10_000_000)] | None = None


class Session(msgspec.Struct, frozen=True):
    id: uuid.UUID
    event_id: uuid.UUID
    label: str
    kind: SessionKind
    starts_at: datetime
    ends_at: datetime
    national_cap: int | None
    form_exam_ids: list[uuid.UUID]
    allocated_at: datetime | None = None
    prepared_at: datetime | None = None


class SchoolProfile(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    # an IANA zone: Asia/Jakarta (WIB), Asia/Makassar (WITA), Asia/Jayapura (WIT)
    time_zone: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    region: Annotated[str, msgspec.Meta(max_length=100)] = ""


class RoomCreate(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    name: Title
    seats: Annotated[int, msgspec.Meta(ge=1, le=2000)]
    columns: Annotated[int, msgspec.Meta(ge=1, le=200)] = 6


class Room(msgspec.Struct, frozen=True):
    id: uuid.UUID
    org_id: uuid.UUID
    name: str
    seats: int
    columns: int
    active: bool


class RegistrationCreate(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    class_id: uuid.UUID
    # sessions of one event; with several, the class's students are split over them
    session_ids: Annotated[list[uuid.UUID], msgspec.Meta(min_length=1, max_length=20)]
    # when a session is full: false → 409 session_full; true → a place on its waiting list
    join_waitlist: bool = False


class Registration(msgspec.Struct, frozen=True):
    group_id: uuid.UUID
    event_id: uuid.UUID
    org_id: uuid.UUID
    class_id: uuid.UUID
    status: RegistrationStatus
    seats: dict[str, int]  # session id -> students reserved there


class Unseated(msgspec.Struct, frozen=True):
    student_id: uuid.UUID
    reason: str


class AllocationReport(msgspec.Struct, frozen=True):
    sessions: int
    placed: int
    unplaced: list[Unseated]


class MakeupRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    # everyone of these sessions who did not submit (absent, or interrupted)...
    from_session_ids: list[uuid.UUID] = []
    # ...and these students by name
    student_ids: Annotated[list[uuid.UUID], msgspec.Meta(max_length=10_000)] = []


class PrepareReport(msgspec.Struct, frozen=True):
    session_id: uuid.UUID
    sittings_created: int
    forms_warmed: list[str]


class RegionRow(msgspec.Struct, frozen=True):
    region: str
    schools: int
    reserved_seats: int
    waitlisted_seats: int
    allocated: int
    seats: int  # the rooms of the schools registered there


class SessionOverview(msgspec.Struct, frozen=True):
    session_id: uuid.UUID
    label: str
    kind: str
    starts_at: datetime
    ends_at: datetime
    national_cap: int | None
    regions: list[RegionRow]
    unseated: int


class TimetableEntry(msgspec.Struct, frozen=True):
    event_id: uuid.UUID
    event_title: str
    session_id: uuid.UUID
    label: str
    starts_at: datetime
    ends_at: datetime
    local: str  # in the school's zone, e.g. "2025-03-01 07:30–09:30 WIB"
    classes: list[str]
    status: RegistrationStatus
    students: int  # allocated (reserved before allocation)
    rooms: list[str]


class MyExam(msgspec.Struct, frozen=True):
    event_title: str
    session_id: uuid.UUID
    label: str
    starts_at: datetime
    ends_at: datetime
    local: str
    time_zone: str
    exam_id: uuid.UUID  # start it with POST /v1/exams/{exam_id}/sittings
    room: str | None
    seat: int | None
    sitting_id: uuid.UUID | None
