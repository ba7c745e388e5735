"""Equating forms: linking constants recovered on simulated forms, within their bootstrap SEs."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from grading.calibration import calibrate
from grading.equating import equate_forms
from grading.irt import ItemParameters, p_correct
from grading.linking import characteristic_link, link_forms, rescale


@settings(max_examples=40, deadline=None)
@given(
    st.floats(0.5, 2.0),
    st.floats(-1.5, 1.5),
    st.sampled_from(["stocking-lord", "haebara"]),
    st.integers(0, 2**32 - 1),
)
def test_exact_parameters_give_back_the_constants(
    slope: float, intercept: float, method: str, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    reference = [
        ItemParameters(a=float(a), b=float(b), c=float(c))
        for a, b, c in zip(
            rng.lognormal(0, 0.3, 8), rng.normal(0, 1, 8), rng.uniform(0, 0.25, 8), strict=True
        )
    ]
    # the same items as a form calibrated on its own population sees them
    new = rescale(reference, 1.0 / slope, -intercept / slope)
    found = characteristic_link(reference, new, method)  # type: ignore[arg-type]
    assert abs(found[0] - slope) < 1e-6 and abs(found[1] - intercept) < 1e-6


def _forms(
    rng: np.random.Generator, persons: int, mean: float, sd: float
) -> tuple[np.ndarray, np.ndarray]:
    """Two 30-item 2PL forms sharing items 20..29 of the reference form as items 0..9 of the
    new one; the new form's population is N(mean, sd²) on the reference scale."""
    a = rng.lognormal(0.1, 0.25, 50)
    b = rng.normal(0.0, 1.0, 50)
    ref_items, new_items = np.arange(0, 30), np.arange(20, 50)
    zero = np.zeros(30)

    def answers(theta: np.ndarray, items: np.ndarray) -> np.ndarray:
        probs = p_correct(theta, a[items], b[items], zero)
        return (rng.random(probs.shape) < probs).astype(np.float64)

    reference = answers(rng.normal(0.0, 1.0, persons), ref_items)
    new = answers(rng.normal(mean, sd, persons), new_items)
    return reference, new


def test_stocking_lord_recovers_known_constants_within_their_standard_errors() -> None:
    """θ_ref = 1.25·θ_new + 0.6: the new form's candidates are abler and more spread."""
    reference, new = _forms(np.random.default_rng(2026), 1500, 0.6, 1.25)
    common = [(20 + k, k) for k in range(10)]
    link = link_forms(reference, new, common, "2PL", replicates=30, seed=1)
    c = link.constants
    print(
        f"Stocking-Lord: A = {c.slope:.3f} ± {c.slope_se:.3f} (true 1.25), "
        f"B = {c.intercept:.3f} ± {c.intercept_se:.3f} (true 0.6)"
    )
    assert 0.0 < c.slope_se < 0.1 and 0.0 < c.intercept_se < 0.1
    assert abs(c.slope - 1.25) <= 2 * c.slope_se
    assert abs(c.intercept - 0.6) <= 2 * c.intercept_se
    haebara = link_forms(reference, new, common, "2PL", method="haebara", replicates=0)
    assert abs(haebara.constants.slope - c.slope) < 0.05
    assert abs(haebara.constants.intercept - c.intercept) < 0.05


def test_concurrent_calibration_puts_both_forms_on_one_scale() -> None:
    """All candidates in one matrix, items of the other form missing by design, one group per
    form: the new form's population comes out as N(0.6, 1.25²) on the reference scale."""
    reference, new = _forms(np.random.default_rng(2026), 1500, 0.6, 1.25)
    matrix = np.full((3000, 50), np.nan)
    matrix[:1500, :30] = reference
    matrix[1500:, 20:] = new
    groups = np.repeat([0, 1], 1500)
    fit = calibrate(matrix, "2PL", groups=groups)
    assert fit.converged
    second = fit.groups[1]
    print(f"concurrent: new form's population N({second.mean:.3f}, {second.sd:.3f}²)")
    assert abs(second.mean - 0.6) < 0.1 and abs(second.sd - 1.25) < 0.1
    assert fit.groups[0].mean == 0.0 and fit.groups[0].sd == 1.0


