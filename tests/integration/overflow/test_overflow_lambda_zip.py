"""The Lambda's zip on a cold start: built by ``build_zip`` (Linux x86_64 wheels for this
interpreter's version), unpacked beside a fresh virtualenv holding only boto3, as the Lambda
runtime has, and the handler imported and invoked there by a bare interpreter. A module the zip
lacks fails here as it would on AWS."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import uuid
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.overflow.jobs import Envelope, GradeJob, encode
from engine.overflow.packaging import build_zip
from engine.settings import Settings
from tests.integration.conftest import School
from tests.integration.overflow.conftest import cluster, submitted_sittings
from tests.integration.overflow.test_overflow_lambda_path import graded

# builds the zip with its wheels (pip downloads them) and a virtualenv: about a minute
pytestmark = pytest.mark.slow

REPO = str(Path(__file__).resolve().parents[3])

INVOKE = """
import json, sys
sys.path.insert(0, sys.argv[1])  # /var/task
import overflow_lambda.handler as handler


class Context:
    function_name = "ujian-overflow"
    function_version = "$LATEST"
    invoked_function_arn = "arn:aws:lambda:ap-southeast-3:000000000000:function:ujian-overflow"
    memory_limit_in_mb = 512
    aws_request_id = "cold-start-test"
    log_group_name = "/aws/lambda/ujian-overflow"
    log_stream_name = "cold"

    def get_remaining_time_in_millis(self):
        return 60_000


event = {"Records": [{
    "messageId": "m-1", "receiptHandle": "r-1", "body": sys.argv[2],
    "attributes": {"ApproximateReceiveCount": "1"}, "messageAttributes": {},
    "md5OfBody": "", "eventSource": "aws:sqs",
    "eventSourceARN": "arn:aws:sqs:ap-southeast-3:000000000000:ujian-overflow",
    "awsRegion": "ap-southeast-3",
}]}
reply = handler.lambda_handler(event, Context())
files = sorted({getattr(m, "__file__", None) or "" for m in list(sys.modules.values())})
print(json.dumps({"reply": reply, "files": files}))
"""


@pytest.fixture(scope="module")
def lambda_task(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    """(unpacked zip, python of a fresh virtualenv with boto3 only)."""
    root = tmp_path_factory.mktemp("lambda")
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    build_zip(root / "overflow-lambda.zip", python_version=version)
    task = root / "task"
    with zipfile.ZipFile(root / "overflow-lambda.zip") as archive:
        archive.extractall(task)
    venv = root / "runtime"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", "boto3"], check=True)
    yield task, python


async def test_the_zip_cold_imports_and_grades_in_a_bare_runtime(
    settings: Settings, school: School, lambda_task: tuple[Path, Path]
) -> None:
    task, python = lambda_task
    async with cluster(settings, utilisation=0.30, stack=None) as c:
        _, [sitting_id] = await submitted_sittings(c.api, school.teacher, school.students[:1])
        assert await graded(c.svc, [sitting_id]) == []
        job = GradeJob(job_id=f"zip-{uuid.uuid4()}", sitting_id=uuid.UUID(sitting_id))
        body = encode(
            Envelope(job=job, namespace=c.settings.redis_namespace, shards=c.settings.stream_shards)
        ).decode()
        env = {
            "PATH": "/usr/bin:/bin",
            "HOME": str(task),
            "AWS_REGION": "ap-southeast-3",
            "AWS_DEFAULT_REGION": "ap-southeast-3",
            "POWERTOOLS_TRACE_DISABLED": "1",
            "POWERTOOLS_LOG_LEVEL": "WARNING",
            "POWERTOOLS_METRICS_NAMESPACE": "Ujian",
            "UJIAN_DATABASE_URL": settings.database_url or "",
            "UJIAN_REDIS_URL": settings.redis_url or "",
        }
        reply, strays = await asyncio.to_thread(_invoke, task, python, body, env)
        assert reply == {"batchItemFailures": []}
        # every module came from the zip, the runtime's boto3 or the interpreter itself
        assert strays == []
        rows = await graded(c.svc, [sitting_id])
        assert [r["state"] for r in rows] == ["graded"]


def _invoke(
    task: Path, python: Path, body: str, env: dict[str, str]
) -> tuple[dict[str, object], list[str]]:
    """The handler's reply, and the modules it loaded from anywhere but the zip, the fresh
    virtualenv and the interpreter's own library."""
    # -I: no user site, no PYTHONPATH, no current directory: the zip and boto3 only
    done = subprocess.run(
        [str(python), "-I", "-c", INVOKE, str(task), body],
        env=env,
        cwd=task,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    allowed = (str(task), str(python.parent.parent), os.path.realpath(sys.base_prefix))
    strays = [f for f in out["files"] if (f and not f.startswith(allowed)) or f.startswith(REPO)]
    return out["reply"], strays
