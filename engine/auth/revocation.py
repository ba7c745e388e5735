"""Revoked sign-ins: access tokens refused within seconds, without a read on the request path.

An access token is never looked up, so it cannot be "deleted". Instead a revocation writes a
marker "tokens of <subject> issued before T are void" into one Redis sorted set (member: the
subject, score: T in ms). Each process mirrors the set into a dict, refreshed every
``revocation_refresh_s`` by a background task; the request path only looks the token's
subjects up in that dict (engine/auth/cached_jwt.py), memoised tokens included.

Subjects:
- ``u:<user>``: every token of an account (password change, account disabled or removed);
- ``d:<device>``: one sign-in and its refreshes (logout);
- ``c:<user>:<exam>``: the exam-card tokens of one student for one exam (cards re-issued).

A marker only has to outlive the tokens it voids: the longest-lived token is an exam card's
(at most ``CARD_TOKEN_MAX_S``), so markers older than ``KEEP_S`` are dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Iterable

from engine.kernel.principal import Principal
from engine.redis_adapter import revocations
from engine.redis_adapter.connections import RedisClient
from engine.redis_adapter.revocations import revocation_key

log = logging.getLogger(__name__)

# an exam-card token never lives longer than this (a longer window means signing in again)
CARD_TOKEN_MAX_S = 24 * 3600
KEEP_S = CARD_TOKEN_MAX_S + 3600
# each refresh re-reads the markers of the last minute too: a marker written by a pod whose
# clock runs a little behind the last one seen is not missed
OVERLAP_MS = 60_000


def user_subject(user_id: uuid.UUID) -> str:
    return "u:" + user_id.hex


def device_subject(device: str) -> str:
    return "d:" + device


def card_subject(user_id: uuid.UUID, exam_id: uuid.UUID) -> str:
    return f"c:{user_id.hex}:{exam_id.hex}"


def subjects_of(principal: Principal) -> tuple[str, ...]:
    """The markers that can void a token of this principal."""
    found = [user_subject(principal.user_id)]
    if principal.device:
        found.append(device_subject(principal.device))
    if principal.exam_id is not None:
        found.append(card_subject(principal.user_id, principal.exam_id))
    return tuple(found)


def now_ms() -> int:
    return int(time.time() * 1000)


class RevokedSignIns:
    """This process's copy of the markers: subject -> revoked-before time (ms)."""

    def __init__(self) -> None:
        self.before: dict[str, int] = {}
        # per Redis key (one per deployment namespace): the newest marker seen
        self._seen: dict[str, int] = {}

    def refuses(self, subjects: tuple[str, ...], issued_ms: int) -> bool:
        before = self.before
        if not before:
            return False
        for subject in subjects:
            cut = before.get(subject)
            if cut is not None and issued_ms < cut:
                return True
        return False

    def note(self, subjects: Iterable[str], at_ms: int) -> None:
        for subject in subjects:
            if self.before.get(subject, 0) < at_ms:
                self.before[subject] = at_ms

    async def refresh(self, redis: RedisClient, key: str) -> int:
        """Read the markers written since the last refresh (and the overlap); returns how many."""
        since = self._seen.get(key, 0) - OVERLAP_MS
        rows = await revocations.markers_since(redis, key, since)
        newest = self._seen.get(key, 0)
        for subject, at in rows:
            self.note((subject,), at)
            newest = max(newest, at)
        self._seen[key] = newest
        self._prune()
        return len(rows)

    def _prune(self) -> None:
        horizon = now_ms() - KEEP_S * 1000
        if self.before and min(self.before.values()) < horizon:
            self.before = {s: t for s, t in self.before.items() if t >= horizon}


# one per process, like the memo of verified tokens it guards
revoked = RevokedSignIns()


async def revoke(redis: RedisClient, namespace: str, subjects: Iterable[str]) -> None:
    """Void every token of these subjects issued until now (here at once, elsewhere within
    the refresh interval)."""
    wanted = list(dict.fromkeys(subjects))
    if not wanted:
        return
    at = now_ms()
    key = revocation_key(namespace)
    await revocations.mark(redis, key, wanted, at, at - KEEP_S * 1000)
    revoked.note(wanted, at)


class RevocationMirror:
    """The background task that keeps ``revoked`` up to date in this process."""

    def __init__(self, redis: RedisClient, namespace: str, interval_s: float) -> None:
        self.redis = redis
        self.key = revocation_key(namespace)
        self.interval_s = interval_s
        self._task: asyncio.Task[None] | None = None
        self._stop = asyncio.Event()

    async def start(self) -> None:
        # loaded before the first request, so a fresh process never accepts a revoked token
        with contextlib.suppress(Exception):
            await revoked.refresh(self.redis, self.key)
        self._task = asyncio.create_task(self._run(), name="revocation-mirror")

    async def _run(self) -> None:
        while not self._stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), self.interval_s)
            if self._stop.is_set():
                return
            try:
                await revoked.refresh(self.redis, self.key)
            except Exception:  # Redis away: keep the last copy, try again next round
                log.warning("could not refresh the revoked sign-ins", exc_info=True)

    async def close(self) -> None:
        self._stop.set()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
