"""The entries of a shard's answer stream: written by ``lua/answer.lua``, read by the persister
(engine/workers/persister.py) and copied for the integrity consumer (engine/integrity/stream.py).

One entry per answer batch, holding the events the script stored from it:

    s  sitting id        x  exam version id        t  server time, ms
    e  a JSON array of the stored events, each the StoredAnswer the API encoded for it
       ({"seq", "response", "client_ts", "item"}); the answers hash keeps a smaller value per
       item (engine/sittings/latest.py)

One entry per batch rather than per event: every entry costs Redis a stream node, a pending
entry, an XACK and an XDEL, and the persister a reply to parse; batches carry 1–5 events
(WORKLOAD.md), so this divides all of that by about three. The API encodes each event's JSON
once (``log_record``); the script joins those of the events it stored into the entry.
"""

from __future__ import annotations

from collections.abc import Iterator

import msgspec

from engine.redis_adapter.streams import Entry
from engine.sittings.models import AnswerEvent, StoredAnswer


class LoggedAnswer(msgspec.Struct, frozen=True, gc=False):
    """One stored event as the persister reads it: a ``StoredAnswer``, response left raw."""

    seq: int
    item: str
    response: msgspec.Raw = msgspec.Raw(b"null")
    client_ts: int = 0


class LoggedBatch(msgspec.Struct, frozen=True, gc=False):
    sitting: str
    exam_version: str
    server_ms: int
    events: list[LoggedAnswer]


_record_encoder = msgspec.json.Encoder()
_events = msgspec.json.Decoder(list[LoggedAnswer])


def log_record(event: AnswerEvent) -> bytes:
    """The JSON the answer script keeps for this event and puts in ``e`` when it stores it."""
    return _record_encoder.encode(
        StoredAnswer(event.seq, event.response, event.client_ts, event.item)
    )


def batches(entries: list[Entry]) -> Iterator[LoggedBatch]:
    """The batches of ``entries`` in stream order."""
    for _, fields in entries:
        yield LoggedBatch(
            fields[b"s"].decode(), fields[b"x"].decode(), int(fields[b"t"]), events_of(fields)
        )


def events_of(fields: dict[bytes, bytes]) -> list[LoggedAnswer]:
    """The stored events of one entry."""
    return _events.decode(fields[b"e"])
