"""The entries of the Redis streams (answers, grading, integrity) as the engine handles them.

One entry is its id and its fields. Every stream's producer and consumer speak these types,
so the modules that encode or decode an entry (engine/sittings/answer_stream.py,
engine/integrity/stream.py, engine/redis_adapter/job_payloads.py) need nothing of the consumer that
reads them (engine/redis_adapter/stream_consumer.py).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, NamedTuple

Entry = tuple[bytes, dict[bytes, bytes]]


class BatchCopy(NamedTuple):
    """An entry to add to another stream of the same slot when a batch is acknowledged
    (engine/integrity/stream.py): written by the acknowledging script itself."""

    stream: str
    fields: tuple[bytes, ...]  # field, value, field, value...


CopyOnAck = Callable[[list[Entry]], BatchCopy | None]
# applies a batch of answer-stream entries to PostgreSQL (the persister's own function)
Persister = Callable[[list[Entry]], Awaitable[None]]


def stream_entries(reply: Any) -> list[Entry]:
    """The entries of an XREADGROUP reply, as hiredis gives it (``[[stream, [[id, [field,
    value, …]], …]]]``) or as redis-py parsed it (fields in a dict). An entry deleted since it
    was read comes back without fields and is left out: nothing is left to do for it."""
    found: list[Entry] = []
    for _, entries in reply or ():
        for entry_id, fields in entries:
            if not fields:
                continue
            if isinstance(fields, dict):
                pass
            elif len(fields) == 8:  # four fields, as every answer entry: 2.5 times faster
                fields = {
                    fields[0]: fields[1],
                    fields[2]: fields[3],
                    fields[4]: fields[5],
                    fields[6]: fields[7],
                }
            else:
                pairs = iter(fields)
                fields = dict(zip(pairs, pairs, strict=True))
            found.append((entry_id, fields))
    return found
