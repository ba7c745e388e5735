"""Telemetry ingest: strict decode, the sitting's owner, rate limits, admission, one XADD.

The one path of every telemetry batch: ``POST /telemetry`` (``ingest``), and the telemetry part
an answer batch or a heartbeat carries (engine/integrity/conversation.py: ``decode_part``, then
``ingest_batch`` or, with the heartbeat's own reading of the session, ``store_batch``).

Nothing is stored unless the whole batch decodes. Admission (``proctoring.telemetry.admit``:
duplicates, page clocks, a per-page token bucket) runs on state kept in Redis beside the
sitting's keys, stored with the XADD by one compare-and-set script, so two batches racing
for one page cannot both pass. A per-sitting window (the ``limits`` library) bounds a page
that invents new session ids to dodge its bucket.
"""

from __future__ import annotations

import math
import time
import uuid
from typing import Any, Protocol

import msgspec
from limits import RateLimitItem, parse
from limits.aio.strategies import FixedWindowRateLimiter

from engine.integrity.page_models import TelemetryAck
from engine.integrity.stream import TelemetryEntry, tag_key, telemetry_fields
from engine.kernel.errors import DomainError, conflict, not_found, validation_failed
from engine.kernel.principal import Principal
from engine.ports import WithKeySpace, WithPipelined, WithPool, WithRedis, WithSettings, WithStore
from engine.redis_adapter.connections import RedisClient
from engine.redis_adapter.integrity_scripts import scripts_for
from engine.redis_adapter.keys import shard_of
from engine.redis_adapter.rate_limits import limits_storage
from engine.settings import Settings
from engine.sittings import access as sitting_access
from proctoring.telemetry import (
    MAX_BATCH_BYTES,
    IngestLimits,
    IngestState,
    IpObserved,
    TelemetryBatch,
    TelemetryTooLarge,
    admit,
    decode_batch,
)


class Needs(WithPipelined, WithKeySpace, WithPool, WithRedis, WithSettings, WithStore, Protocol):
    """What this module's services use of the process's collaborators (engine/ports.py)."""


# a page sends ~10 events a minute; 600 per sitting per minute over all its pages is a flood
SITTING_EVENTS = "600/minute"
# ingest state outlives the longest sitting (a 3 h paper plus extensions)
STATE_TTL_S = 12 * 3600
_RETRIES = 8
# a page over its bucket may send again once a token has come back
_ONE_TOKEN_S = max(1, math.ceil(60 / IngestLimits().events_per_minute))

_state_enc = msgspec.msgpack.Encoder()
_state_dec = msgspec.msgpack.Decoder(IngestState)


class _SittingLimiter:
    def __init__(self, redis: RedisClient, settings: Settings) -> None:
        self.redis = redis
        prefix = f"{settings.redis_namespace}:rl"
        storage = limits_storage(redis, settings.redis_url, prefix)
        self.limiter = FixedWindowRateLimiter(storage)
        self.item: RateLimitItem = parse(SITTING_EVENTS)

    async def check(self, sitting_id: uuid.UUID, events: int) -> None:
        if await self.limiter.hit(self.item, "telemetry", str(sitting_id), cost=events):
            return
        stats = await self.limiter.get_window_stats(self.item, "telemetry", str(sitting_id))
        raise _rate_limited(max(1, math.ceil(stats.reset_time - time.time())))


_LIMITERS: dict[int, _SittingLimiter] = {}


def _limiter(svc: Needs) -> _SittingLimiter:
    found = _LIMITERS.get(id(svc.redis))
    if found is None or found.redis is not svc.redis:
        found = _LIMITERS[id(svc.redis)] = _SittingLimiter(svc.redis, svc.settings)
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
    """A decoded batch of the caller's own open sitting, admitted and stored."""
    view = await svc.store.view(sitting_id, with_answers=False)
    if view is None or view.student_id != str(principal.user_id):
        raise not_found("sitting")
    if principal.exam_id is not None:
        await sitting_access.confine_card(svc.pool, principal, view.exam_version_id)
    # a paused sitting is still open: what the page does meanwhile is worth keeping
    if view.state not in ("active", "paused"):
        raise _closed()
    return await store_batch(svc, sitting_id, view.exam_version_id, view.now_ms, batch, ip)


async def store_batch(
    svc: Needs,
    sitting_id: uuid.UUID,
    exam_version_id: str,
    now_ms: int,
    batch: TelemetryBatch,
    ip: str,
) -> TelemetryAck:
    """Rate limits, admission and the one XADD, for a batch of an open sitting whose owner
    the caller has checked (``now_ms``: the Redis clock read with that check)."""
    await _limiter(svc).check(sitting_id, len(batch.events))
    ks = svc.keyspace
    state_key = tag_key(ks, sitting_id, "ti")
    stream = ks.telemetry_stream(shard_of(sitting_id, ks.shards))
    now = now_ms
    scripts = scripts_for(svc.redis)
    for _ in range(_RETRIES):
        raw_state = await svc.pipelined.execute("HGET", state_key, batch.session, key=state_key)
        state = _state_dec.decode(raw_state) if raw_state else IngestState()
        new_state, adm = admit(state, batch, now)
        if adm.duplicate:
            return TelemetryAck(accepted=0, duplicate=True, dropped_rate=0, dropped_clock=0)
        if not adm.events and adm.dropped_rate:
            raise _rate_limited(_ONE_TOKEN_S)  # nothing kept: the state stays for the retry
        entry = TelemetryEntry(
            sitting=str(sitting_id),
            version=exam_version_id,
            session=batch.session,
            batch_seq=batch.batch_seq,
            received_ms=now,
            # the address is the server's observation, never the page's claim
            events=(*adm.events, IpObserved(ts=now, ip=_address(ip))),
        )
        fields = [x for kv in telemetry_fields(entry).items() for x in kv]
        stored = await svc.pipelined.run_script(
            scripts.ingest,
            [state_key, stream],
            [batch.session, raw_state or b"", _state_enc.encode(new_state), STATE_TTL_S, *fields],
        )
        if stored:
            return TelemetryAck(
                accepted=len(adm.events),
                duplicate=False,
                dropped_rate=adm.dropped_rate,
                dropped_clock=adm.dropped_clock,
            )
    raise DomainError(
        503,
        "busy",
        "Too many concurrent batches for this page",
        "nothing was stored; send the batch again",
        headers={"Retry-After": "1"},
    )
