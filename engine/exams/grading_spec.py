"""What grading needs of a published exam version: the keys and the scoring policy."""

from __future__ import annotations

import uuid
from typing import Any

import msgspec

from engine.exams.loaders import load_keys
from engine.kernel.errors import not_found
from grading.outcomes import ScoringPolicy
from grading.types import ItemKey

SCORING_OF_VERSION = "SELECT scoring FROM exam_versions WHERE id = $1"


class GradingSpec(msgspec.Struct, frozen=True):
    keys: dict[str, ItemKey]
    policy: ScoringPolicy


async def load_grading_spec(pool: Any, exam_version_id: str) -> GradingSpec:
    keys = await load_keys(pool, exam_version_id)
    async with pool.acquire() as conn:
        scoring = await conn.fetchval(SCORING_OF_VERSION, uuid.UUID(exam_version_id))
    if scoring is None:
        raise not_found("exam version")
    return GradingSpec(keys=keys, policy=msgspec.convert(scoring, ScoringPolicy))
