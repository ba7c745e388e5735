"""Rules for items and exams: authoring, publishing (which compiles the paper), assignment."""

from __future__ import annotations

import secrets
import uuid
from typing import Any

import msgspec

from engine.accounts.scope import orgs_reached
from engine.auth.principal import Principal
from engine.exams.models import (
    Assignments,
    Exam,
    ExamCreate,
    ExamSpec,
    ItemCreated,
    ItemRef,
    SectionSpec,
)
from engine.exams.repository import (
    ASSIGNED_ORGS,
    INSERT_ASSIGNMENT,
    INSERT_EXAM,
    INSERT_EXAM_VERSION,
    KEY_CORRECTIONS,
    PUBLISH_VERSION,
    VERSION_BY_ID,
    ExamRepository,
)
from engine.problems import conflict, forbidden, not_found, validation_failed
from grading.outcomes import ScoringPolicy, Section
from grading.types import ItemKey
from question_bank import service as question_bank_service
from question_bank.banks import BlueprintResolve, resolve_blueprint
from question_bank.cache import FragmentCache, PaperCache
from question_bank.items import ItemCreate, StudentItem
from question_bank.paper import CompiledItem, CompiledPaper, assemble_paper, compile_item


async def create_item(pool: Any, principal: Principal, item: ItemCreate) -> ItemCreated:
    """A draft item (the question bank owns items; kept here for the demo and old callers)."""
    saved = await question_bank_service.create_item(pool, principal, item)
    return ItemCreated(id=saved.id, version=saved.version, kind=saved.kind)


async def create_exam(pool: Any, principal: Principal, data: ExamCreate) -> Exam:
    # the window is aware, sane and in order: ExamCreate checks it as it is decoded
    principal.require_staff()
    picked = await _blueprint_picks(pool, principal, data)
    listed = [i for s in data.sections for i in s.items]
    wanted = listed + [ref.id for refs in picked.values() for ref in refs]
    if len(set(wanted)) != len(wanted):
        raise validation_failed("an item appears more than once in the exam")
    exam_id, version_id = uuid.uuid4(), uuid.uuid4()
    async with pool.acquire() as conn, conn.transaction():
        repo = ExamRepository(conn)
        versions = await repo.latest_item_versions(listed, principal.org_id)
        missing = [str(i) for i in listed if i not in versions]
        if missing:
            raise validation_failed(
                "unknown items",
                [{"field": "sections", "message": f"no such item: {m}"} for m in missing[:20]],
            )
        versions.update({ref.id: ref.version for refs in picked.values() for ref in refs})
        spec = ExamSpec(
            sections=[
                SectionSpec(
                    title=s.title, items=picked.get(n) or [ItemRef(i, versions[i]) for i in s.items]
                )
                for n, s in enumerate(data.sections)
            ]
        )
        await conn.execute(INSERT_EXAM, exam_id, principal.org_id, data.title, principal.user_id)
        await repo.pin_item_versions(exam_id, [(i, versions[i]) for i in wanted])
        policy = scoring_policy(data, spec)
        await conn.execute(
            INSERT_EXAM_VERSION,
            version_id,
            exam_id,
            msgspec.to_builtins(spec),
            data.time_limit_s,
            data.window_open,
            data.window_close,
            data.grace_s,
            data.instant_results,
            data.shuffle,
            msgspec.to_builtins(policy),
            msgspec.to_builtins(data.score_scale) if data.score_scale else None,
            data.navigation,
        )
        found = await repo.exam(exam_id)
    assert found is not None
    return found[0]


async def _blueprint_picks(
    pool: Any, principal: Principal, data: ExamCreate
) -> dict[int, list[ItemRef]]:
    """The items each rule-defined section picks (section index → pins)."""
    seed = data.seed if data.seed is not None else secrets.randbelow(2**31)
    picked: dict[int, list[ItemRef]] = {}
    for n, section in enumerate(data.sections):
        if (section.blueprint is None) == (not section.items):
            raise validation_failed(
                "a section lists its items or gives a blueprint, one of the two",
                [{"field": f"sections[{n}]", "message": "give items or blueprint"}],
            )
        if section.blueprint is None:
            continue
        # each section draws with its own seed so two sections with the same rules differ
        picks = await resolve_blueprint(
            pool,
            principal,
            BlueprintResolve(blueprint=section.blueprint, seed=seed + n, bank_id=section.bank_id),
        )
        picked[n] = [ItemRef(uuid.UUID(p.id), p.version) for p in picks]
    return picked


def scoring_policy(data: ExamCreate, spec: ExamSpec) -> ScoringPolicy:
    """The exam's scoring policy, checked against its items; sections default to the exam's
    own, so every result has section sub-scores."""
    policy = data.scoring or ScoringPolicy()
    exam_items = {str(r.id) for s in spec.sections for r in s.items}
    unknown = set(policy.item_weights) - exam_items
    for section in policy.sections:
        unknown |= set(section.items) - exam_items
    if unknown:
        raise validation_failed(
            "the scoring policy names items that are not in the exam",
            [
                {"field": "scoring", "message": f"not in the exam: {i}"}
                for i in sorted(unknown)[:20]
            ],
        )
    if not policy.sections:
        sections = tuple(
            Section(id=f"s{n + 1}", title=s.title, items=tuple(str(r.id) for r in s.items))
            for n, s in enumerate(spec.sections)
        )
        policy = msgspec.structs.replace(policy, sections=sections)
    return policy


