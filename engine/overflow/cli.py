"""``ujian overflow-local`` (SQS + Lambda on loopback) and ``ujian package-lambda``."""

from __future__ import annotations

import argparse
import asyncio
import signal
import threading
from pathlib import Path
from typing import Any


def cmd_overflow_local(args: argparse.Namespace) -> int:
    try:
        from overflow_lambda.local.stack import LocalOverflow
    except ImportError as err:  # moto and awslambdaric are development tools
        print(f"overflow-local needs the test extra (pip install -e '.[test]'): {err}")
        return 2
    from engine.cli import resolved_settings
    from engine.db import migrate

    with resolved_settings() as settings:
        asyncio.run(migrate(settings.database_url or ""))
        stack = LocalOverflow(
            settings.database_url or "",
            settings.redis_url or "",
            instances=args.instances,
            port=args.port,
            visibility_timeout_s=args.visibility_timeout,
            max_receive_count=args.max_receives,
            log=Path(args.log) if args.log else None,
        )
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        with stack:
            print(
                f"local overflow: SQS at {stack.endpoint_url}, {args.instances} function "
                "instance(s) under awslambdaric; point the engine here with:",
                flush=True,
            )
            for name, value in stack.engine_environment().items():
                print(f"export {name}={value}", flush=True)
            print("ready", flush=True)
            last: Any = None
            while not stop.wait(10.0):
                stats = stack.mapping.stats if stack.mapping else None
                if stats != last and stats is not None:
                    print(
                        f"batches {stats.batches}, messages {stats.received}, deleted "
                        f"{stats.deleted}, item failures {stats.item_failures}, function "
                        f"errors {stats.function_errors}",
                        flush=True,
                    )
                    last = type(stats)(**vars(stats))
    return 0


def cmd_package_lambda(args: argparse.Namespace) -> int:
    from engine.overflow.packaging import build_zip

    output = Path(args.output)
    names = build_zip(output, with_dependencies=not args.no_deps)
    print(
        f"wrote {output} ({len(names)} files, {output.stat().st_size // 1024} KiB); "
        "handler overflow_lambda.handler.lambda_handler"
    )
    return 0


def add_parsers(sub: Any) -> None:
    local = sub.add_parser(
        "overflow-local", help="SQS (moto) and the overflow Lambda (awslambdaric) on loopback"
    )
    local.add_argument("--instances", type=int, default=2, help="function instances")
    local.add_argument("--port", type=int, default=4566, help="SQS endpoint port")
    local.add_argument("--visibility-timeout", type=int, default=30)
    local.add_argument(
        "--max-receives",
        type=int,
        default=5,
        help="receives before a message moves to the dead-letter queue",
    )
    local.add_argument("--log", help="file for the functions' output")
    local.set_defaults(func=cmd_overflow_local)
    package = sub.add_parser("package-lambda", help="build the overflow Lambda's zip")
    package.add_argument("--output", default="build/overflow-lambda.zip")
    package.add_argument(
        "--no-deps", action="store_true", help="only our code (dependencies come from a layer)"
    )
    package.set_defaults(func=cmd_package_lambda)
