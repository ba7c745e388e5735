"""The shared connection to Redis that the hot path's calls take: the sitting scripts every
answer batch and timer sync calls.

Measured side by side (bench/bench_workload.py, and the same script call in a loop), redis-py's
asyncio client spent ~200 µs of CPU per command on this hardware: a connection taken from the
pool and given back, a timeout, a retry wrapper, the command packed in Python, a socket write
through asyncio streams and a wake-up for the reply. That was as much as the whole rest of an
answer request. coredis measured the same. Here the same command goes over a connection that
many requests share (Redis answers in order, so replies are matched first in, first out),
packs it with hiredis and parses replies with hiredis's reader in ``data_received``: ~50 µs.

Scope, on purpose small: single commands (the sitting scripts), on plain TCP or a Unix socket,
with AUTH and SELECT (the socket itself: ``wire.py``). A durable call (``durability.py``, ADR
0019) is answered only once its WAIT behind it says a replica holds it. Everything else stays
with redis-py, which also remains the fallback:

- a MOVED/ASK/TRYAGAIN/CLUSTERDOWN reply (Redis Cluster resharding) sends the command again
  through redis-py, whose cluster client follows the redirect and refreshes its slot table
  (replies are Redis's own values either way for scripts, which redis-py does not post-process);
  a durable call follows MOVED and ASK here instead, since its WAIT must be on its connection;
- on Redis Cluster the node for a key comes from redis-py's own slot table;
- TLS (``rediss://``) is not spoken here: ``SharedConnection.for_client`` returns None and
  callers use redis-py.

Failures look like redis-py's: a lost or refused connection raises
``redis.exceptions.ConnectionError`` in every caller waiting on it (the next call reconnects),
a command unanswered for ``timeout_s`` raises ``redis.exceptions.TimeoutError`` and drops the
connection, an error reply raises ``ResponseError`` (``NoScriptError`` for NOSCRIPT).
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import hiredis
from redis.asyncio import Redis
from redis.asyncio.cluster import RedisCluster
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError, RedisError, ResponseError, TryAgainError
from redis.exceptions import TimeoutError as RedisTimeoutError

from engine.redis_adapter.durability import NO_DURABILITY, Durability, GroupWait, NotDurable
from engine.redis_adapter.wire import Connection, address_of, pack_bulky

log = logging.getLogger(__name__)

# replies that mean "this slot is elsewhere or moving": redis-py's cluster client handles them
_REDIRECTS = (b"MOVED", b"ASK", b"TRYAGAIN", b"CLUSTERDOWN")


# the two clients a process may hold: one Redis, or a Redis Cluster (UJIAN_REDIS_CLUSTER)
RedisClient = Redis | RedisCluster


class SharedConnection:
    """Shared connections to each Redis node, one per node, made on first use."""

    def __init__(self, client: Any, *, timeout_s: float = 10.0) -> None:
        self.client = client
        self.cluster = isinstance(client, RedisCluster)
        self.timeout_s = timeout_s
        self._connections: dict[tuple[str, int | str], Connection] = {}
        self._connecting: dict[tuple[str, int | str], asyncio.Task[Connection]] = {}
        self._watchdog: asyncio.TimerHandle | None = None
        self._cluster_ready = False
        self._refreshing: asyncio.Future[None] | None = None
        self._refreshed_at = 0.0
        if not self.cluster:
            kwargs = client.connection_pool.connection_kwargs
            self._standalone = address_of(kwargs)
            self._standalone_kwargs = kwargs

    @classmethod
    def for_client(cls, client: Any, *, timeout_s: float = 10.0) -> SharedConnection | None:
        """A shared connection beside ``client``, or None when it speaks TLS (left to redis-py)."""
        if isinstance(client, RedisCluster):
            tls = client.nodes_manager.connection_kwargs.get("connection_class")
        else:
            tls = client.connection_pool.connection_class
        if tls is not None and "SSL" in getattr(tls, "__name__", ""):
            return None
        return cls(client, timeout_s=timeout_s)

    async def execute(
        self, *command: Any, key: str, bulky: bool = False, durability: Durability = NO_DURABILITY
    ) -> Any:
        """Send ``command`` to the node holding ``key``; redis-py takes over on a redirect.
        ``bulky``: the command carries a large argument (``pack_bulky``). ``durability``: the
        reply is returned only once the write is held as it asks (durability.py), else
        ``NotDurable``; a redirect is then followed here, on a shared connection, since
        a WAIT counts only the writes of its own connection."""
        address, kwargs = await self._node(key)
        packed = pack_bulky(command) if bulky else hiredis.pack_command(command)
        try:
            if durability.on:
                return await self._execute_durably(packed, address, kwargs, durability)
            connection = await self._usable(address, kwargs)
            return await connection.send(packed)
        except RedisConnectionError:
            # the node is gone (a primary that died): its replica may be promoted by now
            self._refresh_slots()
            raise
        except ResponseError as err:
            if self.cluster and str(err).encode().startswith(_REDIRECTS):
                return await self.client.execute_command(*command)
            raise

    async def _execute_durably(
        self,
        packed: bytes,
        address: tuple[str, int | str],
        kwargs: dict[str, Any],
        durability: Durability,
    ) -> Any:
        asking = False
        for _ in range(3):  # MOVED, then ASK during a migration: a third hop is a bug
            connection = await self._usable(address, kwargs)
            if asking:
                connection.send(hiredis.pack_command(("ASKING",)))
            number = connection.sent
            reply = connection.send(packed)
            if connection.group_wait is None:
                connection.group_wait = GroupWait(durability)
            connection.group_wait.follow(connection)
            try:
                result = await reply
            except ResponseError as err:
                redirect = str(err).split()
                if not self.cluster or redirect[0] not in ("MOVED", "ASK"):
                    raise
                # MOVED: the slot map is stale (a failover, a resharding); ASK: this key's
                # slot is being migrated and the key is already there
                host, _, port = redirect[2].rpartition(":")
                address, asking = (host, int(port)), redirect[0] == "ASK"
                if not asking:
                    self._refresh_slots()
                continue
            await connection.group_wait.held(connection, number)
            return result
        raise TryAgainError("redirected more than twice")

    async def _node(self, key: str) -> tuple[tuple[str, int | str], dict[str, Any]]:
        if not self.cluster:
            return self._standalone, self._standalone_kwargs
        if not self._cluster_ready:  # redis-py learns the slot table on its first use
            await self.client.initialize()
            self._cluster_ready = True
        node = self.client.get_node_from_key(key)
        return (node.host, node.port), node.connection_kwargs

    async def _usable(self, address: tuple[str, int | str], kwargs: dict[str, Any]) -> Connection:
        connection = self._connections.get(address)
        if connection is not None and connection.usable:
            return connection
        return await self._connect(address, kwargs)

    def _refresh_slots(self) -> None:
        """Ask the cluster for its slot map again, in the background, at most one at a time
        and four a second, after a node was lost or a slot moved. redis-py refreshes the map
        it shares with this connection when one of its own commands meets the error, but
        this connection reads the map without going through redis-py's commands: a process
        whose only Redis traffic went through here would keep sending to a dead primary."""
        if not self.cluster or self._refreshing is not None:
            return
        if time.monotonic() - self._refreshed_at < 0.25:
            return
        self._refreshing = asyncio.ensure_future(self._refresh())

    async def _refresh(self) -> None:
        try:
            await self.client.nodes_manager.initialize()
        except (RedisError, OSError) as err:
            log.warning("Redis Cluster slot map not refreshed: %s", err)
        finally:
            self._refreshed_at = time.monotonic()
            self._refreshing = None

    async def _connect(self, address: tuple[str, int | str], kwargs: dict[str, Any]) -> Connection:
        # concurrent callers wait for one connection attempt rather than each making one
        task = self._connecting.get(address)
        if task is None:
            task = asyncio.ensure_future(self._open(address, kwargs))
            self._connecting[address] = task
            task.add_done_callback(lambda _: self._connecting.pop(address, None))
        return await asyncio.shield(task)

    async def _open(self, address: tuple[str, int | str], kwargs: dict[str, Any]) -> Connection:
        loop = asyncio.get_running_loop()
        host, port = address
        made: list[Connection] = []

        def protocol() -> Connection:
            made.append(Connection())
            return made[-1]

        try:
            async with asyncio.timeout(self.timeout_s):
                if host == "unix":
                    await loop.create_unix_connection(protocol, str(port))
                else:
                    await loop.create_connection(protocol, host, int(port))
                connection = made[-1]
                await self._hello(connection, kwargs)
        except BaseException as err:
            for half_open in made:  # refused sign-in or timed out: do not leak the socket
                if half_open.transport is not None:
                    half_open.transport.close()
            if isinstance(err, OSError | TimeoutError):
                raise RedisConnectionError(
                    f"cannot connect to Redis at {host}:{port}: {err}"
                ) from err
            raise
        self._connections[address] = connection
        if self._watchdog is None:
            self._watchdog = loop.call_later(1.0, self._watch)
        return connection

    async def _hello(self, connection: Connection, kwargs: dict[str, Any]) -> None:
        password, username = kwargs.get("password"), kwargs.get("username")
        commands: list[tuple[Any, ...]] = []
        if password:
            commands.append(("AUTH", username, password) if username else ("AUTH", password))
        if not self.cluster and int(kwargs.get("db") or 0):
            commands.append(("SELECT", int(kwargs["db"])))
        for command in commands:
            await connection.send(hiredis.pack_command(command))

    def _watch(self) -> None:
        """Once a second: a connection with a command unanswered past the timeout is dropped,
        which fails every command on it (the callers see a TimeoutError, not a hang)."""
        self._watchdog = None
        for connection in list(self._connections.values()):
            if connection.overdue(self.timeout_s) and connection.transport is not None:
                stuck = connection.waiting.copy()
                connection.waiting.clear()
                for future, _ in stuck:
                    if not future.done():
                        future.set_exception(
                            RedisTimeoutError(f"Redis did not answer within {self.timeout_s} s")
                        )
                connection.transport.abort()
        if any(c.waiting or c.usable for c in self._connections.values()):
            self._watchdog = asyncio.get_running_loop().call_later(1.0, self._watch)

    async def close(self) -> None:
        if self._refreshing is not None:
            self._refreshing.cancel()
        if self._watchdog is not None:
            self._watchdog.cancel()
            self._watchdog = None
        for connection in self._connections.values():
            if connection.transport is not None:
                connection.transport.close()
        self._connections.clear()


class PipelinedRedis:
    """The hot calls of the API, pipelined on the shared connection when there is one, else
    through redis-py. ``durability``: what a durable script's reply waits for (ADR 0019)."""

    def __init__(self, client: Any, durability: Durability = NO_DURABILITY) -> None:
        self.client = client
        self.durability = durability
        self.shared = SharedConnection.for_client(client)
        if durability.on and self.shared is None and isinstance(client, RedisCluster):
            # redis-py's cluster pipeline may send a redirected command again apart from the
            # WAIT behind it, which would then count another connection's writes
            raise RuntimeError(
                "UJIAN_REDIS_ACK_DURABILITY needs a plain (redis://) connection on Redis "
                "Cluster: over TLS, use none on a service whose writes are durable when "
                "acknowledged (MemoryDB), or connect without TLS inside the VPC"
            )

    async def execute(
        self, *command: Any, key: str, bulky: bool = False, durable: bool = False
    ) -> Any:
        durability = self.durability if durable else NO_DURABILITY
        if self.shared is not None:
            return await self.shared.execute(*command, key=key, bulky=bulky, durability=durability)
        if not durability.on:
            return await self.client.execute_command(*command)
        # one connection, the WAIT behind the write (a retry sends both again)
        pipe = self.client.pipeline(transaction=False)
        pipe.execute_command(*command)
        pipe.execute_command(*durability.command())
        result, waited = await pipe.execute(raise_on_error=False)
        if isinstance(result, Exception):
            raise result
        if isinstance(waited, Exception):
            raise waited
        if not durability.held(waited):
            raise NotDurable(f"{durability.command()[0]} counted {waited!r}")
        return result

    async def run_script(
        self,
        script: Any,
        keys: list[str],
        args: list[Any],
        *,
        bulky: bool = False,
        durable: bool = False,
    ) -> Any:
        """EVALSHA of a redis-py ``Script``. A Redis that lost its script cache (a restart, a
        promoted replica) gets the script loaded again: by the script object itself, or, for
        a ``durable`` call (whose WAIT must follow it on its connection), by SCRIPT LOAD on
        the node and the same EVALSHA again."""
        evalsha = ("EVALSHA", script.sha, len(keys), *keys, *args)
        try:
            return await self.execute(*evalsha, key=keys[0], bulky=bulky, durable=durable)
        except NoScriptError:
            if not (durable and self.durability.on):
                return await script(keys=keys, args=args)
        await self.execute("SCRIPT", "LOAD", script.script, key=keys[0])
        return await self.execute(*evalsha, key=keys[0], bulky=bulky, durable=True)

    async def close(self) -> None:
        if self.shared is not None:
            await self.shared.close()


async def ping(redis: RedisClient) -> None:
    """Raises when Redis does not answer (readiness: engine/health.py)."""
    await redis.ping()
