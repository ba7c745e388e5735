"""Settings, read once from the environment (``UJIAN_*``) into one immutable object."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Literal

import msgspec

ENV_PREFIX = "UJIAN_"


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    # None means "start the embedded server under data_dir" (the newcomer's default)
    database_url: str | None = None
    redis_url: str | None = None
    data_dir: str = ".ujian"
    # prefix of every Redis key, so several deployments (or test runs) can share one Redis
    redis_namespace: str = "uj"

    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    server: Literal["granian", "uvicorn"] = "granian"
    log_level: str = "INFO"

    jwt_secret: str = "change-me-in-production-this-is-a-development-secret"
    access_token_ttl_s: int = 900

    db_pool_min: int = 2
    db_pool_max: int = 10
    # answer streams are sharded; each shard is one Redis Cluster slot (see engine/sittings/keys.py)
    stream_shards: int = 16
    max_body_bytes: int = 256 * 1024
    max_batch_events: int = 50
    # background consumers (persister, sweeper, grader) inside the API process; off in
    # production, where ``ujian worker`` pods run them
    run_workers_in_api: bool = True
    # apply migrations when a process starts; production runs the migration Job instead
    migrate_on_start: bool = True

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Build settings from ``UJIAN_<FIELD>`` variables; unknown ones are ignored."""
        env = os.environ if environ is None else environ
        raw: dict[str, str] = {}
        for field in msgspec.structs.fields(cls):
            value = env.get(ENV_PREFIX + field.name.upper())
            if value is not None and value != "":
                raw[field.name] = value
        # strict=False lets msgspec turn the strings into ints, bools and paths
        return msgspec.convert(raw, cls, strict=False)

    @property
    def embedded(self) -> bool:
        return self.database_url is None or self.redis_url is None


def setting_env_names() -> list[str]:
    """Every environment variable the service reads (used by the infra consistency tests)."""
    return [ENV_PREFIX + f.name.upper() for f in msgspec.structs.fields(Settings)]
