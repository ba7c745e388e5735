"""Grading a submitted sitting: latest answers + keys → scores → one transaction.

Idempotent: a sitting already graded is left as it is, so the student's own submit, the
sweeper's job and a redelivered job can all race safely.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import msgspec

from engine.sittings.models import SittingResult, StoredAnswer
from engine.sittings.repository import (
    INSERT_RESULT,
    LATEST_LOGGED_ANSWERS,
    MARK_GRADED,
    SITTING_FOR_GRADING,
)
from engine.sittings.store import SittingStore
from grading.scoring import score_paper
from grading.types import ItemKey, Response

KeysLoader = Callable[[str], Awaitable[dict[str, ItemKey]]]

_stored_decoder = msgspec.json.Decoder(StoredAnswer)

# how long a graded sitting's Redis keys linger (a resumed page may still ask for its state)
GRADED_SESSION_TTL_S = 3600


class KeysCache:
    """Answer keys per exam version, in this process's memory: published versions never change."""

    def __init__(self, loader: KeysLoader) -> None:
        self._loader = loader
        self._keys: dict[str, dict[str, ItemKey]] = {}

    async def get(self, exam_version_id: str) -> dict[str, ItemKey]:
        keys = self._keys.get(exam_version_id)
        if keys is None:
            keys = self._keys[exam_version_id] = await self._loader(exam_version_id)
        return keys


def _ms_to_datetime(ms: str | None) -> datetime | None:
    return None if not ms else datetime.fromtimestamp(int(ms) / 1000, tz=UTC)


async def _responses(pool: Any, store: SittingStore, row: Any) -> dict[str, Response | None]:
    fields = await store.session_fields(row["id"], "state")
    if fields[0] is not None:
        raw = await store.latest_answers(row["id"])
        return {k.decode(): _stored_decoder.decode(v).response for k, v in raw.items()}
    # the Redis session has gone (expired, or Redis lost it): the answer log is the record
    async with pool.acquire() as conn:
        rows = await conn.fetch(LATEST_LOGGED_ANSWERS, row["exam_id"], row["id"])
    return {r["item_id"]: msgspec.convert(r["response"], Response | None) for r in rows}


async def grade_sitting(
    pool: Any, store: SittingStore, keys_cache: KeysCache, sitting_id: uuid.UUID
) -> SittingResult | None:
    """Grade one submitted sitting; None when it does not exist or is not submitted yet."""
    async with pool.acquire() as conn:
        row = await conn.fetchrow(SITTING_FOR_GRADING, sitting_id)
    if row is None or row["state"] == "graded":
        return None
    state, submitted_ms, submitted_by = await store.session_fields(
        sitting_id, "state", "submitted", "submitted_by"
    )
    if state == "active":
        return None
    keys = await keys_cache.get(str(row["exam_version_id"]))
    score = score_paper(keys, await _responses(pool, store, row))
    items = msgspec.to_builtins(score.items)
    async with pool.acquire() as conn, conn.transaction():
        graded_at = await conn.fetchval(
            MARK_GRADED, sitting_id, _ms_to_datetime(submitted_ms), submitted_by,
            score.points, score.max_points,
        )  # fmt: skip
        if graded_at is None:
            return None  # graded meanwhile by someone else
        await conn.execute(
            INSERT_RESULT, sitting_id, row["org_id"], row["exam_id"], score.points,
            score.max_points, items, graded_at,
        )  # fmt: skip
    await store.expire(sitting_id, GRADED_SESSION_TTL_S)
    return SittingResult(
        sitting_id=sitting_id, exam_id=row["exam_id"], points=score.points,
        max_points=score.max_points, items=score.items, graded_at=graded_at,
    )  # fmt: skip
