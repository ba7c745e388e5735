"""The value a sitting's answers hash keeps per item: its latest answer (docs/adr/0008).

The hash is most of the memory an active sitting takes in Redis, so its values are small: a
msgpack array ``[seq, response, client_ts]``, not the answer stream's JSON record (the item is
the hash field already, and JSON's quotes and field names were most of every value). Small
values also keep the hash in Redis's compact listpack encoding: one value longer than
``hash-max-listpack-value`` (64 bytes by default) turns the whole hash into a hashtable of
separately allocated entries. Measured over 150 answered items: 33,712 bytes as a hashtable of
JSON records, 12,392 as a listpack of these values. In msgpack the workload's answers (a choice,
up to three of a multiple response, a number, a short text) fit in 64 bytes even with a real
``Date.now()`` client_ts; as a JSON array a multiple response did not.

A value written before this format (the JSON ``StoredAnswer``, still live in Redis during a
rolling upgrade) starts with ``{``, never a msgpack array's first byte, and is read as before.
The setting ``latest_answer_format = "json"`` keeps writing that old value, for the upgrade's
first step while pods of the previous release, which only read JSON, still serve sittings.
"""

from __future__ import annotations

from typing import Literal

import msgspec

from engine.sittings.models import AnswerEvent, StoredAnswer
from grading.types import Response

LatestFormat = Literal["msgpack", "json"]


class LatestAnswer(msgspec.Struct, frozen=True, array_like=True, gc=False):
    """An item's latest answer as the answers hash keeps it (the item is the hash field).
    Fields are only ever added at the end, with defaults."""

    seq: int
    response: Response | None
    client_ts: int = 0


_encoder = msgspec.msgpack.Encoder()
_decoder = msgspec.msgpack.Decoder(LatestAnswer)
_legacy = msgspec.json.Decoder(StoredAnswer)
_json = msgspec.json.Encoder()
_LEGACY_FIRST_BYTE = ord("{")


def latest_value(event: AnswerEvent) -> bytes:
    """The hash value for ``event`` once stored."""
    return _encoder.encode(LatestAnswer(event.seq, event.response, event.client_ts))


def decode_latest(raw: bytes) -> LatestAnswer:
    """A hash value of either format as a ``LatestAnswer``."""
    if raw[:1] and raw[0] == _LEGACY_FIRST_BYTE:
        old = _legacy.decode(raw)
        return LatestAnswer(old.seq, old.response, old.client_ts)
    return _decoder.decode(raw)


def latest_responses(answers: dict[bytes, bytes]) -> dict[str, Response | None]:
    """Item id -> latest response, from the hash as HGETALL returns it (the grader's view)."""
    return {item.decode(): decode_latest(raw).response for item, raw in answers.items()}


def answers_json(answers: dict[bytes, bytes]) -> bytes:
    """The paper's ``answers`` object, item id -> ``StoredAnswer``: the JSON the page has
    always been sent, whichever format the hash holds."""
    out: dict[str, StoredAnswer] = {}
    for field, raw in answers.items():
        item = field.decode()
        latest = decode_latest(raw)
        out[item] = StoredAnswer(latest.seq, latest.response, latest.client_ts, item)
    return _json.encode(out)
