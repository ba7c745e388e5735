"""IRT: probabilities, ability estimates, the reporting scale, and parameter recovery."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grading.calibration import calibrate
from grading.irt import (
    ItemParameters,
    ScoreScale,
    eap,
    mle,
    p_correct,
    parameter_arrays,
    scaled_score,
    score_abilities,
)


def _simulate(
    rng: np.random.Generator, persons: int, items: int, guessing: bool = False
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    theta = rng.normal(0.0, 1.0, persons)
    a = rng.lognormal(0.0, 0.3, items)
    b = rng.normal(0.0, 1.0, items)
    c = rng.uniform(0.1, 0.25, items) if guessing else np.zeros(items)
    x = (rng.random((persons, items)) < p_correct(theta, a, b, c)).astype(np.float64)
    return x, theta, a, b, c


def test_p_correct_at_the_difficulty_is_halfway_above_guessing() -> None:
    p = p_correct(np.array([0.5]), np.array([1.3]), np.array([0.5]), np.array([0.2]))
    assert p.shape == (1, 1) and p[0, 0] == pytest.approx(0.6)


def test_recovery_of_2pl_parameters_and_abilities() -> None:
    """2,000 candidates x 40 items, known parameters (fixed seed)."""
    x, theta, a, b, _ = _simulate(np.random.default_rng(2024), 2000, 40)
    result = calibrate(x, "2PL")
    est_a, est_b, est_c = parameter_arrays(result.items)
    abilities = eap(x, est_a, est_b, est_c)
    r_a = float(np.corrcoef(est_a, a)[0, 1])
    r_b = float(np.corrcoef(est_b, b)[0, 1])
    r_theta = float(np.corrcoef(abilities.theta, theta)[0, 1])
    print(
        f"2PL recovery: r(b)={r_b:.4f} r(a)={r_a:.4f} r(theta EAP)={r_theta:.4f} "
        f"iterations={result.iterations}"
    )
    assert result.converged
    assert r_b >= 0.95
    assert r_a >= 0.85
    assert r_theta >= 0.9
    # EAP SE is a posterior SD: below the prior's 1 and near the empirical error
    rmse = float(np.sqrt(np.mean((abilities.theta - theta) ** 2)))
    assert 0.0 < float(abilities.se.mean()) < 1.0
    assert abs(float(np.sqrt(np.mean(abilities.se**2))) - rmse) < 0.05


def test_recovery_of_3pl_parameters() -> None:
    x, theta, a, b, c = _simulate(np.random.default_rng(7), 2000, 40, guessing=True)
    result = calibrate(x, "3PL")
    est_a, est_b, est_c = parameter_arrays(result.items)
    r_b = float(np.corrcoef(est_b, b)[0, 1])
    r_a = float(np.corrcoef(est_a, a)[0, 1])
    r_theta = float(np.corrcoef(eap(x, est_a, est_b, est_c).theta, theta)[0, 1])
    print(
        f"3PL recovery: r(b)={r_b:.4f} r(a)={r_a:.4f} r(theta EAP)={r_theta:.4f} "
        f"mean c={est_c.mean():.3f} (true {c.mean():.3f})"
    )
    assert r_b >= 0.95 and r_a >= 0.8 and r_theta >= 0.9
    assert abs(float(est_c.mean()) - float(c.mean())) < 0.05


def test_rasch_recovers_difficulties_and_spread_with_missing_responses() -> None:
    """Slope 1 on the logit scale, θ ~ N(0, 1.3²): the spread is estimated, not assumed."""
    rng = np.random.default_rng(11)
    theta = rng.normal(0.0, 1.3, size=1500)
    b = rng.normal(size=30)
    ones = np.ones(30)
    x = (rng.random((1500, 30)) < p_correct(theta, ones, b, np.zeros(30))).astype(np.float64)
    x[rng.random(x.shape) < 0.3] = np.nan  # a third of the items not presented to each
    result = calibrate(x, "Rasch")
    _, est_b, _ = parameter_arrays(result.items)
    assert all(p.a == 1.0 and p.c == 0.0 for p in result.items)
    assert abs(result.latent_sd - 1.3) < 0.08
    assert float(np.corrcoef(est_b, b)[0, 1]) >= 0.97
    assert float(np.mean(np.abs(est_b - b))) < 0.15
    # the 1PL is the same model with the spread moved into a common slope
    common = calibrate(x, "1PL")
    assert common.log_likelihood == pytest.approx(result.log_likelihood, abs=1e-3)
    assert {round(p.a, 6) for p in common.items} == {round(result.latent_sd, 6)}


def test_eap_is_finite_for_extreme_patterns_and_mle_is_not() -> None:
    a, b, c = np.ones(10), np.linspace(-2, 2, 10), np.zeros(10)
    x = np.array([np.ones(10), np.zeros(10), np.full(10, np.nan)])
    est = eap(x, a, b, c)
    assert np.all(np.isfinite(est.theta)) and np.all(np.isfinite(est.se))
    assert est.theta[0] > 1.0 > -1.0 > est.theta[1]
    assert est.theta[2] == pytest.approx(0.0, abs=1e-9) and est.se[2] == pytest.approx(1.0, 1e-3)
    ml = mle(x[:2], a, b, c)
    assert np.all(np.isinf(ml.se))


def test_mle_and_eap_agree_on_long_tests() -> None:
    x, theta, a, b, c = _simulate(np.random.default_rng(3), 300, 120)
    ml = mle(x, a, b, c)
    ok = np.isfinite(ml.se)
    assert ok.mean() > 0.95
    assert float(np.corrcoef(ml.theta[ok], theta[ok])[0, 1]) > 0.93
    est = eap(x, a, b, c)
    assert float(np.corrcoef(ml.theta[ok], est.theta[ok])[0, 1]) > 0.98


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(-10, 10), min_size=1, max_size=20), st.floats(1, 200), st.floats(0, 800))
def test_scaled_score_is_monotone_and_bounded(
    thetas: list[float], slope: float, mid: float
) -> None:
    scale = ScoreScale(intercept=mid, slope=slope, minimum=200, maximum=1000, decimals=1)
    theta = np.sort(np.array(thetas))
    scaled = scaled_score(theta, scale)
    assert np.all(np.diff(scaled) >= 0)
    assert np.all((scaled >= 200) & (scaled <= 1000))


def test_score_abilities_rescoring_every_sitting() -> None:
    items = [ItemParameters(1.0, -1.0), ItemParameters(1.2, 0.0), ItemParameters(0.8, 1.0)]
    x = np.array([[1.0, 1.0, 1.0], [0.0, 0.0, 0.0], [1.0, 0.0, np.nan]])
    estimates, scaled = score_abilities(x, items, ScoreScale())
    assert scaled[0] > scaled[2] > scaled[1]
    assert np.all((scaled >= 200) & (scaled <= 1000)) and np.all(scaled == np.round(scaled))
    assert estimates.theta.shape == (3,)
