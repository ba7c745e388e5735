"""Published IRT fits reproduced: the models mean what the literature means by their names.

Every figure is on the logit scale (no 1.702), as the sources print it, and must agree within
0.01 (parameters) and 0.01 (log-likelihood). Sources:

- Rizopoulos, D. (2006). ltm: An R package for latent variable modeling and item response
  theory analyses. *Journal of Statistical Software* 17(5), pp. 10–11: ``rasch(LSAT)`` on
  LSAT-6, common discrimination .7551, difficulties -3.6153 -1.3224 -0.3176 -1.7301 -2.7802,
  log-likelihood -2466.938; and ltm's ``ltm(LSAT ~ z1)`` (2PL) printout, log-likelihood
  -2466.653, difficulties -3.3597 -1.3696 -0.2799 -1.8659 -3.1236, discriminations .8254
  .7229 .8905 .6886 .6575.
- mirt (Chalmers 2012, *JSS* 48(6)) documentation and test suite (version 1.45):
  ``mirt(LSAT6, 1, itemtype = 'Rasch')`` intercepts 2.730 0.999 0.240 1.306 2.099 with latent
  variance .572 (SD .756); ``mirt(LSAT7, 1)`` (2PL) slopes .988 1.081 1.706 .765 .736,
  intercepts 1.856 .808 1.804 .486 1.855, log-likelihood -2658.805;
  ``mirt(LSAT7, 1, 'Rasch')`` intercepts 1.8680155 0.7908857 1.4607798 0.5214175 1.9927099
  (tests/testthat/test-15-IRTpars.R) with the common-slope form's slope 1.011
  (test-01-mirtOne.R), and its log-likelihood -2664.901 with latent variance 1.022 (the
  reference page of ``lagrange``, mirt 1.47: its example fits ``mirt(expand.table(LSAT7), 1,
  'Rasch')``, prints ``COV_11`` 1.022 in ``mod2values`` and the logLik column of
  ``anova(mod, mod2)``); ``mirt(Science, 1)`` (graded response model) slopes 1.041755 1.225962
  2.293372 1.094915, boundaries (-4.669193, -2.5341299, 1.4072541) (-2.385068, -0.7350678,
  1.8488053) (-2.282226, -0.9652918, 0.8562529) (-3.057698, -0.9056673, 1.5419094),
  log-likelihood -1608.87; ``mirt(Science, 1, 'gpcm')`` (generalized partial credit model; the
  reference pages of ``mirt`` and ``anova``, mirt 1.47) log-likelihood -1612.683, slopes a1
  .865 .841 2.204 .724 and intercepts d1..d3 (2.831, 5.324, 3.998) (1.711, 2.578, .848)
  (4.601, 6.759, 4.918) (2.099, 2.899, 1.721), d0 = 0.

mirt's ``gpcm`` writes P(X = k) ∝ exp(ak_k·a1·θ + d_k) with the scoring function ak_k = k and
d_0 = 0; ``calibrate`` reports Muraki's steps, P(X = k) ∝ exp(Σ_{v ≤ k} a(θ − b_v)). The two
meet at a = a1 and d_k = −a·(b_1 + … + b_k), i.e. b_k = −(d_k − d_{k−1}) / a. For dichotomous
data mirt's ``'Rasch'`` item type is the partial credit model (its documentation: "Rasch/partial
credit model"), so ``PCM`` on LSAT-7 must give mirt's Rasch figures. No published PCM fit of the
Science data was found, so the polytomous PCM is checked by its properties only
(test_grading_partial_credit_properties.py).

mirt integrates over 61 equally spaced points on ±6, as ``calibrate`` does by default; ltm
uses 21 Gauss–Hermite points, which moves its figures by less than the tolerance here.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from grading.calibration import calibrate
from grading.irt import ItemParameters, mixed_log_likelihood, normal_grid

DATA = Path(__file__).resolve().parents[2] / "data" / "irt"
TOL = 0.01


def _patterns(name: str) -> np.ndarray:
    table = np.loadtxt(DATA / f"{name}.csv", delimiter=",", skiprows=1)
    return np.repeat(table[:, :5], table[:, 5].astype(np.int64), axis=0)


def _close(found: list[float], published: list[float]) -> None:
    assert np.max(np.abs(np.array(found) - np.array(published))) < TOL, (found, published)


def test_lsat6_rasch_and_common_slope_1pl_match_ltm_and_mirt() -> None:
    x = _patterns("lsat6")
    rasch = calibrate(x, "Rasch", tol=1e-7, max_iter=5000)
    one = calibrate(x, "1PL", tol=1e-7, max_iter=5000)
    assert rasch.converged and one.converged
    assert rasch.log_likelihood == pytest.approx(-2466.938, abs=TOL)
    assert one.log_likelihood == pytest.approx(-2466.938, abs=TOL)
    # Rasch: slope 1, θ ~ N(0, σ²); mirt prints the intercepts d = -b and σ² = .572
    assert all(p.a == 1.0 for p in rasch.items)
    _close([-p.b for p in rasch.items], [2.730, 0.999, 0.240, 1.306, 2.099])
    assert rasch.latent_sd == pytest.approx(0.7551, abs=TOL)
    assert rasch.latent_sd**2 == pytest.approx(0.572, abs=TOL)
    # 1PL: the same fit with σ moved into a common slope (ltm's rasch(), Rizopoulos 2006)
    _close([p.a for p in one.items], [0.7551] * 5)
    _close([p.b for p in one.items], [-3.6153, -1.3224, -0.3176, -1.7301, -2.7802])


def test_lsat6_2pl_matches_ltm() -> None:
    fit = calibrate(_patterns("lsat6"), "2PL", tol=1e-7, max_iter=5000)
    assert fit.converged
    assert fit.log_likelihood == pytest.approx(-2466.653, abs=TOL)
    _close([p.a for p in fit.items], [0.8254, 0.7229, 0.8905, 0.6886, 0.6575])
    _close([p.b for p in fit.items], [-3.3597, -1.3696, -0.2799, -1.8659, -3.1236])


def test_lsat7_2pl_matches_mirt() -> None:
    fit = calibrate(_patterns("lsat7"), "2PL", tol=1e-7, max_iter=5000)
    assert fit.converged
    assert fit.log_likelihood == pytest.approx(-2658.805, abs=TOL)
    _close([p.a for p in fit.items], [0.988, 1.081, 1.706, 0.765, 0.736])
    _close([-p.a * p.b for p in fit.items], [1.856, 0.808, 1.804, 0.486, 1.855])


def test_lsat7_rasch_matches_mirt() -> None:
    x = _patterns("lsat7")
    rasch = calibrate(x, "Rasch", tol=1e-7, max_iter=5000)
    one = calibrate(x, "1PL", tol=1e-7, max_iter=5000)
    assert rasch.converged
    assert rasch.log_likelihood == pytest.approx(-2664.901, abs=TOL)
    _close([-p.b for p in rasch.items], [1.8680155, 0.7908857, 1.4607798, 0.5214175, 1.9927099])
    assert rasch.latent_sd == pytest.approx(1.011, abs=TOL)
    assert rasch.latent_sd**2 == pytest.approx(1.022, abs=TOL)
    _close([p.a for p in one.items], [1.011] * 5)
    _close([-p.a * p.b for p in one.items], [1.868, 0.791, 1.461, 0.521, 1.993])
    # one model, two parameterisations: the same likelihood, below the 2PL's (-2658.805)
    assert one.log_likelihood == pytest.approx(rasch.log_likelihood, abs=1e-6)
    assert rasch.log_likelihood < -2658.805


def test_science_graded_response_model_matches_mirt() -> None:
    # the data's categories 1..4 become 0..3
    x = np.loadtxt(DATA / "science.csv", delimiter=",", skiprows=1) - 1.0
    fit = calibrate(x, "GRM", tol=1e-7, max_iter=5000)
    assert fit.converged
    assert fit.log_likelihood == pytest.approx(-1608.87, abs=TOL)
    _close([p.a for p in fit.items], [1.041755, 1.225962, 2.293372, 1.094915])
    published = [
        [-4.669193, -2.5341299, 1.4072541],
        [-2.385068, -0.7350678, 1.8488053],
        [-2.282226, -0.9652918, 0.8562529],
        [-3.057698, -0.9056673, 1.5419094],
    ]
    for item, boundaries in zip(fit.items, published, strict=True):
        _close(list(item.thresholds), boundaries)


# mirt(Science, 1, 'gpcm'): a1 and the intercepts d1..d3 of every item (d0 = 0)
MIRT_GPCM_SCIENCE = [
    (0.865, [2.831, 5.324, 3.998]),
    (0.841, [1.711, 2.578, 0.848]),
    (2.204, [4.601, 6.759, 4.918]),
    (0.724, [2.099, 2.899, 1.721]),
]


def _science() -> np.ndarray:
    # the data's categories 1..4 become 0..3
    return np.loadtxt(DATA / "science.csv", delimiter=",", skiprows=1) - 1.0


def _marginal(x: np.ndarray, items: list[ItemParameters]) -> float:
    """The marginal log-likelihood of the data under given items, θ ~ N(0, 1) on 61 points."""
    nodes, weights = normal_grid(61)
    return float(np.log(np.exp(mixed_log_likelihood(x, items, nodes)) @ weights).sum())


def test_science_generalized_partial_credit_model_matches_mirt() -> None:
    """Muraki's GPCM on the Science data against mirt 1.47's printout.

    The log-likelihoods agree within 0.01, and mirt's own parameters, converted to steps
    (b_k = −(d_k − d_{k−1}) / a1), give mirt's log-likelihood under ``calibrate``'s curve:
    the parameterisation is the same model. The parameters agree within 0.01 for Work and
    Benefit but not everywhere: the likelihood is flat along a ridge, mirt stops (EM,
    tolerance 1e-4 on the parameters) at a point 0.0014 below the maximum that ``calibrate``
    reaches, and along that ridge Comfort's intercepts move by up to 0.011 and Future's
    (steep) slope and intercepts by up to 0.09 (a 2.237 against 2.204, d2 6.842 against
    6.759). Comfort is held to 0.02 and Future to 0.1, and the fit must be at least as likely
    as mirt's.
    """
    x = _science()
    fit = calibrate(x, "GPCM", tol=1e-7, max_iter=5000)
    assert fit.converged
    assert fit.log_likelihood == pytest.approx(-1612.683, abs=TOL)
    assert fit.log_likelihood >= -1612.683 - 1e-3
    published = []
    for a1, d in MIRT_GPCM_SCIENCE:
        steps = tuple(float(s) for s in -np.diff([0.0, *d]) / a1)
        published.append(ItemParameters(a=a1, thresholds=steps, partial_credit=True))
    assert _marginal(x, published) == pytest.approx(-1612.683, abs=TOL)
    for j, (item, (a1, d)) in enumerate(zip(fit.items, MIRT_GPCM_SCIENCE, strict=True)):
        assert item.partial_credit and len(item.thresholds) == 3
        found = [item.a, *(-item.a * np.cumsum(item.thresholds))]
        limit = (0.02, TOL, 0.1, TOL)[j]
        assert np.max(np.abs(np.array(found) - np.array([a1, *d]))) < limit, (found, a1, d)


def test_lsat7_partial_credit_model_is_mirts_rasch() -> None:
    """Two categories: Masters' PCM is the Rasch model, and mirt fits both as ``'Rasch'``."""
    fit = calibrate(_patterns("lsat7"), "PCM", tol=1e-7, max_iter=5000)
    assert fit.converged
    assert fit.log_likelihood == pytest.approx(-2664.901, abs=TOL)
    assert fit.latent_sd**2 == pytest.approx(1.022, abs=TOL)
    assert all(p.a == 1.0 and p.partial_credit for p in fit.items)
    # one step per item, b_1 = −d_1 with slope 1
    _close([-p.thresholds[0] for p in fit.items], [1.868, 0.791, 1.461, 0.521, 1.993])
