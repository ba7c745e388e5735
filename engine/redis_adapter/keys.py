"""Redis key names for sittings (docs/adr/0003-hash-tags-by-shard.md).

Every key of a sitting carries the hash tag of its *shard*, and so does the shard's answer
stream, deadline set and grading stream. One Lua call therefore touches a single Cluster slot,
while the shards spread the streams over the nodes. (A per-sitting tag, ``{s:<sid>}``, cannot
share a slot with a stream that many sittings write to.)

A sitting's shard is chosen once, when its id is minted, and carried in the id itself: the
shard is read back from the id, never recomputed from the current shard count, so changing
``UJIAN_STREAM_SHARDS`` leaves live sittings where they are. Each shard's tag is chosen so that
its slot lands in its own stretch of the 16,384 slots (shards in bit-reversed order), so the
first N shards sit evenly spaced over the slot space (exactly for a power of two, nearly for
other counts), and a cluster's even slot ranges give each primary its share of shards.
"""

from __future__ import annotations

import functools
import secrets
import uuid

import msgspec
from redis.crc import key_slot

from engine.redis_adapter.connections import RedisClient

# the most shards a deployment may have: the stretches of the slot space are cut for this many
MAX_SHARDS = 1024
CLUSTER_SLOTS = 16384
_SHARD_BITS = MAX_SHARDS.bit_length() - 1
# a minted sitting id: version 8 (RFC 9562's vendor-specific layout), shard in its last two bytes
_MINTED_VERSION = 8


def new_sitting_id(shards: int) -> uuid.UUID:
    """A new random sitting id that carries a shard drawn from the ``shards`` in use now."""
    raw = bytearray(uuid.uuid4().bytes)  # RFC variant bits kept from the random id
    raw[6] = (raw[6] & 0x0F) | (_MINTED_VERSION << 4)
    raw[14:16] = secrets.randbelow(shards).to_bytes(2, "big")
    return uuid.UUID(bytes=bytes(raw))


def shard_of(sitting_id: uuid.UUID, shards: int) -> int:
    """The shard a sitting id carries; an id minted before ids carried one (a random version-4
    id) is placed by the shard count as it was then."""
    if sitting_id.version == _MINTED_VERSION:
        return int.from_bytes(sitting_id.bytes[14:16], "big")
    return sitting_id.int % shards


def _bit_reversed(shard: int) -> int:
    return int(f"{shard:0{_SHARD_BITS}b}"[::-1], 2)


@functools.cache
def shard_tag(shard: int) -> str:
    """The hash tag of a shard: the first ``<shard>-<n>`` whose slot falls in the shard's own
    stretch of the slot space (found in a few hundred tries at most, once per process)."""
    width = CLUSTER_SLOTS // MAX_SHARDS
    low = _bit_reversed(shard) * width
    n = 0
    while not low <= key_slot(f"{shard}-{n}".encode()) < low + width:
        n += 1
    return f"{shard}-{n}"


class SittingKeys(msgspec.Struct, frozen=True):
    session: str  # hash: state, deadline, grace, last_seq, exam, student, started, ...
    answers: str  # hash: item id -> latest answer (msgpack: engine/sittings/latest.py)
    stream: str  # the shard's answer stream
    deadlines: str  # the shard's sorted set of sitting id by deadline + grace
    grading: str  # the shard's stream of grading jobs


class KeySpace:
    def __init__(self, namespace: str, shards: int) -> None:
        if not 1 <= shards <= MAX_SHARDS:
            raise ValueError(f"between 1 and {MAX_SHARDS} shards, not {shards}")
        self.namespace = namespace
        # new sittings are spread over this many shards
        self.shards = shards
        # the workers consume this many: every shard count this namespace has used, so that
        # sittings placed under a larger count are still persisted, graded and swept
        self.consumed_shards = shards

    def _tag(self, shard: int) -> str:
        return f"{self.namespace}:{{{shard_tag(shard)}}}"

    async def record_shard_count(self, redis: RedisClient) -> int:
        """Note this process's shard count beside the ones used before; the workers consume
        the largest. Returns it."""
        counts = f"{self.namespace}:shard-counts"
        await redis.sadd(counts, self.shards)
        self.consumed_shards = max(int(c) for c in await redis.smembers(counts))
        return self.consumed_shards

    def answer_stream(self, shard: int) -> str:
        return f"{self._tag(shard)}:answers"

    def deadline_set(self, shard: int) -> str:
        return f"{self._tag(shard)}:deadlines"

    def grading_stream(self, shard: int) -> str:
        return f"{self._tag(shard)}:grading"

    def telemetry_stream(self, shard: int) -> str:
        # telemetry batches and a copy of the answer entries (engine/integrity)
        return f"{self._tag(shard)}:telemetry"

    def for_sitting(self, sitting_id: uuid.UUID) -> SittingKeys:
        shard = shard_of(sitting_id, self.shards)
        tag = self._tag(shard)
        return SittingKeys(
            session=f"{tag}:s:{sitting_id}",
            answers=f"{tag}:a:{sitting_id}",
            stream=self.answer_stream(shard),
            deadlines=self.deadline_set(shard),
            grading=self.grading_stream(shard),
        )
