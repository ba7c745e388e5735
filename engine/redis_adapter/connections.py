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
with AUTH and SELECT. Everything else stays with redis-py, which also remains the fallback:

- a MOVED/ASK/TRYAGAIN/CLUSTERDOWN reply (Redis Cluster resharding) sends the command again
  through redis-py, whose cluster client follows the redirect and refreshes its slot table
  (replies are Redis's own values either way for scripts, which redis-py does not post-process);
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
import time
from collections import deque
from typing import Any, cast

import hiredis
from redis.asyncio import Redis
from redis.asyncio.cluster import RedisCluster
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError, ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

# replies that mean "this slot is elsewhere or moving": redis-py's cluster client handles them
_REDIRECTS = (b"MOVED", b"ASK", b"TRYAGAIN", b"CLUSTERDOWN")


# the two clients a process may hold: one Redis, or a Redis Cluster (UJIAN_REDIS_CLUSTER)
RedisClient = Redis | RedisCluster


class _ReplyError(Exception):
    """What hiredis builds for an error reply; turned into redis-py's classes below."""


def _redis_error(err: _ReplyError) -> ResponseError:
    message = str(err.args[0]) if err.args else ""
    if message.startswith("NOSCRIPT"):
        return NoScriptError(message)
    return ResponseError(message)


class _Connection(asyncio.Protocol):
    """One socket; commands in flight are answered in the order they were written."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.reader = hiredis.Reader(replyError=_ReplyError)
        self.waiting: deque[tuple[asyncio.Future[Any], float]] = deque()
        self.lost: Exception | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not subclasses of asyncio.Transport; they behave as one
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        self.reader.feed(data)
        while self.waiting:
            reply = self.reader.gets()
            if reply is False:
                return
            future, _ = self.waiting.popleft()
            if future.done():  # its caller gave up (a cancelled request)
                continue
            if isinstance(reply, _ReplyError):
                future.set_exception(_redis_error(reply))
            else:
                future.set_result(reply)

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = RedisConnectionError(f"connection to Redis lost: {exc or 'closed by server'}")
        while self.waiting:
            future, _ = self.waiting.popleft()
            if not future.done():
                future.set_exception(self.lost)

    @property
    def usable(self) -> bool:
        return self.lost is None and self.transport is not None and not self.transport.is_closing()

    def send(self, packed: bytes) -> asyncio.Future[Any]:
        assert self.transport is not None
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.waiting.append((future, time.monotonic()))
        self.transport.write(packed)
        return future

    def overdue(self, timeout_s: float) -> bool:
        return bool(self.waiting) and time.monotonic() - self.waiting[0][1] > timeout_s


class SharedConnection:
    """Shared connections to each Redis node, one per node, made on first use."""

    def __init__(self, client: Any, *, timeout_s: float = 10.0) -> None:
        self.client = client
        self.cluster = isinstance(client, RedisCluster)
        self.timeout_s = timeout_s
        self._connections: dict[tuple[str, int | str], _Connection] = {}
        self._connecting: dict[tuple[str, int | str], asyncio.Task[_Connection]] = {}
        self._watchdog: asyncio.TimerHandle | None = None
        self._cluster_ready = False
        if not self.cluster:
            kwargs = client.connection_pool.connection_kwargs
            self._standalone = _address(kwargs)
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

    async def execute(self, *command: Any, key: str, bulky: bool = False) -> Any:
        """Send ``command`` to the node holding ``key``; redis-py takes over on a redirect.
        ``bulky``: the command carries a large argument (``pack_bulky``)."""
        if self.cluster:
            if not self._cluster_ready:  # redis-py learns the slot table on its first use
                await self.client.initialize()
                self._cluster_ready = True
            node = self.client.get_node_from_key(key)
            address: tuple[str, int | str] = (node.host, node.port)
            kwargs = node.connection_kwargs
        else:
            address, kwargs = self._standalone, self._standalone_kwargs
        connection = self._connections.get(address)
        if connection is None or not connection.usable:
            connection = await self._connect(address, kwargs)
        try:
            packed = pack_bulky(command) if bulky else hiredis.pack_command(command)
            return await connection.send(packed)
        except ResponseError as err:
            if self.cluster and str(err).encode().startswith(_REDIRECTS):
                return await self.client.execute_command(*command)
            raise

    async def _connect(self, address: tuple[str, int | str], kwargs: dict[str, Any]) -> _Connection:
        # concurrent callers wait for one connection attempt rather than each making one
        task = self._connecting.get(address)
        if task is None:
            task = asyncio.ensure_future(self._open(address, kwargs))
            self._connecting[address] = task
            task.add_done_callback(lambda _: self._connecting.pop(address, None))
        return await asyncio.shield(task)

    async def _open(self, address: tuple[str, int | str], kwargs: dict[str, Any]) -> _Connection:
        loop = asyncio.get_running_loop()
        host, port = address
        made: list[_Connection] = []

        def protocol() -> _Connection:
            made.append(_Connection())
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

    async def _hello(self, connection: _Connection, kwargs: dict[str, Any]) -> None:
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
        if self._watchdog is not None:
            self._watchdog.cancel()
            self._watchdog = None
        for connection in self._connections.values():
            if connection.transport is not None:
                connection.transport.close()
        self._connections.clear()


def pack_bulky(command: tuple[Any, ...]) -> bytes:
    """``command`` in the Redis protocol, as ``hiredis.pack_command`` packs it, for commands
    with a large argument (a batch copied whole): hiredis copies arguments into its buffer a
    piece at a time, 0.6 ms for 350 kB measured, where a join copies them at memory speed."""
    parts = [b"*%d\r\n" % len(command)]
    for arg in command:
        if isinstance(arg, str):
            arg = arg.encode()
        elif isinstance(arg, int):
            arg = b"%d" % arg
        parts += (b"$%d\r\n" % len(arg), arg, b"\r\n")
    return b"".join(parts)


def _address(kwargs: dict[str, Any]) -> tuple[str, int | str]:
    if "path" in kwargs:
        return ("unix", kwargs["path"])
    return (kwargs.get("host", "localhost"), int(kwargs.get("port", 6379)))


class PipelinedRedis:
    """The hot calls of the API, pipelined on the shared connection when there is one, else
    through redis-py."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.shared = SharedConnection.for_client(client)

    async def execute(self, *command: Any, key: str, bulky: bool = False) -> Any:
        if self.shared is not None:
            return await self.shared.execute(*command, key=key, bulky=bulky)
        return await self.client.execute_command(*command)

    async def run_script(
        self, script: Any, keys: list[str], args: list[Any], *, bulky: bool = False
    ) -> Any:
        """EVALSHA of a redis-py ``Script``. A Redis that lost its script cache (a restart)
        gets the script loaded again by the script object itself."""
        try:
            return await self.execute(
                "EVALSHA", script.sha, len(keys), *keys, *args, key=keys[0], bulky=bulky
            )
        except NoScriptError:
            return await script(keys=keys, args=args)

    async def close(self) -> None:
        if self.shared is not None:
            await self.shared.close()


async def ping(redis: RedisClient) -> None:
    """Raises when Redis does not answer (readiness: engine/health.py)."""
    await redis.ping()
