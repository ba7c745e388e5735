"""Sign-in throttling cannot be turned against the innocent (OWASP Authentication Cheat Sheet).

Real PostgreSQL and Redis, the real app. argon2 runs at a test cost here (the limits, not the
hash, are under test), so a thousand sign-ins take seconds on two cores.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import httpx
import msgspec
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from engine.app import connect_redis, open_services
from engine.auth import devices
from engine.auth.passwords import passwords_for
from engine.auth.ratelimit import SignInLimits
from engine.kernel.errors import DomainError
from engine.services import Services
from engine.settings import Settings
from tests.conftest import ServerUrls
from tests.integration.conftest import settings  # noqa: F401  (the session's servers)
from tests.security.concurrent_app import concurrent_client

PASSWORD = "correct horse battery staple"
LIMIT = 10
SCHOOL_SIZE = 1000
ATTACKS = 500
NAT = {"X-Forwarded-For": "203.0.113.7"}
WINDOW_MIN = 10


@pytest.fixture(scope="module")
def throttled(settings: Settings) -> Settings:  # noqa: F811
    return msgspec.structs.replace(
        settings,
        redis_namespace=f"{settings.redis_namespace}thr{uuid.uuid4().hex[:6]}",
        # the cheapest argon2id: what is measured is who gets in, not how long a hash takes
        argon2_time_cost=1,
        argon2_memory_kib=64,
        # the default limits, their windows stretched from one minute to ten: the school's
        # minute is then one window however slow the machine running the test is (on a loaded
        # machine the scenario took over a minute, and a new window would hand the guesser a
        # fresh allowance); the same counts over a longer window are only stricter
        signin_rate_per_account=f"{LIMIT}/{WINDOW_MIN} minutes",
        signin_rate_per_device=f"{LIMIT}/{WINDOW_MIN} minutes",
        signin_rate_per_ip=_stretched(Settings().signin_rate_per_ip),
        trust_forwarded_for=True,
    )


def _stretched(per_minute: str) -> str:
    count, unit = per_minute.split("/")
    assert unit == "minute", per_minute
    return f"{count}/{WINDOW_MIN} minutes"


@pytest.fixture(scope="module")
async def tsvc(throttled: Settings) -> AsyncIterator[Services]:
    async with open_services(throttled) as services:
        yield services


@pytest.fixture(scope="module")
async def tclient(throttled: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with concurrent_client(throttled) as client:
        yield client


async def _school(svc: Services, size: int) -> list[str]:
    """A school with ``size`` students sharing one (test-cost) password hash."""
    tag, org = uuid.uuid4().hex[:6], uuid.uuid4()
    password_hash = passwords_for(svc.settings).hash(PASSWORD)
    names = [f"nat-{tag}-{n:04d}" for n in range(size)]
    async with svc.pool.acquire() as conn:
        await conn.execute(
            "INSERT INTO orgs (id, name, kind) VALUES ($1, $2, 'school')", org, f"NAT school {tag}"
        )
        await conn.executemany(
            "INSERT INTO users (id, org_id, username, display_name, role, password_hash) "
            "VALUES ($1, $2, $3, $3, 'student', $4)",
            [(uuid.uuid4(), org, name, password_hash) for name in names],
        )
    return names


async def _sign_in(
    client: httpx.AsyncClient,
    username: str,
    password: str = PASSWORD,
    device_token: str | None = None,
    ip: dict[str, str] = NAT,
) -> Any:
    body: dict[str, Any] = {"username": username, "password": password}
    if device_token is not None:
        body["device_token"] = device_token
    return await client.post("/v1/auth/token", headers=ip, json=body)


def _assert_rate_limited(r: Any) -> None:
    assert r.status_code == 429, r.text
    assert r.json()["code"] == "rate_limited"
    assert 1 <= int(r.headers["retry-after"]) <= WINDOW_MIN * 60


async def test_a_whole_school_behind_one_address_gets_in_while_one_account_is_attacked(
    tclient: httpx.AsyncClient, tsvc: Services
) -> None:
    students = await _school(tsvc, SCHOOL_SIZE)
    victim = students[0]
    # the victim signed in on this device before (yesterday, say): it holds a device token
    r = await _sign_in(tclient, victim)
    assert r.status_code == 201, r.text
    victim_device = r.json()["device_token"]
    gate = asyncio.Semaphore(50)

    async def attempt(username: str, password: str, token: str | None = None) -> int:
        async with gate:
            return (await _sign_in(tclient, username, password, token)).status_code

    # 1,000 correct sign-ins (the victim's from its own device) and 500 wrong passwords for the
    # victim's account, all from the school's one address, interleaved
    attacks = [attempt(victim, f"guess-{n}") for n in range(ATTACKS)]
    logins = [attempt(s, PASSWORD, victim_device if s == victim else None) for s in students]
    mixed = [job for pair in zip(attacks, logins[:ATTACKS], strict=True) for job in pair]
    started = time.monotonic()
    codes = await asyncio.gather(*mixed, *logins[ATTACKS:])
    elapsed = time.monotonic() - started
    assert elapsed < WINDOW_MIN * 60, f"the scenario must fit one window; it took {elapsed:.0f} s"
    attack_codes = Counter(codes[0 : 2 * ATTACKS : 2])
    login_codes = Counter(codes[1 : 2 * ATTACKS : 2]) + Counter(codes[2 * ATTACKS :])
    assert login_codes == {201: SCHOOL_SIZE}, login_codes
    # the guesser got at most the account's limit of evaluated guesses, the rest were refused
    assert attack_codes[401] <= LIMIT and attack_codes[401] + attack_codes[429] == ATTACKS
    # the account stays locked for clients it does not know
    _assert_rate_limited(await _sign_in(tclient, victim))


async def test_a_device_that_signed_in_before_is_not_locked_out_by_someone_elses_failures(
    tclient: httpx.AsyncClient, tsvc: Services
) -> None:
    owner, other = await _school(tsvc, 2)
    laptop = (await _sign_in(tclient, owner)).json()["device_token"]
    phone = (await _sign_in(tclient, owner)).json()["device_token"]
    # the attack, from another address: the account is locked for untrusted clients …
    elsewhere = {"X-Forwarded-For": "198.51.100.9"}
    for n in range(LIMIT):
        r = await _sign_in(tclient, owner, f"guess-{n}", ip=elsewhere)
        assert r.status_code == 401
    _assert_rate_limited(await _sign_in(tclient, owner, ip=elsewhere))
    _assert_rate_limited(await _sign_in(tclient, owner))
    # … and a device token does not help a guesser with another account's token or a forgery
    other_token = (await _sign_in(tclient, other)).json()["device_token"]
    _assert_rate_limited(await _sign_in(tclient, owner, device_token=other_token))
    _assert_rate_limited(await _sign_in(tclient, owner, device_token=laptop[:-4] + "AAAA"))
    # the owner's devices still get in, and each gets its token back for next time
    r = await _sign_in(tclient, owner, device_token=laptop)
    assert r.status_code == 201, r.text
    assert r.json()["device_token"]
    # a trusted device's own failures lock out that device only
    for n in range(LIMIT):
        r = await _sign_in(tclient, owner, f"typo-{n}", device_token=laptop)
        assert r.status_code == 401
    _assert_rate_limited(await _sign_in(tclient, owner, device_token=laptop))
    r = await _sign_in(tclient, owner, device_token=phone)
    assert r.status_code == 201, r.text


async def _parallel(n: int, call: Any) -> Counter[int]:
    return Counter(await asyncio.gather(*(call(i) for i in range(n))))


@pytest.mark.parametrize("trusted", [False, True], ids=["untrusted", "trusted-device"])
async def test_fifty_parallel_guesses_evaluate_at_most_the_limit(
    tclient: httpx.AsyncClient, tsvc: Services, trusted: bool
) -> None:
    (victim,) = await _school(tsvc, 1)
    token = (await _sign_in(tclient, victim)).json()["device_token"] if trusted else None
    passwords = passwords_for(tsvc.settings)
    before = passwords.verifications

    async def guess(i: int) -> int:
        # the right password is among them (number 25): it may or may not be one of the ten
        password = PASSWORD if i == 25 else f"guess-{i}"
        r = await _sign_in(tclient, victim, password, token)
        if r.status_code == 429:
            _assert_rate_limited(r)
        return int(r.status_code)

    codes = await _parallel(50, guess)
    evaluated = passwords.verifications - before
    assert codes[401] <= LIMIT, codes
    # every evaluation is a verification; the right password, if it was evaluated, gave its
    # place back, so one more may have been evaluated after it
    assert evaluated <= LIMIT + 1 and evaluated == codes[401] + codes[201], (evaluated, codes)
    assert codes[401] + codes[201] + codes[429] == 50


async def test_current_password_guesses_are_limited_per_session_device(
    tclient: httpx.AsyncClient, tsvc: Services
) -> None:
    (owner,) = await _school(tsvc, 1)
    stolen = (await _sign_in(tclient, owner)).json()
    mine = (await _sign_in(tclient, owner)).json()
    passwords = passwords_for(tsvc.settings)
    before = passwords.verifications

    async def guess(i: int) -> int:
        r = await tclient.post(
            "/v1/me/password",
            headers={**NAT, "Authorization": f"Bearer {stolen['access_token']}"},
            json={"current_password": f"guess-{i}", "new_password": "a fresh pass phrase 9"},
        )
        if r.status_code == 429:
            _assert_rate_limited(r)
        return int(r.status_code)

    codes = await _parallel(50, guess)
    assert codes[403] <= LIMIT and codes[403] + codes[429] == 50, codes
    assert passwords.verifications - before == codes[403]
    # the guessing session is locked out of guessing; the owner's own session is not
    r = await tclient.post(
        "/v1/me/password",
        headers={**NAT, "Authorization": f"Bearer {stolen['access_token']}"},
        json={"current_password": PASSWORD, "new_password": "a fresh pass phrase 9"},
    )
    _assert_rate_limited(r)
    r = await tclient.post(
        "/v1/me/password",
        headers={**NAT, "Authorization": f"Bearer {mine['access_token']}"},
        json={"current_password": PASSWORD, "new_password": "a fresh pass phrase 9"},
    )
    assert r.status_code == 204, r.text
    assert (await _sign_in(tclient, owner, "a fresh pass phrase 9")).status_code == 201


async def test_refresh_and_exam_card_sign_in_keep_working_under_the_limits(
    tclient: httpx.AsyncClient, tsvc: Services
) -> None:
    (owner,) = await _school(tsvc, 1)
    pair = (await _sign_in(tclient, owner)).json()
    # more successful refreshes than the limit: a success is not a failure
    for _ in range(LIMIT + 2):
        r = await tclient.post(
            "/v1/auth/refresh", headers=NAT, json={"refresh_token": pair["refresh_token"]}
        )
        assert r.status_code == 200, r.text
        pair = r.json()
    # a token that was ours but is signed out (or expired) is no guess: presented again and
    # again (a pupil's app retrying), it never turns into a lock-out
    await tclient.post("/v1/auth/logout", json={"refresh_token": pair["refresh_token"]})
    for _ in range(LIMIT + 2):
        r = await tclient.post(
            "/v1/auth/refresh", headers=NAT, json={"refresh_token": pair["refresh_token"]}
        )
        assert r.status_code == 401 and r.json()["code"] == "invalid_refresh_token", r.text
    # a wrong card code tried 30 times at once: counted before it is looked up, so at most the
    # limit are looked up and the rest are refused
    code = "2222-3333-" + uuid.uuid4().hex[:4].upper().translate(str.maketrans("01", "ZY"))

    async def card(_: int) -> int:
        return int(
            (await tclient.post("/v1/auth/card", headers=NAT, json={"code": code})).status_code
        )

    codes = await _parallel(30, card)
    assert codes[401] == LIMIT and codes[429] == 30 - LIMIT, codes
    _assert_rate_limited(await tclient.post("/v1/auth/card", headers=NAT, json={"code": code}))


# device tokens: a parser of untrusted input, so a property test

SECRET = "test-secret-" + "x" * 32


@hsettings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    token=st.one_of(
        st.none(),
        st.text(max_size=300),
        st.from_regex(
            r"[A-Za-z0-9_-]{1,60}\.[A-Za-z0-9_-]{1,60}\.[A-Za-z0-9_-]{0,60}", fullmatch=True
        ),
    ),
    username=st.text(min_size=1, max_size=50),
)
def test_any_string_is_a_valid_device_token_only_if_we_issued_it(
    token: str | None, username: str
) -> None:
    assert devices.trusted_device(SECRET, token, username) is None


@hsettings(max_examples=100, deadline=None)
@given(
    username=st.from_regex(r"[A-Za-z0-9._@-]{3,64}", fullmatch=True),
    other=st.from_regex(r"[A-Za-z0-9._@-]{3,64}", fullmatch=True),
    device=st.from_regex(r"[0-9a-f]{16}", fullmatch=True),
)
def test_a_device_token_trusts_its_own_account_and_device_only(
    username: str, other: str, device: str
) -> None:
    token = devices.issue(SECRET, username, device, 3600)
    assert devices.trusted_device(SECRET, token, username) == device
    assert devices.trusted_device(SECRET, token, username.upper()) == device
    if other.lower() != username.lower():
        assert devices.trusted_device(SECRET, token, other) is None
    assert devices.trusted_device(SECRET + "-other", token, username) is None
    expired = devices.issue(SECRET, username, device, -1)
    assert devices.trusted_device(SECRET, expired, username) is None


# the reservation protocol is a small state machine (reserve → evaluate → keep or give back):
# for any mix of right and wrong attempts, started together and interleaved in any order, the
# failures evaluated never pass the limit and the counter ends holding exactly those failures


async def _interleaved(
    redis_url: str, plan: list[tuple[bool, int]], limit: int, trusted: bool
) -> None:
    config = Settings(
        redis_url=redis_url,
        redis_namespace=f"prop{uuid.uuid4().hex[:10]}",
        signin_rate_per_account=f"{limit}/minute",
        signin_rate_per_device=f"{limit}/minute",
    )
    redis = connect_redis(redis_url)
    try:
        limits = SignInLimits(redis, config)
        device = "laptop" if trusted else None

        async def attempt(right: bool, yields: int) -> str:
            try:
                held = await limits.reserve("198.51.100.1", "Siti", device)
            except DomainError as refused:
                assert refused.status == 429 and refused.headers
                return "refused"
            for _ in range(yields):  # the evaluation: others run meanwhile
                await asyncio.sleep(0)
            if right:
                await limits.succeeded(held)
                return "admitted"
            return "failed"

        results = Counter(await asyncio.gather(*(attempt(r, y) for r, y in plan)))
        assert results["failed"] <= limit, results
        if len(plan) <= limit:
            assert results["refused"] == 0, results
        first = limits.counters("198.51.100.1", "siti", device)[0]
        held_now = await limits.limiter.storage.get(first.item.key_for(*first.ids))
        assert held_now == results["failed"], (held_now, results)
    finally:
        await redis.aclose()


@hsettings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    plan=st.lists(st.tuples(st.booleans(), st.integers(0, 4)), min_size=1, max_size=40),
    limit=st.integers(1, 12),
    trusted=st.booleans(),
)
def test_any_interleaving_of_attempts_evaluates_at_most_the_limit_of_failures(
    server_urls: ServerUrls, plan: list[tuple[bool, int]], limit: int, trusted: bool
) -> None:
    asyncio.run(_interleaved(server_urls.redis, plan, limit, trusted))
