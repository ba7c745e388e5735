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
answers, so when it is refused (400, 413, 429) nothing of the request is stored, and the page
keeps both: it drops a batch refused for good (400, 413, or over its rate: 429, as the page
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
from engine.kernel.errors import DomainError, not_found
from engine.kernel.principal import Principal
from engine.sittings import access as sitting_access
from engine.sittings import service as sittings
from engine.sittings.deadlines import remaining_ms
from engine.sittings.models import AnswerBatch
from proctoring.telemetry import TelemetryBatch


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
    try:
        taken = await ingest.ingest_batch(svc, principal, sitting_id, telemetry, ip)
    except DomainError as err:
        raise ingest.mark_part(err) from err
    ack = await sittings.store_answers(svc, principal, sitting_id, checked)
    return BatchAck(ack.acked_seq, ack.remaining_ms, taken)


async def heartbeat(
    svc: Needs, principal: Principal, sitting_id: uuid.UUID, body: HeartbeatBody, ip: str
) -> PageClock:
    """The sitting's clock for its own student's page, with the page's pending telemetry
    stored. A submitted sitting answers its state (the page shows the end) and takes no
    telemetry, as ``POST /telemetry`` takes none; bad telemetry is refused before anything is
    read or stored."""
    principal.require_student()
    telemetry = None if body.telemetry is None else ingest.decode_part(body.telemetry)
    clock = await svc.store.heartbeat(sitting_id, str(principal.user_id), principal.device)
    if clock.status != "ok":
        raise not_found("sitting")
    if principal.exam_id is not None:
        await sitting_access.confine_card(svc.pool, principal, clock.exam_version_id)
    taken: TelemetryAck | None = None
    if telemetry is not None and clock.state != "submitted":
        taken = await _store(svc, sitting_id, clock.exam_version_id, clock.now_ms, telemetry, ip)
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


async def _store(
    svc: Needs,
    sitting_id: uuid.UUID,
    exam_version_id: str,
    now_ms: int,
    telemetry: TelemetryBatch,
    ip: str,
) -> TelemetryAck:
    try:
        return await ingest.store_batch(svc, sitting_id, exam_version_id, now_ms, telemetry, ip)
    except DomainError as err:
        raise ingest.mark_part(err) from err
