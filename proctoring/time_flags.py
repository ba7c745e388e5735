"""Flags from the answer times: response-time person fit (van der Linden), preknowledge
(proctoring/preknowledge.py) and rapid guessing (NT10 and response-time effort)."""

from __future__ import annotations

import numpy as np

from proctoring import response_time
from proctoring.flags import AnswerEvidence, Flag
from proctoring.preknowledge import preknowledge
from proctoring.stats import FloatArray
from proctoring.thresholds import Thresholds

_TOP = 20  # evidence items per flag: enough to judge, short enough to read


def time_flags(
    sittings: list[str],
    labels: list[str],
    times: FloatArray,
    scores: FloatArray,
    items: tuple[FloatArray, FloatArray, FloatArray],
    th: Thresholds,
) -> list[Flag]:
    """Response-time fit, preknowledge and rapid guessing, as flags with their evidence."""
    flags: list[Flag] = []
    a, b, c = items
    fit, tau = response_time.fit_lognormal(times)
    z = response_time.residuals(times, fit, tau)
    expected = np.exp(np.asarray(fit.beta)[None, :] - tau[:, None])
    lt, df, p_lt = response_time.rt_person_fit(z)
    for n in np.flatnonzero(p_lt < th.rt_alpha):
        worst = np.argsort(-np.nan_to_num(np.abs(z[n]), nan=-1.0))[:_TOP]
        flags.append(
            Flag(
                sitting=sittings[n],
                rule="response_time_misfit",
                kind="test",
                statistic=float(lt[n]),
                threshold=th.rt_alpha,
                p_value=float(p_lt[n]),
                evidence=tuple(
                    AnswerEvidence(
                        labels[i],
                        seconds=float(times[n, i]),
                        expected_seconds=float(expected[n, i]),
                    )
                    for i in worst
                ),
                note=(
                    f"response times unlike this student's own pace: sum of squared "
                    f"log-time residuals {lt[n]:.1f} on {df[n]:.0f} degrees of freedom "
                    f"(p = {p_lt[n]:.2g}); the most unusual times listed first"
                ),
            )
        )
    pk = preknowledge(
        times,
        scores,
        a,
        b,
        c,
        cut=th.fast_residual_z,
        nt_fraction=th.nt_fraction,
        nt_cap_s=th.nt_cap_s,
    )
    for n in np.flatnonzero(pk.p_value < th.preknowledge_alpha):
        fast_right = np.flatnonzero(pk.fast[n] & (scores[n] == 1.0))
        flags.append(
            Flag(
                sitting=sittings[n],
                rule="preknowledge",
                kind="test",
                statistic=float(pk.right_fast[n]),
                threshold=th.preknowledge_alpha,
                p_value=float(pk.p_value[n]),
                evidence=tuple(
                    AnswerEvidence(
                        labels[i],
                        correct=True,
                        seconds=float(times[n, i]),
                        expected_seconds=float(pk.expected_seconds[n, i]),
                    )
                    for i in fast_right[:_TOP]
                ),
                note=(
                    f"right on {int(pk.right_fast[n])} of {int(pk.fast[n].sum())} answers "
                    f"unexpectedly fast for this student, where their ability on the other "
                    f"answers predicts {pk.expected[n]:.1f} (p = {pk.p_value[n]:.2g}); "
                    f"{int(pk.rapid[n].sum())} rapid guesses left out"
                ),
            )
        )
    nt = response_time.rapid_thresholds(times, th.nt_fraction, th.nt_cap_s)
    rte = response_time.response_time_effort(times, nt)
    timed_n = (~np.isnan(times)).sum(axis=1)
    for n in np.flatnonzero((rte < th.rte_min) & (timed_n >= th.rte_min_items)):
        rapid = np.flatnonzero(np.nan_to_num(times[n], nan=np.inf) < nt)[:_TOP]
        flags.append(
            Flag(
                sitting=sittings[n],
                rule="rapid_guessing",
                kind="behaviour",
                statistic=float(rte[n]),
                threshold=th.rte_min,
                direction="below",
                evidence=tuple(
                    AnswerEvidence(
                        labels[i],
                        seconds=float(times[n, i]),
                        expected_seconds=float(nt[i] / th.nt_fraction),
                    )
                    for i in rapid
                ),
            )
        )
    return flags
