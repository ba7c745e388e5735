"""Redis key names for sittings.

Every key of a sitting carries the hash tag of its *shard*, and so does the shard's answer
stream, deadline set and grading stream. One Lua call therefore touches a single Cluster slot,
while the shards spread the streams over the nodes. (A per-sitting tag, ``{s:<sid>}``, cannot
share a slot with a stream that many sittings write to.)
"""

from __future__ import annotations

import uuid

import msgspec


def shard_of(sitting_id: uuid.UUID, shards: int) -> int:
    return sitting_id.int % shards


class SittingKeys(msgspec.Struct, frozen=True):
    session: str  # hash: state, deadline, grace, last_seq, exam, student, started, ...
    answers: str  # hash: item id -> latest answer JSON
    stream: str  # the shard's answer stream
    deadlines: str  # the shard's sorted set of sitting id by deadline + grace
    grading: str  # the shard's stream of grading jobs


class KeySpace:
    def __init__(self, namespace: str, shards: int) -> None:
        self.namespace = namespace
        self.shards = shards

    def _tag(self, shard: int) -> str:
        return f"{self.namespace}:{{{shard}}}"

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
