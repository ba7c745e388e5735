"""Sign-in throttling (OWASP Authentication Cheat Sheet), in Redis, through the ``limits`` library.

What is limited is *failed* attempts (wrong password, unknown or spent token, wrong card code):
that is what guessing looks like, while a school's 1,000 pupils signing in correctly behind one
NAT address within a minute is exam day. Three counters, fixed windows:

- per (account, device), for a device that signed in to the account before (it shows a device
  token, engine/auth/devices.py): its own failures only, so nobody else can lock it out;
- per account, shared by every other ("untrusted") client: a guesser locks out the account for
  untrusted clients only, never for the devices its owner used before;
- per address, for untrusted clients: generous (a whole school shares one address) and counting
  failures only, a guard against spraying many accounts from one place.

Check-and-count is one atomic step: an attempt first *reserves* its place (``limiter.hit``, one
INCR in Redis, so 50 parallel guesses get 50 different counts and only ``limit`` of them pass)
and only then is the password evaluated; a success gives the place back, a failure keeps it. A
refused attempt takes nothing and gets ``429 rate_limited`` with ``Retry-After`` in seconds.
"""

from __future__ import annotations

import asyncio
import math
import time
from typing import Any, NamedTuple

from limits import RateLimitItem, parse
from limits.aio.strategies import FixedWindowRateLimiter

from engine.auth.devices import account_key
from engine.kernel.errors import DomainError
from engine.redis_adapter.connections import RedisClient
from engine.redis_adapter.rate_limits import limits_storage
from engine.settings import Settings


class Counter(NamedTuple):
    item: RateLimitItem
    ids: tuple[str, ...]
    # named in the 429's detail
    what: str


class Reservation(NamedTuple):
    """The places an attempt holds; ``SignInLimits.succeeded`` gives them back."""

    counters: tuple[Counter, ...]


class SignInLimits:
    def __init__(self, redis: RedisClient, settings: Settings) -> None:
        self.redis = redis
        prefix = f"{settings.redis_namespace}:rl"
        storage = limits_storage(redis, settings.redis_url, prefix)
        self.limiter = FixedWindowRateLimiter(storage)
        self.per_ip: RateLimitItem = parse(settings.signin_rate_per_ip)
        self.per_account: RateLimitItem = parse(settings.signin_rate_per_account)
        self.per_device: RateLimitItem = parse(settings.signin_rate_per_device)

    def counters(
        self, ip: str, account: str, device: str | None, kind: str = "signin"
    ) -> tuple[Counter, ...]:
        """Which counters an attempt is held against (the narrowest first)."""
        account = account_key(account)
        if device:
            return (Counter(self.per_device, ("signin-device", account, device), "device"),)
        return (
            Counter(self.per_account, ("signin-account", account), "account"),
            Counter(self.per_ip, (f"{kind}-ip", ip), "address"),
        )

    async def reserve(
        self, ip: str, account: str, device: str | None = None, kind: str = "signin"
    ) -> Reservation:
        """Count this attempt as failed before it is evaluated, or refuse it (429).

        ``device``: the device id of a valid device token for this account, else None.
        ``kind``: each kind of credential (signin, card, refresh) has its own per-address
        count, so wrong card codes typed at a school do not use up its password sign-ins.
        """
        taken: list[Counter] = []
        for counter in self.counters(ip, account, device, kind):
            if not await self.limiter.hit(counter.item, *counter.ids):
                # refused: it gives back what it took (this one included), so only attempts
                # that are evaluated count
                await self._give_back((*taken, counter))
                raise await self._refused(counter)
            taken.append(counter)
        return Reservation(tuple(taken))

    async def succeeded(self, reservation: Reservation) -> None:
        """The attempt was right: it was not a failure after all."""
        await self._give_back(reservation.counters)

    async def _give_back(self, counters: tuple[Counter, ...]) -> None:
        # a negative hit is an atomic DECR. If the window ended meanwhile, the next one starts
        # one below zero: at most one extra attempt, and only after a success
        await asyncio.gather(*(self.limiter.hit(c.item, *c.ids, cost=-1) for c in counters))

    async def _refused(self, counter: Counter) -> DomainError:
        stats = await self.limiter.get_window_stats(counter.item, *counter.ids)
        retry_after = max(1, math.ceil(stats.reset_time - time.time()))
        return DomainError(
            429,
            "rate_limited",
            "Too many sign-in attempts",
            f"too many failed attempts for this {counter.what}; try again in {retry_after} s",
            extra={"retry_after_s": retry_after},
            headers={"Retry-After": str(retry_after)},
        )


_BY_REDIS: dict[int, SignInLimits] = {}


def limits_for(redis: RedisClient, settings: Settings) -> SignInLimits:
    """One per Redis client (that is, per process and app), built on first use."""
    found = _BY_REDIS.get(id(redis))
    if found is None or found.redis is not redis:
        found = _BY_REDIS[id(redis)] = SignInLimits(redis, settings)
    return found


def client_ip(headers: Any, host: str | None, trust_forwarded_for: bool) -> str:
    if trust_forwarded_for:
        forwarded = headers.get("x-forwarded-for")
        if forwarded:
            return str(forwarded).split(",")[0].strip()
    return host or "unknown"
