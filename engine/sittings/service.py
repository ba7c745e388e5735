"""Rules of a sitting: start, paper, answers, timer, submit, result."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol, assert_never

import msgspec

from engine import metrics
from engine.kernel.errors import DomainError, conflict, not_found, validation_failed
from engine.kernel.principal import Principal
from engine.ports import (
    WithCpu,
    WithKeys,
    WithKeySpace,
    WithPapers,
    WithPool,
    WithRedis,
    WithSettings,
    WithStore,
)
from engine.redis_adapter.keys import new_sitting_id, shard_of
from engine.redis_adapter.replies import AnswerReply
from engine.sittings import access as sitting_access
from engine.sittings import answer_checks, repository
from engine.sittings import proctor_store as proctoring_actions
from engine.sittings import repository_access as access_sql
from engine.sittings.deadlines import remaining_ms
from engine.sittings.grader import grade_sitting
from engine.sittings.latest import answers_json
from engine.sittings.models import (
    AnswerAck,
    AnswerBatch,
    ResultView,
    Sitting,
    SittingResult,
    SittingState,
    SubmitOutcome,
    Timer,
)
from engine.sittings.repository import StudentSitting
from engine.sittings.store import SessionView
from question_bank.paper_wire import gzip_small, worth_gzip


class Needs(
    WithCpu,
    WithKeys,
    WithKeySpace,
    WithPapers,
    WithPool,
    WithRedis,
    WithSettings,
    WithStore,
    Protocol,
):
    """What this module's services use of the process's collaborators (engine/ports.py), and
    the memo of each sitting's owner (engine/services.py)."""

    @property
    def sitting_owner(self) -> dict[str, tuple[str, str]]: ...

    def remember_sitting_owner(
        self, sitting_id: str, exam_version_id: str, student_id: str
    ) -> None: ...


_json = msgspec.json.Encoder()


def _ms(value: datetime) -> int:
    return int(value.timestamp() * 1000)


