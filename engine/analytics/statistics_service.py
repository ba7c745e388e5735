"""Item analysis and test statistics of an exam, vectorised over all its graded sittings."""

from __future__ import annotations

import asyncio
import math
import uuid
from typing import Any, Protocol

import asyncpg
import msgspec
import numpy as np
from prometheus_client import Counter

from engine.analytics import repository, statistics_cache
from engine.analytics.item_warnings import SEVERITY, item_warnings, suspect_option
from engine.analytics.models import ExamStatisticsView, ItemAnalysis, OptionShare
from engine.analytics.repository import SittingTexts
from engine.analytics.scope import ExamScope, exam_scope, item_order
from engine.kernel.principal import Principal
from engine.kernel.sql import Connection, Pool
from engine.ports import WithCpu, WithPool, WithRedis, WithSettings
from engine.redis_adapter import results_version
from grading.distractors import distractor_analysis
from grading.outcomes import PassMark
from grading.statistics import exam_statistics


class Needs(WithCpu, WithPool, WithRedis, WithSettings, Protocol):
    """What this module's services use of the process's collaborators (engine/ports.py)."""


# every computation (a cache miss) counts here: the cache's tests read it, and so can operators
STATISTICS_COMPUTED = Counter(
    "ujian_statistics_computed_total", "Exam statistics computed (cache misses)"
)
# computations under way in this process, by (exam, scope, results version)
_in_flight: dict[tuple[uuid.UUID, uuid.UUID | None, int], asyncio.Future[ExamStatisticsView]] = {}


def _value(x: float) -> float | None:
    return None if x is None or math.isnan(x) else float(x)


async def _load(pool: Pool, scope: ExamScope) -> dict[str, Any]:
    """The per-exam inputs (items, times, parameters: small), as plain data for a worker."""
    order = item_order(scope)
    async with pool.acquire() as conn:
        contents = await repository.item_contents(
            conn, [(uuid.UUID(i), v) for i, _, v in order], scope.exam_id
        )
        times = await repository.mean_time_on_item(conn, scope.exam_id, scope.org_filter)
        parameters = await repository.latest_item_parameters(conn, scope.exam_id)
        pass_mark = await repository.pass_mark_of_version(conn, scope.version_id)
    return {
        "pass_mark": pass_mark,
        "order": order,
        "contents": {
            str(c.item_id): {
                "kind": c.kind,
                "content": c.content,
                "answer_key": c.answer_key,
                "key_fixed": c.key_fixed,
            }
            for c in contents
        },
        "times": times,
        "parameters": {
            p.item_id: {"a": p.a, "b": p.b, "c": p.c, "thresholds": p.thresholds}
            for p in parameters
        },
    }


class _Points(msgspec.Struct):
    points: float


_item_points = msgspec.json.Decoder(dict[str, _Points])
_choices_of = msgspec.json.Decoder(dict[str, str | None])


def _matrices(
    order: list[tuple[str, str, int]], results: SittingTexts, contents: dict[str, Any]
) -> tuple[np.ndarray, np.ndarray]:
    """persons × items points (NaN: not on that sitting's paper) and every item's maximum."""
    index = {item_id: j for j, (item_id, _, _) in enumerate(order)}
    scores = np.full((len(results.texts), len(order)), np.nan)
    for i, items in enumerate(results.texts):
        for item_id, score in _item_points.decode(items).items():
            if item_id in index:
                scores[i, index[item_id]] = score.points
    max_points = np.array([float(contents[i]["content"].get("points", 1.0)) for i, _, _ in order])
    return scores, max_points


def _option_shares(
    data: dict[str, Any], totals: np.ndarray, sitting_index: dict[Any, int]
) -> dict[str, list[OptionShare]]:
    """Choice shares per option of every single-choice item, overall and by score group."""
    order, contents = data["order"], data["contents"]
    choice_items = [i for i, _, _ in order if contents[i]["kind"] == "single_choice"]
    if not choice_items or len(totals) < 3:
        return {}
    options = {i: [o["id"] for o in contents[i]["content"]["options"]] for i in choice_items}
    width = max(len(o) for o in options.values())
    column = {item_id: j for j, item_id in enumerate(choice_items)}
    choices = np.full((len(totals), len(choice_items)), -1, dtype=np.int64)
    for sitting_id, chosen in zip(data["choices"].sitting_ids, data["choices"].texts, strict=True):
        person = sitting_index.get(sitting_id)
        if person is None:
            continue
        for item_id, choice in _choices_of.decode(chosen).items():
            j = column.get(item_id)
            if j is None:
                continue
            ids = options[choice_items[j]]
            if choice in ids:
                choices[person, j] = ids.index(choice)
    analysis = distractor_analysis(choices, totals, width)
    shares: dict[str, list[OptionShare]] = {}
    for item_id, j in column.items():
        content = contents[item_id]
        correct = content["answer_key"].get("correct")
        shares[item_id] = [
            OptionShare(
                id=o["id"],
                text=o["text"],
                correct=o["id"] == correct,
                share_all=analysis.overall[j][k],
                share_upper=analysis.shares[0][j][k],
                share_lower=analysis.shares[-1][j][k],
            )
            for k, o in enumerate(content["content"]["options"])
        ]
    return shares


