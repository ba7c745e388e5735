"""The end-of-run check: every acknowledged answer is in PostgreSQL's answer log, exactly once,
and is what the student sent."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import asyncpg
import msgspec

from grading.types import Response

from .student import Ledger

_ROWS = """
SELECT sitting_id, seq, item_id, response FROM answer_log
WHERE exam_id = $1 AND sitting_id = ANY($2::uuid[])
"""
_response = msgspec.json.Decoder(Response | None)


class Integrity(msgspec.Struct, frozen=True):
    acked: int  # acknowledged answer events
    acked_lost: int  # acknowledged but not in the answer log
    wrong_stored: int  # in the log under an acknowledged seq, but not what was sent
    duplicated: int  # (sitting, seq) in the log more than once
    waited_s: float  # how long the persister took to catch up after the run


def _same(sent: Any, stored: Any) -> bool:
    # compared as the engine's own Response types: multiple-response choices are a set
    as_sent = _response.decode(msgspec.json.encode(sent))
    as_stored = _response.decode(msgspec.json.encode(stored))
    return bool(as_sent == as_stored)


def compare(ledger: Ledger, rows: list[Any]) -> tuple[int, int, int, int]:
    """(acked, lost, wrong, duplicated) of the ledger against answer_log rows."""
    seen: dict[tuple[str, int], Any] = {}
    duplicated = 0
    for row in rows:
        key = (str(row["sitting_id"]), int(row["seq"]))
        if key in seen:
            duplicated += 1
        seen[key] = row
    acked = lost = wrong = 0
    for sitting, events in ledger.events.items():
        for event in events[: ledger.acked.get(sitting, 0)]:
            if not event.item:
                continue  # sent by an earlier run: not this run's to check
            acked += 1
            row = seen.get((sitting, event.seq))
            if row is None:
                lost += 1
            elif row["item_id"] != event.item or not _same(event.response, row["response"]):
                wrong += 1
    return acked, lost, wrong, duplicated


async def check(dsn: str, exam_id: str, ledger: Ledger, *, wait_s: float = 60.0) -> Integrity:
    """Wait (up to ``wait_s``) for the persister to copy every acked event, then compare."""
    started = time.monotonic()
    ids = [uuid.UUID(s) for s in ledger.events]
    conn = await asyncpg.connect(dsn)
    try:
        await conn.set_type_codec(
            "jsonb",
            encoder=lambda v: msgspec.json.encode(v).decode(),
            decoder=msgspec.json.decode,
            schema="pg_catalog",
        )
        while True:
            rows = await conn.fetch(_ROWS, uuid.UUID(exam_id), ids)
            acked, lost, wrong, duplicated = compare(ledger, rows)
            if lost == 0 or time.monotonic() - started > wait_s:
                break
            await asyncio.sleep(0.5)
    finally:
        await conn.close()
    return Integrity(acked, lost, wrong, duplicated, round(time.monotonic() - started, 2))
