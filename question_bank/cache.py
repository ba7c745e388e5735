"""Two-tier cache of compiled papers: this process's memory, then Redis, then the loader.

A published exam version never changes, so an entry is never invalidated: a new version is a
new key. Hits and misses are counted per tier for the metrics endpoint.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

from question_bank.paper import CompiledPaper, pack_paper, unpack_paper

PaperLoader = Callable[[str], Awaitable[CompiledPaper]]


class PaperCache:
    def __init__(self, redis: Any, namespace: str, loader: PaperLoader) -> None:
        self._redis = redis
        self._namespace = namespace
        self._loader = loader
        self._memory: dict[str, CompiledPaper] = {}
        self.stats: Counter[str] = Counter()

    def redis_key(self, exam_version_id: str) -> str:
        return f"{self._namespace}:paper:{exam_version_id}"

    async def put(self, paper: CompiledPaper) -> None:
        """Store a freshly compiled paper in both tiers (at publish time)."""
        await self._redis.set(self.redis_key(paper.exam_version_id), pack_paper(paper))
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
        self._memory[exam_version_id] = paper
        return paper