def test_event_forms_are_scored_on_the_reference_scale() -> None:
    """Three forms: the second shares ten items with the first and is sat by an abler, more
    spread population; the third shares nothing (randomly equivalent groups)."""
    rng = np.random.default_rng(7)
    a, b = rng.lognormal(0.1, 0.25, 80), rng.normal(0.0, 1.0, 80)
    ids = [f"q{n}" for n in range(80)]
    layout = [np.arange(0, 30), np.arange(20, 50), np.arange(50, 80)]
    populations = [(0.0, 1.0), (0.6, 1.25), (0.0, 1.0)]
    forms, truth = [], []
    for items, (mean, sd) in zip(layout, populations, strict=True):
        theta = rng.normal(mean, sd, 1200)
        probs = p_correct(theta, a[items], b[items], np.zeros(items.size))
        forms.append((rng.random(probs.shape) < probs).astype(np.float64))
        truth.append(theta)
    result = equate_forms(forms, [[ids[j] for j in items] for items in layout], replicates=10)
    first, second, third = result.forms
    assert (first.design, second.design, third.design) == (
        "reference",
        "common items",
        "random groups",
    )
    assert second.common_with_reference == 10 and third.common_with_others == 0
    sl = second.stocking_lord
    assert sl is not None and sl.replicates == 10
    # both links find the true constants within three bootstrap standard errors (ten common
    # items and 1,200 candidates a form leave about .07 of sampling error)
    assert abs(second.population_mean - 0.6) < 3 * sl.intercept_se
    assert abs(second.population_sd - 1.25) < 3 * sl.slope_se
    assert abs(sl.slope - 1.25) < 3 * sl.slope_se and abs(sl.intercept - 0.6) < 3 * sl.intercept_se
    # every sitting's θ is on the reference scale: the second form's sittings average 0.6
    theta = np.split(result.theta, [1200, 2400])
    assert abs(float(theta[1].mean()) - 0.6) < 3 * sl.intercept_se
    assert abs(float(theta[0].mean())) < 0.1 and abs(float(theta[2].mean())) < 0.1
    for found, true in zip(theta, truth, strict=True):
        assert float(np.corrcoef(found, true)[0, 1]) > 0.85
    assert third.stocking_lord is None and len(result.item_ids) == 80


def test_graded_forms_share_the_categories_of_their_common_items() -> None:
    """A common item marked 0, ½ or 1 on one form and only 0 or 1 on the other keeps three
    categories (1 is the top one on both), so its boundaries mean one thing on both forms."""
    rng = np.random.default_rng(4)
    ability = rng.normal(size=(600, 1)) + rng.normal(scale=0.8, size=(600, 4))
    first = np.digitize(ability[:300], [-0.5, 0.5]) / 2.0  # 0, ½ or 1
    second = (ability[300:] > 0).astype(np.float64)  # 0 or 1
    result = equate_forms(
        [first, second], [["c1", "c2", "a1", "a2"], ["c1", "c2", "b1", "b2"]], "GRM", replicates=0
    )
    by_id = dict(zip(result.item_ids, result.items, strict=True))
    assert len(by_id["c1"].thresholds) == 2 and len(by_id["b1"].thresholds) == 1
    assert result.forms[1].common_with_reference == 2


def test_a_group_without_sittings_leaves_the_others_alone() -> None:
    """A form nobody sat (yet) must not turn the fit into NaN."""
    reference, new = _forms(np.random.default_rng(9), 400, 0.5, 1.0)
    matrix = np.full((800, 50), np.nan)
    matrix[:400, :30] = reference
    matrix[400:, 20:] = new
    groups = np.repeat([0, 2], 400)  # group 1 has nobody
    fit = calibrate(matrix, "2PL", groups=groups)
    assert np.all(np.isfinite([p.b for p in fit.items]))
    assert (fit.groups[1].mean, fit.groups[1].sd) == (0.0, 1.0)
    assert abs(fit.groups[2].mean - 0.5) < 0.25
