"""Per-exam thresholds for every proctoring rule, with documented defaults.

An organiser may tighten or loosen any of these per exam; the defaults are chosen so that on a
clean 150-item national paper each rule flags well under 1% of honest sittings (see
``bench/bench_forensics.py`` for measured rates). Flags only ever open a human review.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

Probability = Annotated[float, msgspec.Meta(gt=0.0, lt=1.0)]
Seconds = Annotated[float, msgspec.Meta(ge=0.0)]
Count = Annotated[int, msgspec.Meta(ge=1)]
Fraction = Annotated[float, msgspec.Meta(ge=0.0, le=1.0)]


class Thresholds(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    # --- per-sitting behaviour (telemetry) ---
    # total seconds with the exam blurred/hidden before "time away" is raised; short glances
    # (a notification, a low-battery dialog) add up to far less on a 3-hour paper
    away_total_s: Seconds = 120.0
    # one absence this long is raised on its own, whatever the total
    away_single_s: Seconds = 60.0
    # a paste of at least this many characters into an answer box (typing a number is shorter)
    paste_min_chars: Count = 20
    # phones on 2G/3G change carrier-NAT addresses often, so one or two changes are normal
    max_distinct_ips: Count = 3
    # a second browser fingerprint means a second device or a second browser
    max_distinct_devices: Count = 1
    # another session (tab/device) sending events within this many seconds of ours = overlap
    session_overlap_s: Seconds = 60.0
    # an answer saved while the page reports itself hidden cannot come from the visible page;
    # one can be a race between the blur and the save, two are not
    answers_while_hidden: Count = 2
    fullscreen_exits: Count = 3
    # --- per-sitting answers (stream) ---
    # NT10 (Wise & Ma 2012): rapid if faster than 10% of the item's mean time, capped at 10 s
    nt_fraction: Fraction = 0.10
    nt_cap_s: Seconds = 10.0
    # Response Time Effort (Wise & Kong 2005) below 0.90 is the usual low-effort criterion
    rte_min: Fraction = 0.90
    # RTE is only judged once this many items have a first answer (early noise otherwise)
    rte_min_items: Count = 20
    # preknowledge signature: correct, on an item at most this proportion-correct, in under
    # this fraction of the item's median time
    hard_item_p: Fraction = 0.35
    fast_fraction: Fraction = 0.33
    fast_correct_hard_min: Count = 3
    # answer changes from wrong to right seen in the stream
    wtr_min: Count = 6
    # --- cross-sitting forensics ---
    # the collusion rule (proctoring/collusion.py): omega and answer-clock lag tests for pairs
    # in one room or behind one address, plus the all-pairs screen, at a family-wise error
    # rate of similarity_level per exam with Bonferroni (BH makes the level an FDR instead)
    similarity_correction: Literal["bh", "bonferroni"] = "bonferroni"
    similarity_level: Probability = 0.001
    # a copied answer comes after the source's, within this many seconds
    collusion_lag_s: Seconds = 60.0
    # seats at most this many rows/columns apart in one room are neighbours
    neighbour_seats: Count = 2
    # shares of the exam's alpha: seat neighbours, the all-pairs screen (the rest of the
    # pairs in one room or behind one address get the remainder)
    neighbour_share: Fraction = 0.5
    screen_share: Fraction = 0.1
    # the all-pairs screen keeps candidates with p <= level·max_rejections/m so it never
    # holds 10^8 p-values; BH on the candidates is exact while fewer pairs than this are flagged
    screen_max_rejections: Count = 100_000
    # person-level tests are one per sitting, reported uncorrected at this alpha
    lz_alpha: Probability = 0.001  # lz* lower tail (Snijders 2001)
    rt_alpha: Probability = 0.001  # lognormal RT person fit upper tail (van der Linden)
    edi_alpha: Probability = 0.001  # erasure detection index upper tail
    preknowledge_alpha: Probability = 0.001
    # an item is "unexpectedly fast" when its lognormal RT residual is below this z
    fast_residual_z: float = -1.645
    # timestamp synchrony: two answers to the same item within this many seconds coincide
    synchrony_window_s: Seconds = 5.0
    # level of the correction (the same kind as similarity) over all blocked pairs tested
    synchrony_level: Probability = 0.001

    def __post_init__(self) -> None:
        if self.neighbour_share + self.screen_share > 1.0:
            raise ValueError("neighbour_share + screen_share must be at most 1")


DEFAULT_THRESHOLDS = Thresholds()
