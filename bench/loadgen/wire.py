"""A keep-alive HTTP/1.1 connection pool on asyncio protocols, responses parsed by httptools.

The benchmarks' load generator shares a core with Redis and PostgreSQL: every microsecond it
spends on a request is one Redis does not get, and the API's core then idles waiting for
Redis. aiohttp's client costs ~110 µs of CPU per call (cookie jar, header multidicts, tracing,
URL objects); this pool writes a request as one pre-formatted bytes object and hands the
reply to httptools' C parser, a few times cheaper. It speaks only what the load generator
needs: requests with a body of known length (or none) to one origin over http or https,
answers with a Content-Length or chunked body (no HEAD, whose reply has a length and no body).
"""

from __future__ import annotations

import asyncio
import ssl
from collections import deque
from typing import cast
from urllib.parse import urlsplit

import httptools


class WireError(ConnectionError):
    """The connection closed, broke or timed out before a whole reply came."""


class _Connection(asyncio.Protocol):
    """One TCP connection: one request in flight at a time, replies parsed as they arrive."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._parser = httptools.HttpResponseParser(self)
        self._transport: asyncio.Transport | None = None
        self._reply: asyncio.Future[tuple[int, bytes]] | None = None
        self._chunks: list[bytes] = []
        self.reusable = True

    # -- asyncio.Protocol --------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not subclasses of asyncio.Transport: no isinstance check
        self._transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as err:
            self._fail(WireError(f"malformed reply: {err}"))

    def connection_lost(self, exc: Exception | None) -> None:
        self.reusable = False
        self._fail(WireError("connection closed before the reply"))

    # -- httptools callbacks -----------------------------------------------------------------
    def on_body(self, body: bytes) -> None:
        self._chunks.append(body)

    def on_message_complete(self) -> None:
        if not self._parser.should_keep_alive():
            self.reusable = False
        body = b"".join(self._chunks)
        self._chunks.clear()
        reply, self._reply = self._reply, None
        if reply is not None and not reply.done():
            reply.set_result((self._parser.get_status_code(), body))

    # -- requests ----------------------------------------------------------------------------
    def send(self, request: bytes) -> asyncio.Future[tuple[int, bytes]]:
        assert self._transport is not None
        reply = self._reply = self._loop.create_future()
        if self._transport.is_closing():
            self._fail(WireError("connection closed before the request"))
        else:
            self._transport.write(request)
        return reply

    def _fail(self, error: Exception) -> None:
        self.reusable = False
        reply, self._reply = self._reply, None
        if reply is not None and not reply.done():
            reply.set_exception(error)
        self.close()

    def time_out(self, reply: asyncio.Future[tuple[int, bytes]]) -> None:
        """``reply`` took too long: fail it and drop the connection (a late reply would be
        taken for the next request's)."""
        if not reply.done():
            self._fail(TimeoutError("no reply in time"))

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()


class WirePool:
    """Up to ``connections`` keep-alive connections to the origin of ``base_url``."""

    def __init__(
        self,
        base_url: str,
        *,
        connections: int,
        timeout_s: float,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or parts.hostname is None:
            raise ValueError(f"the wire pool speaks http or https to one host, not {base_url!r}")
        self._host = parts.hostname
        self._port = parts.port or (443 if parts.scheme == "https" else 80)
        # https: the system's trusted CAs unless a context is given (a private CA, say)
        self._tls = (tls or ssl.create_default_context()) if parts.scheme == "https" else None
        self._prefix = parts.path.rstrip("/")
        self._host_line = f"host: {parts.netloc}\r\n"
        self._timeout_s = timeout_s
        self._idle: deque[_Connection] = deque()
        self._slots = asyncio.Semaphore(connections)

    async def request(
        self, method: str, path: str, headers: str, body: bytes | None
    ) -> tuple[int, bytes]:
        """Status and body of one request; ``headers`` are whole ``name: value\\r\\n`` lines.
        Raises WireError (or OSError on connect) when no whole reply came."""
        length = f"content-length: {len(body)}\r\n" if body is not None else ""
        head = (
            f"{method} {self._prefix}{path} HTTP/1.1\r\n{self._host_line}{headers}{length}\r\n"
        ).encode("latin-1")
        request = head + body if body else head
        async with self._slots:
            connection = self._take_idle() or await self._connect()
            reply = connection.send(request)
            timer = asyncio.get_running_loop().call_later(
                self._timeout_s, connection.time_out, reply
            )
            try:
                result = await reply
            except BaseException:  # cancelled or failed: the reply may still come, unread
                connection.close()
                raise
            finally:
                timer.cancel()
            if connection.reusable:
                self._idle.append(connection)
            else:
                connection.close()
            return result

    def _take_idle(self) -> _Connection | None:
        """The most recently used live connection; ones the server closed meanwhile go."""
        while self._idle:
            connection = self._idle.pop()
            if connection.reusable:
                return connection
        return None

    async def _connect(self) -> _Connection:
        loop = asyncio.get_running_loop()
        _, connection = await asyncio.wait_for(
            loop.create_connection(
                lambda: _Connection(loop), self._host, self._port, ssl=self._tls
            ),
            self._timeout_s,
        )
        return connection

    async def close(self) -> None:
        while self._idle:
            self._idle.pop().close()
