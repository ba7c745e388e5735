"""The entries of a shard's answer stream: written by ``lua/answer.lua``, read by the persister
(engine/workers/persister.py) and copied for the integrity consumer (engine/integrity/stream.py).

One entry per answer batch, holding the events the script stored from it:

    s  sitting id        x  exam version id        t  server time, ms
    e  a JSON array of the stored events, each {"seq", "item", "response", "client_ts"}

One entry per batch rather than per event: every entry costs Redis a stream node, a pending
entry, an XACK and an XDEL, and the persister a reply to parse; batches carry 1–5 events
(WORKLOAD.md), so this divides all of that by about three. The API encodes each event's JSON
(``log_record``); the script only joins those of the events it stored.

Entries written before this format, one per event (``q`` seq, ``i`` item, ``p`` the stored
answer, no ``e``), are still read, so a stream that holds both during an upgrade is persisted
whole.
"""

from __future__ import annotations

from collections.abc import Iterator

import msgspec

from engine.sittings.models import AnswerEvent
from engine.workers.consumer import Entry


class LoggedAnswer(msgspec.Struct, frozen=True):
    """One stored event as the answer log keeps it. Also decodes as ``StoredAnswer``."""

    seq: int
    item: str
    response: msgspec.Raw = msgspec.Raw(b"null")
    client_ts: int = 0


class LoggedBatch(msgspec.Struct, frozen=True):
    sitting: str
    exam_version: str
    server_ms: int
    events: list[LoggedAnswer]


_record_encoder = msgspec.json.Encoder()
_events = msgspec.json.Decoder(list[LoggedAnswer])
_legacy_event = msgspec.json.Decoder(LoggedAnswer)


def log_record(event: AnswerEvent) -> bytes:
    """The JSON the answer script puts in ``e`` for this event when it stores it."""
    response = msgspec.Raw(_record_encoder.encode(event.response))
    return _record_encoder.encode(LoggedAnswer(event.seq, event.item, response, event.client_ts))


def batches(entries: list[Entry]) -> Iterator[LoggedBatch]:
    """The batches of ``entries`` in stream order, whatever format each entry has."""
    for _, fields in entries:
        encoded = fields.get(b"e")
        if encoded is not None:
            events = _events.decode(encoded)
        else:  # one event per entry: the format before batches
            stored = _legacy_event.decode(_with_item(fields[b"p"], fields[b"i"]))
            events = [LoggedAnswer(int(fields[b"q"]), stored.item, stored.response,
                                   stored.client_ts)]
        yield LoggedBatch(fields[b"s"].decode(), fields[b"x"].decode(), int(fields[b"t"]),
                          events)


def _with_item(payload: bytes, item: bytes) -> bytes:
    # the old payload is {"seq":…,"response":…,"client_ts":…}: add the item the entry held apart
    return b'{"item":' + _record_encoder.encode(item.decode()) + b"," + payload.lstrip()[1:]
