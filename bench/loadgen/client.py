"""One pooled HTTP client for every simulated student, recording each call in ``Stats``.

On bench/loadgen/wire.py rather than aiohttp or httpx: the load generator must stay far
cheaper per request than the server it measures (it shares a core with Redis and PostgreSQL
in the benchmarks), and aiohttp's client cost as much CPU per call as half the API's.
"""

from __future__ import annotations

import time
from typing import Any

import msgspec

from .stats import Stats
from .wire import WirePool

_encode = msgspec.json.encode
_problem = msgspec.json.Decoder(dict[str, Any])


class Reply(msgspec.Struct):
    status: int  # 0: no HTTP reply at all (connection refused or reset, timeout)
    body: bytes
    error: str = ""  # "" when ok, else "<status> <problem code>" or the exception name

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def retryable(self) -> bool:
        """What a well-behaved page retries: no reply, a server error, or "slow down"."""
        return self.status == 0 or self.status >= 500 or self.status == 429

    def json(self) -> Any:
        return msgspec.json.decode(self.body)


def _error_of(status: int, body: bytes) -> str:
    try:
        code = _problem.decode(body).get("code", "")
    except msgspec.DecodeError:
        code = ""
    return f"{status} {code}".strip()


class Api:
    def __init__(
        self, base_url: str, stats: Stats, *, connections: int = 256, timeout_s: float = 30.0
    ) -> None:
        self.base = base_url.rstrip("/")
        self.stats = stats
        self.pool = WirePool(self.base, connections=connections, timeout_s=timeout_s)

    async def close(self) -> None:
        await self.pool.close()

    async def call(
        self,
        endpoint: str,
        method: str,
        path: str,
        *,
        token: str | None = None,
        body: Any = None,
        raw: bytes | None = None,
        headers: str = "",
    ) -> Reply:
        """``headers``: more whole ``name: value\\r\\n`` lines (``accept-encoding``, say)."""
        headers += "content-type: application/json\r\n"
        if token:
            headers += f"authorization: Bearer {token}\r\n"
        data = raw if raw is not None else (None if body is None else _encode(body))
        started = time.perf_counter()
        try:
            status, payload = await self.pool.request(method, path, headers, data)
        except (TimeoutError, OSError) as err:  # WireError is a ConnectionError
            self.stats.record(
                endpoint, time.perf_counter() - started, False, "connection " + type(err).__name__
            )
            return Reply(0, b"", type(err).__name__)
        ok = 200 <= status < 300
        error = "" if ok else _error_of(status, payload)
        self.stats.record(endpoint, time.perf_counter() - started, ok, error)
        return Reply(status, payload, error)
