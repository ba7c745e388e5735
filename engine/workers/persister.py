"""Copies answer stream entries into the append-only ``answer_log``.

Rows go in with COPY into a session temp table, then one INSERT … ON CONFLICT DO NOTHING: COPY
itself cannot skip the duplicates a replayed entry brings, and the unique (exam, sitting, seq)
makes the replay harmless.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import msgspec

from engine.workers.consumer import Entry

_STAGE = """
CREATE TEMP TABLE IF NOT EXISTS answer_stage (
    exam_id uuid, sitting_id uuid, seq bigint, item_id text, response text,
    client_ts bigint, server_ts timestamptz
) ON COMMIT DELETE ROWS
"""
_MOVE = """
INSERT INTO answer_log (exam_id, sitting_id, seq, item_id, response, client_ts, server_ts)
SELECT st.exam_id, st.sitting_id, st.seq, st.item_id, st.response::jsonb, st.client_ts,
       st.server_ts
FROM answer_stage st
JOIN sittings s ON s.id = st.sitting_id
ON CONFLICT DO NOTHING
"""
_COLUMNS = ["exam_id", "sitting_id", "seq", "item_id", "response", "client_ts", "server_ts"]


class _Payload(msgspec.Struct):
    response: msgspec.Raw = msgspec.Raw(b"null")
    client_ts: int = 0


_payload_decoder = msgspec.json.Decoder(_Payload)


def rows_from_entries(entries: list[Entry], exam_of_version: dict[str, uuid.UUID]
                      ) -> list[tuple[Any, ...]]:
    rows = []
    for _, f in entries:
        payload = _payload_decoder.decode(f[b"p"])
        rows.append((
            exam_of_version[f[b"x"].decode()],
            uuid.UUID(f[b"s"].decode()),
            int(f[b"q"]),
            f[b"i"].decode(),
            bytes(payload.response).decode(),
            payload.client_ts,
            datetime.fromtimestamp(int(f[b"t"]) / 1000, tz=UTC),
        ))  # fmt: skip
    return rows


class AnswerPersister:
    def __init__(self, pool: Any) -> None:
        self.pool = pool
        # exam version -> exam (the partition key): immutable, so kept for good
        self._exam_of_version: dict[str, uuid.UUID] = {}
        self.rows_written = 0

    async def _resolve_exams(self, conn: Any, entries: list[Entry]) -> None:
        unknown = {f[b"x"].decode() for _, f in entries} - self._exam_of_version.keys()
        if unknown:
            rows = await conn.fetch(
                "SELECT id, exam_id FROM exam_versions WHERE id = ANY($1::uuid[])",
                [uuid.UUID(v) for v in unknown],
            )
            self._exam_of_version.update({str(r["id"]): r["exam_id"] for r in rows})

    async def __call__(self, entries: list[Entry]) -> None:
        async with self.pool.acquire() as conn:
            await self._resolve_exams(conn, entries)
            rows = rows_from_entries(entries, self._exam_of_version)
            async with conn.transaction():
                await conn.execute(_STAGE)
                await conn.copy_records_to_table("answer_stage", records=rows, columns=_COLUMNS)
                await conn.execute(_MOVE)
        self.rows_written += len(rows)
