"""Moodle quiz statistics, distractor analysis and times, against hand and independent sums."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from grading.distractors import distractor_analysis, item_times, score_groups
from grading.statistics import distribution, exam_statistics, internal_consistency

# 4 candidates x 3 one-point items, worked by hand below
SMALL = np.array([[1, 1, 1], [1, 1, 0], [1, 0, 0], [0, 0, 0]], dtype=np.float64)


def test_small_case_by_hand() -> None:
    stats = exam_statistics(SMALL, np.ones(3))
    # totals 3, 2, 1, 0: mean 1.5, sample variance 5/3
    assert stats.distribution.mean == 1.5
    assert stats.distribution.median == 1.5
    assert stats.distribution.sd == pytest.approx(math.sqrt(5 / 3))
    assert stats.distribution.skewness == pytest.approx(0.0)
    # item variances (n-1): 1/4, 1/3, 1/4 -> alpha = 3/2 (1 - (5/6)/(5/3)) = 0.75
    assert stats.cic_pct == pytest.approx(75.0)
    assert stats.error_ratio_pct == pytest.approx(50.0)
    assert stats.standard_error == pytest.approx(0.5 * math.sqrt(5 / 3))
    assert stats.items.facility_pct == pytest.approx((75.0, 50.0, 25.0))
    # item 1 vs rest (2, 1, 0, 0): covariance 1/4, variances 1/4 and 11/12
    r = 0.25 / math.sqrt(0.25 * 11 / 12)
    assert stats.items.discrimination_index_pct[0] == pytest.approx(100 * r)
    # item 1 is already perfectly ordered with its rest: efficiency 100%
    assert stats.items.discriminative_efficiency_pct[0] == pytest.approx(100.0)
    assert stats.items.intended_weight_pct == pytest.approx((100 / 3,) * 3)
    assert sum(stats.items.effective_weight_pct) == pytest.approx(100.0)


def test_an_item_nobody_gets_has_no_defined_discrimination() -> None:
    scores = np.array([[1, 0], [0, 0], [1, 0]], dtype=np.float64)
    stats = exam_statistics(scores, np.ones(2))
    assert stats.items.facility_pct[1] == 0.0
    assert math.isnan(stats.items.discrimination_index_pct[1])


def _alpha_from_covariance(x: np.ndarray) -> float:
    """Cronbach's alpha from the item covariance matrix: k/(k-1) (1 - tr(C) / sum(C))."""
    cov = np.cov(x, rowvar=False)
    k = cov.shape[0]
    return float(k / (k - 1) * (1 - np.trace(cov) / cov.sum()))


MATRICES = hnp.arrays(
    np.float64,
    st.tuples(st.integers(5, 40), st.integers(2, 8)),
    elements=st.sampled_from([0.0, 0.5, 1.0, 2.0]),
)


@settings(max_examples=60, deadline=None)
@given(MATRICES)
def test_statistics_agree_with_independent_formulas(x: np.ndarray) -> None:
    totals = x.sum(axis=1)
    if np.var(totals) == 0:
        assert math.isnan(internal_consistency(x))
        return
    assert internal_consistency(x) == pytest.approx(_alpha_from_covariance(x), abs=1e-9)
    stats = exam_statistics(x, np.full(x.shape[1], 2.0))
    for i in range(x.shape[1]):
        rest = totals - x[:, i]
        if np.std(x[:, i]) > 0 and np.std(rest) > 0:
            r = np.corrcoef(x[:, i], rest)[0, 1]
            assert stats.items.discrimination_index_pct[i] == pytest.approx(100 * r, abs=1e-7)
            assert stats.items.discriminative_efficiency_pct[i] <= 100.0 + 1e-7
        assert stats.items.facility_pct[i] == pytest.approx(100 * x[:, i].mean() / 2.0)
    n = len(totals)
    if n > 3 and np.std(totals) > 0:
        # the unbiased (k-statistic) estimators, as Moodle: compare with a direct sum
        m = totals.mean()
        s2 = ((totals - m) ** 2).sum() / (n - 1)
        g1 = n / ((n - 1) * (n - 2)) * (((totals - m) / math.sqrt(s2)) ** 3).sum()
        g2 = n * (n + 1) / ((n - 1) * (n - 2) * (n - 3)) * (
            ((totals - m) / math.sqrt(s2)) ** 4
        ).sum() - 3 * (n - 1) ** 2 / ((n - 2) * (n - 3))
        assert stats.distribution.skewness == pytest.approx(g1, abs=1e-9)
        assert stats.distribution.kurtosis == pytest.approx(g2, abs=1e-9)
    assert sum(stats.distribution.histogram.counts) == n


def test_histogram_and_empty_distribution() -> None:
    dist = distribution(np.array([0.0, 1, 1, 2, 10]), bins=np.array([0.0, 5, 10]))
    assert dist.histogram.counts == (4, 1)
    assert math.isnan(distribution(np.array([])).mean)


