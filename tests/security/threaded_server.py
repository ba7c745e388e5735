"""The API served over real TCP by uvicorn, on an event loop of its own (a thread of this
process), so a test can send requests at the same time and time them. Litestar's test client
cannot: it blocks its caller's loop until each response is complete."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import msgspec
import pytest
import uvicorn
from litestar import Litestar

from engine.app import create_app
from engine.settings import Settings
from tests.integration.conftest import PASSWORD


class LiveServer(msgspec.Struct):
    url: str
    app: Litestar
    # the server's event loop (background tasks of the app run on it)
    loop: asyncio.AbstractEventLoop

    @property
    def services(self) -> Any:
        return self.app.state.services


@pytest.fixture(scope="module")
def live_server(settings: Settings) -> Iterator[LiveServer]:
    app = create_app(settings)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    loop = asyncio.new_event_loop()

    def serve() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(server.serve(sockets=[sock]))

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.01)
    try:
        yield LiveServer(f"http://127.0.0.1:{sock.getsockname()[1]}", app, loop)
    finally:
        server.should_exit = True
        thread.join(30)
        sock.close()
        loop.close()


@pytest.fixture
async def http(live_server: LiveServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=live_server.url, timeout=120) as client:
        yield client


async def bearer(http: httpx.AsyncClient, username: str) -> dict[str, str]:
    r = await http.post("/v1/auth/token", json={"username": username, "password": PASSWORD})
    assert r.status_code == 201, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}
