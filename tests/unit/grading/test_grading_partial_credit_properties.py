"""Properties of the partial credit models (GPCM, PCM) and their calibration (hypothesis)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from grading.calibration import calibrate
from grading.irt import (
    ItemParameters,
    graded_probabilities,
    item_category_probabilities,
    mixed_log_likelihood,
    p_correct,
    partial_credit_probabilities,
)
from grading.linking import rescale

DATA = Path(__file__).resolve().parents[2] / "data" / "irt"
# the Science attitudes: 4 items, categories 1..4 made 0..3
SCIENCE = np.loadtxt(DATA / "science.csv", delimiter=",", skiprows=1) - 1.0
_LSAT7_TABLE = np.loadtxt(DATA / "lsat7.csv", delimiter=",", skiprows=1)
LSAT7 = np.repeat(_LSAT7_TABLE[:, :5], _LSAT7_TABLE[:, 5].astype(np.int64), axis=0)

steps_lists = st.lists(st.floats(-5, 5), min_size=1, max_size=6)
thetas = st.lists(st.floats(-8, 8), min_size=1, max_size=30)


@settings(max_examples=20, deadline=None)
@given(st.integers(1, 40), st.sampled_from(["GPCM", "PCM"]))
def test_em_never_lowers_the_marginal_likelihood(steps: int, model: str) -> None:
    before = calibrate(SCIENCE, model, max_iter=steps, tol=0.0)  # type: ignore[arg-type]
    after = calibrate(SCIENCE, model, max_iter=steps + 1, tol=0.0)  # type: ignore[arg-type]
    assert after.log_likelihood >= before.log_likelihood - 1e-9


@settings(max_examples=8, deadline=None)
@given(st.permutations(range(4)), st.sampled_from(["GPCM", "PCM"]))
def test_calibration_does_not_depend_on_item_or_person_order(perm: list[int], model: str) -> None:
    rng = np.random.default_rng(sum(i * 10**k for k, i in enumerate(perm)))
    rows = rng.permutation(SCIENCE.shape[0])
    base = calibrate(SCIENCE, model, tol=1e-8, max_iter=5000)  # type: ignore[arg-type]
    moved = calibrate(SCIENCE[rows][:, perm], model, tol=1e-8, max_iter=5000)  # type: ignore[arg-type]
    for j, item in zip(perm, moved.items, strict=True):
        assert abs(item.a - base.items[j].a) < 1e-5
        assert np.allclose(item.thresholds, base.items[j].thresholds, atol=1e-5)
    assert abs(moved.log_likelihood - base.log_likelihood) < 1e-6
    assert abs(moved.latent_sd - base.latent_sd) < 1e-6


def test_a_two_category_pcm_item_is_a_rasch_item() -> None:
    pcm = calibrate(LSAT7, "PCM", tol=1e-8, max_iter=5000)
    rasch = calibrate(LSAT7, "Rasch", tol=1e-8, max_iter=5000)
    assert abs(pcm.log_likelihood - rasch.log_likelihood) < 1e-4
    assert abs(pcm.latent_sd - rasch.latent_sd) < 1e-3
    for p, r in zip(pcm.items, rasch.items, strict=True):
        assert p.partial_credit and len(p.thresholds) == 1
        assert p.a == 1.0 and abs(p.thresholds[0] - r.b) < 1e-3


def test_a_two_category_gpcm_item_is_a_2pl_item() -> None:
    gpcm = calibrate(LSAT7, "GPCM", tol=1e-8, max_iter=5000)
    binary = calibrate(LSAT7, "2PL", tol=1e-8, max_iter=5000)
    assert abs(gpcm.log_likelihood - binary.log_likelihood) < 1e-4
    for g, b in zip(gpcm.items, binary.items, strict=True):
        assert len(g.thresholds) == 1
        assert abs(g.a - b.a) < 1e-3 and abs(g.thresholds[0] - b.b) < 1e-3


def test_pcm_is_the_gpcm_with_equal_slopes_so_never_more_likely() -> None:
    """Nested models: the PCM (one common slope, in the SD of θ) cannot beat the GPCM."""
    pcm = calibrate(SCIENCE, "PCM", tol=1e-7, max_iter=5000)
    gpcm = calibrate(SCIENCE, "GPCM", tol=1e-7, max_iter=5000)
    assert pcm.converged and gpcm.converged
    assert pcm.log_likelihood < gpcm.log_likelihood
    assert all(p.a == 1.0 for p in pcm.items) and pcm.latent_sd > 0.0


@settings(max_examples=100, deadline=None)
@given(st.floats(0.05, 5.0), steps_lists, thetas)
def test_partial_credit_probabilities_are_a_distribution_shifting_up_with_theta(
    a: float, steps: list[float], theta: list[float]
) -> None:
    """Any steps, ordered or not: the categories sum to 1 and the expected score rises."""
    nodes = np.sort(np.array(theta))
    probs = partial_credit_probabilities(nodes, a, np.array(steps))
    assert probs.shape == (len(steps) + 1, nodes.size)
    assert np.allclose(probs.sum(axis=0), 1.0, atol=1e-6)
    expected = np.arange(probs.shape[0]) @ probs
    assert np.all(np.diff(expected) >= -1e-9)


@settings(max_examples=100, deadline=None)
@given(st.floats(0.05, 5.0), st.floats(-5, 5), thetas)
def test_one_step_is_the_2pl_curve(a: float, b: float, theta: list[float]) -> None:
    nodes = np.array(theta)
    probs = partial_credit_probabilities(nodes, a, np.array([b]))
    two_pl = p_correct(nodes, np.array([a]), np.array([b]), np.array([0.0]))[:, 0]
    assert np.allclose(probs[1], two_pl, atol=1e-8)


@settings(max_examples=50, deadline=None)
@given(st.floats(0.2, 3.0), steps_lists.filter(lambda s: len(s) >= 2), st.floats(0.3, 3.0))
def test_scoring_and_linking_read_partial_credit_items_as_partial_credit(
    a: float, steps: list[float], slope: float
) -> None:
    """Ability scoring uses the item's own curve, and moving the item to another scale
    (θ' = slope·θ + 1) keeps that curve at the same candidates."""
    item = ItemParameters(a=a, thresholds=tuple(steps), partial_credit=True)
    nodes = np.linspace(-4.0, 4.0, 9)
    own = partial_credit_probabilities(nodes, a, np.array(steps))
    x = np.arange(len(steps) + 1, dtype=np.float64)[:, np.newaxis]
    ll = mixed_log_likelihood(x, [item], nodes)
    assert np.allclose(ll, np.log(own), atol=1e-9)
    (moved,) = rescale([item], slope, 1.0)
    assert moved.partial_credit
    again = item_category_probabilities(moved, slope * nodes + 1.0)
    assert np.allclose(again, own, atol=1e-9)


def test_the_flag_picks_the_curve() -> None:
    """The same numbers as graded boundaries and as partial-credit steps: two curves."""
    nodes = np.linspace(-3.0, 3.0, 7)
    graded = ItemParameters(a=1.0, thresholds=(-1.0, 1.0))
    partial = ItemParameters(a=1.0, thresholds=(-1.0, 1.0), partial_credit=True)
    assert np.allclose(
        item_category_probabilities(graded, nodes),
        graded_probabilities(nodes, 1.0, np.array([-1.0, 1.0])),
    )
    # at θ = 0 the PCM's middle category is e / (1 + e + 1); the GRM's is 2·logistic(1) − 1
    middle = item_category_probabilities(partial, np.array([0.0]))[1, 0]
    assert abs(middle - np.e / (np.e + 2.0)) < 1e-9
    assert abs(item_category_probabilities(graded, np.array([0.0]))[1, 0] - middle) > 0.05


def test_a_category_nobody_chose_keeps_the_fit_finite() -> None:
    """An empty middle category pulls its intercept down, never to a NaN or an overflow."""
    x = SCIENCE.copy()
    x[x == 1.0] = 2.0  # nobody answers 1 any more, on any item
    fit = calibrate(x, "GPCM", max_iter=200)
    assert np.isfinite(fit.log_likelihood)
    for item in fit.items:
        assert np.all(np.isfinite(item.thresholds)) and np.isfinite(item.a)
