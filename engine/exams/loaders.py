"""What a published exam version gives the sitting path and the graders: its keyless student
paper and its grading keys.

Apart from the exam service (authoring, publishing) so that the workers and the overflow
Lambda, which only read published versions, import no authoring rules and none of the rich-text
cleaning those need (``engine/overflow/packaging.py`` lists what the Lambda imports).
"""

from __future__ import annotations

import uuid

import msgspec

from engine.exams import repository
from engine.kernel.errors import not_found
from engine.kernel.sql import Pool
from grading.types import ItemKey
from question_bank.cache import FragmentCache
from question_bank.items import StudentItem
from question_bank.paper import CompiledItem, CompiledPaper, assemble_paper, compile_item


async def load_paper(
    pool: Pool, exam_version_id: str, fragments: FragmentCache | None = None
) -> CompiledPaper:
    """The keyless student paper of an exam version, from its pinned item versions.

    Items are compiled once per (item, version) and shared through ``fragments`` (memory, then
    Redis), so exams reusing a bank's items read and encode each item once.
    """
    async with pool.acquire() as conn:
        version = await repository.version_paper(conn, uuid.UUID(exam_version_id))
        if version is None:
            raise not_found("exam version")
        spec = version.spec
        refs = [(str(r.id), r.version) for s in spec.sections for r in s.items]

        async def compile_items(
            wanted: list[tuple[str, int]],
        ) -> dict[tuple[str, int], CompiledItem]:
            pinned = await repository.item_versions(conn, [(uuid.UUID(i), v) for i, v in wanted])
            return {
                (str(p.item_id), p.version): compile_item(
                    msgspec.convert({**p.content, "id": str(p.item_id)}, StudentItem)
                )
                for p in pinned
            }

        compiled = await (
            fragments.get_many(refs, compile_items)
            if fragments is not None
            else compile_items(refs)
        )
        title = await repository.exam_title(conn, version.exam_id)
    sections = [
        (s.title, [compiled[(str(r.id), r.version)] for r in s.items]) for s in spec.sections
    ]
    draws = [s.draw or 0 for s in spec.sections]
    return assemble_paper(
        exam_version_id, title, version.shuffle, sections, version.navigation, draws
    )


async def load_keys(pool: Pool, exam_version_id: str) -> dict[str, ItemKey]:
    """item id -> grading key for every item of an exam version."""
    async with pool.acquire() as conn:
        version = await repository.version_paper(conn, uuid.UUID(exam_version_id))
        if version is None:
            raise not_found("exam version")
        refs = [(r.id, r.version) for s in version.spec.sections for r in s.items]
        pinned = await repository.item_versions(conn, refs)
        # a key fixed for this exam after publishing replaces the version's own
        fixed = await repository.key_corrections(conn, version.exam_id)
    return {
        str(p.item_id): msgspec.convert(fixed.get(str(p.item_id), p.answer_key), ItemKey)
        for p in pinned
    }
