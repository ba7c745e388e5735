"""What a newcomer does: `ujian serve --demo`, then sit the demo exam over HTTP."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from engine.embedded import free_loopback_port


def _answer_for(item: dict[str, Any]) -> dict[str, Any]:
    match item["kind"]:
        case "single_choice":
            return {"kind": "single_choice", "choice": item["options"][0]["id"]}
        case "multiple_response":
            return {"kind": "multiple_response", "choices": [item["options"][0]["id"]]}
        case "numeric":
            return {"kind": "numeric", "value": 49}
        case _:
            return {"kind": "short_text", "text": "Soekarno"}


class RunningServer:
    def __init__(self, process: subprocess.Popen[str], base: str, data_dir: Path) -> None:
        self.process = process
        self.base = base
        self.data_dir = data_dir


def _wait_ready(base: str, process: subprocess.Popen[str], timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        assert process.poll() is None, "ujian serve exited early"
        try:
            if httpx.get(f"{base}/health/ready", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise AssertionError("the server did not become ready")


@pytest.fixture
def demo_server() -> Iterator[RunningServer]:
    data_dir = Path(tempfile.mkdtemp(prefix="ujian-e2e-"))
    port = free_loopback_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("UJIAN_")}
    env["UJIAN_DATA_DIR"] = str(data_dir / "data")
    log = open(data_dir / "serve.log", "w+")  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [sys.executable, "-m", "engine.cli", "serve", "--demo", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        _wait_ready(f"http://127.0.0.1:{port}", process, 120)
        yield RunningServer(process, f"http://127.0.0.1:{port}", data_dir / "data")
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
        log.close()
        shutil.rmtree(data_dir, ignore_errors=True)


def test_newcomer_sits_the_demo_exam(demo_server: RunningServer) -> None:
    log_text = (demo_server.data_dir.parent / "serve.log").read_text()
    assert "student01" in log_text and "teacher" in log_text
    with httpx.Client(base_url=demo_server.base, timeout=10) as http:
        token = http.post(
            "/v1/auth/token", json={"username": "student07", "password": "student-demo"}
        ).json()
        auth = {"Authorization": f"Bearer {token['access_token']}"}
        exams = http.get("/v1/exams", headers=auth).json()
        assert [e["title"] for e in exams] == ["Try-out UTBK Demo"]
        sitting = http.post(f"/v1/exams/{exams[0]['id']}/sittings", headers=auth).json()
        paper = http.get(f"/v1/sittings/{sitting['id']}/paper", headers=auth).json()
        items = [i for s in paper["sections"] for i in s["items"]]
        assert len(items) == 20
        events = [
            {"seq": n + 1, "item": item["id"], "response": _answer_for(item)}
            for n, item in enumerate(items)
        ]
        for start in range(0, 20, 4):
            ack = http.post(
                f"/v1/sittings/{sitting['id']}/answers",
                headers=auth,
                json={"events": events[start : start + 4]},
            ).json()
            assert ack["acked_seq"] == start + 4
        outcome = http.post(f"/v1/sittings/{sitting['id']}/submit", headers=auth).json()
        assert outcome["state"] == "graded"
        result = outcome["result"]
        assert result["max_points"] == 20.0 and 0 < result["points"] < 20
        assert len(result["items"]) == 20
        assert http.get("/schema/openapi.json").status_code == 200

    # stopping the service stops the private servers it started
    demo_server.process.send_signal(signal.SIGINT)
    assert demo_server.process.wait(30) == 0
    assert not (demo_server.data_dir / "redis" / "redis.pid").exists()
    assert not (demo_server.data_dir / "postgres" / "postmaster.pid").exists()
    assert (demo_server.data_dir / "redis" / "appendonlydir").is_dir()  # AOF was on
