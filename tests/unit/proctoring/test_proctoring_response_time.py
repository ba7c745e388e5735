"""Lognormal response-time model, RT person fit, NT10/RTE, preknowledge and synchrony."""

from __future__ import annotations

import math

import numpy as np
import pytest

from proctoring.response_time import (
    LognormalFit,
    fit_lognormal,
    rapid_thresholds,
    residuals,
    response_time_effort,
    rt_person_fit,
    speed,
    synchrony,
)


def test_residual_hand_case() -> None:
    fit = LognormalFit(alpha=[2.0], beta=[4.0])
    # z = alpha (ln t - (beta - tau)) = 2 (3 - 3.5) = -1
    z = residuals(np.array([[math.exp(3.0)]]), fit, np.array([0.5]))
    assert z[0, 0] == pytest.approx(-1.0)


def test_speed_is_precision_weighted() -> None:
    fit = LognormalFit(alpha=[1.0, 2.0], beta=[4.0, 3.0])
    # tau = (1*(4 - ln t1) + 4*(3 - ln t2)) / 5 with ln t = (3, 3) -> (1 + 0) / 5
    assert speed(np.exp(np.array([[3.0, 3.0]])), fit)[0] == pytest.approx(0.2)


def test_rt_person_fit_hand_case() -> None:
    lt, df, p = rt_person_fit(np.array([[1.0, 2.0, -1.0, np.nan]]))
    assert (lt[0], df[0]) == (6.0, 2.0)
    assert 0.0 < p[0] < 1.0


def test_fit_recovers_simulated_parameters_and_null_is_calibrated() -> None:
    rng = np.random.default_rng(3)
    n, k = 2000, 40
    beta, alpha, tau = rng.normal(4, 0.4, k), rng.uniform(1.5, 2.5, k), rng.normal(0, 0.3, n)
    times = np.exp(beta - tau[:, None] + rng.normal(size=(n, k)) / alpha)
    fit, tau_hat = fit_lognormal(times)
    assert np.corrcoef(fit.beta, beta)[0, 1] > 0.99
    assert np.abs(np.asarray(fit.alpha) / alpha - 1).max() < 0.1
    assert np.corrcoef(tau_hat, tau)[0, 1] > 0.95
    _, _, p = rt_person_fit(residuals(times, fit, tau_hat))
    assert float(np.mean(p < 0.01)) < 0.02


def test_nt10_and_rte_hand_case() -> None:
    times = np.array([[100.0, 1.0, 30.0], [100.0, 399.0, 40.0], [100.0, 200.0, np.nan]])
    nt = rapid_thresholds(times)  # 10% of means (100, 200, 35), capped at 10 s
    assert nt.tolist() == pytest.approx([10.0, 10.0, 3.5])
    assert response_time_effort(times, nt).tolist() == pytest.approx([2 / 3, 1.0, 1.0])


def test_synchrony_hand_case() -> None:
    t_a = np.array([[0.0, 100.0, 200.0]])
    t_b = np.array([[2.0, 300.0, 201.0]])
    k, mean, p = synchrony(t_a, t_b, 5.0)
    # same-item coincidences: items 0, 2. All-item pairs within 5 s: (0,2), (200,201) -> q = 2/9
    q = 2 / 9
    assert k[0] == 2
    assert mean[0] == pytest.approx(3 * q)
    assert p[0] == pytest.approx(3 * q**2 * (1 - q) + q**3)


def test_synchrony_separates_lockstep_from_independent() -> None:
    rng = np.random.default_rng(1)
    order_a, order_b = rng.permutation(100), rng.permutation(100)
    t_a, t_b = np.empty(100), np.empty(100)
    t_a[order_a] = np.cumsum(rng.uniform(30, 90, 100))
    t_b[order_b] = np.cumsum(rng.uniform(30, 90, 100))
    copied = t_a + rng.uniform(1, 4, 100)
    _, _, p = synchrony(np.array([t_a, t_a]), np.array([t_b, copied]), 5.0)
    assert p[0] > 0.01
    assert p[1] < 1e-12
