"""The app served in the test's own event loop, so requests sent at once really run at once.

Litestar's test client runs the app in a portal thread and sends one request at a time (each
call blocks until its answer), which hides races; httpx's ASGI transport awaits the app in the
caller's loop instead. The app's lifespan (pools, Redis) runs in that loop too.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

from engine.app import create_app
from engine.settings import Settings


@asynccontextmanager
async def concurrent_client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)
    started, stop = asyncio.Event(), asyncio.Event()

    async def serve() -> None:
        # the lifespan is entered and left by one task (its cancel scopes insist), while
        # pytest may set a fixture up and tear it down in different tasks
        async with app.lifespan():
            started.set()
            await stop.wait()

    server = asyncio.create_task(serve())
    await asyncio.wait(
        [server, asyncio.create_task(started.wait())], return_when=asyncio.FIRST_COMPLETED
    )
    if server.done():
        server.result()  # the start failed: say why
    try:
        transport = httpx.ASGITransport(app=app, client=("192.0.2.1", 50000))
        async with httpx.AsyncClient(
            transport=transport, base_url="http://ujian.test", timeout=300
        ) as client:
            yield client
    finally:
        stop.set()
        await server
