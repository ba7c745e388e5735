"""HTTP endpoints of scheduling: decode → one service call → encode."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, Response, delete, get, patch, post, put
from litestar.params import FromPath, FromQuery, JSONBody

from engine.auth.policy import MANAGERS, SCHOOL_STAFF, allow
from engine.deps import Svc
from engine.kernel.principal import Principal
from engine.scheduling import (
    allocation_service,
    prepare,
    registration_service,
    service,
    views,
)
from engine.scheduling.exports import CSV_MEDIA_TYPE, ICS_MEDIA_TYPE
from engine.scheduling.forecast import Forecast, Params
from engine.scheduling.models import (
    AllocationReport,
    Event,
    EventCreate,
    MakeupRequest,
    MyExam,
    PrepareReport,
    Registration,
    RegistrationCreate,
    Room,
    RoomCreate,
    SchoolProfile,
    Session,
    SessionCreate,
    SessionOverview,
    SessionUpdate,
    TimetableEntry,
)

Req = Request[Principal, Any, Any]
Id = FromPath[uuid.UUID]
ORGANISER = allow("admin")


def _file(body: bytes, media_type: str, name: str) -> Response[bytes]:
    return Response(
        body,
        media_type=media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )


class EventController(Controller):
    path = "/v1/scheduling/events"
    tags = ["scheduling"]

    @post("/", summary="Create an event (organiser)", opt=ORGANISER)
    async def create(self, svc: Svc, request: Req, data: JSONBody[EventCreate]) -> Event:
        return await service.create_event(svc.pool, request.user, data)

    @get("/", summary="Events I run, or my school may register for", opt=allow(*SCHOOL_STAFF))
    async def list_events(self, svc: Svc, request: Req) -> list[Event]:
        return await service.list_events(svc.pool, request.user)

    @post("/{event_id:uuid}/sessions", summary="Add a session with its forms", opt=ORGANISER)
    async def add_session(
        self, svc: Svc, request: Req, event_id: Id, data: JSONBody[SessionCreate]
    ) -> Session:
        return await service.add_session(svc.pool, request.user, event_id, data)

    @get("/{event_id:uuid}/sessions", summary="The sessions of an event", opt=allow(*SCHOOL_STAFF))
    async def sessions(self, svc: Svc, request: Req, event_id: Id) -> list[Session]:
        return await service.list_sessions(svc.pool, request.user, event_id)

    @post(
        "/{event_id:uuid}/registrations",
        opt=allow(*MANAGERS),
        summary="Register a class into sessions (409 session_full, cutoff_passed, clash)",
    )
    async def register(
        self, svc: Svc, request: Req, event_id: Id, data: JSONBody[RegistrationCreate]
    ) -> Registration:
        return await registration_service.register(svc.pool, request.user, event_id, data)

    @post(
        "/{event_id:uuid}/allocation",
        status_code=200,
        opt=ORGANISER,
        summary="Seat every registered student (reproducible for the event's seed)",
    )
    async def allocate(self, svc: Svc, request: Req, event_id: Id) -> AllocationReport:
        return await allocation_service.allocate_event(svc.pool, request.user, event_id)

    @get(
        "/{event_id:uuid}/overview",
        summary="Students and seats per session per region",
        opt=ORGANISER,
    )
    async def overview(self, svc: Svc, request: Req, event_id: Id) -> list[SessionOverview]:
        return await views.overview(svc.pool, request.user, event_id)

    @get(
        "/{event_id:uuid}/forecast",
        opt=ORGANISER,
        summary="Requests/s per minute, pods and Lambda concurrency the schedule needs",
    )
    async def forecast(
        self,
        svc: Svc,
        request: Req,
        event_id: Id,
        pod_rps: FromQuery[float | None] = None,
        target_utilisation: FromQuery[float | None] = None,
        pod_starts_per_s: FromQuery[float | None] = None,
    ) -> Forecast:
        params = Params(
            pod_rps=pod_rps or svc.settings.forecast_pod_rps,
            pod_starts_per_s=pod_starts_per_s or Params().pod_starts_per_s,
            target_utilisation=target_utilisation or svc.settings.overflow_threshold,
        )
        return await views.event_forecast(svc.pool, request.user, event_id, params)


class SessionController(Controller):
    path = "/v1/scheduling/sessions/{session_id:uuid}"
    tags = ["scheduling"]

    @patch("/", summary="Change the national cap (waiting lists move up)", opt=ORGANISER)
    async def update(
        self, svc: Svc, request: Req, session_id: Id, data: JSONBody[SessionUpdate]
    ) -> Session:
        return await service.update_session(svc.pool, request.user, session_id, data)

    @post(
        "/makeup",
        status_code=200,
        opt=ORGANISER,
        summary="Seat absent or interrupted students, each on a form they have not seen",
    )
    async def makeup(
        self, svc: Svc, request: Req, session_id: Id, data: JSONBody[MakeupRequest]
    ) -> AllocationReport:
        return await allocation_service.makeup(svc.pool, request.user, session_id, data)

    @post(
        "/prepare",
        status_code=200,
        opt=ORGANISER,
        summary="Pre-create the sittings and warm the papers now (else automatic)",
    )
    async def prepare(self, svc: Svc, request: Req, session_id: Id) -> PrepareReport:
        return await prepare.prepare(svc, request.user, session_id)

    @get("/room-list.csv", summary="Room lists for printing", opt=allow(*SCHOOL_STAFF))
    async def room_list(
        self, svc: Svc, request: Req, session_id: Id, org_id: FromQuery[uuid.UUID | None] = None
    ) -> Response[bytes]:
        body = await views.room_list_csv(svc.pool, request.user, session_id, org_id)
        return _file(body, CSV_MEDIA_TYPE, f"room-list-{session_id}.csv")

    @get("/cards.csv", summary="Exam cards for printing", opt=allow(*SCHOOL_STAFF))
    async def cards(
        self, svc: Svc, request: Req, session_id: Id, org_id: FromQuery[uuid.UUID | None] = None
    ) -> Response[bytes]:
        body = await views.cards_csv(svc.pool, request.user, session_id, org_id)
        return _file(body, CSV_MEDIA_TYPE, f"exam-cards-{session_id}.csv")


class SchoolScheduleController(Controller):
    path = "/v1/scheduling/schools/{org_id:uuid}"
    tags = ["scheduling"]

    @put("/profile", summary="The school's time zone and region", opt=allow(*MANAGERS))
    async def set_profile(
        self, svc: Svc, request: Req, org_id: Id, data: JSONBody[SchoolProfile]
    ) -> SchoolProfile:
        return await service.set_profile(svc.pool, request.user, org_id, data)

    @get("/profile", summary="The school's time zone and region", opt=allow(*SCHOOL_STAFF))
    async def profile(self, svc: Svc, request: Req, org_id: Id) -> SchoolProfile:
        return await service.get_profile(svc.pool, request.user, org_id)

    @post("/rooms", summary="Add a room or lab with its seats", opt=allow(*MANAGERS))
    async def add_room(
        self, svc: Svc, request: Req, org_id: Id, data: JSONBody[RoomCreate]
    ) -> Room:
        return await service.add_room(svc.pool, request.user, org_id, data)

    @get("/rooms", summary="The school's rooms", opt=allow(*SCHOOL_STAFF))
    async def rooms(self, svc: Svc, request: Req, org_id: Id) -> list[Room]:
        return await service.list_rooms(svc.pool, request.user, org_id)

    @get("/registrations", summary="The school's registrations", opt=allow(*SCHOOL_STAFF))
    async def registrations(self, svc: Svc, request: Req, org_id: Id) -> list[Registration]:
        return await registration_service.registrations_of_school(svc.pool, request.user, org_id)

    @get(
        "/timetable", summary="The school's sessions in its own time zone", opt=allow(*SCHOOL_STAFF)
    )
    async def timetable(self, svc: Svc, request: Req, org_id: Id) -> list[TimetableEntry]:
        return await views.timetable(svc.pool, request.user, org_id)

    @get("/timetable.ics", summary="The school's timetable as iCalendar", opt=allow(*SCHOOL_STAFF))
    async def timetable_ics(self, svc: Svc, request: Req, org_id: Id) -> Response[bytes]:
        body = await views.timetable_ics(svc.pool, request.user, org_id)
        return _file(body, ICS_MEDIA_TYPE, "timetable.ics")


class ScheduleController(Controller):
    path = "/v1/scheduling"
    tags = ["scheduling"]

    @post(
        "/rooms/{room_id:uuid}/lost",
        status_code=200,
        opt=allow(*MANAGERS),
        summary="A room is out of service: re-seat its students",
    )
    async def room_lost(self, svc: Svc, request: Req, room_id: Id) -> AllocationReport:
        return await allocation_service.lose_room(
            svc.pool, request.user, room_id, svc.settings.stream_shards
        )

    @delete(
        "/registrations/{group_id:uuid}",
        opt=allow(*MANAGERS),
        summary="Withdraw a registration (until the cut-off)",
    )
    async def withdraw(self, svc: Svc, request: Req, group_id: Id) -> None:
        await registration_service.withdraw(svc.pool, request.user, group_id)

    @get(
        "/my-exams", summary="My sessions with room and seat", opt=allow("student", tenancy="self")
    )
    async def my_exams(self, svc: Svc, request: Req) -> list[MyExam]:
        return await views.my_exams(svc.pool, request.user)

    @get("/my-exams.ics", summary="My sessions as iCalendar", opt=allow("student", tenancy="self"))
    async def my_exams_ics(self, svc: Svc, request: Req) -> Response[bytes]:
        return _file(
            await views.my_exams_ics(svc.pool, request.user), ICS_MEDIA_TYPE, "my-exams.ics"
        )
