"""Wire schema of the analytics endpoints."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec

from grading.irt import ScoreScale
from grading.outcomes import PassMark
from grading.statistics import ScoreDistribution


class ResultRow(msgspec.Struct, frozen=True):
    sitting_id: uuid.UUID
    student_id: uuid.UUID
    username: str
    display_name: str
    org_id: uuid.UUID
    state: str
    started_at: datetime | None
    submitted_at: datetime | None
    points: float | None
    max_points: float | None
    percent: float | None
    passed: bool | None
    scaled_score: float | None


class OptionShare(msgspec.Struct, frozen=True):
    id: str
    text: str
    correct: bool
    share_all: float
    share_upper: float
    share_lower: float


class ItemAnalysis(msgspec.Struct, frozen=True):
    item_id: str
    position: int
    section: str
    kind: str
    stem: str
    max_points: float
    facility_pct: float | None
    sd_pct: float | None
    discrimination_index_pct: float | None
    discriminative_efficiency_pct: float | None
    mean_time_s: float | None
    options: list[OptionShare] | None
    # why a reviewer should look at this item (empty when its statistics look healthy)
    warnings: list[str]
    irt_a: float | None = None
    irt_b: float | None = None
    irt_c: float | None = None
    # graded-response items: the category boundaries on the logit scale; partial-credit items
    # (the run's model GPCM or PCM): the step difficulties
    irt_thresholds: list[float] | None = None
    # the most serious warning's weight (engine/analytics/item_warnings.py SEVERITY)
    severity: int = 0
    # the wrong option the strongest students preferred, when the key may be wrong
    suspect_option: str | None = None
    # the exam grades this item with a key fixed after publishing
    key_fixed: bool = False


class ExamStatisticsView(msgspec.Struct, frozen=True):
    exam_id: uuid.UUID
    sittings: int
    distribution: ScoreDistribution | None
    cic_pct: float | None
    error_ratio_pct: float | None
    standard_error: float | None
    items: list[ItemAnalysis]
    # the paper's maximum and the exam's pass mark (None: the exam sets none)
    max_points: float | None = None
    pass_mark: PassMark | None = None


# On the logit scale (no 1.702): Rasch = slope 1 with the SD of θ estimated; 1PL = one slope
# common to all items, estimated, θ ~ N(0, 1); 2PL; 3PL; GRM = Samejima's graded response
# model on the items' score categories; GPCM = Muraki's generalized partial credit model and
# PCM = Masters' partial credit model (slope 1, SD of θ estimated) on the same categories
# (grading/irt.py). Until migration 0011 "1PL" fixed the slope at 1.702 with θ ~ N(0, 1): the
# same request now fits the estimated common slope.
IrtModelName = Literal["Rasch", "1PL", "2PL", "3PL", "GRM", "GPCM", "PCM"]


class CalibrationRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    model: IrtModelName = "2PL"
    scale: ScoreScale | None = None


class CalibrationRun(msgspec.Struct, frozen=True):
    id: uuid.UUID
    exam_id: uuid.UUID
    model: str
    status: str
    started_at: datetime
    finished_at: datetime | None
    persons: int | None
    items: int | None
    iterations: int | None
    converged: bool | None
    log_likelihood: float | None
    error: str | None
    # SD of θ on the model's scale: estimated by Rasch, 1 otherwise
    latent_sd: float | None = None


class MarkRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    item: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    points: Annotated[float, msgspec.Meta(ge=0)] | None = None
    criteria: dict[str, Annotated[float, msgspec.Meta(ge=0)]] = {}
    note: Annotated[str, msgspec.Meta(max_length=4000)] = ""


class PendingMark(msgspec.Struct, frozen=True):
    sitting_id: uuid.UUID
    username: str
    item_id: str
    stem: str
    max_points: float
    response_text: str | None


class EquatingRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    model: IrtModelName = "2PL"
    # bootstrap replicates behind the Stocking–Lord standard errors (0: no standard errors)
    replicates: Annotated[int, msgspec.Meta(ge=0, le=200)] = 20
    # the reporting scale; default: the reference form's own, else 200–1000
    scale: ScoreScale | None = None


class LinkingView(msgspec.Struct, frozen=True):
    """θ_reference = slope·θ_form + intercept, from the form's own calibration."""

    method: str
    slope: float
    intercept: float
    slope_se: float | None
    intercept_se: float | None
    common_items: int
    replicates: int


class FormEquatingView(msgspec.Struct, frozen=True):
    exam_id: uuid.UUID
    # "reference", "common items" (linked by its items) or "random groups" (no item shared:
    # taken as a random sample of the reference population)
    design: str
    sittings: int
    items: int
    common_with_reference: int
    common_with_others: int
    # the form's population on the reference scale, from the concurrent calibration
    population_mean: float
    population_sd: float
    stocking_lord: LinkingView | None


class EquatingReport(msgspec.Struct, frozen=True):
    forms: list[FormEquatingView]
    iterations: int
    converged: bool
    log_likelihood: float
    scale: ScoreScale


class EquatingRun(msgspec.Struct, frozen=True):
    id: uuid.UUID
    event_id: uuid.UUID
    model: str
    status: str
    started_at: datetime
    finished_at: datetime | None
    report: EquatingReport | None
    error: str | None


class KeyFixRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    # the authoring fields of the key that change, e.g. {"correct": "c"}
    changes: dict[str, Any]
    # why, in the teacher's words: kept in the audit log
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]


class KeyFixOutcome(msgspec.Struct, frozen=True):
    exam_id: uuid.UUID
    item_id: str
    previous_key: dict[str, Any]
    key: dict[str, Any]
    sittings_regraded: int
    # sittings whose score of this item changed (every other item keeps its score)
    results_changed: int
    points_gained: int
    points_lost: int


class CommonAnswer(msgspec.Struct, frozen=True):
    answer: str
    count: int
    # scored correct (or partly) under the exam's current key
    credited: bool


class ItemStimulus(msgspec.Struct, frozen=True):
    """The shared passage an item asks about, as its students saw it above the question."""

    id: str
    title: str
    body: str


class CommonAnswers(msgspec.Struct, frozen=True):
    item_id: str
    kind: str
    answered: int
    answers: list[CommonAnswer]
    # the key the exam grades this item with now (a fixed key when there is one)
    key: dict[str, Any] = {}
    # the item's shared passage, for the item's detail: the statistics list carries stems only
    # (a passage may be 60,000 characters, shared by many items), so it comes with the item
    stimulus: ItemStimulus | None = None
