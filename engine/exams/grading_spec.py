"""What grading needs of a published exam version: the keys and the scoring policy."""

from __future__ import annotations

import uuid

import msgspec

from engine.exams import repository
from engine.exams.loaders import load_keys
from engine.kernel.errors import not_found
from engine.kernel.sql import Pool
from grading.outcomes import ScoringPolicy
from grading.types import ItemKey
from question_bank.pools import drawn_ids


class GradingSpec(msgspec.Struct, frozen=True):
    keys: dict[str, ItemKey]
    policy: ScoringPolicy
    # every section's items (a pool in strata order) and its per-sitting draw (0: all)
    sections: list[tuple[list[str], int]] = []

    def keys_for(self, sitting_id: uuid.UUID) -> dict[str, ItemKey]:
        """The keys of the items on this sitting's paper: all of them, unless a section is a
        pool, when only the items drawn for the sitting are graded (and count in the maximum)."""
        if not any(draw for _, draw in self.sections):
            return self.keys
        mine = drawn_ids(self.sections, sitting_id)
        return {item: key for item, key in self.keys.items() if item in mine}


async def load_grading_spec(pool: Pool, exam_version_id: str) -> GradingSpec:
    keys = await load_keys(pool, exam_version_id)
    async with pool.acquire() as conn:
        scoring = await repository.version_scoring(conn, uuid.UUID(exam_version_id))
    if scoring is None:
        raise not_found("exam version")
    sections = [([str(r.id) for r in s.items], s.draw or 0) for s in scoring.spec.sections]
    return GradingSpec(keys=keys, policy=scoring.policy, sections=sections)
