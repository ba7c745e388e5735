"""Password hashing with argon2id. Verification is CPU-heavy by design, so it runs off the loop.

The cost parameters are settings; a hash made with other parameters still verifies and is
replaced at the next successful sign-in (``Passwords.verify`` says when).
"""

from __future__ import annotations

import asyncio

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

    def hash(self, password: str) -> str:
        return self.hasher.hash(password)

    def _verify(self, password_hash: str | None, password: str) -> tuple[bool, bool]:
        """(matches, needs a rehash)."""
        known = password_hash is not None and password_hash != UNUSABLE_HASH
        try:
            ok = self.hasher.verify(password_hash if password_hash and known else self._dummy,
                                    password)
        except (VerificationError, InvalidHashError):
            return False, False
        if not (ok and known):
            return False, False
        assert password_hash is not None
        return True, self.hasher.check_needs_rehash(password_hash)

    async def verify(self, password_hash: str | None, password: str) -> tuple[bool, bool]:
        return await asyncio.to_thread(self._verify, password_hash, password)

    async def hash_async(self, password: str) -> str:
        return await asyncio.to_thread(self.hasher.hash, password)


_BY_SETTINGS: dict[tuple[int, int, int], Passwords] = {}


def passwords_for(settings: Settings) -> Passwords:
    key = (settings.argon2_time_cost, settings.argon2_memory_kib, settings.argon2_parallelism)
    found = _BY_SETTINGS.get(key)
    if found is None:
        found = _BY_SETTINGS[key] = Passwords(settings)
    return found


def hash_password(password: str) -> str:
    """With the default parameters (seeding, demo, tests); sign-in upgrades it if they differ."""
    return passwords_for(Settings()).hash(password)
