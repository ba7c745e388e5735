"""Distractor analysis and time on item, over all sittings of an exam at once.

Choices come as a persons x items integer matrix of option indices (the item's own option
order, not the shuffled display order), -1 for no answer. Candidates are ranked by total
score and split into score groups: the upper and lower 27% (Kelley's classic split) or
thirds. A working distractor draws more of the lower group than of the upper one.
"""

from __future__ import annotations

from typing import Literal

import msgspec
import numpy as np
import numpy.typing as npt

from grading.irt import FloatArray

IntArray = npt.NDArray[np.int64]
GroupSplit = Literal["27%", "thirds"]


class DistractorAnalysis(msgspec.Struct, frozen=True):
    """shares[group][item][option]: the share of the group that chose the option.

    Options are 0..n_options-1, then one last column for "no answer". ``discrimination`` is
    the upper group's share minus the lower group's, per item and option (positive for the
    key, negative for a distractor that does its job).
    """

    groups: tuple[str, ...]
    group_sizes: tuple[int, ...]
    n_options: int
    shares: tuple[tuple[tuple[float, ...], ...], ...]
    overall: tuple[tuple[float, ...], ...]
    discrimination: tuple[tuple[float, ...], ...]


class ItemTimes(msgspec.Struct, frozen=True):
    """Seconds per item over the sittings that have a time for it (NaN when none do)."""

    mean: tuple[float, ...]
    median: tuple[float, ...]
    answered: tuple[int, ...]


def score_groups(totals: FloatArray, split: GroupSplit = "27%") -> list[IntArray]:
    """Person indices of each group, upper first. Ties are broken by position, stably."""
    n = totals.shape[0]
    order = np.argsort(-np.asarray(totals, dtype=np.float64), kind="stable").astype(np.int64)
    if split == "thirds":
        cut1, cut2 = round(n / 3), round(2 * n / 3)
        return [order[:cut1], order[cut1:cut2], order[cut2:]]
    # capped at half, so that with very few candidates the two groups never share anyone
    k = min(max(1, round(0.27 * n)), n // 2)
    return [order[:k], order[n - k :]]


def _shares(choices: IntArray, people: IntArray, n_options: int) -> FloatArray:
    """items x (options + 1) shares for a group, by one bincount over the whole block."""
    n_items = choices.shape[1]
    width = n_options + 1
    block = choices[people]
    # -1 (no answer) and anything out of range go to the last column
    col = np.where((block >= 0) & (block < n_options), block, n_options)
    flat = (np.arange(n_items)[np.newaxis, :] * width + col).ravel()
    counts = np.bincount(flat, minlength=n_items * width).reshape(n_items, width)
    shares: FloatArray = counts / max(len(people), 1)
    return shares


def distractor_analysis(
    choices: IntArray, totals: FloatArray, n_options: int, split: GroupSplit = "27%"
) -> DistractorAnalysis:
    choices = np.asarray(choices, dtype=np.int64)
    groups = score_groups(totals, split)
    names = ("upper", "lower") if split == "27%" else ("upper", "middle", "lower")
    per_group = [_shares(choices, g, n_options) for g in groups]
    everyone = _shares(choices, np.arange(choices.shape[0], dtype=np.int64), n_options)
    return DistractorAnalysis(
        groups=names,
        group_sizes=tuple(len(g) for g in groups),
        n_options=n_options,
        shares=tuple(_rows(s) for s in per_group),
        overall=_rows(everyone),
        discrimination=_rows(per_group[0] - per_group[-1]),
    )


def _rows(matrix: FloatArray) -> tuple[tuple[float, ...], ...]:
    return tuple(tuple(float(v) for v in row) for row in matrix)


def item_times(times: FloatArray) -> ItemTimes:
    """Mean and median seconds on each item; NaN entries (never opened) are left out."""
    t = np.asarray(times, dtype=np.float64)
    seen = ~np.isnan(t)
    answered = seen.sum(axis=0)
    total = np.where(seen, t, 0.0).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(answered > 0, total / np.maximum(answered, 1), np.nan)
    # nanmedian warns on all-NaN columns (warnings are errors in CI): give those a dummy 0
    safe = np.where(seen, t, np.nan)
    safe[:, answered == 0] = 0.0
    median = np.where(answered > 0, np.nanmedian(safe, axis=0), np.nan)
    return ItemTimes(
        mean=tuple(float(v) for v in mean),
        median=tuple(float(v) for v in median),
        answered=tuple(int(v) for v in answered),
    )
