"""Rules for items and exams: authoring, publishing (which compiles the paper), assignment."""

from __future__ import annotations

import secrets
import uuid

import msgspec

from engine.accounts.scope import orgs_reached
from engine.exams import repository
from engine.exams.loaders import load_paper
from engine.exams.models import (
    Assignments,
    Exam,
    ExamCreate,
    ExamSpec,
    ItemCreated,
    ItemRef,
    SectionSpec,
)
from engine.kernel.errors import conflict, forbidden, not_found, validation_failed
from engine.kernel.principal import Principal
from engine.kernel.sql import Connection, Pool
from grading.outcomes import ScoringPolicy, Section
from question_bank import service as question_bank_service
from question_bank.banks import BlueprintResolve, resolve_blueprint
from question_bank.cache import PaperCache
from question_bank.items import ItemCreate
from question_bank.pools import strata_order


async def create_item(pool: Pool, principal: Principal, item: ItemCreate) -> ItemCreated:
    """A draft item (the question bank owns items; kept here for the demo and old callers)."""
    saved = await question_bank_service.create_item(pool, principal, item)
    return ItemCreated(id=saved.id, version=saved.version, kind=saved.kind)


async def create_exam(pool: Pool, principal: Principal, data: ExamCreate) -> Exam:
    # the window is aware, sane and in order: ExamCreate checks it as it is decoded
    principal.require_staff()
    picked = await _blueprint_picks(pool, principal, data)
    listed = [i for s in data.sections for i in s.items]
    wanted = listed + [ref.id for refs in picked.values() for ref in refs]
    if len(set(wanted)) != len(wanted):
        raise validation_failed("an item appears more than once in the exam")
    exam_id, version_id = uuid.uuid4(), uuid.uuid4()
    async with pool.acquire() as conn, conn.transaction():
        versions = await repository.latest_item_versions(conn, listed, principal.org_id)
        missing = [str(i) for i in listed if i not in versions]
        if missing:
            raise validation_failed(
                "unknown items",
                [{"field": "sections", "message": f"no such item: {m}"} for m in missing[:20]],
            )
        versions.update({ref.id: ref.version for refs in picked.values() for ref in refs})
        sections = []
        for n, s in enumerate(data.sections):
            refs = picked.get(n) or [ItemRef(i, versions[i]) for i in s.items]
            if s.draw is not None:
                refs = await _pool(conn, n, refs, s.draw)
            sections.append(SectionSpec(title=s.title, items=refs, draw=s.draw))
        spec = ExamSpec(sections=sections)
        await repository.insert_exam(conn, exam_id, principal.org_id, data.title, principal.user_id)
        await repository.pin_item_versions(conn, exam_id, [(i, versions[i]) for i in wanted])
        policy = scoring_policy(data, spec)
        await repository.insert_draft_version(conn, version_id, exam_id, spec, data, policy)
        found = await repository.exam(conn, exam_id)
    assert found is not None
    return found[0]


async def _pool(conn: Connection, n: int, refs: list[ItemRef], draw: int) -> list[ItemRef]:
    """A pool section's items in strata order; 400 when it would not be a pool at all."""
    if draw >= len(refs):
        message = f"draws {draw} of {len(refs)} items: a pool must have more items than it draws"
        raise validation_failed(message, [{"field": f"sections[{n}].draw", "message": message}])
    metas = await repository.item_metadata(conn, [(r.id, r.version) for r in refs])
    by_id = {str(r.id): r for r in refs}
    return [by_id[item_id] for item_id in strata_order(metas)]


async def _blueprint_picks(
    pool: Pool, principal: Principal, data: ExamCreate
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


async def get_exam(pool: Pool, principal: Principal, exam_id: uuid.UUID) -> Exam:
    """Staff see their own organisation's exams; a student sees an exam only as they would
    find it in their list: published, of or assigned to their school and, where the exam is
    narrowed to classes of their school, assigned to their class; a proctor sees the published
    exams of or assigned to their school (whichever room they watch). Anything else is "not
    found", as for other people's things."""
    async with pool.acquire() as conn:
        found = await repository.exam(conn, exam_id)
        if found is None or (principal.is_staff and found[0].org_id != principal.org_id):
            raise not_found("exam")
        if principal.role == "student":
            visible = await repository.visible_to_student(conn, exam_id, principal.user_id)
        else:
            visible = (
                principal.is_staff
                or await repository.published_for_student(conn, exam_id, principal.org_id)
                is not None
            )
        if not visible:
            raise not_found("exam")
    return found[0]


async def list_exams(pool: Pool, principal: Principal) -> list[Exam]:
    async with pool.acquire() as conn:
        if principal.is_staff:
            return await repository.exams_of_org(conn, principal.org_id)
        exams = await repository.exams_for_student(conn, principal.user_id)
    # an exam card's token opens its one exam only
    return [e for e in exams if principal.exam_id in (None, e.id)]


async def publish_exam(
    pool: Pool, cache: PaperCache, principal: Principal, exam_id: uuid.UUID
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
        if await repository.publish_version(conn, exam.version_id) is None:
            raise conflict("already_published", "This exam is already published")
        await repository.create_partition(conn, exam_id)
    await cache.put(await load_paper(pool, str(exam.version_id), cache.fragments))
    return await get_exam(pool, principal, exam_id)


async def assign_exam(
    pool: Pool, principal: Principal, exam_id: uuid.UUID, org_ids: list[uuid.UUID]
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
        await repository.assign(conn, exam_id, org_ids)
        assigned = await repository.assigned_orgs(conn, exam_id)
    return Assignments(exam_id=exam_id, org_ids=assigned)
