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
  (test-01-mirtOne.R); ``mirt(Science, 1)`` (graded response model) slopes 1.041755 1.225962
  2.293372 1.094915, boundaries (-4.669193, -2.5341299, 1.4072541) (-2.385068, -0.7350678,
  1.8488053) (-2.282226, -0.9652918, 0.8562529) (-3.057698, -0.9056673, 1.5419094),
  log-likelihood -1608.87.

mirt integrates over 61 equally spaced points on ±6, as ``calibrate`` does by default; ltm
uses 21 Gauss–Hermite points, which moves its figures by less than the tolerance here.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from grading.calibration import calibrate

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
    _close([-p.b for p in rasch.items], [1.8680155, 0.7908857, 1.4607798, 0.5214175, 1.9927099])
    assert rasch.latent_sd == pytest.approx(1.011, abs=TOL)
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
