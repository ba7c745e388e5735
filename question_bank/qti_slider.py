"""A slider item's key read off its author's response processing.

A slider can only give the values of its scale, so nothing needs guessing: every value is
scored by the item's own processing, the best is the key and the values worth part of it
become bands of credit (``ranges``). The import's usual probe check then confirms the key on
every value of the scale, so whatever a student can answer scores as the author meant.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from grading.qti_processing import Declaration, Rule, UnsupportedConstruct, Value
from grading.responses import NumericResponse
from question_bank.kinds import NumericItem, NumericRangeSpec
from question_bank.qti_probe import qti_score
from question_bank.scale import scale_values

# NumericItem.ranges holds at most this many bands
MAX_BANDS = 10


def _bands(
    values: list[float], credits: list[float], key: float
) -> list[tuple[float, float, float]]:
    """Runs of neighbouring values worth the same credit, as (low, high, credit)."""
    runs: list[tuple[float, float, float]] = []
    for n, (value, credit) in enumerate(zip(values, credits, strict=True)):
        if credit <= 0:
            continue
        if runs and n and runs[-1][1] == values[n - 1] and runs[-1][2] == credit:
            runs[-1] = (runs[-1][0], value, credit)
        else:
            runs.append((value, value, credit))
    # the key scores full credit on its own: a band of just the key says nothing more
    return [r for r in runs if not (r[0] == r[1] == key and r[2] == 1.0)]


def key_from_processing(
    item: NumericItem,
    rid: str,
    decls: Mapping[str, Declaration],
    rules: Sequence[Rule],
    held: Mapping[str, Value] | None = None,
) -> dict[str, Any]:
    """The fields (value, tolerances, ranges) that score every value of the scale as the
    processing does; empty when no value scores above zero (the probe check then decides)."""
    assert item.slider is not None
    values = scale_values(item.slider)
    scores = [qti_score(item, rid, decls, rules, NumericResponse(v), held) for v in values]
    best = max(scores, default=0.0)
    if best <= 0:
        return {}
    # equal scores give bit-equal credits: runs are found by plain comparison
    credits = [s / best if s > 0 else 0.0 for s in scores]
    on_key = [v for v, c in zip(values, credits, strict=True) if c == 1.0]
    value = item.value if item.value in on_key else on_key[0]
    bands = _bands(values, credits, value)
    if len(bands) > MAX_BANDS:
        raise UnsupportedConstruct(
            "qti-slider-interaction",
            f"the processing scores {len(bands)} separate bands of the scale; "
            f"at most {MAX_BANDS} are supported",
        )
    return {
        "value": value,
        "absolute_tolerance": 0.0,
        "relative_tolerance": 0.0,
        "ranges": [NumericRangeSpec(low, high, credit) for low, high, credit in bands],
    }
