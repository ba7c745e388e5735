"""A TCP load balancer on loopback, as a Kubernetes Service spreads connections over the API
pods: each new connection goes to the next backend that accepts it, and bytes are copied both
ways until either side closes. Backends can be swapped while it runs (a rolling restart)."""

from __future__ import annotations

import asyncio
import contextlib
import itertools

from engine.embedded import free_loopback_port


class Balancer:
    def __init__(self, backends: list[int]) -> None:
        # the ports of the live backends; edited in place by whoever restarts them
        self.backends = backends
        self.port = free_loopback_port()
        self._turn = itertools.count()
        self._server: asyncio.Server | None = None
        self._pipes: set[asyncio.Task[None]] = set()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", self.port)

    async def _connect(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter] | None:
        for _ in range(len(self.backends)):
            port = self.backends[next(self._turn) % len(self.backends)]
            with contextlib.suppress(OSError):
                return await asyncio.open_connection("127.0.0.1", port)
        return None  # none accepts: the client sees its connection closed, and retries

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream = await self._connect()
        if upstream is None:
            writer.close()
            return
        up_reader, up_writer = upstream
        pipes = [
            asyncio.ensure_future(_copy(reader, up_writer)),
            asyncio.ensure_future(_copy(up_reader, writer)),
        ]
        self._pipes.update(pipes)
        # either side closing closes both, as a proxy whose backend went away does
        _, pending = await asyncio.wait(pipes, return_when=asyncio.FIRST_COMPLETED)
        for pipe in pending:
            pipe.cancel()
        for w in (writer, up_writer):
            w.close()
        self._pipes.difference_update(pipes)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        for pipe in list(self._pipes):
            pipe.cancel()
        if self._server is not None:
            await self._server.wait_closed()


async def _copy(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
    with contextlib.suppress(OSError, asyncio.IncompleteReadError):
        while data := await source.read(65536):
            sink.write(data)
            await sink.drain()
