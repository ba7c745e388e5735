"""Payloads by reference: a persist job's answer entries wait in Redis under a parcel key (the
name the job's message field and the key keep, so jobs in flight over an upgrade still find it).

The parcel is written before the job is sent and before the stream entries are acknowledged,
so the entries are never only in flight. It is deleted once applied. It outlives the queue and
its dead-letter queue (14 days), so a job redriven from the DLQ still finds its answers.
"""

from __future__ import annotations

from typing import cast

import msgspec

from engine.redis_adapter.connections import RedisClient
from engine.redis_adapter.streams import Entry

PAYLOAD_TTL_S = 15 * 24 * 3600

_encoder = msgspec.msgpack.Encoder()
_decoder = msgspec.msgpack.Decoder(list[tuple[bytes, dict[bytes, bytes]]])


def payload_key(namespace: str, job_id: str) -> str:
    # its own hash tag: parcels spread over the Cluster's slots
    return f"{namespace}:parcel:{{{job_id}}}"


async def put(redis: RedisClient, key: str, entries: list[Entry]) -> None:
    await redis.set(key, _encoder.encode(entries), ex=PAYLOAD_TTL_S)


async def get(redis: RedisClient, key: str) -> list[Entry] | None:
    raw = await redis.get(key)
    return (
        None if raw is None else _decoder.decode(cast(bytes, raw))
    )  # the client decodes no replies: bytes


async def drop(redis: RedisClient, key: str) -> None:
    await redis.delete(key)
