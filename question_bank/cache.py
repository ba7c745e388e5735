"""Two-tier caches: this process's memory, then Redis, then the loader.

Compiled papers are keyed by exam version and compiled item fragments by (item, version).
Both are immutable once published, so an entry is never invalidated: a new version is a new
key. Hits and misses are counted per tier in one Counter (``stats``), which the Prometheus
collector in engine/metrics.py reads and ``summary()`` turns into hit rates.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol

import msgspec

from question_bank.answer_rules import PaperRules, paper_rules
from question_bank.models import CacheStats
from question_bank.paper import CompiledItem, CompiledPaper, pack_paper, unpack_paper
from question_bank.paper_wire import PaperWire


class Pipeline(Protocol):
    """The commands the caches queue in a pipeline (redis-py's, single node or Cluster)."""

    def get(self, name: str) -> Any: ...

    def set(self, name: str, value: bytes) -> Any: ...

    async def execute(self) -> list[Any]: ...


class BlobStore(Protocol):
    """What the caches use of a Redis client: blobs by key, one at a time or pipelined. The
    question bank names no Redis client (its rules import no I/O library); the engine hands it
    its own (engine/services.py, where the type checker matches the two)."""

    def get(self, name: str) -> Any: ...

    def set(self, name: str, value: bytes) -> Any: ...

    def pipeline(self, transaction: bool = ...) -> Pipeline: ...


PaperLoader = Callable[[str], Awaitable[CompiledPaper]]
ItemRef = tuple[str, int]  # (item id, version)
FragmentLoader = Callable[[list[ItemRef]], Awaitable[dict[ItemRef, CompiledItem]]]

# a process keeps at most this many fragments; past it the memory tier starts over (Redis
# still has them all, so a refill is one MGET)
MAX_MEMORY_FRAGMENTS = 200_000

_item_packer = msgspec.msgpack.Encoder()
_item_unpacker = msgspec.msgpack.Decoder(CompiledItem)


def hit_rate(stats: Counter[str], prefix: str = "") -> float | None:
    hits = stats[prefix + "memory_hit"] + stats[prefix + "redis_hit"]
    total = hits + stats[prefix + "miss"]
    return hits / total if total else None


class FragmentCache:
    """Compiled, keyless item fragments by (item, version): shared by every exam using them."""

    def __init__(self, redis: BlobStore, namespace: str, stats: Counter[str]) -> None:
        self._redis = redis
        self._namespace = namespace
        self._memory: dict[ItemRef, CompiledItem] = {}
        self.stats = stats

    def redis_key(self, ref: ItemRef) -> str:
        return f"{self._namespace}:item:{ref[0]}:{ref[1]}"

    def _remember(self, ref: ItemRef, item: CompiledItem) -> None:
        if len(self._memory) >= MAX_MEMORY_FRAGMENTS:
            self._memory.clear()
        self._memory[ref] = item

    async def get_many(
        self, refs: Sequence[ItemRef], loader: FragmentLoader
    ) -> dict[ItemRef, CompiledItem]:
        found: dict[ItemRef, CompiledItem] = {}
        wanted: list[ItemRef] = []
        for ref in dict.fromkeys(refs):
            item = self._memory.get(ref)
            if item is None:
                wanted.append(ref)
            else:
                found[ref] = item
        self.stats["fragment_memory_hit"] += len(found)
        if wanted:
            # a pipeline of GETs rather than MGET: on Redis Cluster the keys live in many slots
            pipe = self._redis.pipeline(transaction=False)
            for ref in wanted:
                pipe.get(self.redis_key(ref))
            packed = await pipe.execute()
            missing = []
            for ref, value in zip(wanted, packed, strict=True):
                if value is None:
                    missing.append(ref)
                else:
                    found[ref] = _item_unpacker.decode(value)
                    self._remember(ref, found[ref])
            self.stats["fragment_redis_hit"] += len(wanted) - len(missing)
            if missing:
                self.stats["fragment_miss"] += len(missing)
                loaded = await loader(missing)
                pipe = self._redis.pipeline(transaction=False)
                for ref, item in loaded.items():
                    pipe.set(self.redis_key(ref), _item_packer.encode(item))
                await pipe.execute()
                for ref, item in loaded.items():
                    found[ref] = item
                    self._remember(ref, item)
        return found


class PaperCache:
    def __init__(self, redis: BlobStore, namespace: str, loader: PaperLoader) -> None:
        self._redis = redis
        self._namespace = namespace
        self._loader = loader
        self._memory: dict[str, CompiledPaper] = {}
        # the answer bounds of each paper in memory (question_bank/answer_rules.py), built with
        # it: immutable like the paper, so never invalidated either
        self._rules: dict[str, PaperRules] = {}
        # and its ready-to-send pieces (question_bank/paper_wire.py), made as sittings need them
        self._wires: dict[str, PaperWire] = {}
        self.stats: Counter[str] = Counter()
        self.fragments = FragmentCache(redis, namespace, self.stats)

    def redis_key(self, exam_version_id: str) -> str:
        return f"{self._namespace}:paper:{exam_version_id}"

    async def put(self, paper: CompiledPaper) -> None:
        """Store a freshly compiled paper in both tiers (at publish time)."""
        await self._redis.set(self.redis_key(paper.exam_version_id), pack_paper(paper))
        self._keep(paper)

    def _keep(self, paper: CompiledPaper) -> None:
        self._rules[paper.exam_version_id] = paper_rules(paper)
        self._wires[paper.exam_version_id] = PaperWire(paper)
        self._memory[paper.exam_version_id] = paper

    async def get(self, exam_version_id: str) -> CompiledPaper:
        paper = self._memory.get(exam_version_id)
        if paper is not None:
            self.stats["memory_hit"] += 1
            return paper
        packed = await self._redis.get(self.redis_key(exam_version_id))
        if packed is not None:
            self.stats["redis_hit"] += 1
            paper = unpack_paper(packed)
        else:
            self.stats["miss"] += 1
            paper = await self._loader(exam_version_id)
            await self._redis.set(self.redis_key(exam_version_id), pack_paper(paper))
        self._keep(paper)
        return paper

    async def rules(self, exam_version_id: str) -> PaperRules:
        """What each item of the paper takes as an answer: built when the paper came into this
        process, so the answer path only looks it up."""
        rules = self._rules.get(exam_version_id)
        if rules is None:
            await self.get(exam_version_id)
            rules = self._rules[exam_version_id]
        return rules

    async def wire(self, exam_version_id: str) -> PaperWire:
        """The paper's pieces to send, kept with the paper in this process (and made again
        with it when the paper is no longer in memory)."""
        wire = self._wires.get(exam_version_id)
        if wire is None or exam_version_id not in self._memory:
            await self.get(exam_version_id)
            return self._wires[exam_version_id]
        self.stats["memory_hit"] += 1
        return wire

    def summary(self) -> CacheStats:
        return CacheStats(
            counts=dict(self.stats),
            paper_hit_rate=hit_rate(self.stats),
            fragment_hit_rate=hit_rate(self.stats, "fragment_"),
        )
