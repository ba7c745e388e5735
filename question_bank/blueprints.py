"""Blueprints: a section defined by rules ("12 items from topic X, difficulty 0.3–0.7").

Resolution is a pure function of (blueprint, candidates, seed): the candidates are sorted by
(id, version) first, so the database's row order cannot change the outcome, and the only
randomness is ``random.Random(seed)`` through ``paper.permutation`` (stable across Python
versions). Rules are resolved in order and never pick an item twice; put the narrow rules
first. Per student, the seed is derived from the exam seed and the sitting id, so every
student gets a different set drawn by the same rules, and the same student always the same.
"""

from __future__ import annotations

import hashlib
import random
import uuid
from typing import Annotated

import msgspec

from question_bank.kinds import ITEM_KINDS, ItemMeta
from question_bank.paper import permutation

Difficulty = Annotated[float, msgspec.Meta(ge=0, le=1)]


class BlueprintRule(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    count: Annotated[int, msgspec.Meta(ge=1, le=500)]
    subject: str | None = None
    topic: str | None = None
    # every tag listed must be on the item
    tags: list[str] = []
    # any of these kinds (empty: any kind)
    kinds: list[str] = []
    difficulty_min: Difficulty = 0.0
    difficulty_max: Difficulty = 1.0


class Blueprint(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    rules: Annotated[list[BlueprintRule], msgspec.Meta(min_length=1, max_length=50)]


class Candidate(msgspec.Struct, frozen=True):
    id: str
    version: int
    kind: str
    metadata: ItemMeta


class Picked(msgspec.Struct, frozen=True):
    id: str
    version: int
    rule: int  # index of the rule that picked it


class BlueprintError(ValueError):
    def __init__(self, rule: int, message: str) -> None:
        super().__init__(f"rules[{rule}]: {message}")
        self.rule = rule
        self.message = message


def check_blueprint(blueprint: Blueprint) -> None:
    for index, rule in enumerate(blueprint.rules):
        if rule.difficulty_min > rule.difficulty_max:
            raise BlueprintError(index, "difficulty_min is above difficulty_max")
        unknown = sorted(set(rule.kinds) - set(ITEM_KINDS))
        if unknown:
            raise BlueprintError(index, f"unknown kinds: {', '.join(unknown)}")


def matches(rule: BlueprintRule, candidate: Candidate) -> bool:
    meta = candidate.metadata
    if rule.subject is not None and meta.subject != rule.subject:
        return False
    if rule.topic is not None and meta.topic != rule.topic:
        return False
    if rule.kinds and candidate.kind not in rule.kinds:
        return False
    if not set(rule.tags) <= set(meta.tags):
        return False
    if rule.difficulty_min > 0.0 or rule.difficulty_max < 1.0:
        # a rule about difficulty only takes items whose difficulty is known
        if meta.difficulty is None:
            return False
        return rule.difficulty_min <= meta.difficulty <= rule.difficulty_max
    return True


def resolve(blueprint: Blueprint, candidates: list[Candidate], seed: int) -> list[Picked]:
    """The items the blueprint picks for ``seed``; BlueprintError when a rule runs short."""
    check_blueprint(blueprint)
    rng = random.Random(seed)
    pool = sorted(candidates, key=lambda c: (c.id, c.version))
    taken: set[str] = set()
    picked: list[Picked] = []
    for index, rule in enumerate(blueprint.rules):
        eligible = [c for c in pool if c.id not in taken and matches(rule, c)]
        if len(eligible) < rule.count:
            raise BlueprintError(
                index,
                f"needs {rule.count} items but only {len(eligible)} "
                "match (and were not taken by an earlier rule)",
            )
        order = permutation(len(eligible), rng)[: rule.count]
        for position in sorted(order):
            chosen = eligible[position]
            taken.add(chosen.id)
            picked.append(Picked(chosen.id, chosen.version, index))
    return picked


def student_seed(exam_seed: int, sitting_id: uuid.UUID) -> int:
    """A per-student seed: stable, and unrelated for neighbouring sitting ids."""
    digest = hashlib.blake2b(f"{exam_seed}:{sitting_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")
