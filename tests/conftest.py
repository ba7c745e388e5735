"""Shared fixtures: real PostgreSQL and Redis servers for the whole test session.

By default the embedded ones (as ``ujian serve`` starts them) under a temporary folder;
``UJIAN_TEST_DATABASE_URL`` / ``UJIAN_TEST_REDIS_URL`` point the tests at other servers. Each
session works in a database of its own and under a Redis key namespace of its own, so runs
never see each other's data.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest
from hypothesis import settings as hypothesis_settings

from engine.embedded import EmbeddedPostgres, EmbeddedRedis

# Properties, not timings: an example that runs slowly on a loaded machine is no failure
# (speed is measured by the benchmarks in bench/), so no per-example deadline anywhere.
hypothesis_settings.register_profile("ujian", deadline=None)
hypothesis_settings.load_profile("ujian")


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


class ServerUrls:
    def __init__(self, postgres_admin: str, redis: str) -> None:
        self.postgres_admin = postgres_admin
        self.redis = redis
        self.database = f"ujian_test_{uuid.uuid4().hex[:10]}"
        self.postgres = _with_database(postgres_admin, self.database)


@pytest.fixture(scope="session")
def server_urls() -> Iterator[ServerUrls]:
    # not under pytest's tmp_path: pytest prunes old basetemps, and a parallel pytest run on the
    # same machine could delete a live server's data folder
    base = Path(tempfile.mkdtemp(prefix="ujian-test-servers-"))
    pg_url = os.environ.get("UJIAN_TEST_DATABASE_URL")
    redis_url = os.environ.get("UJIAN_TEST_REDIS_URL")
    pg = None if pg_url else EmbeddedPostgres(base / "postgres")
    redis = None if redis_url else EmbeddedRedis(base / "redis")
    if pg is not None:
        pg.start()
        pg_url = pg.url
    if redis is not None:
        redis.start()
        redis_url = redis.url
    assert pg_url is not None and redis_url is not None
    try:
        yield ServerUrls(pg_url, redis_url)
    finally:
        if redis is not None:
            redis.stop()
        if pg is not None:
            pg.stop()
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="session")
async def database_url(server_urls: ServerUrls) -> AsyncIterator[str]:
    admin = await asyncpg.connect(server_urls.postgres_admin)
    try:
        await admin.execute(f'CREATE DATABASE "{server_urls.database}"')
    finally:
        await admin.close()
    yield server_urls.postgres
    admin = await asyncpg.connect(server_urls.postgres_admin)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{server_urls.database}" WITH (FORCE)')
    finally:
        await admin.close()
