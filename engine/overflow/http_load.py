"""HTTP requests in flight in this process: one of the shares its utilisation is the max of."""

from __future__ import annotations

from typing import Any

from engine.overflow.utilisation import InFlight

# one per process: every app built in it serves through the same event loop and CPU
http_in_flight = InFlight(limit=256)


def count_in_flight(app: Any) -> Any:
    """ASGI middleware: counts HTTP requests from their start until their response is sent."""

    async def middleware(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        http_in_flight.current += 1
        try:
            await app(scope, receive, send)
        finally:
            http_in_flight.current -= 1

    return middleware
