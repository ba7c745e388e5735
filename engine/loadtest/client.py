"""One pooled HTTP client for every simulated student, recording each call in ``Stats``.

aiohttp rather than httpx: the load generator must stay cheaper per request than the server it
measures, and aiohttp's client costs a fraction of httpx's CPU per call.
"""

from __future__ import annotations

import time
from functools import lru_cache
from typing import Any

import aiohttp
import msgspec
from yarl import URL

from engine.loadtest.stats import Stats

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
    def __init__(self, base_url: str, stats: Stats, *, connections: int = 256,
                 timeout_s: float = 30.0) -> None:
        self.base = base_url.rstrip("/")
        self.stats = stats
        self._connector = aiohttp.TCPConnector(limit=connections, ttl_dns_cache=None)
        self.session = aiohttp.ClientSession(
            connector=self._connector, timeout=aiohttp.ClientTimeout(total=timeout_s),
            skip_auto_headers=("User-Agent",),
        )
        # aiohttp parses a URL given as text on every request, a tenth of its CPU per call
        # (profiled in bench/bench_workload.py); a run's paths repeat, so each is parsed once
        self.url = lru_cache(maxsize=1 << 16)(self._parse_url)

    def _parse_url(self, path: str) -> URL:
        return URL(self.base + path)

    async def close(self) -> None:
        await self.session.close()

    async def call(self, endpoint: str, method: str, path: str, *, token: str | None = None,
                   body: Any = None, raw: bytes | None = None) -> Reply:
        headers = {"content-type": "application/json"}
        if token:
            headers["authorization"] = f"Bearer {token}"
        data = raw if raw is not None else (None if body is None else _encode(body))
        started = time.perf_counter()
        try:
            async with self.session.request(method, self.url(path), data=data,
                                            headers=headers) as response:
                payload = await response.read()
                status = response.status
        except (aiohttp.ClientError, TimeoutError, OSError) as err:
            self.stats.record(endpoint, time.perf_counter() - started, False,
                              "connection " + type(err).__name__)
            return Reply(0, b"", type(err).__name__)
        ok = 200 <= status < 300
        error = "" if ok else _error_of(status, payload)
        self.stats.record(endpoint, time.perf_counter() - started, ok, error)
        return Reply(status, payload, error)
