"""Item and test statistics with the definitions of Moodle's quiz statistics report.

Everything is computed at once over an exam's score matrix (persons x items, item points,
NaN = the item was not on that person's paper). Moodle reports most figures as percentages;
so does this module, and the names say so. Variances and covariances use n - 1.

Item i has marks x_i with maximum max_i, a person's total T is the sum of the marks on their
own paper and the rest of the test is X_i = T - x_i. As Moodle's question statistics
calculator (question/classes/statistics/questions/calculator.php) computes them: facility =
mean(x_i) / max_i and SD = sd(x_i) / max_i — divided by the maximum mark even when negative
marking lets a mark fall below 0 (Moodle does not subtract a minimum); discrimination index =
r(x_i, X_i); discriminative efficiency = C(x_i, X_i) / C_max(x_i, X_i), where C_max pairs the
sorted x_i with the sorted X_i (the largest covariance those marginals allow); coefficient of
internal consistency = P/(P-1) (1 - sum V(x_i) / V(T)) (KR-20 for 0/1 items, Cronbach's
alpha in general); error ratio = sqrt(1 - CIC); standard error = error ratio x SD(T).

Papers drawn per person from a pool, or forms sharing some items, leave items missing by
design: every item's figures are then taken over the persons who were given it (as Moodle
does for a random question's sub-questions), and the internal consistency is the
standardised form of alpha, P·c̄ / (v̄ + (P - 1)·c̄), from the mean item variance v̄, the mean
covariance c̄ of the item pairs seen together and P the mean paper length — with nothing
missing that is Cronbach's alpha exactly.
"""

from __future__ import annotations

import msgspec
import numpy as np

from grading.irt import FloatArray


class ItemStatistics(msgspec.Struct, frozen=True):
    """One value per item, in the matrix's column order. NaN where undefined (no spread)."""

    facility_pct: tuple[float, ...]
    sd_pct: tuple[float, ...]
    discrimination_index_pct: tuple[float, ...]
    discriminative_efficiency_pct: tuple[float, ...]
    intended_weight_pct: tuple[float, ...]
    effective_weight_pct: tuple[float, ...]
    mean_points: tuple[float, ...]


class Histogram(msgspec.Struct, frozen=True):
    edges: tuple[float, ...]
    counts: tuple[int, ...]


class ScoreDistribution(msgspec.Struct, frozen=True):
    n: int
    mean: float
    median: float
    sd: float
    skewness: float
    # excess kurtosis (0 for a normal distribution), as Moodle reports it
    kurtosis: float
    minimum: float
    maximum: float
    histogram: Histogram


class ExamStatistics(msgspec.Struct, frozen=True):
    distribution: ScoreDistribution
    cic_pct: float
    error_ratio_pct: float
    standard_error: float
    items: ItemStatistics


def _tuple(values: FloatArray) -> tuple[float, ...]:
    return tuple(float(v) for v in values)


def _column_cov(x: FloatArray, y: FloatArray) -> FloatArray:
    """Covariance of every column of x with the same column of y (n - 1), over the rows where
    both are present (NaN elsewhere): one value per column."""
    both = ~(np.isnan(x) | np.isnan(y))
    n = both.sum(axis=0)
    xs, ys = np.where(both, x, 0.0), np.where(both, y, 0.0)
    safe = np.maximum(n, 1)
    xc = np.where(both, xs - xs.sum(axis=0) / safe, 0.0)
    yc = np.where(both, ys - ys.sum(axis=0) / safe, 0.0)
    cov: FloatArray = np.where(n > 1, (xc * yc).sum(axis=0) / np.maximum(n - 1, 1), np.nan)
    return cov


def _ratio(num: FloatArray, den: FloatArray) -> FloatArray:
    with np.errstate(divide="ignore", invalid="ignore"):
        out: FloatArray = np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)
    return out


def distribution(totals: FloatArray, bins: int | FloatArray = 20) -> ScoreDistribution:
    """Mean, median, SD, skewness and kurtosis (k-statistics, as Moodle) and a histogram."""
    t = np.asarray(totals, dtype=np.float64)
    n = t.size
    if n == 0:
        empty = Histogram(edges=(), counts=())
        nan = float("nan")
        return ScoreDistribution(0, nan, nan, nan, nan, nan, nan, nan, empty)
    d = t - t.mean()
    m2, m3, m4 = (float(np.mean(d**k)) for k in (2, 3, 4))
    k2 = n * m2 / (n - 1) if n > 1 else float("nan")
    skew = kurt = float("nan")
    if n > 2 and m2 > 0:
        k3 = n * n * m3 / ((n - 1) * (n - 2))
        skew = k3 / k2**1.5
    if n > 3 and m2 > 0:
        k4 = n**2 / ((n - 1) * (n - 2) * (n - 3)) * ((n + 1) * m4 - 3 * (n - 1) * m2 * m2)
        kurt = k4 / (k2 * k2)
    counts, edges = np.histogram(t, bins=bins)
    return ScoreDistribution(
        n=n,
        mean=float(t.mean()),
        median=float(np.median(t)),
        sd=float(np.sqrt(k2)),
        skewness=float(skew),
        kurtosis=float(kurt),
        minimum=float(t.min()),
        maximum=float(t.max()),
        histogram=Histogram(edges=_tuple(edges), counts=tuple(int(c) for c in counts)),
    )


