"""Telemetry ingest: strict decode, the sitting's owner, rate limits, admission, one XADD.

The one path of every telemetry batch: ``POST /telemetry`` (``ingest``), and the telemetry part
an answer batch or a heartbeat carries (engine/integrity/conversation.py: ``decode_part``, then
``ingest_batch``, or the heartbeat's own script call, ``call_page``).

Nothing is stored unless the whole batch decodes. Everything after the decode is one script
call on the shared pipelined connection (engine/integrity/telemetry_store.py), as an answer
batch is: the sitting's owner and state, a per-sitting window that bounds a page inventing new
session ids to dodge its bucket, admission (``proctoring.telemetry.admit``'s rules: duplicates,
page clocks, a per-page token bucket) on state kept in Redis beside the sitting's keys, and the
XADD, atomically, so two batches racing for one page cannot both pass.
"""

from __future__ import annotations

import math
import uuid
from typing import Any, Protocol, assert_never

import msgspec

from engine.integrity.page_models import TelemetryAck
from engine.integrity.telemetry_store import Mode, PageReply, TelemetryStore
from engine.kernel.errors import DomainError, conflict, not_found, validation_failed
from engine.kernel.principal import Principal
from engine.ports import WithKeySpace, WithPipelined, WithPool, WithRedis, WithSettings, WithStore
from engine.redis_adapter.replies import AnswerReply
from engine.sittings import access as sitting_access
from proctoring.telemetry import (
    MAX_BATCH_BYTES,
    IngestLimits,
    TelemetryBatch,
    TelemetryTooLarge,
    decode_batch,
)


class Needs(WithPipelined, WithKeySpace, WithPool, WithRedis, WithSettings, WithStore, Protocol):
    """What this module's services use of the process's collaborators (engine/ports.py)."""


# a page over its bucket may send again once a token has come back
_ONE_TOKEN_S = max(1, math.ceil(60 / IngestLimits().events_per_minute))

_STORES: dict[int, TelemetryStore] = {}


def _store(svc: Needs) -> TelemetryStore:
    found = _STORES.get(id(svc.pipelined))
    if found is None or found.pipelined is not svc.pipelined or found.keyspace is not svc.keyspace:
        found = _STORES[id(svc.pipelined)] = TelemetryStore(svc.redis, svc.keyspace, svc.pipelined)
    return found


def _rate_limited(retry_after: int) -> DomainError:
    return DomainError(
        429,
        "rate_limited",
        "Too much telemetry",
        f"this sitting sends events faster than allowed; nothing was stored, "
        f"send again in {retry_after} s",
        extra={"retry_after_s": retry_after},
        headers={"Retry-After": str(retry_after)},
    )


def _address(ip: str) -> str:
    # the schema's bounds, so the consumer's strict decode never refuses our own entry
    return ip if 2 <= len(ip) <= 45 else "unknown"


def decode(raw: bytes, at: str = "") -> TelemetryBatch:
    """The batch, or the refusal every telemetry path answers: 413 over the size limit (checked
    before any decoding work), 400 with the field at fault. ``at``: where the batch sits in
    the request body ("telemetry" for the part of an answer batch or a heartbeat)."""
    try:
        return decode_batch(raw)
    except TelemetryTooLarge as err:
        raise DomainError(
            413,
            "payload_too_large",
            "The telemetry batch is too large",
            f"{err}; send smaller batches more often",
            extra={"limit_bytes": MAX_BATCH_BYTES},
        ) from err
    except (msgspec.ValidationError, msgspec.DecodeError) as err:
        field = str(err).rpartition(" - at `")[2].rstrip("`") if " - at `" in str(err) else ""
        if at:
            field = "$." + at + field.removeprefix("$") if field else at
        raise validation_failed(
            "the telemetry batch is not valid; nothing was stored",
            [{"field": field or "body", "message": str(err)}],
        ) from err


_part_enc = msgspec.json.Encoder()


def mark_part(err: DomainError) -> DomainError:
    """A refusal of the telemetry a request carries beside something else (an answer batch, a
    heartbeat): the same code and status as ``POST /telemetry`` answers, with ``part`` saying
    which part of the request was refused, so the page knows what to drop."""
    err.extra = {**(err.extra or {}), "part": "telemetry"}
    return err


