"""Telemetry from the student page: strict event schemas and a pure ingest/rate-limit step.

The page sends batches (every ~30 s, or sooner on focus loss) of small events. We record what
proctoring products watch in the browser — focus, visibility, fullscreen, clipboard *lengths*
(never content: the text a student copies is theirs), context menu, resize, device fingerprint,
network state, heartbeats — and the engine adds what the page cannot be trusted to report: the
IP address the batch came from (``IpObserved``).
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

# client timestamps are epoch milliseconds; 2^53 keeps them exact in JavaScript numbers
Ms = Annotated[int, msgspec.Meta(ge=0, le=2**53)]
Length = Annotated[int, msgspec.Meta(ge=0, le=10_000_000)]
Pixels = Annotated[int, msgspec.Meta(ge=0, le=100_000)]
ItemId = Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]
SessionId = Annotated[str, msgspec.Meta(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
_TOKEN = r"^[A-Za-z0-9_-]+$"
Fingerprint = Annotated[str, msgspec.Meta(min_length=8, max_length=128, pattern=_TOKEN)]
ShortText = Annotated[str, msgspec.Meta(max_length=512)]

MAX_BATCH_BYTES = 64 * 1024
MAX_EVENTS_PER_BATCH = 200


class _Event(msgspec.Struct, frozen=True, tag_field="type", forbid_unknown_fields=True):
    """Base of every event: tagged by "type"; unknown fields are rejected, so a page cannot
    smuggle clipboard text or anything else we chose not to collect."""

    ts: Ms


class Focus(_Event, frozen=True, tag="focus"):
    pass


class Blur(_Event, frozen=True, tag="blur"):
    pass


class Visibility(_Event, frozen=True, tag="visibility"):
    state: Literal["visible", "hidden"]


class FullscreenEnter(_Event, frozen=True, tag="fullscreen_enter"):
    pass


class FullscreenExit(_Event, frozen=True, tag="fullscreen_exit"):
    pass


class Copy(_Event, frozen=True, tag="copy"):
    length: Length
    item: ItemId | None = None  # the item whose text was selected, if any


class Cut(_Event, frozen=True, tag="cut"):
    length: Length
    item: ItemId | None = None


class Paste(_Event, frozen=True, tag="paste"):
    length: Length
    item: ItemId | None = None  # set when the paste landed in that item's answer box


class ContextMenu(_Event, frozen=True, tag="context_menu"):
    pass


class Resize(_Event, frozen=True, tag="resize"):
    width: Pixels
    height: Pixels


class Device(_Event, frozen=True, tag="device"):
    fingerprint: Fingerprint
    user_agent: ShortText = ""
    screen_width: Pixels = 0
    screen_height: Pixels = 0
    timezone: Annotated[str, msgspec.Meta(max_length=64)] = ""


class Heartbeat(_Event, frozen=True, tag="heartbeat"):
    pass


class Network(_Event, frozen=True, tag="network"):
    online: bool


ClientEvent = (
    Focus
    | Blur
    | Visibility
    | FullscreenEnter
    | FullscreenExit
    | Copy
    | Cut
    | Paste
    | ContextMenu
    | Resize
    | Device
    | Heartbeat
    | Network
)


class IpObserved(_Event, frozen=True, tag="ip"):
    """Stamped by the engine from the request's peer address; never accepted from the page."""

    ip: Annotated[str, msgspec.Meta(min_length=2, max_length=45)]


class TelemetryBatch(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    # one id per open page (tab), so two pages of one sitting are visible as two sessions
    session: SessionId
    # strictly increasing per session; a retried batch repeats its number and is dropped
    batch_seq: Annotated[int, msgspec.Meta(ge=0, le=2**31)]
    # the page's clock when it sent the batch: maps page time onto server time
    sent_at: Ms
    events: Annotated[
        tuple[ClientEvent, ...], msgspec.Meta(min_length=1, max_length=MAX_EVENTS_PER_BATCH)
    ]


class TelemetryTooLarge(ValueError):
    """The raw body exceeds MAX_BATCH_BYTES (checked before any decoding work)."""


_batch_decoder = msgspec.json.Decoder(TelemetryBatch)


def decode_batch(raw: bytes) -> TelemetryBatch:
    """Strictly decode one batch; raises TelemetryTooLarge or msgspec.ValidationError."""
    if len(raw) > MAX_BATCH_BYTES:
        raise TelemetryTooLarge(f"batch is {len(raw)} bytes, limit {MAX_BATCH_BYTES}")
    return _batch_decoder.decode(raw)


class IngestLimits(msgspec.Struct, frozen=True, kw_only=True):
    # a busy page emits a few events a minute; 240/min with a burst of 400 absorbs a
    # reconnect flush of queued batches while stopping a script from flooding the stream
    events_per_minute: Annotated[float, msgspec.Meta(gt=0)] = 240.0
    burst: Annotated[float, msgspec.Meta(gt=0)] = 400.0
    # how far before sent_at an event may be (a page offline for the whole exam queues 3 h)
    max_age_ms: Annotated[int, msgspec.Meta(ge=0)] = 4 * 3600 * 1000


class IngestState(msgspec.Struct, frozen=True, kw_only=True):
    """Per (sitting, session) ingest state; start from ``IngestState()``."""

    last_batch_seq: int = -1
    tokens: float = -1.0  # -1: bucket not started yet (full on first use)
    refilled_at: int = 0
    last_server_ts: int = 0


class Admission(msgspec.Struct, frozen=True, kw_only=True):
    # accepted events, re-stamped onto the server clock and in time order
    events: tuple[ClientEvent, ...]
    duplicate: bool = False
    dropped_rate: int = 0
    dropped_clock: int = 0


def admit(
    state: IngestState, batch: TelemetryBatch, now_ms: int, limits: IngestLimits | None = None
) -> tuple[IngestState, Admission]:
    """Validate one decoded batch against the session's history: duplicates, clocks, rate.

    Page clocks are often wrong by minutes or hours (phones), so each event is moved onto the
    server clock by the offset ``now_ms - sent_at``; events stamped after ``sent_at``, older
    than ``max_age_ms``, or earlier than what this session already delivered are dropped.
    """
    lim = limits if limits is not None else IngestLimits()
    if batch.batch_seq <= state.last_batch_seq:
        return state, Admission(events=(), duplicate=True)
    offset = now_ms - batch.sent_at
    tokens = lim.burst if state.tokens < 0 else state.tokens
    elapsed = max(0, now_ms - state.refilled_at) if state.tokens >= 0 else 0
    tokens = min(lim.burst, tokens + elapsed * lim.events_per_minute / 60_000.0)
    ordered = sorted(batch.events, key=lambda e: e.ts)
    kept: list[ClientEvent] = []
    dropped_clock = dropped_rate = 0
    last = state.last_server_ts
    for ev in ordered:
        server_ts = ev.ts + offset
        if ev.ts > batch.sent_at or batch.sent_at - ev.ts > lim.max_age_ms or server_ts < last:
            dropped_clock += 1
            continue
        if tokens < 1.0:
            dropped_rate += 1
            continue
        tokens -= 1.0
        kept.append(msgspec.structs.replace(ev, ts=server_ts))
        last = server_ts
    new_state = IngestState(
        last_batch_seq=batch.batch_seq, tokens=tokens, refilled_at=now_ms, last_server_ts=last
    )
    return new_state, Admission(
        events=tuple(kept), dropped_rate=dropped_rate, dropped_clock=dropped_clock
    )
