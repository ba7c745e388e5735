"""Item response theory: the 3PL family (1PL and 2PL are special cases)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

# the logistic scaling constant that makes the logistic curve close to the normal ogive
D = 1.702


def p_correct(theta: FloatArray, a: FloatArray, b: FloatArray, c: FloatArray) -> FloatArray:
    """P(correct) for every person × item: shape (len(theta), len(a)).

    P = c + (1 - c) / (1 + exp(-D·a·(θ - b))). 1PL: a = 1, c = 0; 2PL: c = 0.
    """
    z = D * a[np.newaxis, :] * (theta[:, np.newaxis] - b[np.newaxis, :])
    return c[np.newaxis, :] + (1.0 - c[np.newaxis, :]) / (1.0 + np.exp(-z))
