"""Wire schema of items and exams."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

import msgspec

from engine.datetimes import AwareDatetime, check_window
from grading.irt import ScoreScale
from grading.outcomes import ScoringPolicy
from question_bank.blueprints import Blueprint

Title = Annotated[str, msgspec.Meta(min_length=1, max_length=300)]


class ItemCreated(msgspec.Struct, frozen=True):
    id: uuid.UUID
    version: int
    kind: str


class ItemRef(msgspec.Struct, frozen=True):
    id: uuid.UUID
    version: int


class SectionCreate(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    title: Title
    # items by id; each is pinned to its latest version when the exam is created
    items: Annotated[list[uuid.UUID], msgspec.Meta(max_length=500)] = []
    # or rules ("12 items of topic X, difficulty 0.3-0.7") over published items, optionally of
    # one bank: resolved once, for the exam's seed, when the exam is created
    blueprint: Blueprint | None = None
    bank_id: uuid.UUID | None = None
    # a pool: each sitting gets this many of the section's items, one from each slice of the
    # pool ordered by topic and difficulty, drawn from the sitting id (question_bank/pools.py)
    draw: Annotated[int, msgspec.Meta(ge=1, le=500)] | None = None


class ExamCreate(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    title: Title
    sections: Annotated[list[SectionCreate], msgspec.Meta(min_length=1, max_length=20)]
    time_limit_s: Annotated[int, msgspec.Meta(ge=60, le=24 * 3600)]
    window_open: AwareDatetime
    window_close: AwareDatetime
    grace_s: Annotated[int, msgspec.Meta(ge=0, le=600)] = 30
    instant_results: bool = True
    shuffle: bool = True
    # the seed of blueprint sections: the same seed picks the same items (default: random)
    seed: Annotated[int, msgspec.Meta(ge=0, le=2**31 - 1)] | None = None
    # 'free': any order, back and forth; 'linear': in order, no going back
    navigation: Literal["free", "linear"] = "free"
    # weights, negative marking, pass mark; sections default to the exam's own sections
    scoring: ScoringPolicy | None = None
    # the reporting scale of IRT scores after calibration (default 200-1000, 600 average)
    score_scale: ScoreScale | None = None

    def __post_init__(self) -> None:
        check_window("window_open", self.window_open, "window_close", self.window_close)


class SectionSpec(msgspec.Struct, frozen=True):
    title: str
    # a pool section lists its items in strata order (topic, then difficulty)
    items: list[ItemRef]
    # a pool: how many of the items each sitting gets (None: all, in every sitting)
    draw: int | None = None


class ExamSpec(msgspec.Struct, frozen=True):
    sections: list[SectionSpec]


class Exam(msgspec.Struct, frozen=True):
    id: uuid.UUID
    org_id: uuid.UUID
    title: str
    version_id: uuid.UUID
    version: int
    status: str
    time_limit_s: int
    window_open: datetime
    window_close: datetime
    grace_s: int
    instant_results: bool
    shuffle: bool
    item_count: int
    published_at: datetime | None
    navigation: str = "free"


class AssignmentCreate(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    org_ids: Annotated[list[uuid.UUID], msgspec.Meta(min_length=1, max_length=10_000)]


class Assignments(msgspec.Struct, frozen=True):
    exam_id: uuid.UUID
    org_ids: list[uuid.UUID]


class PublishedVersion(msgspec.Struct, frozen=True):
    """What starting a sitting needs to know of the exam a student sits."""

    exam_id: uuid.UUID
    org_id: uuid.UUID
    version_id: uuid.UUID
    time_limit_s: int
    window_open: datetime
    window_close: datetime
    grace_s: int
    instant_results: bool