def test_distractor_shares_by_group() -> None:
    # 10 candidates, ranked by total; item 0 key is option 0, option 2 a good distractor
    totals = np.arange(10, 0, -1, dtype=np.float64)
    choices = np.array([[0], [0], [0], [1], [0], [2], [1], [2], [2], [-1]])
    result = distractor_analysis(choices, totals, n_options=3)
    assert result.group_sizes == (3, 3)  # 27% of 10, rounded
    assert result.shares[0][0] == pytest.approx((1.0, 0.0, 0.0, 0.0))
    assert result.shares[1][0] == pytest.approx((0.0, 0.0, 2 / 3, 1 / 3))
    assert result.discrimination[0][2] == pytest.approx(-2 / 3)
    assert result.overall[0] == pytest.approx((0.4, 0.2, 0.3, 0.1))
    thirds = distractor_analysis(choices, totals, 3, "thirds")
    assert thirds.groups == ("upper", "middle", "lower") and sum(thirds.group_sizes) == 10


@settings(max_examples=50, deadline=None)
@given(st.integers(1, 60), st.sampled_from(["27%", "thirds"]))
def test_score_groups_are_disjoint_and_ranked(n: int, split: str) -> None:
    totals = np.random.default_rng(n).integers(0, 10, n).astype(np.float64)
    groups = score_groups(totals, split)  # type: ignore[arg-type]
    flat = np.concatenate(groups)
    assert len(set(flat.tolist())) == len(flat)
    assert len(groups[0]) == len(groups[-1]) if split == "27%" else len(flat) == n
    if len(groups[0]) and len(groups[-1]):
        assert totals[groups[0]].min() >= totals[groups[-1]].max()


def test_item_times_skip_items_never_opened() -> None:
    times = np.array([[10.0, np.nan, np.nan], [20.0, 5.0, np.nan], [60.0, np.nan, np.nan]])
    result = item_times(times)
    assert result.mean[0] == pytest.approx(30.0) and result.median[0] == 20.0
    assert result.mean[1] == 5.0 and result.answered == (3, 1, 0)
    assert math.isnan(result.mean[2]) and math.isnan(result.median[2])


def test_negative_marking_divides_by_the_maximum_mark_as_moodle() -> None:
    """Moodle's calculator: facility = markaverage / maxmark, SD = sqrt(Σ(x - x̄)² / (s - 1)),
    shown as SD / maxmark — no minimum mark subtracted (question/classes/statistics/questions/
    calculator.php, initial_question_walker and secondary_question_walker)."""
    # +4 right, -1 wrong, 0 blank on one item; a second item to give a rest score
    x = np.array([[4.0, 1.0], [-1.0, 0.0], [4.0, 1.0], [0.0, 1.0], [-1.0, 0.0]])
    stats = exam_statistics(x, np.array([4.0, 1.0]))
    markaverage = (4 - 1 + 4 + 0 - 1) / 5  # 1.2
    sd = math.sqrt(sum((v - markaverage) ** 2 for v in x[:, 0]) / 4)
    assert stats.items.facility_pct[0] == pytest.approx(100 * markaverage / 4)  # 30%, not 44%
    assert stats.items.sd_pct[0] == pytest.approx(100 * sd / 4)


@settings(max_examples=60, deadline=None)
@given(MATRICES, st.integers(0, 2**32 - 1))
def test_items_missing_by_design_are_taken_over_those_who_had_them(
    x: np.ndarray, seed: int
) -> None:
    """Each item's figures equal the complete-data formulas on the persons given that item,
    with each person's total over their own paper."""
    rng = np.random.default_rng(seed)
    drawn = np.where(rng.random(x.shape) < 0.3, np.nan, x)
    stats = exam_statistics(drawn, np.full(x.shape[1], 2.0))
    totals = np.nansum(drawn, axis=1)
    for i in range(x.shape[1]):
        had = ~np.isnan(drawn[:, i])
        xi, rest = drawn[had, i], totals[had] - drawn[had, i]
        if had.sum() == 0:
            assert math.isnan(stats.items.facility_pct[i])
            continue
        assert stats.items.facility_pct[i] == pytest.approx(100 * xi.mean() / 2.0)
        if had.sum() > 1:
            assert stats.items.sd_pct[i] == pytest.approx(100 * np.std(xi, ddof=1) / 2.0)
        if had.sum() > 1 and np.std(xi) > 0 and np.std(rest) > 0:
            r = np.corrcoef(xi, rest)[0, 1]
            assert stats.items.discrimination_index_pct[i] == pytest.approx(100 * r, abs=1e-7)
            assert stats.items.discriminative_efficiency_pct[i] <= 100.0 + 1e-7


@settings(max_examples=60, deadline=None)
@given(MATRICES)
def test_standardised_alpha_is_cronbachs_alpha_when_nothing_is_missing(x: np.ndarray) -> None:
    """The incomplete-design formula, fed a complete matrix through its pairwise path, is the
    usual alpha (one NaN row added: a person given nothing, who changes no figure)."""
    alpha = internal_consistency(x)
    padded = np.vstack([x, np.full((1, x.shape[1]), np.nan)])
    pairwise = internal_consistency(padded)
    if math.isnan(alpha):
        return
    # the padded row lowers the mean paper length, so compare with the same length
    length = x.shape[1] * x.shape[0] / (x.shape[0] + 1)
    cov = np.cov(x, rowvar=False)
    k = x.shape[1]
    v_bar, c_bar = np.trace(cov) / k, (cov.sum() - np.trace(cov)) / (k * (k - 1))
    assert alpha == pytest.approx(k * c_bar / (v_bar + (k - 1) * c_bar), abs=1e-9)
    if length >= 2 and v_bar + (length - 1) * c_bar > 0:
        assert pairwise == pytest.approx(length * c_bar / (v_bar + (length - 1) * c_bar), abs=1e-9)
