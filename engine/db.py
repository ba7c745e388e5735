"""The PostgreSQL pool and the schema migrations.

Migrations are ordered ``.sql`` files in ``engine/migrations``. Several pods may start at once,
so the runner takes a session advisory lock first: one applies, the others wait and then find
nothing left to do. (A 40-line runner on the driver we already use, rather than a migration
framework that would bring a second, synchronous driver.)
"""

from __future__ import annotations

import logging
from importlib import resources

import asyncpg
import msgspec

from engine.kernel.sql import Pool

log = logging.getLogger(__name__)

# any constant works; it only has to be the same in every pod
MIGRATION_LOCK_ID = 0x75_6A_69_61_6E  # "ujian"

_ENSURE_TABLE = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version     text PRIMARY KEY,
    applied_at  timestamptz NOT NULL DEFAULT now()
)
"""


def migration_files() -> list[tuple[str, str]]:
    """(version, sql) pairs in the order they must be applied."""
    folder = resources.files("engine") / "migrations"
    files = sorted((p for p in folder.iterdir() if p.name.endswith(".sql")), key=lambda p: p.name)
    return [(p.name.removesuffix(".sql"), p.read_text(encoding="utf-8")) for p in files]


async def migrate(dsn: str) -> list[str]:
    """Apply every migration not yet applied; returns the versions this call applied."""
    conn = await asyncpg.connect(dsn)
    applied_now: list[str] = []
    try:
        await conn.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK_ID)
        try:
            await conn.execute(_ENSURE_TABLE)
            done = {r["version"] for r in await conn.fetch("SELECT version FROM schema_migrations")}
            for version, sql in migration_files():
                if version in done:
                    continue
                async with conn.transaction():
                    await conn.execute(sql)
                    await conn.execute(
                        "INSERT INTO schema_migrations (version) VALUES ($1)", version
                    )
                log.info("applied migration %s", version)
                applied_now.append(version)
        finally:
            await conn.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK_ID)
    finally:
        await conn.close()
    return applied_now


# jsonb's binary form is a version byte (1) and the JSON text
_JSONB_VERSION = b"\x01"


def _encode_jsonb(value: object) -> bytes:
    return _JSONB_VERSION + msgspec.json.encode(value)


def _decode_jsonb(data: bytes) -> object:
    return msgspec.json.decode(data[1:])


async def _init_connection(conn: asyncpg.Connection) -> None:
    # jsonb columns arrive as Python values decoded by msgspec, the one JSON codec we use. The
    # binary format (not text) is what lets the answer persister COPY straight into answer_log.
    await conn.set_type_codec(
        "jsonb",
        encoder=_encode_jsonb,
        decoder=_decode_jsonb,
        schema="pg_catalog",
        format="binary",
    )


async def connect(dsn: str) -> asyncpg.Connection:
    """One connection with the pool's codecs: for a job in a worker process."""
    conn = await asyncpg.connect(dsn)
    await _init_connection(conn)
    return conn


async def _keep_session(conn: asyncpg.Connection) -> None:
    """What a connection going back to the pool needs beyond asyncpg's own clean-up (which
    rolls back a transaction left open): nothing. asyncpg's default sends a reset query
    (``pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL``) on every release, a round
    trip per request. No pooled connection keeps session state: advisory locks are taken per
    transaction (``pg_advisory_xact_lock``), cursors live inside transactions, nothing LISTENs
    or SETs a session variable, and the migration runner's session lock is on a connection of
    its own (``migrate``); tests/integration/test_pool_release.py holds the pool to that."""


async def create_pool(dsn: str, *, min_size: int, max_size: int) -> asyncpg.Pool:
    pool: Pool = await asyncpg.create_pool(
        dsn, min_size=min_size, max_size=max_size, init=_init_connection, reset=_keep_session
    )
    return pool


async def ping(pool: asyncpg.Pool, *, timeout_s: float) -> None:
    """Raise unless the pool hands out a connection within ``timeout_s`` and the server
    answers a query on it: readiness, as a load balancer means it."""
    async with pool.acquire(timeout=timeout_s) as conn:
        await conn.fetchval("SELECT 1")
