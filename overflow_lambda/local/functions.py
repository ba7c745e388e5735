"""Function instances: ``python -m awslambdaric overflow_lambda.handler.lambda_handler`` processes
polling the local Runtime API, each with the environment the SAM template gives the function."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

HANDLER = "overflow_lambda.handler.lambda_handler"
REPO = Path(__file__).resolve().parents[2]


def function_environment(
    runtime_api: str, database_url: str, redis_url: str, extra: Mapping[str, str] | None = None
) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("UJIAN_", "AWS_", "POWERTOOLS_", "_LAMBDA", "_X_AMZN"))
    }
    env.update(
        {
            "AWS_LAMBDA_RUNTIME_API": runtime_api,
            "AWS_LAMBDA_FUNCTION_NAME": "ujian-overflow-local",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "1769",
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_REGION": "ap-southeast-3",
            "POWERTOOLS_SERVICE_NAME": "ujian-overflow",
            "POWERTOOLS_METRICS_NAMESPACE": "Ujian",
            "POWERTOOLS_LOG_LEVEL": "WARNING",
            "POWERTOOLS_TRACE_DISABLED": "1",  # no X-Ray daemon here
            "UJIAN_DATABASE_URL": database_url,
            "UJIAN_REDIS_URL": redis_url,
            "PYTHONPATH": os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")]).rstrip(
                os.pathsep
            ),
        }
    )
    env.update(extra or {})
    return env


class FunctionInstances:
    def __init__(self, count: int, env: Mapping[str, str], log: Path | None = None) -> None:
        self.count = count
        self.env = dict(env)
        self.log = log
        self.processes: list[subprocess.Popen[bytes]] = []

    def start(self) -> None:
        with contextlib.ExitStack() as files:
            out: Any = (
                files.enter_context(self.log.open("ab")) if self.log else (subprocess.DEVNULL)
            )
            for _ in range(self.count):
                # the children keep their own copy of the log's descriptor
                self.processes.append(
                    subprocess.Popen(
                        [sys.executable, "-m", "awslambdaric", HANDLER],
                        env=self.env,
                        cwd=REPO,
                        stdout=out,
                        stderr=subprocess.STDOUT,
                    )
                )

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.processes.clear()
