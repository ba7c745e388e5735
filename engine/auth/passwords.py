"""Password hashing with argon2id. Verification is CPU-heavy by design, so it runs off the loop.

The cost parameters are settings; a hash made with other parameters still verifies and is
replaced at the next successful sign-in (``Passwords.verify`` says when).

Two thread pools, never the loop's default executor: sign-in (verifying, and hashing one
password at a time) and bulk hashing (enrolment). Enrolling 1,000 students queues 1,000 hashes;
on a shared pool every sign-in behind them waited tens of seconds. On their own pool, smaller
than the sign-in one, they can take at most its threads' cores, and sign-ins keep theirs
(argon2 releases the GIL while it hashes).
"""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from engine.settings import Settings

# a hash no password matches: accounts that sign in only with exam cards (enrolment without a
# password) carry it
UNUSABLE_HASH = "!"


def hasher_for(settings: Settings) -> PasswordHasher:
    return PasswordHasher(
        time_cost=settings.argon2_time_cost,
        memory_cost=settings.argon2_memory_kib,
        parallelism=settings.argon2_parallelism,
    )


class Passwords:
    """argon2id with the configured cost; one per process."""

    def __init__(self, settings: Settings) -> None:
        self.hasher = hasher_for(settings)
        # verified against when the username is unknown, so a wrong username costs the same
        # time as a wrong password and sign-in does not reveal which accounts exist
        self._dummy = self.hasher.hash("not-a-real-password")
        self._signin = ThreadPoolExecutor(
            settings.password_signin_threads, thread_name_prefix="argon2-signin"
        )
        self._bulk = ThreadPoolExecutor(
            settings.password_bulk_threads, thread_name_prefix="argon2-bulk"
        )
        # every password this process verified (what shows that the sign-in limits bound the
        # guesses evaluated); counted under a lock, as the pool's threads verify in parallel
        self.verifications = 0
        self._count_lock = threading.Lock()

    def hash(self, password: str) -> str:
        return self.hasher.hash(password)

    def _verify(self, password_hash: str | None, password: str) -> tuple[bool, bool]:
        """(matches, needs a rehash)."""
        with self._count_lock:
            self.verifications += 1
        known = password_hash is not None and password_hash != UNUSABLE_HASH
        try:
            ok = self.hasher.verify(
                password_hash if password_hash and known else self._dummy, password
            )
        except (VerificationError, InvalidHashError):
            return False, False
        if not (ok and known):
            return False, False
        assert password_hash is not None
        return True, self.hasher.check_needs_rehash(password_hash)

    async def verify(self, password_hash: str | None, password: str) -> tuple[bool, bool]:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._signin, self._verify, password_hash, password)

    async def hash_async(self, password: str) -> str:
        """One password (a change, a new account, a rehash at sign-in): the sign-in pool."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._signin, self.hasher.hash, password)

    async def hash_bulk(self, password: str) -> str:
        """One of many (enrolment): the bulk pool, which cannot hold up sign-ins."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._bulk, self.hasher.hash, password)


_BY_SETTINGS: dict[tuple[int, int, int, int, int], Passwords] = {}


def passwords_for(settings: Settings) -> Passwords:
    key = (
        settings.argon2_time_cost,
        settings.argon2_memory_kib,
        settings.argon2_parallelism,
        settings.password_signin_threads,
        settings.password_bulk_threads,
    )
    found = _BY_SETTINGS.get(key)
    if found is None:
        found = _BY_SETTINGS[key] = Passwords(settings)
    return found


def hash_password(password: str) -> str:
    """With the default parameters (seeding, demo, tests); sign-in upgrades it if they differ."""
    return passwords_for(Settings()).hash(password)
