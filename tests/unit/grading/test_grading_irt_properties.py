"""Properties of the IRT models and their calibration (hypothesis)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from grading.calibration import calibrate
from grading.graded import categories_from_points
from grading.irt import IRT_MODELS, graded_probabilities

DATA = Path(__file__).resolve().parents[2] / "data" / "irt"


def _lsat(name: str) -> np.ndarray:
    table = np.loadtxt(DATA / f"{name}.csv", delimiter=",", skiprows=1)
    return np.repeat(table[:, :5], table[:, 5].astype(np.int64), axis=0)


LSAT7 = _lsat("lsat7")


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 40), st.sampled_from(["Rasch", "1PL", "2PL", "GRM"]))
def test_em_never_lowers_the_marginal_likelihood(steps: int, model: str) -> None:
    before = calibrate(LSAT7, model, max_iter=steps, tol=0.0)  # type: ignore[arg-type]
    after = calibrate(LSAT7, model, max_iter=steps + 1, tol=0.0)  # type: ignore[arg-type]
    assert after.log_likelihood >= before.log_likelihood - 1e-9


@settings(max_examples=10, deadline=None)
@given(st.permutations(range(5)), st.sampled_from(["Rasch", "2PL"]))
def test_calibration_does_not_depend_on_item_or_person_order(perm: list[int], model: str) -> None:
    rng = np.random.default_rng(sum(i * 10**k for k, i in enumerate(perm)))
    rows = rng.permutation(LSAT7.shape[0])
    base = calibrate(LSAT7, model, tol=1e-8, max_iter=5000)  # type: ignore[arg-type]
    moved = calibrate(LSAT7[rows][:, perm], model, tol=1e-8, max_iter=5000)  # type: ignore[arg-type]
    for j, item in zip(perm, moved.items, strict=True):
        assert abs(item.a - base.items[j].a) < 1e-5 and abs(item.b - base.items[j].b) < 1e-5
    assert abs(moved.log_likelihood - base.log_likelihood) < 1e-6


def test_a_two_category_graded_item_is_a_2pl_item() -> None:
    graded = calibrate(LSAT7, "GRM", tol=1e-8, max_iter=5000)
    binary = calibrate(LSAT7, "2PL", tol=1e-8, max_iter=5000)
    assert abs(graded.log_likelihood - binary.log_likelihood) < 1e-4
    for g, b in zip(graded.items, binary.items, strict=True):
        assert len(g.thresholds) == 1
        assert abs(g.a - b.a) < 1e-3 and abs(g.thresholds[0] - b.b) < 1e-3


@settings(max_examples=15, deadline=None)
@given(st.integers(1, 50), st.sampled_from(IRT_MODELS))
def test_persons_who_saw_nothing_change_nothing(extra: int, model: str) -> None:
    """Missing by design: a row of NaN has likelihood 1 at every θ and moves no parameter."""
    x = LSAT7[::4]
    padded = np.vstack([x, np.full((extra, 5), np.nan)])
    base = calibrate(x, model, max_iter=30, tol=0.0)  # type: ignore[arg-type]
    more = calibrate(padded, model, max_iter=30, tol=0.0)  # type: ignore[arg-type]
    for p, q in zip(base.items, more.items, strict=True):
        assert abs(p.a - q.a) < 1e-9 and abs(p.b - q.b) < 1e-9 and abs(p.c - q.c) < 1e-9
    assert abs(base.log_likelihood - more.log_likelihood) < 1e-6


@settings(max_examples=100, deadline=None)
@given(
    st.floats(0.05, 5.0),
    st.lists(st.floats(-5, 5), min_size=1, max_size=6, unique=True),
    st.lists(st.floats(-8, 8), min_size=1, max_size=30),
)
def test_graded_probabilities_are_a_distribution_shifting_up_with_theta(
    a: float, boundaries: list[float], thetas: list[float]
) -> None:
    nodes = np.sort(np.array(thetas))
    probs = graded_probabilities(nodes, a, np.sort(np.array(boundaries)))
    assert probs.shape == (len(boundaries) + 1, nodes.size)
    assert np.allclose(probs.sum(axis=0), 1.0, atol=1e-6)
    # the expected category rises with θ
    expected = np.arange(probs.shape[0]) @ probs
    assert np.all(np.diff(expected) >= -1e-9)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.lists(st.one_of(st.none(), st.sampled_from([0.0, 0.5, 1.0, 2.0, -1.0])), min_size=3),
        min_size=1,
        max_size=20,
    ).filter(lambda rows: len({len(r) for r in rows}) == 1)
)
def test_categories_from_points_keep_order_and_gaps(rows: list[list[float | None]]) -> None:
    points = np.array([[np.nan if v is None else v for v in r] for r in rows], dtype=np.float64)
    cats = categories_from_points(points)
    assert np.array_equal(np.isnan(cats), np.isnan(points))
    for j in range(points.shape[1]):
        seen = ~np.isnan(points[:, j])
        levels = np.unique(points[seen, j])
        assert set(cats[seen, j].tolist()) == set(range(levels.size))
        for i in np.flatnonzero(seen):
            for k in np.flatnonzero(seen):
                if points[i, j] < points[k, j]:
                    assert cats[i, j] < cats[k, j]
