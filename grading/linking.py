"""Linking two separately calibrated forms through their common items (IRT equating).

Each form calibrated on its own puts its candidates at N(0, 1), so its parameters sit on its
own scale. A form X is brought onto the reference form Y's scale by θ_Y = A·θ_X + B, which
moves X's items to a / A, A·b + B (c unchanged; graded boundaries and partial-credit steps
like b). The constants are
chosen so that the common items behave alike on both scales (Kolen & Brennan 2014, ch. 6):

- ``stocking-lord``: the squared difference of the common items' test characteristic curves
  (summed expected scores), integrated over the reference population N(0, 1);
- ``haebara``: the same for every common item's characteristic curve separately, summed.

Both start from the mean/sigma constants of the common difficulties and are solved by
Gauss–Newton. Their standard errors come from a nonparametric bootstrap: the candidates of
both forms are resampled, both forms recalibrated and linked again, and the spread of the
replicated constants is reported.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import msgspec
import numpy as np

from grading.calibration import CalibrationResult, calibrate
from grading.irt import FloatArray, IrtModel, ItemParameters, item_category_probabilities, p_correct

LinkingMethod = Literal["stocking-lord", "haebara"]


class LinkingConstants(msgspec.Struct, frozen=True):
    """θ on the reference scale = slope·θ on the new form's scale + intercept."""

    method: LinkingMethod
    slope: float
    intercept: float
    slope_se: float
    intercept_se: float
    common_items: int
    replicates: int


class FormLink(msgspec.Struct, frozen=True):
    constants: LinkingConstants
    reference: CalibrationResult
    # the new form's items already moved onto the reference scale
    new_items: tuple[ItemParameters, ...]


def rescale(
    items: Sequence[ItemParameters], slope: float, intercept: float
) -> list[ItemParameters]:
    """Items of a form on the scale θ' = slope·θ + intercept."""
    # replace, not rebuild: an item keeps whatever else it carries (its partial_credit flag)
    return [
        msgspec.structs.replace(
            p,
            a=p.a / slope,
            b=slope * p.b + intercept,
            thresholds=tuple(slope * t + intercept for t in p.thresholds),
        )
        for p in items
    ]


def _expected_scores(items: Sequence[ItemParameters], nodes: FloatArray) -> FloatArray:
    """Expected score of every item at every node, shape (items, nodes)."""
    rows = []
    for p in items:
        if p.thresholds:
            probs = item_category_probabilities(p, nodes)
            rows.append(np.arange(probs.shape[0]) @ probs)
        else:
            one = np.array([1.0])
            rows.append(p_correct(nodes, one * p.a, one * p.b, one * p.c)[:, 0])
    return np.vstack(rows)


def _mean_sigma(
    reference: Sequence[ItemParameters], new: Sequence[ItemParameters]
) -> tuple[float, float]:
    b_ref, b_new = np.array([p.b for p in reference]), np.array([p.b for p in new])
    slope = float(b_ref.std() / b_new.std()) if b_new.std() > 0 else 1.0
    return slope, float(b_ref.mean() - slope * b_new.mean())


def characteristic_link(
    reference: Sequence[ItemParameters],
    new: Sequence[ItemParameters],
    method: LinkingMethod = "stocking-lord",
    *,
    n_points: int = 41,
) -> tuple[float, float]:
    """(slope, intercept) putting ``new`` on ``reference``'s scale; the lists pair the
    common items in the same order."""
    nodes = np.linspace(-4.0, 4.0, n_points)
    root_w = np.sqrt(np.exp(-0.5 * nodes**2) / np.exp(-0.5 * nodes**2).sum())
    target = _expected_scores(reference, nodes)

    def residuals(x: FloatArray) -> FloatArray:
        moved = _expected_scores(rescale(new, float(x[0]), float(x[1])), nodes)
        diff = target - moved
        out: FloatArray = (diff.sum(axis=0) if method == "stocking-lord" else diff) * root_w
        return out.ravel()

    x = np.array(_mean_sigma(reference, new))
    for _ in range(100):
        r = residuals(x)
        jac = np.empty((r.size, 2))
        for k in range(2):
            h = np.zeros(2)
            h[k] = 1e-6
            jac[:, k] = (residuals(x + h) - residuals(x - h)) / 2e-6
        step = np.linalg.lstsq(jac, -r, rcond=None)[0]
        x = x + step
        x[0] = max(float(x[0]), 1e-3)
        if float(np.max(np.abs(step))) < 1e-10:
            break
    return float(x[0]), float(x[1])


def link_forms(
    reference: FloatArray,
    new: FloatArray,
    common: Sequence[tuple[int, int]],
    model: IrtModel = "2PL",
    *,
    method: LinkingMethod = "stocking-lord",
    replicates: int = 50,
    seed: int = 0,
    tol: float = 1e-4,
) -> FormLink:
    """Calibrate two forms apart, link ``new`` onto ``reference`` through the common items
    ((column in reference, column in new) pairs), and bootstrap the constants' SEs.

    The bootstrap is seeded, so a report can be reproduced.
    """
    ref_cols, new_cols = [c[0] for c in common], [c[1] for c in common]

    def fit(
        ref_rows: FloatArray, new_rows: FloatArray
    ) -> tuple[CalibrationResult, CalibrationResult, float, float]:
        ref_fit, new_fit = calibrate(ref_rows, model, tol=tol), calibrate(new_rows, model, tol=tol)
        slope, intercept = characteristic_link(
            [ref_fit.items[j] for j in ref_cols], [new_fit.items[j] for j in new_cols], method
        )
        return ref_fit, new_fit, slope, intercept

    ref_fit, new_fit, slope, intercept = fit(reference, new)
    rng = np.random.default_rng(seed)
    draws = np.array(
        [
            fit(
                reference[rng.integers(0, reference.shape[0], reference.shape[0])],
                new[rng.integers(0, new.shape[0], new.shape[0])],
            )[2:]
            for _ in range(replicates)
        ]
    ).reshape(replicates, 2)
    spread = draws.std(axis=0, ddof=1) if replicates > 1 else np.full(2, np.nan)
    constants = LinkingConstants(
        method=method,
        slope=slope,
        intercept=intercept,
        slope_se=float(spread[0]),
        intercept_se=float(spread[1]),
        common_items=len(common),
        replicates=replicates,
    )
    moved = tuple(rescale(new_fit.items, slope, intercept))
    return FormLink(constants=constants, reference=ref_fit, new_items=moved)