async def get_exam(pool: Any, principal: Principal, exam_id: uuid.UUID) -> Exam:
    """Staff see their own organisation's exams; a student sees an exam only as they would
    find it in their list: published, of or assigned to their school and, where the exam is
    narrowed to classes of their school, assigned to their class; a proctor sees the published
    exams of or assigned to their school (whichever room they watch). Anything else is "not
    found", as for other people's things."""
    async with pool.acquire() as conn:
        repo = ExamRepository(conn)
        found = await repo.exam(exam_id)
        if found is None or (principal.is_staff and found[0].org_id != principal.org_id):
            raise not_found("exam")
        if principal.role == "student":
            visible = await repo.visible_to_student(exam_id, principal.user_id)
        else:
            visible = (
                principal.is_staff
                or await repo.published_for_student(exam_id, principal.org_id) is not None
            )
        if not visible:
            raise not_found("exam")
    return found[0]


async def list_exams(pool: Any, principal: Principal) -> list[Exam]:
    async with pool.acquire() as conn:
        repo = ExamRepository(conn)
        if principal.is_staff:
            return await repo.exams_of_org(principal.org_id)
        exams = await repo.exams_for_student(principal.user_id)
    # an exam card's token opens its one exam only
    return [e for e in exams if principal.exam_id in (None, e.id)]


async def load_paper(
    pool: Any, exam_version_id: str, fragments: FragmentCache | None = None
) -> CompiledPaper:
    """The keyless student paper of an exam version, from its pinned item versions.

    Items are compiled once per (item, version) and shared through ``fragments`` (memory, then
    Redis), so exams reusing a bank's items read and encode each item once.
    """
    async with pool.acquire() as conn:
        row = await conn.fetchrow(VERSION_BY_ID, uuid.UUID(exam_version_id))
        if row is None:
            raise not_found("exam version")
        spec = msgspec.convert(row["spec"], ExamSpec)
        refs = [(str(r.id), r.version) for s in spec.sections for r in s.items]
        repo = ExamRepository(conn)

        async def compile_items(
            wanted: list[tuple[str, int]],
        ) -> dict[tuple[str, int], CompiledItem]:
            rows = await repo.item_versions([(uuid.UUID(i), v) for i, v in wanted])
            return {
                (str(r["item_id"]), r["version"]): compile_item(
                    msgspec.convert({**r["content"], "id": str(r["item_id"])}, StudentItem)
                )
                for r in rows
            }

        compiled = await (
            fragments.get_many(refs, compile_items)
            if fragments is not None
            else compile_items(refs)
        )
        title = await conn.fetchval("SELECT title FROM exams WHERE id = $1", row["exam_id"])
    sections = [
        (s.title, [compiled[(str(r.id), r.version)] for r in s.items]) for s in spec.sections
    ]
    return assemble_paper(exam_version_id, title, row["shuffle"], sections, row["navigation"])


async def load_keys(pool: Any, exam_version_id: str) -> dict[str, ItemKey]:
    """item id -> grading key for every item of an exam version."""
    async with pool.acquire() as conn:
        row = await conn.fetchrow(VERSION_BY_ID, uuid.UUID(exam_version_id))
        if row is None:
            raise not_found("exam version")
        spec = msgspec.convert(row["spec"], ExamSpec)
        refs = [(r.id, r.version) for s in spec.sections for r in s.items]
        rows = await ExamRepository(conn).item_versions(refs)
        # a key fixed for this exam after publishing replaces the version's own
        fixed = dict(await conn.fetch(KEY_CORRECTIONS, row["exam_id"]))
    return {
        str(r["item_id"]): msgspec.convert(fixed.get(str(r["item_id"]), r["answer_key"]), ItemKey)
        for r in rows
    }


async def publish_exam(
    pool: Any, cache: PaperCache, principal: Principal, exam_id: uuid.UUID
) -> Exam:
    """Freeze the draft version and compile its student paper into Redis and memory."""
    principal.require_staff()
    exam = await get_exam(pool, principal, exam_id)
    if exam.status == "published":
        raise conflict(
            "already_published",
            "This exam is already published",
            "a published version is immutable; create a new exam version instead",
        )
    async with pool.acquire() as conn, conn.transaction():
        published_at = await conn.fetchval(PUBLISH_VERSION, exam.version_id)
        if published_at is None:
            raise conflict("already_published", "This exam is already published")
        await ExamRepository(conn).create_partition(exam_id)
    await cache.put(await load_paper(pool, str(exam.version_id), cache.fragments))
    return await get_exam(pool, principal, exam_id)


async def assign_exam(
    pool: Any, principal: Principal, exam_id: uuid.UUID, org_ids: list[uuid.UUID]
) -> Assignments:
    """Assign the exam to organisations. Only an organiser's admin assigns across schools (to
    any organisation below theirs); every other staff member assigns to their own organisation
    only, so a teacher working at the organiser cannot hand an exam to every school below.
    The reach is the same as everywhere else: engine/accounts/scope.py ``orgs_reached``."""
    principal.require_staff()
    await get_exam(pool, principal, exam_id)
    async with pool.acquire() as conn, conn.transaction():
        reached = set(await orgs_reached(conn, principal))
        outside = [str(o) for o in org_ids if o not in reached]
        if outside:
            raise forbidden(
                "only an organiser's admin assigns an exam to other organisations; "
                f"not yours to assign to: {', '.join(outside[:5])}"
            )
        await conn.execute(INSERT_ASSIGNMENT, exam_id, org_ids)
        rows = await conn.fetch(ASSIGNED_ORGS, exam_id)
    return Assignments(exam_id=exam_id, org_ids=[r["org_id"] for r in rows])