async def compute_statistics(
    svc: Needs, principal: Principal, exam_id: uuid.UUID
) -> ExamStatisticsView:
    """The exam's statistics for this person's scope: from the cache while no result has
    changed (engine/redis_adapter/results_version.py), else computed in the analysis lane."""
    scope = await exam_scope(svc.pool, principal, exam_id)
    namespace = svc.settings.redis_namespace
    version = await results_version.current(svc.redis, namespace, exam_id)
    view = await statistics_cache.cached(svc.redis, namespace, exam_id, scope.org_filter, version)
    if view is not None:
        return view
    key = (exam_id, scope.org_filter, version)
    running = _in_flight.get(key)
    if running is not None:
        # the same figures are being computed for someone else: wait for them (single flight)
        return await asyncio.shield(running)
    computing = asyncio.ensure_future(_compute(svc, scope, version))
    _in_flight[key] = computing
    computing.add_done_callback(lambda _: _in_flight.pop(key, None))
    return await asyncio.shield(computing)


async def _compute(svc: Needs, scope: ExamScope, version: int) -> ExamStatisticsView:
    exam_id, namespace = scope.exam_id, svc.settings.redis_namespace
    data = await _load(svc.pool, scope)
    if svc.cpu.inline_for("statistics"):
        async with svc.pool.acquire() as conn:
            rows = await _per_sitting(conn, exam_id, scope.org_filter)
        view = build_from_rows(exam_id, data, rows)
    else:
        view = await svc.cpu.run(
            "statistics",
            build_statistics,
            svc.settings.database_url,
            exam_id,
            scope.org_filter,
            data,
        )
    STATISTICS_COMPUTED.inc()
    await statistics_cache.store(svc.redis, namespace, exam_id, scope.org_filter, version, view)
    return view


# each graded sitting's item scores, and its latest choices
PerSitting = tuple[SittingTexts, SittingTexts]


async def _per_sitting(
    conn: Connection, exam_id: uuid.UUID, org_filter: uuid.UUID | None
) -> PerSitting:
    return (
        await repository.graded_items_text(conn, exam_id, org_filter),
        await repository.latest_choices_text(conn, exam_id, org_filter),
    )


async def _read_per_sitting(
    dsn: str, exam_id: uuid.UUID, org_filter: uuid.UUID | None
) -> PerSitting:
    conn = await asyncpg.connect(dsn)
    try:
        return await _per_sitting(conn, exam_id, org_filter)
    finally:
        await conn.close()


def build_statistics(
    dsn: str, exam_id: uuid.UUID, org_filter: uuid.UUID | None, data: dict[str, Any]
) -> ExamStatisticsView:
    """The whole job, in a worker process: it reads the per-sitting rows itself (one row per
    sitting: sending them from the API process would pickle tens of MB there, holding the GIL
    for a tenth of a second and more), then computes."""
    rows = asyncio.run(_read_per_sitting(dsn, exam_id, org_filter))
    return build_from_rows(exam_id, data, rows)


def build_from_rows(
    exam_id: uuid.UUID, data: dict[str, Any], rows: PerSitting
) -> ExamStatisticsView:
    """The pure, CPU-heavy part."""
    results, choices = rows
    data = {**data, "choices": choices}
    order, contents = data["order"], data["contents"]
    scores, max_points = _matrices(order, results, contents)
    n = len(results.texts)
    stats = exam_statistics(scores, max_points) if n >= 2 else None
    totals = np.nan_to_num(scores).sum(axis=1)
    sitting_index = {sitting_id: i for i, sitting_id in enumerate(results.sitting_ids)}
    shares = _option_shares(data, totals, sitting_index) if n >= 3 else {}
    items = []
    for j, (item_id, section, _) in enumerate(order):
        content = contents[item_id]
        facility = _value(stats.items.facility_pct[j]) if stats else None
        discrimination = _value(stats.items.discrimination_index_pct[j]) if stats else None
        parameters = data["parameters"].get(item_id)
        warnings = item_warnings(facility, discrimination, shares.get(item_id), n)
        items.append(
            ItemAnalysis(
                item_id=item_id,
                position=j + 1,
                section=section,
                kind=content["kind"],
                stem=str(content["content"].get("stem", ""))[:200],
                max_points=float(max_points[j]),
                facility_pct=facility,
                sd_pct=_value(stats.items.sd_pct[j]) if stats else None,
                discrimination_index_pct=discrimination,
                discriminative_efficiency_pct=(
                    _value(stats.items.discriminative_efficiency_pct[j]) if stats else None
                ),
                mean_time_s=_value(data["times"].get(item_id)),
                options=shares.get(item_id),
                warnings=warnings,
                severity=SEVERITY[warnings[0]] if warnings else 0,
                suspect_option=suspect_option(shares.get(item_id)) if warnings else None,
                key_fixed=bool(content.get("key_fixed")),
                irt_a=parameters["a"] if parameters else None,
                irt_b=parameters["b"] if parameters else None,
                irt_c=parameters["c"] if parameters else None,
                irt_thresholds=parameters["thresholds"] if parameters else None,
            )
        )
    return ExamStatisticsView(
        exam_id=exam_id,
        sittings=n,
        distribution=stats.distribution if stats else None,
        cic_pct=_value(stats.cic_pct) if stats else None,
        error_ratio_pct=_value(stats.error_ratio_pct) if stats else None,
        standard_error=_value(stats.standard_error) if stats else None,
        items=items,
        max_points=float(max_points.sum()),
        pass_mark=msgspec.convert(data["pass_mark"], PassMark) if data.get("pass_mark") else None,
    )