def decode_part(part: dict[str, Any]) -> TelemetryBatch:
    """The ``telemetry`` object of an answer batch or a heartbeat, validated as the telemetry
    endpoint validates its body: the web framework only took it as a JSON object, so it is
    encoded again and decoded strictly (the same size limit, the same schema, the same
    refusals, ``part`` marked)."""
    try:
        return decode(_part_enc.encode(part), at="telemetry")
    except DomainError as err:
        raise mark_part(err) from err


def _closed() -> DomainError:
    return conflict(
        "sitting_submitted",
        "This sitting is already submitted",
        "telemetry is only taken while the sitting is open; nothing was stored",
    )


async def ingest(
    svc: Needs, principal: Principal, sitting_id: uuid.UUID, raw: bytes, ip: str
) -> TelemetryAck:
    """``POST /telemetry``: the raw body, decoded strictly, then ``ingest_batch``."""
    principal.require_student()
    return await ingest_batch(svc, principal, sitting_id, decode(raw), ip)


async def ingest_batch(
    svc: Needs, principal: Principal, sitting_id: uuid.UUID, batch: TelemetryBatch, ip: str
) -> TelemetryAck:
    """A decoded batch of the caller's own open sitting, admitted and stored: one script call
    (engine/integrity/telemetry_store.py), which checks the owner and the state itself."""
    if principal.exam_id is not None:
        # an exam card: its own exam's sittings only, checked before anything is stored
        view = await svc.store.view(sitting_id, with_answers=False)
        if view is None or view.student_id != str(principal.user_id):
            raise not_found("sitting")
        await sitting_access.confine_card(svc.pool, principal, view.exam_version_id)
    page = await call_page(svc, "ingest", sitting_id, principal, batch, ip)
    taken = outcome(page)
    assert taken is not None  # an open sitting's batch has an outcome; a closed one raised
    return taken


async def ingest_with_answers(
    svc: Needs,
    principal: Principal,
    sitting_id: uuid.UUID,
    batch: TelemetryBatch,
    ip: str,
    answer_call: tuple[list[str], list[Any]],
) -> tuple[TelemetryAck, AnswerReply]:
    """An answer batch's telemetry stored and then its answers (the answer script's keys and
    arguments: ``SittingStore.answer_call``), in one script call; the owner, and an exam
    card's exam, were checked with the answers. A refused batch raises: nothing stored."""
    page, answered = await _store(svc).call_with_answers(
        sitting_id, str(principal.user_id), batch, _address(ip), answer_call
    )
    if page.status != "ok":
        raise not_found("sitting")
    taken = outcome(page)
    assert taken is not None and answered is not None  # else outcome raised the refusal
    return taken, answered


async def call_page(
    svc: Needs,
    mode: Mode,
    sitting_id: uuid.UUID,
    principal: Principal,
    batch: TelemetryBatch | None,
    ip: str,
) -> PageReply:
    """The conversation's one script call: the sitting's clock (``heartbeat`` marks the page
    seen) and the batch stored; another student's sitting, or none, is not found."""
    device = principal.device if mode == "heartbeat" else ""
    page = await _store(svc).call(
        mode, sitting_id, str(principal.user_id), device, batch, _address(ip)
    )
    if page.status != "ok":
        raise not_found("sitting")
    return page


def outcome(page: PageReply) -> TelemetryAck | None:
    """What became of the batch a script call carried (None: it carried none, or a heartbeat
    of a submitted sitting took none), or its refusal: nothing of it was stored."""
    match page.telemetry:
        case "none":
            return None
        case "ok":
            return TelemetryAck(
                accepted=page.accepted,
                duplicate=False,
                dropped_rate=page.dropped_rate,
                dropped_clock=page.dropped_clock,
            )
        case "duplicate":
            return TelemetryAck(accepted=0, duplicate=True, dropped_rate=0, dropped_clock=0)
        case "closed":
            # a paused sitting is still open: what the page does meanwhile is worth keeping
            raise _closed()
        case "rate_limited":
            raise _rate_limited(page.retry_after_s)
        case "page_rate_limited":
            raise _rate_limited(_ONE_TOKEN_S)  # nothing kept: the state stays for the retry
        case unexpected:
            assert_never(unexpected)
