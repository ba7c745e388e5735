"""Sign-in rate limits per account and per IP, in Redis, through the ``limits`` library.

What is limited is *failed* attempts (wrong password, unknown or spent token, wrong card code):
that is what guessing looks like, while a school's 600 students signing in correctly behind one
NAT address within a minute is exam day. Fixed windows; both limits are read in one round trip
before the attempt and counted after a failure. A refused attempt gets ``429 rate_limited``
with ``Retry-After`` in seconds.
"""

from __future__ import annotations

import asyncio
import math
import time
from typing import Any

from limits import RateLimitItem, parse
from limits.aio.storage import RedisClusterStorage, RedisStorage, Storage
from limits.aio.strategies import FixedWindowRateLimiter
from redis.asyncio.cluster import RedisCluster

from engine.problems import Problem
from engine.settings import Settings


class SignInLimits:
    def __init__(self, redis: Any, settings: Settings) -> None:
        self.redis = redis
        # the app's own connection pool: no second client to configure or close
        prefix = f"{settings.redis_namespace}:rl"
        storage: Storage
        if isinstance(redis, RedisCluster):
            storage = RedisClusterStorage(
                "async+redis+cluster://" + (settings.redis_url or "").split("://", 1)[-1],
                implementation="redispy", key_prefix=prefix)
        else:
            # the app's own connection pool: no second client to configure or close
            storage = RedisStorage("async+redis://", implementation="redispy",
                                   connection_pool=redis.connection_pool, key_prefix=prefix)
        self.limiter = FixedWindowRateLimiter(storage)
        self.per_ip: RateLimitItem = parse(settings.signin_rate_per_ip)
        self.per_account: RateLimitItem = parse(settings.signin_rate_per_account)

    async def check(self, ip: str, account: str) -> None:
        """Refuse (429) when this address or account has used up its failed attempts."""
        account = account.lower()
        ip_ok, account_ok = await asyncio.gather(
            self.limiter.test(self.per_ip, "signin-ip", ip),
            self.limiter.test(self.per_account, "signin-account", account),
        )
        if ip_ok and account_ok:
            return
        item, key = ((self.per_ip, ("signin-ip", ip)) if not ip_ok
                     else (self.per_account, ("signin-account", account)))
        stats = await self.limiter.get_window_stats(item, *key)
        retry_after = max(1, math.ceil(stats.reset_time - time.time()))
        which = "address" if not ip_ok else "account"
        raise Problem(
            429, "rate_limited", "Too many sign-in attempts",
            f"too many failed attempts from this {which}; try again in {retry_after} s",
            extra={"retry_after_s": retry_after}, headers={"Retry-After": str(retry_after)},
        )

    async def failed(self, ip: str, account: str) -> None:
        """Count a failed attempt against both limits."""
        await asyncio.gather(
            self.limiter.hit(self.per_ip, "signin-ip", ip),
            self.limiter.hit(self.per_account, "signin-account", account.lower()),
        )

    async def reset_account(self, account: str) -> None:
        await self.limiter.clear(self.per_account, "signin-account", account.lower())


_BY_REDIS: dict[int, SignInLimits] = {}


def limits_for(redis: Any, settings: Settings) -> SignInLimits:
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
