"""The values a slider can give: ``lower_bound + n * step`` up to ``upper_bound``.

Used where a slider's scale matters: the item's checks (its key must be a value the student
can give), the answer endpoint (a response off the scale is no answer the page could send),
the QTI import (every step is scored by the item's own processing) and the export.
"""

from __future__ import annotations

import math

from question_bank.kinds import MAX_SLIDER_STEPS, ItemError, SliderSpec


def _slack(*values: float) -> float:
    # decimal steps such as 0.1 land a hair off in binary: a relative epsilon absorbs that
    return 1e-9 * max(1.0, *(abs(v) for v in values))


def step_count(low: float, high: float, step: float) -> int:
    """How many steps fit between the bounds (the values are one more)."""
    return math.floor((high - low) / step + 1e-9)


def scale_values(spec: SliderSpec) -> list[float]:
    """Every value of the scale, rounded to the step's decimals so they read as written."""
    count = step_count(spec.lower_bound, spec.upper_bound, spec.step)
    digits = _decimals(spec.step) + _decimals(spec.lower_bound)
    return [round(spec.lower_bound + n * spec.step, digits) for n in range(count + 1)]


def _decimals(value: float) -> int:
    text = repr(float(value))
    if "e" in text:
        return 12
    return len(text.split(".")[1].rstrip("0"))


def on_scale(low: float, high: float, step: float, value: float) -> bool:
    """Whether ``value`` is one a slider from ``low`` to ``high`` by ``step`` can give."""
    slack = _slack(low, high, value)
    if not low - slack <= value <= high + slack:
        return False
    n = round((value - low) / step)
    return abs(low + n * step - value) <= _slack(low, high, value, step)


def check_slider(spec: SliderSpec, value: float) -> None:
    """Raises ItemError when the scale or the key cannot be a slider's."""
    if spec.lower_bound >= spec.upper_bound:
        raise ItemError("slider.upper_bound", "must be above lower_bound")
    if step_count(spec.lower_bound, spec.upper_bound, spec.step) > MAX_SLIDER_STEPS:
        raise ItemError("slider.step", f"the scale has more than {MAX_SLIDER_STEPS} steps")
    if spec.base_type == "integer":
        for name in ("lower_bound", "upper_bound", "step"):
            if getattr(spec, name) != int(getattr(spec, name)):
                raise ItemError(f"slider.{name}", "must be a whole number (base_type integer)")
        if value != int(value):
            raise ItemError("value", "must be a whole number (base_type integer)")
    if not on_scale(spec.lower_bound, spec.upper_bound, spec.step, value):
        raise ItemError("value", "must be a value of the slider's scale (a bound or a step)")
