"""The shared connection to Redis (engine/redis_adapter/connections.py) against a real Redis:
the same replies and errors as redis-py, replies matched to their callers, and recovery from a
lost or stuck connection."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError, ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from engine.app import connect_redis
from engine.redis_adapter.connections import SharedConnection
from tests.conftest import ServerUrls
from tests.waiting import poll_until


@pytest.fixture
async def redis(server_urls: ServerUrls) -> AsyncIterator[Any]:
    client = connect_redis(server_urls.redis)
    yield client
    await client.aclose()


@pytest.fixture
async def lane(redis: Any) -> AsyncIterator[SharedConnection]:
    found = SharedConnection.for_client(redis)
    assert found is not None
    yield found
    await found.close()


def _key() -> str:
    return f"lane-test:{uuid.uuid4().hex}"


async def test_replies_are_redis_py_replies(lane: SharedConnection, redis: Any) -> None:
    key = _key()
    assert await lane.execute("SET", key, "v", key=key) == b"OK"
    assert await lane.execute("GET", key, key=key) == b"v"
    assert await lane.execute("GET", _key(), key=key) is None
    script = redis.register_script("return {KEYS[1], tonumber(ARGV[1]) + 1, {'a', false}}")
    via_redis_py = await script(keys=[key], args=[41])
    via_lane = await lane.execute("EVALSHA", script.sha, 1, key, 41, key=key)
    assert via_lane == via_redis_py == [key.encode(), 42, [b"a", None]]
    await redis.delete(key)


async def test_error_replies_raise_redis_py_errors(lane: SharedConnection, redis: Any) -> None:
    key = _key()
    await redis.rpush(key, "x")
    with pytest.raises(ResponseError, match="WRONGTYPE"):
        await lane.execute("GET", key, key=key)
    with pytest.raises(NoScriptError):
        await lane.execute("EVALSHA", "0" * 40, 1, key, key=key)
    # the connection is still in step: the next reply is the next command's
    assert await lane.execute("LLEN", key, key=key) == 1
    await redis.delete(key)


@settings(max_examples=25, deadline=None)
@given(values=st.lists(st.integers(-(2**40), 2**40), min_size=1, max_size=60))
def test_concurrent_callers_each_get_their_own_reply(
    server_urls: ServerUrls, values: list[int]
) -> None:
    async def run() -> list[int]:
        client = connect_redis(server_urls.redis)
        lane = SharedConnection.for_client(client)
        assert lane is not None
        keys = [_key() for _ in values]
        try:
            return list(
                await asyncio.gather(
                    *(
                        lane.execute("INCRBY", k, v, key=k)
                        for k, v in zip(keys, values, strict=True)
                    )
                )
            )
        finally:
            await client.delete(*keys)
            await lane.close()
            await client.aclose()

    # fired at once on one connection: each caller must get its own key's value back
    assert asyncio.run(run()) == values


async def test_a_killed_connection_fails_its_callers_and_the_next_call_reconnects(
    lane: SharedConnection, redis: Any
) -> None:
    key = _key()
    first_id = await lane.execute("CLIENT", "ID", key=key)
    # a caller waiting on the connection when it dies gets a ConnectionError, not a hang
    waiting = asyncio.ensure_future(lane.execute("BLPOP", key, 5, key=key))

    async def blocked() -> bool:
        clients = await redis.execute_command("CLIENT", "LIST", "TYPE", "normal")
        listing = clients if isinstance(clients, str) else clients.decode()
        return f"id={first_id} " in listing and "cmd=blpop" in listing

    await poll_until(blocked, 5)
    assert await redis.execute_command("CLIENT", "KILL", "ID", first_id) == 1
    with pytest.raises(RedisConnectionError):
        await asyncio.wait_for(waiting, 3)
    second_id = await lane.execute("CLIENT", "ID", key=key)
    assert second_id != first_id


async def test_an_unanswered_command_times_out_and_drops_the_connection(redis: Any) -> None:
    lane = SharedConnection(redis, timeout_s=0.5)
    key = _key()
    try:
        first_id = await lane.execute("CLIENT", "ID", key=key)
        started = time.monotonic()
        with pytest.raises(RedisTimeoutError):
            await lane.execute("BLPOP", key, 10, key=key)  # nothing ever comes
        assert time.monotonic() - started < 3
        assert await lane.execute("CLIENT", "ID", key=key) != first_id
    finally:
        await lane.close()


async def test_the_database_of_the_url_is_selected(server_urls: ServerUrls) -> None:
    base = server_urls.redis.rsplit("/", 1)[0]
    client = connect_redis(f"{base}/3")
    lane = SharedConnection.for_client(client)
    assert lane is not None
    key = _key()
    try:
        await lane.execute("SET", key, "in-db-3", key=key)
        assert await client.get(key) == b"in-db-3"
        other = connect_redis(f"{base}/0")
        assert await other.get(key) is None
        await other.aclose()
    finally:
        await client.delete(key)
        await lane.close()
        await client.aclose()


async def test_a_refused_connection_is_a_connection_error() -> None:
    client = connect_redis("redis://127.0.0.1:1/0")  # nothing listens on port 1
    lane = SharedConnection.for_client(client)
    assert lane is not None
    with pytest.raises(RedisConnectionError):
        await lane.execute("PING", key="k")
    await lane.close()
    await client.aclose()


async def test_tls_is_left_to_redis_py() -> None:
    client = connect_redis("rediss://127.0.0.1:1/0")
    assert SharedConnection.for_client(client) is None
    await client.aclose()


async def test_the_user_and_password_of_the_url_sign_in(
    redis: Any, server_urls: ServerUrls
) -> None:
    user, secret = f"lane-{uuid.uuid4().hex[:8]}", uuid.uuid4().hex
    await redis.execute_command("ACL", "SETUSER", user, "on", f">{secret}", "~lane-test:*", "+@all")
    host_port = server_urls.redis.split("://", 1)[1].split("/", 1)[0]
    client = connect_redis(f"redis://{user}:{secret}@{host_port}/0")
    wrong = connect_redis(f"redis://{user}:not-{secret}@{host_port}/0")
    lane, refused = SharedConnection.for_client(client), SharedConnection.for_client(wrong)
    assert lane is not None and refused is not None
    key = _key()
    try:
        assert await lane.execute("ACL", "WHOAMI", key=key) == user.encode()
        with pytest.raises(ResponseError):
            await refused.execute("PING", key=key)
    finally:
        await lane.close()
        await refused.close()
        await client.aclose()
        await wrong.aclose()
        await redis.execute_command("ACL", "DELUSER", user)


async def test_a_pooled_connection_killed_while_idle_reconnects_on_use(
    redis: Any, server_urls: ServerUrls
) -> None:
    """After a Redis restart the pool's idle connections are dead; the hot calls use the lane,
    so one may not be used again for a while. Its next use reconnects and succeeds."""
    client = connect_redis(server_urls.redis, max_connections=1)  # always the same connection
    try:
        first_id = await client.client_id()
        assert await redis.execute_command("CLIENT", "KILL", "ID", first_id) == 1
        assert await client.ping() is True
        assert await client.client_id() != first_id
    finally:
        await client.aclose()
