"""The live analyser: consumes a shard's integrity stream (telemetry + answer copies).

Per batch of entries: telemetry rows go to PostgreSQL with COPY; each sitting's heuristic state
(``proctoring.heuristics``, msgpack in Redis beside the sitting's keys) is folded forward with
its telemetry and answers in arrival order, by one compare-and-set script over the shard's
slot; the flags each state now supports are upserted with their evidence, and the sittings'
risk summaries follow. Redelivered entries are harmless: a state remembers the last batch of
each page and the last answer seq it folded.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

import msgspec
from prometheus_client import Counter

from engine.integrity import repository
from engine.integrity.context import ContextCache, VersionContext
from engine.integrity.flag_store import flag_record, refresh_risk
from engine.integrity.repository import FlagRecord, TelemetryRecord
from engine.integrity.stream import AnswerCopy, TelemetryEntry, parse, tag_key
from engine.ports import WithKeys, WithKeySpace, WithPool, WithRedis
from engine.redis_adapter.integrity_scripts import scripts_for
from engine.redis_adapter.streams import Entry
from engine.sittings.models import StoredAnswer
from grading.scoring import score_item
from proctoring.heuristics import AnswerSaved, SittingState, current_flags, step


class Needs(WithKeys, WithKeySpace, WithPool, WithRedis, Protocol):
    """What this module's services use of the process's collaborators (engine/ports.py)."""


log = logging.getLogger(__name__)

STATE_TTL_S = 24 * 3600
_RETRIES = 10
_RESPONSE_CHARS = 200  # evidence shows what was answered, not a whole essay

telemetry_rows = Counter(
    "ujian_telemetry_events_persisted_total", "Telemetry events copied to PostgreSQL"
)
live_flags = Counter("ujian_integrity_live_flags_total", "Live heuristic flags raised", ["rule"])


class LiveState(msgspec.Struct, kw_only=True):
    state: SittingState
    version: str = ""
    answer_seq: int = 0
    batches: dict[str, int] = {}  # page session -> last telemetry batch folded


_enc = msgspec.msgpack.Encoder()
_dec = msgspec.msgpack.Decoder(LiveState)
_stored = msgspec.json.Decoder(StoredAnswer)
_json = msgspec.json.Encoder()

Work = TelemetryEntry | AnswerCopy


def _dt(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def saved_answer(copy: AnswerCopy, ctx: VersionContext) -> AnswerSaved:
    """The answer as the heuristics see it, with correctness from the version's keys."""
    stored = _stored.decode(copy.payload)
    correct: bool | None = None
    key = ctx.keys.get(copy.item)
    if key is not None and stored.response is not None:
        status = score_item(key, stored.response).status
        correct = True if status == "correct" else False if status != "pending_manual" else None
    text = _json.encode(stored.response).decode()[:_RESPONSE_CHARS]
    return AnswerSaved(ts=copy.ts, item=copy.item, response=text, correct=correct)


def fold(live: LiveState, work: Sequence[Work], ctx: VersionContext) -> tuple[LiveState, int]:
    """Fold a sitting's new entries into its state; returns the state and flags fired now."""
    st, th = live.state, ctx.thresholds
    batches, answer_seq, fired = dict(live.batches), live.answer_seq, 0
    for w in work:
        match w:
            case TelemetryEntry(session=session, batch_seq=seq, events=events):
                if seq <= batches.get(session, -1):
                    continue
                batches[session] = seq
                for ev in events:
                    st, fresh = step(st, session, ev, ctx.items, th)
                    fired += len(fresh)
                    for f in fresh:
                        live_flags.labels(f.rule).inc()
            case AnswerCopy(seq=seq):
                if seq <= answer_seq:
                    continue
                answer_seq = seq
                # an answer belongs to the page in front of the student: the newest one
                session = st.sessions[-1] if st.sessions else "answers"
                st, fresh = step(st, session, saved_answer(w, ctx), ctx.items, th)
                fired += len(fresh)
                for f in fresh:
                    live_flags.labels(f.rule).inc()
    return LiveState(
        state=st, version=live.version or ctx_version(work), answer_seq=answer_seq, batches=batches
    ), fired


def ctx_version(work: Sequence[Work]) -> str:
    return work[0].version if work else ""


