"""The Redis side of the page's conversation: one script call (lua/telemetry.lua) per request.

The sitting's owner and state, the heartbeat's clock and seat mark, the sitting's rate window,
the page's admission and the XADD of its telemetry are all one EVALSHA on the shared pipelined
connection, as an answer batch is. Admission is ``proctoring.telemetry.admit`` step for step:
what needs no state is done here (events stamped after ``sent_at`` or too old are dropped, the
rest put in time order), what needs the page's state and the Redis clock is done by the script
(duplicates, events before what the page already delivered, the page's token bucket, the
re-stamping onto the server clock). The script writes the stream entry as
``engine/integrity/stream.py`` encodes it: the entry and each event are encoded here with
msgspec, and the script only puts the server's times in at the places left for them.
"""

from __future__ import annotations

import uuid
from typing import Any, Literal

import msgspec

from engine.integrity.stream import StampedEvent, tag_key
from engine.redis_adapter.connections import PipelinedRedis, RedisClient
from engine.redis_adapter.keys import KeySpace, shard_of
from engine.redis_adapter.replies import AnswerReply, reply, text
from engine.redis_adapter.scripts import lua_source
from engine.sittings.store import answer_reply
from proctoring.telemetry import IngestLimits, IpObserved, TelemetryBatch

# a page sends ~10 events a minute; 600 per sitting per minute over all its pages is a flood
SITTING_EVENTS_PER_WINDOW = 600
WINDOW_S = 60
# ingest state outlives the longest sitting (a 3 h paper plus extensions)
STATE_TTL_S = 12 * 3600

Mode = Literal["heartbeat", "ingest"]
Outcome = Literal["none", "ok", "duplicate", "closed", "rate_limited", "page_rate_limited"]

_enc = msgspec.msgpack.Encoder()
_TS_KEY = _enc.encode("ts")
_EVENTS_KEY = _enc.encode("events")


class PageReply(msgspec.Struct, frozen=True, array_like=True):
    """The script's reply: the clock of the caller's own sitting (status ``ok``) with what
    became of the batch, or nothing but the status."""

    status: Literal["ok", "no_session", "forbidden"]
    state: Literal["active", "paused", "submitted"] = "submitted"
    exam_version_id: str = ""
    deadline_ms: int = 0
    now_ms: int = 0
    paused_at_ms: int = 0
    grace_ms: int = 0
    replaced: bool = False
    telemetry: Outcome = "none"
    accepted: int = 0
    dropped_rate: int = 0
    dropped_clock: int = 0
    retry_after_s: int = 0
    # the answer events the sitting holds (the answer batch's acked_seq)
    last_seq: int = 0


def around_ts(event: StampedEvent) -> tuple[bytes, bytes]:
    """An event's msgpack split around its ``ts`` value (the script puts the server's in):
    msgspec writes the tag first, then ``ts``, the first field of every event."""
    raw = _enc.encode(event)
    at = raw.index(_TS_KEY) + len(_TS_KEY)
    return raw[:at], raw[at + len(_enc.encode(event.ts)) :]


def _pack(*values: object) -> bytes:
    return b"".join(map(_enc.encode, values))


def entry_pieces(sitting_id: str, batch: TelemetryBatch) -> tuple[bytes, bytes, bytes]:
    """``TelemetryEntry``'s msgpack map (fields in declaration order) around the exam version
    and ``received_ms``, which the script puts in, and up to the events' array."""
    return (
        b"\x86" + _pack("sitting", sitting_id, "version"),
        _pack("session", batch.session, "batch_seq", batch.batch_seq, "received_ms"),
        _EVENTS_KEY,
    )


class TelemetryStore:
    def __init__(self, redis: RedisClient, keyspace: KeySpace, pipelined: PipelinedRedis) -> None:
        self.redis = redis
        self.keyspace = keyspace
        self.pipelined = pipelined
        self._script = redis.register_script(lua_source("telemetry"))
        self._with_answers = redis.register_script(
            "".join(
                f"local function {name}(KEYS, ARGV)\n{lua_source(name)}\nend\n"
                for name in ("telemetry", "answer")
            )
            + lua_source("answer_telemetry")
        )
        self._limits = IngestLimits()

    async def call(
        self,
        mode: Mode,
        sitting_id: uuid.UUID,
        student_id: str,
        device: str,
        batch: TelemetryBatch | None,
        ip: str,
    ) -> PageReply:
        args: list[object] = [mode, student_id, device]
        if batch is None:
            # the script reads the session alone then: its other keys need not be named
            keys = [self.keyspace.for_sitting(sitting_id).session]
            args.append(b"0")
        else:
            keys = self._keys(sitting_id)
            args += self._batch_args(str(sitting_id), batch, ip)
        return _page_reply(await self.pipelined.run_script(self._script, keys, args))

    async def call_with_answers(
        self,
        sitting_id: uuid.UUID,
        student_id: str,
        batch: TelemetryBatch,
        ip: str,
        answer_call: tuple[list[str], list[Any]],
    ) -> tuple[PageReply, AnswerReply | None]:
        """An answer batch's telemetry (``ingest`` mode) and then its answers, the answer
        script's keys and arguments in ``answer_call`` (``SittingStore.answer_call``), in one
        call; the answer script's reply is None when the telemetry was refused."""
        keys = self._keys(sitting_id)
        args = ["ingest", student_id, "", *self._batch_args(str(sitting_id), batch, ip)]
        answer_keys, answer_args = answer_call
        # the answers' acknowledgement: held as settings.redis_ack_durability asks (ADR 0019)
        raw = await self.pipelined.run_script(
            self._with_answers,
            [*answer_keys, *keys[1:]],
            [len(args), *args, *answer_args],
            durable=True,
        )
        return _page_reply(raw[0]), (answer_reply(raw[1]) if len(raw) > 1 else None)

    def _keys(self, sitting_id: uuid.UUID) -> list[str]:
        ks = self.keyspace
        return [
            ks.for_sitting(sitting_id).session,
            tag_key(ks, sitting_id, "ti"),
            tag_key(ks, sitting_id, "tr"),
            ks.telemetry_stream(shard_of(sitting_id, ks.shards)),
        ]

    def _batch_args(self, sitting_id: str, batch: TelemetryBatch, ip: str) -> list[object]:
        lim = self._limits
        events = sorted(batch.events, key=_ts)  # stable, as admit orders them
        fresh = [
            ev
            for ev in events
            if ev.ts <= batch.sent_at and batch.sent_at - ev.ts <= lim.max_age_ms
        ]
        ip_head, ip_tail = around_ts(IpObserved(ts=0, ip=ip))
        args: list[object] = [
            b"1",
            batch.session,
            batch.batch_seq,
            batch.sent_at,
            len(batch.events),
            SITTING_EVENTS_PER_WINDOW,
            WINDOW_S,
            repr(lim.events_per_minute),
            repr(lim.burst),
            STATE_TTL_S,
            *entry_pieces(sitting_id, batch),
            ip_head,
            ip_tail,
            len(events) - len(fresh),
        ]
        for ev in fresh:
            head, tail = around_ts(ev)
            args += (ev.ts, head, tail)
        return args


def _ts(event: StampedEvent) -> int:
    return event.ts


def _page_reply(raw: Any) -> PageReply:
    if len(raw) == 1:
        return reply(PageReply, [text(raw[0])])
    return reply(
        PageReply,
        [
            *(text(v) for v in raw[:3]),
            *(int(v) for v in raw[3:7]),
            bool(raw[7]),
            text(raw[8]),
            *(int(v) for v in raw[9:14]),
        ],
    )
