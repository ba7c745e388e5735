"""The integrity stream of a shard: telemetry batches and copies of answer entries.

Both kinds go into one stream per shard (``KeySpace.telemetry_stream``, hash-tagged like the
answer stream) so that one consumer sees a sitting's telemetry and answers in arrival order.
Answers are *copied* there by the answer persister's consumer, by the very script that
acknowledges each batch (engine/redis_adapter/lua/acknowledge.lua), rather than read by a
second consumer group on the answer stream: the persister deletes each entry once it is stored
(``StreamConsumer.acknowledge``), so a second group would miss whatever it had already deleted.
"""

from __future__ import annotations

import uuid

import msgspec

from engine.redis_adapter.keys import KeySpace, shard_of
from engine.redis_adapter.streams import BatchCopy, CopyOnAck, Entry
from proctoring.telemetry import ClientEvent, IpObserved

StampedEvent = ClientEvent | IpObserved


class TelemetryEntry(msgspec.Struct, frozen=True, kw_only=True):
    sitting: str
    version: str  # exam version: thresholds, item contexts, keys
    session: str
    batch_seq: int
    received_ms: int
    events: tuple[StampedEvent, ...]


class AnswerCopy(msgspec.Struct, frozen=True, array_like=True):
    sitting: str
    version: str
    seq: int
    item: str
    payload: bytes  # JSON that decodes as engine.sittings.models.StoredAnswer
    ts: int  # server ms


class AnswerBatchCopy(msgspec.Struct, frozen=True, array_like=True):
    """An answer stream entry as it was (engine/sittings/answer_stream.py), events unparsed:
    the persister's consumer only copies bytes, the integrity consumer parses them."""

    sitting: str
    version: str
    ts: int
    events: bytes  # JSON array of LoggedAnswer


class _Head(msgspec.Struct, frozen=True):
    seq: int
    item: str


_enc = msgspec.msgpack.Encoder()
_json = msgspec.json.Encoder()
_telemetry = msgspec.msgpack.Decoder(TelemetryEntry)
_answer_batches = msgspec.msgpack.Decoder(list[AnswerBatchCopy])
_raw_events = msgspec.json.Decoder(list[msgspec.Raw])
_head = msgspec.json.Decoder(_Head)

ParsedEntry = TelemetryEntry | list[AnswerCopy]


def telemetry_fields(entry: TelemetryEntry) -> dict[bytes, bytes]:
    return {b"k": b"t", b"m": _enc.encode(entry)}


def parse(fields: dict[bytes, bytes]) -> ParsedEntry | None:
    """One stream entry; None for an entry this code does not know (newer writers)."""
    match fields.get(b"k"):
        case b"t":
            return _telemetry.decode(fields[b"m"])
        case b"b":
            return [
                copy for batch in _answer_batches.decode(fields[b"m"]) for copy in _expand(batch)
            ]
        case _:
            return None


def _expand(batch: AnswerBatchCopy) -> list[AnswerCopy]:
    copies = []
    for raw in _raw_events.decode(batch.events):
        head = _head.decode(raw)  # the record itself decodes as StoredAnswer: it is the payload
        copies.append(
            AnswerCopy(batch.sitting, batch.version, head.seq, head.item, bytes(raw), batch.ts)
        )
    return copies


def answer_batch_copies(entries: list[Entry]) -> list[AnswerBatchCopy]:
    return [
        AnswerBatchCopy(
            fields[b"s"].decode(), fields[b"x"].decode(), int(fields[b"t"]), fields[b"e"]
        )
        for _, fields in entries
    ]


def copy_answers_to(stream: str) -> CopyOnAck:
    """For the answer persister's consumer: the copy of each batch for the shard's integrity
    stream (same slot), written by the script that acknowledges the batch, so a batch is
    acknowledged exactly when it is copied. A batch redelivered after a crash is copied then
    (the live analyser skips answers at or below a sitting's last seen seq)."""

    def copy(entries: list[Entry]) -> BatchCopy:
        return BatchCopy(stream, (b"k", b"b", b"m", _enc.encode(answer_batch_copies(entries))))

    return copy


def tag_key(keyspace: KeySpace, sitting_id: uuid.UUID, suffix: str) -> str:
    """A per-sitting key in the shard's slot (beside the stream, as the sitting's own keys)."""
    stream = keyspace.telemetry_stream(shard_of(sitting_id, keyspace.shards))
    return f"{stream.removesuffix(':telemetry')}:{suffix}:{sitting_id}"