def _dt(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def _time_expired(acked: int, remaining: int) -> DomainError:
    return DomainError(
        409,
        "time_expired",
        "Time is up",
        "the deadline and its grace period have passed; nothing was stored",
        extra={"acked_seq": acked, "remaining_ms": remaining},
    )


def _submitted() -> DomainError:
    return conflict(
        "sitting_submitted",
        "This sitting is already submitted",
        "answers can no longer change; the result is at /result",
    )


async def start_sitting(svc: Needs, principal: Principal, exam_id: uuid.UUID) -> Sitting:
    """Idempotent per (student, exam): a second start returns the same sitting."""
    principal.require_student()
    async with svc.pool.acquire() as conn:
        context = await access_sql.start_context(conn, exam_id, principal.org_id, principal.user_id)
        if context is None:
            raise not_found("exam")
        # class assignment, the student's own window and time, the exam's device policy
        exam, access = sitting_access.admit(context.exam, context.access)
        stored = context.sitting
        if stored is None:
            new_id = new_sitting_id(svc.settings.stream_shards)
            inserted = await repository.insert_sitting(
                conn,
                new_id,
                principal.org_id,
                exam_id,
                exam.version_id,
                principal.user_id,
                shard_of(new_id, svc.settings.stream_shards),
            )
            stored = (
                StudentSitting(new_id, exam.version_id, "created", None, None, 0)
                if inserted
                else await repository.sitting_of_student(conn, exam_id, principal.user_id)
            )
    # inserted now, or by a start that raced this one: either way the student's one sitting
    assert stored is not None
    sitting_id = stored.id
    sitting_access.remember_exam_of_version(str(stored.exam_version_id), exam_id)
    if stored.state in ("submitted", "graded"):
        return Sitting(sitting_id, exam_id, stored.state, stored.started_at, stored.deadline, 0)
    reply = await svc.store.start(
        sitting_id,
        exam_version_id=str(stored.exam_version_id),
        student_id=str(principal.user_id),
        limit_ms=exam.time_limit_s * 1000,
        extra_ms=stored.extra_time_s * 1000,
        window_open_ms=_ms(exam.window_open),
        window_close_ms=_ms(exam.window_close),
        grace_ms=exam.grace_s * 1000,
        known_started_ms=_ms(stored.started_at) if stored.started_at else 0,
        known_deadline_ms=_ms(stored.deadline) if stored.deadline else 0,
    )
    if reply.state == "exam_not_open":
        raise conflict(
            "exam_not_open",
            "The exam window has not opened yet",
            f"it opens at {exam.window_open.isoformat()}",
        )
    if reply.state == "exam_closed":
        raise conflict(
            "exam_closed",
            "The exam window has closed",
            f"it closed at {exam.window_close.isoformat()}",
        )
    if reply.state == "active":
        await sitting_access.claim_device(
            svc.pool,
            proctoring_actions.proctor_store(svc.redis, svc.keyspace, svc.store.pipelined),
            principal,
            sitting_id,
            exam_id,
            access,
        )
    started, deadline = _dt(reply.started_ms), _dt(reply.deadline_ms)
    if stored.state == "created":
        async with svc.pool.acquire() as conn:
            await repository.mark_active(conn, sitting_id, started, deadline)
    svc.remember_sitting_owner(str(sitting_id), str(stored.exam_version_id), str(principal.user_id))
    state: SittingState = "active" if reply.state == "active" else "submitted"
    return Sitting(
        sitting_id, exam_id, state, started, deadline, remaining_ms(reply.deadline_ms, reply.now_ms)
    )


async def _own_exam_version(svc: Needs, principal: Principal, sitting_id: uuid.UUID) -> str | None:
    """The exam version of the caller's own live sitting; None for anyone else's sitting (or
    one with no session), before anything about its paper is looked at: a stranger learns
    nothing, not even which item ids the paper holds."""
    key = str(sitting_id)
    known = svc.sitting_owner.get(key)
    if known is None:
        version, student = await svc.store.session_fields(sitting_id, "exam", "student")
        if version is None or student is None:
            return None
        known = (version, student)
        svc.remember_sitting_owner(key, version, student)
    version, student = known
    return version if student == str(principal.user_id) else None


async def _open_view(svc: Needs, principal: Principal, sitting_id: uuid.UUID) -> SessionView:
    view = await svc.store.view(sitting_id, with_answers=True)
    if view is None or view.student_id != str(principal.user_id):
        raise not_found("sitting")
    if principal.exam_id is not None:
        await sitting_access.confine_card(svc.pool, principal, view.exam_version_id)
    if view.state not in ("active", "paused"):
        raise _submitted()
    return view


def content_etag(exam_version_id: str) -> str:
    """A sitting's questions (in its order) change only with its exam version, which is
    immutable once published; the prefix changes with the paper's JSON format."""
    return f'"p1-{exam_version_id}"'


class PaperBody(msgspec.Struct, frozen=True):
    """A paper reply's bytes: gzipped when the client takes gzip and it is worth it; None
    for a client whose copy is current (304)."""

    body: bytes | None
    gzipped: bool = False
    etag: str = ""


async def paper_content(
    svc: Needs,
    principal: Principal,
    sitting_id: uuid.UUID,
    *,
    if_none_match: str | None = None,
    gzip: bool = False,
) -> PaperBody:
    """The questions of the student's paper alone, with their ETag: what a device keeps
    between reloads (GET /paper?content=omit then brings only the answers and the clock).
    A device whose copy is current gets its 304 without the paper being put together."""
    view = await _open_view(svc, principal, sitting_id)
    etag = content_etag(view.exam_version_id)
    if if_none_match == etag:
        return PaperBody(None, etag=etag)
    wire = await svc.papers.wire(view.exam_version_id)
    compiled = wire.paper
    before = b"".join(
        (
            b'{"exam_version_id":"',
            view.exam_version_id.encode(),
            b'","title":',
            _json.encode(compiled.title),
            b',"navigation":"',
            compiled.navigation.encode(),
            b'","sections":',
        )
    )
    if gzip:
        return PaperBody(wire.gzipped(sitting_id, before, b"}"), True, etag)
    return PaperBody(before + wire.sections(sitting_id) + b"}", etag=etag)


async def paper(
    svc: Needs,
    principal: Principal,
    sitting_id: uuid.UUID,
    *,
    with_sections: bool = True,
    gzip: bool = False,
) -> PaperBody:
    """The student's paper in their order, with their latest answers: no database read, one
    Redis call, and the sections joined from pieces kept per exam version (gzipped ones too:
    question_bank/paper_wire.py). Without its sections (a device that keeps them) it is the
    answers and the clock only."""
    view = await _open_view(svc, principal, sitting_id)
    wire = await svc.papers.wire(view.exam_version_id)
    compiled = wire.paper
    before = b"".join(
        (
            b'{"sitting_id":"',
            str(sitting_id).encode(),
            b'","exam_version_id":"',
            view.exam_version_id.encode(),
            b'","title":',
            _json.encode(compiled.title),
            b',"navigation":"',
            compiled.navigation.encode(),
            b'","state":"',
            view.state.encode(),
            b'","remaining_ms":',
            str(remaining_ms(view.deadline_ms, view.clock_ms)).encode(),
            b',"last_seq":',
            str(view.last_seq).encode(),
            b',"furthest":',
            str(view.furthest).encode(),
            b',"grace_ms":',
            str(view.grace_ms).encode(),
            b',"content_etag":',
            _json.encode(content_etag(view.exam_version_id)),
            b',"sections":',
        )
    )
    after = b"".join((b',"answers":', answers_json(view.answers), b"}"))
    if with_sections:
        if gzip:
            return PaperBody(wire.gzipped(sitting_id, before, after), True)
        return PaperBody(before + wire.sections(sitting_id) + after)
    body = before + b"null" + after
    if gzip and worth_gzip(body):
        return PaperBody(gzip_small(body), True)
    return PaperBody(body)


class Checked(msgspec.Struct, frozen=True):
    """An answer batch that passed every check made before the answer script: ready to store."""

    batch: AnswerBatch
    # linear paper: each event's place in the student's order (None on a free paper)
    places: list[int] | None


async def record_answers(
    svc: Needs, principal: Principal, sitting_id: uuid.UUID, batch: AnswerBatch
) -> AnswerAck:
    """Store a batch, or nothing of it: refused whole when an event does not fit its item
    (400, engine/sittings/answer_checks.py), or, by the answer script, when the sitting is
    over its write budget (429 ``answer_rate_limited``) or the batch goes back on a linear
    paper (409 ``navigation_linear``)."""
    return await store_answers(
        svc, principal, sitting_id, await check_answers(svc, principal, sitting_id, batch)
    )


async def check_answers(
    svc: Needs, principal: Principal, sitting_id: uuid.UUID, batch: AnswerBatch
) -> Checked:
    """Every refusal that needs no write: the caller's own sitting (no database read past
    the first), each event against its item's rules (from memory)."""
    settings = svc.settings
    if len(batch.events) > settings.max_batch_events:
        raise validation_failed(f"at most {settings.max_batch_events} events per batch")
    version = await _own_exam_version(svc, principal, sitting_id)
    if version is None:
        raise not_found("sitting")
    if principal.exam_id is not None:  # an exam card: its own exam's sittings only
        await sitting_access.confine_card(svc.pool, principal, version)
    rules = await svc.papers.rules(version)
    answer_checks.check_events(rules, batch.events, settings.answer_max_text_chars)
    if rules.pooled:
        answer_checks.check_drawn(await svc.papers.get(version), sitting_id, batch.events)
    places = None
    if rules.linear:
        places = answer_checks.places(
            rules, await svc.papers.get(version), sitting_id, batch.events
        )
    return Checked(batch, places)


async def store_answers(
    svc: Needs, principal: Principal, sitting_id: uuid.UUID, checked: Checked
) -> AnswerAck:
    """The answer script: the events stored, or none of them with the script's refusal."""
    batch, places = checked.batch, checked.places
    reply = await svc.store.record_answers(
        sitting_id, str(principal.user_id), batch.events, principal.device, places
    )
    return answered(reply, batch)


def answered(reply: AnswerReply, batch: AnswerBatch) -> AnswerAck:
    """The answer script's reply to ``batch``: its acknowledgement, or its refusal raised."""
    metrics.answer_batches.labels(reply.status).inc()
    match reply.status:
        case "ok":
            # duplicates of stored events are acknowledged again; events after a gap are not
            metrics.answer_events.inc(sum(e.seq <= reply.acked_seq for e in batch.events))
            return AnswerAck(acked_seq=reply.acked_seq, remaining_ms=max(0, reply.remaining_ms))
        case "rate_limited":
            raise answer_checks.rate_limited(reply.acked_seq, reply.detail)
        case "navigation_linear":
            raise answer_checks.went_back(
                batch.events, reply.detail, reply.furthest, reply.acked_seq
            )
        case "time_expired":
            raise _time_expired(reply.acked_seq, reply.remaining_ms)
        case "sitting_submitted":
            raise _submitted()
        case "sitting_paused" | "device_replaced":
            raise proctoring_actions.refusal(reply.status, reply.acked_seq, reply.remaining_ms)
        case "no_session" | "forbidden":
            raise not_found("sitting")
        case unexpected:
            assert_never(unexpected)


async def timer(svc: Needs, principal: Principal, sitting_id: uuid.UUID) -> Timer:
    view = await svc.store.view(sitting_id, with_answers=False)
    if view is None or view.student_id != str(principal.user_id):
        raise not_found("sitting")
    if principal.exam_id is not None:
        await sitting_access.confine_card(svc.pool, principal, view.exam_version_id)
    return Timer(
        state=view.state,
        remaining_ms=remaining_ms(view.deadline_ms, view.clock_ms),
        deadline_ms=view.deadline_ms,
        server_time_ms=view.now_ms,
        grace_ms=view.grace_ms,
    )


# exam version -> does it grade on submit; published versions never change, so kept per process
_instant_by_version: dict[str, bool] = {}


async def _instant_results(svc: Needs, principal: Principal, sitting_id: uuid.UUID) -> bool:
    """Whether the sitting's exam grades on submit: no database read past a version's first
    (the submit at the deadline burst is then one Redis script call)."""
    version = await _own_exam_version(svc, principal, sitting_id)
    if version is None:
        return False
    instant = _instant_by_version.get(version)
    if instant is None:
        async with svc.pool.acquire() as conn:
            instant = await repository.instant_results(conn, uuid.UUID(version))
        _instant_by_version[version] = instant
    return instant


@dataclass
class _InFlight:
    value: int = 0


# submits of this process being graded in their request right now
_grading_in_requests = _InFlight()


async def submit(svc: Needs, principal: Principal, sitting_id: uuid.UUID) -> SubmitOutcome:
    """Submit now; grade at once when the exam gives instant results (idempotent)."""
    principal.require_student()
    if principal.exam_id is not None:
        version = await _own_exam_version(svc, principal, sitting_id)
        if version is not None:  # no session: result() below checks the stored sitting
            await sitting_access.confine_card(svc.pool, principal, version)
    reply = await svc.store.submit(sitting_id, str(principal.user_id), "student")
    if reply.state in ("no_session", "forbidden") or (reply.state != "active" and not reply.fresh):
        # submitted before (by the student, the sweeper), or the session expired after grading:
        # the result as it stands, graded or on its way
        view = await result(svc, principal, sitting_id)
        return SubmitOutcome(sitting_id, view.state, 0, view.result, view.result_pending)
    graded: SittingResult | None = None
    if not await _instant_results(svc, principal, sitting_id):
        return SubmitOutcome(sitting_id, "submitted", reply.submitted_ms, None)
    if _grading_in_requests.value >= svc.settings.instant_grading_in_request:
        # a burst of submits (the deadline): each is its state change only, graded in bulk by
        # the grader's stream, which the submit script fed; the page asks for the result
        return SubmitOutcome(sitting_id, "submitted", reply.submitted_ms, None, True)
    _grading_in_requests.value += 1
    try:
        graded = await grade_sitting(svc.pool, svc.store, svc.keys, sitting_id, svc.cpu, wait=False)
    except DomainError as busy:
        if busy.code != "busy":
            raise
        # the grading lane is full: the submit stands, the grader's stream grades it
        return SubmitOutcome(sitting_id, "submitted", reply.submitted_ms, None, True)
    finally:
        _grading_in_requests.value -= 1
    if graded is None:
        graded = (await result(svc, principal, sitting_id)).result
    state: SittingState = "graded" if graded is not None else "submitted"
    return SubmitOutcome(sitting_id, state, reply.submitted_ms, graded, graded is None)


async def result(svc: Needs, principal: Principal, sitting_id: uuid.UUID) -> ResultView:
    async with svc.pool.acquire() as conn:
        row = await repository.sitting_with_result(conn, sitting_id)
    if row is None:
        raise not_found("sitting")
    if principal.role == "student":
        if row.student_id != principal.user_id or principal.exam_id not in (None, row.exam_id):
            raise not_found("sitting")
        if not row.instant_results and row.state == "graded":
            raise DomainError(
                403,
                "results_not_released",
                "Results are not released yet",
                "your teacher will release the results of this exam",
            )
    elif not principal.is_staff or principal.org_id not in (row.org_id, row.exam_org_id):
        raise not_found("sitting")
    graded = None
    if row.points is not None:
        # a result row's columns are all set together (results: NOT NULL)
        assert row.max_points is not None and row.items is not None
        assert row.graded_at is not None
        graded = SittingResult(
            sitting_id=sitting_id,
            exam_id=row.exam_id,
            points=row.points,
            max_points=row.max_points,
            items=row.items,
            graded_at=row.graded_at,
            outcome=row.outcome,
            theta=row.theta,
            theta_se=row.theta_se,
            scaled_score=row.scaled_score,
        )
    state = row.state
    if graded is None and state in ("created", "active"):
        # the database learns of a submit when the sitting is graded: until then the session
        # in Redis is where it shows
        [live] = await svc.store.session_fields(sitting_id, "state")
        if live == "submitted":
            state = "submitted"
    pending = graded is None and row.instant_results and state == "submitted"
    return ResultView(sitting_id=sitting_id, state=state, result=graded, result_pending=pending)
