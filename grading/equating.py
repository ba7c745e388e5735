"""Equating the forms of one event: every sitting's ability on the reference form's scale.

The forms are calibrated together (concurrent calibration): one matrix of every sitting by
every item of any form, the items a sitting's form lacks missing by design, one population
per form. The first form's population is N(0, 1); every other form's population mean and SD
are estimated with the items, the common items carrying the link. A form sharing no item with
any other form cannot be linked by its items: it is taken as a random sample of the reference
population (the randomly-equivalent-groups design, which the allocator's balanced spreading
of forms within rooms supports) and the report says so.

Beside it, each linked form is also calibrated on its own and linked to the reference form by
Stocking–Lord through the items the two share (``grading.linking``), with bootstrap standard
errors: the constants a psychometrician checks the concurrent scale against.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import msgspec
import numpy as np

from grading.calibration import calibrate
from grading.graded import categories_from_points
from grading.irt import (
    POLYTOMOUS_MODELS,
    FloatArray,
    IrtModel,
    ItemParameters,
    mixed_log_likelihood,
    posterior_summary,
)
from grading.linking import LinkingConstants, link_forms

Design = Literal["reference", "common items", "random groups"]


class FormEquating(msgspec.Struct, frozen=True):
    form: int
    design: Design
    persons: int
    items: int
    # items shared with the reference form (the Stocking–Lord link) and with any other form
    common_with_reference: int
    common_with_others: int
    # the form's population on the reference scale (concurrent calibration)
    population_mean: float
    population_sd: float
    # θ_reference = slope·θ_form + intercept from the form's own calibration (None: no link)
    stocking_lord: LinkingConstants | None


class EventEquating(msgspec.Struct, frozen=True):
    model: IrtModel
    item_ids: tuple[str, ...]
    items: tuple[ItemParameters, ...]
    forms: tuple[FormEquating, ...]
    iterations: int
    converged: bool
    log_likelihood: float
    # one per sitting, forms in order: θ on the reference scale and its posterior SD
    theta: FloatArray
    se: FloatArray


def _union(form_items: Sequence[Sequence[str]]) -> list[str]:
    seen: dict[str, None] = {}
    for items in form_items:
        for item in items:
            seen.setdefault(item, None)
    return list(seen)


def equate_forms(
    forms: Sequence[FloatArray],
    form_items: Sequence[Sequence[str]],
    model: IrtModel = "2PL",
    *,
    replicates: int = 20,
    seed: int = 0,
) -> EventEquating:
    """Concurrent calibration of the forms (persons x the form's items, NaN not presented),
    every sitting's EAP θ on the first form's scale, and each form's Stocking–Lord link.

    For the polytomous models (``GRM``, ``GPCM``, ``PCM``) the forms give points: the categories
    are the distinct point values of an item across every form, so a common item has the same
    categories on each.
    """
    item_ids = _union(form_items)
    column = {item: j for j, item in enumerate(item_ids)}
    sets = [set(items) for items in form_items]
    rows = sum(f.shape[0] for f in forms)
    matrix = np.full((rows, len(item_ids)), np.nan)
    groups = np.zeros(rows, dtype=np.int64)
    designs: list[Design] = []
    start = 0
    others = [set().union(*(s for i, s in enumerate(sets) if i != k)) for k in range(len(sets))]
    for k, (responses, items) in enumerate(zip(forms, form_items, strict=True)):
        linked = k > 0 and bool(sets[k] & others[k])
        designs.append("reference" if k == 0 else "common items" if linked else "random groups")
        stop = start + responses.shape[0]
        matrix[start:stop, [column[i] for i in items]] = responses
        groups[start:stop] = k if linked else 0
        start = stop
    if model in POLYTOMOUS_MODELS:
        matrix = categories_from_points(matrix)
    # groups must be numbered 0..G-1 for the fit: renumber the linked forms
    linked_forms = sorted({int(g) for g in groups})
    index = {g: n for n, g in enumerate(linked_forms)}
    fit = calibrate(matrix, model, groups=np.array([index[int(g)] for g in groups]))
    nodes = np.linspace(-6.0, 6.0, 121)
    log_lik = mixed_log_likelihood(matrix, fit.items, nodes)
    theta, se = np.empty(rows), np.empty(rows)
    summaries = []
    bounds = np.cumsum([0] + [f.shape[0] for f in forms])

    def own(k: int) -> FloatArray:
        """Form k's sittings and items, as the fit saw them."""
        block: FloatArray = matrix[bounds[k] : bounds[k + 1], [column[i] for i in form_items[k]]]
        return block

    start = 0
    for k, responses in enumerate(forms):
        stop = start + responses.shape[0]
        population = fit.groups[index[k]] if designs[k] == "common items" else fit.groups[0]
        # the form's own population is the prior of its sittings' θ
        weights = np.exp(-0.5 * ((nodes - population.mean) / population.sd) ** 2)
        estimates = posterior_summary(log_lik[start:stop], nodes, weights / weights.sum())
        theta[start:stop], se[start:stop] = estimates.theta, estimates.se
        shared = [i for i in form_items[k] if i in sets[0]] if k > 0 else []
        link = None
        if designs[k] == "common items" and len(shared) >= 2:
            link = link_forms(
                own(0),
                own(k),
                [(list(form_items[0]).index(i), list(form_items[k]).index(i)) for i in shared],
                model,
                replicates=replicates,
                seed=seed + k,
            ).constants
        summaries.append(
            FormEquating(
                form=k,
                design=designs[k],
                persons=responses.shape[0],
                items=len(form_items[k]),
                common_with_reference=len(shared) if k > 0 else len(form_items[0]),
                common_with_others=len(sets[k] & others[k]),
                population_mean=population.mean,
                population_sd=population.sd,
                stocking_lord=link,
            )
        )
        start = stop
    return EventEquating(
        model=model,
        item_ids=tuple(item_ids),
        items=fit.items,
        forms=tuple(summaries),
        iterations=fit.iterations,
        converged=fit.converged,
        log_likelihood=fit.log_likelihood,
        theta=theta,
        se=se,
    )
