"""The student page's conversation with the server, in as few requests as it can be.

In the steady state the page sends one of two requests: an answer batch when the student has
changed something, else, 30 s after its last request, a heartbeat. Each carries the page's
pending telemetry and brings back the server's clock (the answer ack's ``remaining_ms``; the
heartbeat's ``PageClock``: state, time left, grace, a proctor's pause or extra time, a device
take-over). Neither reads PostgreSQL: the session is in Redis.

The telemetry part goes through the telemetry ingest (``engine/integrity/ingest.py``) as if it
had been sent to ``POST /telemetry``: the same schema, size limit, rate limits, admission and
stream, the same problem codes (with ``extra.part = "telemetry"``).

**A refused telemetry part refuses the whole request.** It is checked and stored *before* the
answers (one script call does both: engine/integrity/telemetry_store.py), so when it is refused
(400, 413, 429) nothing of the request is stored, and the page keeps both: it drops a batch
refused for good (400, 413, or over its rate: 429, as the page
always did with refused telemetry) and sends its answers again at once. When the telemetry
was stored and the answer script then refuses the answers (paused, over the write budget, time
up), the page sends both again; a telemetry batch is idempotent by its ``(session,
batch_seq)``, so the second copy is acknowledged as a duplicate and stored once.
"""

from __future__ import annotations

import uuid
from typing import Protocol

from engine.integrity import ingest
from engine.integrity.page_models import BatchAck, HeartbeatBody, PageClock, TelemetryAck
from engine.integrity.telemetry_store import PageReply
from engine.kernel.errors import DomainError
from engine.kernel.principal import Principal
from engine.sittings import access as sitting_access
from engine.sittings import service as sittings
from engine.sittings.deadlines import remaining_ms
from engine.sittings.models import AnswerBatch


class Needs(ingest.Needs, sittings.Needs, Protocol):
    """What this module's services use of the process's collaborators (engine/ports.py)."""


async def record_answers(
    svc: Needs, principal: Principal, sitting_id: uuid.UUID, batch: AnswerBatch, ip: str
) -> BatchAck:
    """An answer batch, with the telemetry it carries stored first (see the module's note)."""
    if batch.telemetry is None:
        ack = await sittings.record_answers(svc, principal, sitting_id, batch)
        return BatchAck(ack.acked_seq, ack.remaining_ms)
    telemetry = ingest.decode_part(batch.telemetry)
    checked = await sittings.check_answers(svc, principal, sitting_id, batch)
    call = svc.store.answer_call(
        sitting_id, str(principal.user_id), batch.events, principal.device, checked.places
    )
    try:
        taken, answered = await ingest.ingest_with_answers(
            svc, principal, sitting_id, telemetry, ip, call
        )
    except DomainError as err:
        raise ingest.mark_part(err) from err
    ack = sittings.answered(answered, batch)
    return BatchAck(ack.acked_seq, ack.remaining_ms, taken)


async def heartbeat(
    svc: Needs, principal: Principal, sitting_id: uuid.UUID, body: HeartbeatBody, ip: str
) -> PageClock:
    """The sitting's clock for its own student's page, with the page's pending telemetry
    stored, in one script call (as an answer batch is). A submitted sitting answers its state
    (the page shows the end) and takes no telemetry, as ``POST /telemetry`` takes none; bad
    telemetry is refused before anything is read or stored."""
    principal.require_student()
    telemetry = None if body.telemetry is None else ingest.decode_part(body.telemetry)
    if principal.exam_id is not None:
        # an exam card: its own exam's sittings only, checked before any telemetry is stored
        clock = await ingest.call_page(svc, "heartbeat", sitting_id, principal, None, ip)
        await sitting_access.confine_card(svc.pool, principal, clock.exam_version_id)
        if telemetry is None:
            return _page_clock(clock, None)
    clock = await ingest.call_page(svc, "heartbeat", sitting_id, principal, telemetry, ip)
    try:
        taken = ingest.outcome(clock)
    except DomainError as err:
        raise ingest.mark_part(err) from err
    return _page_clock(clock, taken)


def _page_clock(clock: PageReply, taken: TelemetryAck | None) -> PageClock:
    return PageClock(
        state=clock.state,
        # while paused the clock stands still at the instant the pause began
        remaining_ms=remaining_ms(clock.deadline_ms, clock.paused_at_ms or clock.now_ms),
        deadline_ms=clock.deadline_ms,
        server_time_ms=clock.now_ms,
        grace_ms=clock.grace_ms,
        device_replaced=clock.replaced,
        acked_seq=clock.last_seq,
        telemetry=taken,
    )