def item_statistics(scores: FloatArray, max_points: FloatArray) -> ItemStatistics:
    """Every item's Moodle figures, each over the persons whose paper had the item."""
    x = np.asarray(scores, dtype=np.float64)
    hi = np.asarray(max_points, dtype=np.float64)
    seen = ~np.isnan(x)
    total = np.nan_to_num(x).sum(axis=1)
    totals = np.where(seen, total[:, np.newaxis], np.nan)
    rest = totals - x
    var_x = _column_cov(x, x)
    var_rest = _column_cov(rest, rest)
    cov_rest = _column_cov(x, rest)
    # the best covariance the two marginal distributions allow: both sorted the same way
    # (np.sort puts NaN last, so each column's presented values stay paired)
    cov_max = _column_cov(np.sort(x, axis=0), np.sort(rest, axis=0))
    cov_total = _column_cov(x, totals)
    # Moodle leaves the effective weight out when an item's covariance with T is negative
    root = np.sqrt(np.where(cov_total >= 0, cov_total, np.nan))
    root_sum = float(np.nansum(root))
    with np.errstate(invalid="ignore"):
        mean = np.where(seen.any(axis=0), np.nansum(x, axis=0) / np.maximum(seen.sum(0), 1), np.nan)
    return ItemStatistics(
        facility_pct=_tuple(100.0 * _ratio(mean, hi)),
        sd_pct=_tuple(100.0 * _ratio(np.sqrt(var_x), hi)),
        discrimination_index_pct=_tuple(100.0 * _ratio(cov_rest, np.sqrt(var_x * var_rest))),
        discriminative_efficiency_pct=_tuple(100.0 * _ratio(cov_rest, cov_max)),
        intended_weight_pct=_tuple(100.0 * hi / hi.sum() if hi.sum() > 0 else hi * np.nan),
        effective_weight_pct=_tuple(100.0 * root / root_sum if root_sum > 0 else root * np.nan),
        mean_points=_tuple(mean),
    )


def internal_consistency(scores: FloatArray) -> float:
    """Cronbach's alpha (KR-20 for 0/1 items) as a fraction; NaN when undefined.

    With items missing by design, the standardised form over the pairs seen together (the
    module's docstring); with nothing missing, the usual formula.
    """
    x = np.asarray(scores, dtype=np.float64)
    n_items = x.shape[1]
    if n_items < 2 or x.shape[0] < 2:
        return float("nan")
    seen = ~np.isnan(x)
    if seen.all():
        var_total = float(np.var(x.sum(axis=1), ddof=1))
        if var_total <= 0:
            return float("nan")
        item_var = float(np.var(x, axis=0, ddof=1).sum())
        return float(n_items / (n_items - 1) * (1.0 - item_var / var_total))
    cov = _pairwise_cov(x, seen)
    variances = np.diag(cov)
    off = cov[~np.eye(n_items, dtype=bool)]
    variances, off = variances[np.isfinite(variances)], off[np.isfinite(off)]
    if variances.size == 0 or off.size == 0:
        return float("nan")
    v_bar, c_bar = float(variances.mean()), float(off.mean())
    length = float(seen.sum(axis=1).mean())
    denominator = v_bar + (length - 1.0) * c_bar
    if not np.isfinite(denominator) or denominator <= 0 or length < 2:
        return float("nan")
    return float(length * c_bar / denominator)


def _pairwise_cov(x: FloatArray, seen: FloatArray) -> FloatArray:
    """Item covariance matrix (n - 1), each pair over the persons who had both (NaN if < 2)."""
    w = seen.astype(np.float64)
    x0 = np.where(seen, x, 0.0)
    n = w.T @ w
    sum_x = x0.T @ w  # [i, j]: sum of item i over persons who had i and j
    sum_xy = x0.T @ x0
    with np.errstate(divide="ignore", invalid="ignore"):
        cov: FloatArray = (sum_xy - sum_x * sum_x.T / n) / (n - 1)
    cov[n < 2] = np.nan
    return cov


def exam_statistics(
    scores: FloatArray, max_points: FloatArray, *, bins: int | FloatArray = 20
) -> ExamStatistics:
    """Every item and test statistic of an exam from its persons x items score matrix
    (NaN: the item was not on that person's paper)."""
    x = np.asarray(scores, dtype=np.float64)
    dist = distribution(np.nan_to_num(x).sum(axis=1), bins)
    alpha = internal_consistency(x)
    error_ratio = float(np.sqrt(1.0 - alpha)) if alpha <= 1.0 else float("nan")
    return ExamStatistics(
        distribution=dist,
        cic_pct=100.0 * alpha,
        error_ratio_pct=100.0 * error_ratio,
        standard_error=error_ratio * dist.sd,
        items=item_statistics(x, max_points),
    )
