"""Redis is spoken in one place: the Redis adapter (``engine/redis_adapter/``) and the stores of
an aggregate that stand on it (``store.py``, ``*_store.py``, ``*_cache.py``, ``cache.py``), as
SQL is spoken only in repositories (ADR 0017).

A call of a Redis command (any public method of redis-py's client: ``get``, ``zadd``,
``xreadgroup``, ``register_script``, ``pipeline``, ...) on something named as a Redis client or
pipeline (``redis``, ``svc.redis``, ``self._redis``, ``pipe``) anywhere else is a layer broken.
Which modules import redis-py at all is the ``redis-adapter`` import contract's job."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from redis.asyncio import Redis

REPO = Path(__file__).resolve().parents[3]
PACKAGES = ("engine", "grading", "proctoring", "question_bank", "overflow_lambda")
ADAPTER = REPO / "engine" / "redis_adapter"

# every command redis-py's client offers, read from the client itself so a new one counts too
COMMANDS = {name for name in dir(Redis) if not name.startswith("_")} - {
    # the client's own plumbing, not commands sent to Redis
    "from_url",
    "from_pool",
    "get_encoder",
    "get_connection_kwargs",
    "set_response_callback",
    "initialize",
    "auto_close_connection_pool",
    # the composition root (engine/app.py) opens and closes the client it hands out
    "aclose",
    "close",
}
CLIENT_NAME = re.compile(r"(^|_)redis$|^pipe(line)?$")


def is_store(path: Path) -> bool:
    return (
        path.is_relative_to(ADAPTER)
        or path.stem in {"store", "cache"}
        or path.stem.endswith(("_store", "_cache"))
    )


def _receiver_name(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def redis_calls(source: str) -> list[str]:
    """``line:receiver.command`` of each Redis command called in ``source``."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in COMMANDS
            and CLIENT_NAME.search(_receiver_name(node.func.value))
        ):
            found.append((node.lineno, f"{node.lineno}:{ast.unparse(node.func)}"))
    return [call for _, call in sorted(found)]


def product_modules() -> list[Path]:
    return sorted(
        p for package in PACKAGES for p in (REPO / package).rglob("*.py") if "static" not in p.parts
    )


def test_redis_commands_are_sent_by_the_adapter_and_the_stores_only() -> None:
    outside = {
        str(path.relative_to(REPO)): calls
        for path in product_modules()
        if not is_store(path) and (calls := redis_calls(path.read_text("utf-8")))
    }
    assert outside == {}


def test_the_scan_sees_the_adapters_commands() -> None:
    """The check is not vacuous: the adapter's own calls are found by the same scan."""
    inside = {
        path.name: redis_calls(path.read_text("utf-8"))
        for path in ADAPTER.glob("*.py")
        if redis_calls(path.read_text("utf-8"))
    }
    assert {"stream_consumer.py", "revocations.py", "paper_warmup.py", "clock.py"} <= set(inside)
    assert any(".xreadgroup" in call for call in inside["stream_consumer.py"])


def test_a_command_outside_is_found() -> None:
    service = """
async def warm(svc, key):
    await svc.redis.zadd(key, {"v": 1})
    pipe = svc.redis.pipeline(transaction=False)
    pipe.get(key)
    await self._redis.set(key, b"x")
    cache.get(key)  # a dict's get on something not named as a client
"""
    assert redis_calls(service) == [
        "3:svc.redis.zadd",
        "4:svc.redis.pipeline",
        "5:pipe.get",
        "6:self._redis.set",
    ]


def test_which_modules_are_stores() -> None:
    assert is_store(REPO / "engine" / "redis_adapter" / "lane.py")
    assert is_store(REPO / "engine" / "sittings" / "store.py")
    assert is_store(REPO / "engine" / "sittings" / "proctor_store.py")
    assert is_store(REPO / "engine" / "analytics" / "statistics_cache.py")
    assert not is_store(REPO / "engine" / "sittings" / "service.py")
    assert not is_store(REPO / "engine" / "scheduling" / "warmup.py")