class LiveAnalyser:
    def __init__(self, svc: Needs, contexts: ContextCache | None = None) -> None:
        self.svc = svc
        self.contexts = contexts or ContextCache(svc.pool, svc.keys.get)
        self._homes: dict[str, tuple[uuid.UUID, uuid.UUID]] = {}

    async def __call__(self, entries: list[Entry]) -> None:
        per_sitting: dict[str, list[Work]] = {}
        for _, fields in entries:
            match parse(fields):
                case TelemetryEntry() as t:
                    per_sitting.setdefault(t.sitting, []).append(t)
                case list() as answers:
                    for a in answers:
                        per_sitting.setdefault(a.sitting, []).append(a)
                case None:
                    log.warning("integrity stream: unknown entry kind %r", fields.get(b"k"))
        contexts: dict[str, VersionContext] = {}
        for work in per_sitting.values():
            version = work[0].version
            if version not in contexts and (ctx := await self.contexts.get(version)):
                contexts[version] = ctx
        known = {s: w for s, w in per_sitting.items() if w[0].version in contexts}
        await self._persist_telemetry(known, contexts)
        states = await self._fold_all(known, contexts)
        await self._store_flags(states, contexts)

    async def _persist_telemetry(
        self, per_sitting: dict[str, list[Work]], contexts: dict[str, VersionContext]
    ) -> None:
        records = []
        for sid, work in per_sitting.items():
            for t in work:
                if not isinstance(t, TelemetryEntry):
                    continue
                exam_id = contexts[t.version].exam_id
                for idx, ev in enumerate(t.events):
                    records.append(
                        TelemetryRecord(
                            exam_id=exam_id,
                            sitting_id=uuid.UUID(sid),
                            session=t.session,
                            batch_seq=t.batch_seq,
                            idx=idx,
                            type=str(ev.__struct_config__.tag),
                            ts=_dt(ev.ts),
                            event=_json.encode(ev).decode(),
                            received_at=_dt(t.received_ms),
                        )
                    )
        if not records:
            return
        async with self.svc.pool.acquire() as conn, conn.transaction():
            await repository.copy_telemetry(conn, records)
        telemetry_rows.inc(len(records))

    async def _fold_all(
        self, per_sitting: dict[str, list[Work]], contexts: dict[str, VersionContext]
    ) -> dict[str, LiveState]:
        if not per_sitting:
            return {}
        ks = self.svc.keyspace
        keys = {sid: tag_key(ks, uuid.UUID(sid), "h") for sid in per_sitting}
        key_list = list(keys.values())
        scripts = scripts_for(self.svc.redis)
        # every sitting of one stream shares the shard's slot: one read and one
        # compare-and-set cover them all, retried when another consumer wrote first
        for _ in range(_RETRIES):
            raws = await scripts.read(keys=key_list)
            out: dict[str, LiveState] = {}
            args: list[Any] = [STATE_TTL_S]
            for (sid, work), raw in zip(per_sitting.items(), raws, strict=True):
                live = _dec.decode(raw) if raw else LiveState(state=SittingState(sitting=sid))
                out[sid], _ = fold(live, work, contexts[work[0].version])
                args += [raw or b"", _enc.encode(out[sid])]
            if await scripts.swap(keys=key_list, args=args):
                return out
        raise RuntimeError("heuristic state kept changing under us; the entries stay pending")

    async def _store_flags(
        self, states: dict[str, LiveState], contexts: dict[str, VersionContext]
    ) -> None:
        flagged = {sid: live for sid, live in states.items() if live.state.fired}
        if not flagged:
            return
        async with self.svc.pool.acquire() as conn:
            unknown = [uuid.UUID(s) for s in flagged if s not in self._homes]
            if unknown:
                for home in await repository.sitting_homes(conn, unknown):
                    self._homes[home.id] = (home.exam_id, home.org_id)
            records: list[FlagRecord] = []
            for sid, live in flagged.items():
                sitting_home = self._homes.get(sid)
                if sitting_home is None:
                    continue
                th = contexts[live.version].thresholds
                records += [
                    flag_record(f, sitting_home[0], sitting_home[1], "live", None)
                    for f in current_flags(live.state, th)
                ]
            async with conn.transaction():
                await repository.upsert_flags(conn, records)
                await refresh_risk(conn, {r.sitting_id for r in records})
