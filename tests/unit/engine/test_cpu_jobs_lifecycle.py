"""The CPU lanes' worker processes end with their owner, however it ends.

Each case runs a real owner process (a small program holding a ``CpuJobs`` with warm workers)
and ends it the way a server ends: its lifespan's close, Ctrl-C to the whole process group, or
kill -9 (out of memory, a node lost). No worker may outlive it: an orphaned worker holds
~100 MB and, under granian, an idle one held its parent's exit forever.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

OWNER = """
import asyncio, os, signal, sys
from engine.cpu_jobs import CpuJobs

# Ctrl-C as a server started from a terminal has it: a test run started in the background
# (`make test &`, nohup) ignores SIGINT, and an ignored signal stays ignored across exec
signal.signal(signal.SIGINT, signal.default_int_handler)

async def main() -> None:
    jobs = CpuJobs(grading_workers=1, analysis_workers=1)
    await jobs.warm()
    print(" ".join(str(p) for p in sorted(child_pids())), flush=True)
    if sys.argv[1] == "close":
        jobs.close()
        return
    await asyncio.sleep(120)

def child_pids() -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == os.getpid():
                found.append(int(entry))
    return found

if __name__ == "__main__":
    asyncio.run(main())
"""


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _start(tmp_path: Path, how: str) -> tuple[subprocess.Popen[str], list[int]]:
    script = tmp_path / "owner.py"
    script.write_text(OWNER)
    root = Path(__file__).resolve().parents[3]
    owner = subprocess.Popen(
        [sys.executable, str(script), how],
        cwd=root,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(root)},
        start_new_session=True,
    )
    assert owner.stdout is not None
    line = owner.stdout.readline()
    workers = [int(p) for p in line.split()]
    # the two lane workers (and the resource tracker spawn keeps beside them)
    assert len(workers) >= 2, line
    return owner, workers


def _all_gone(pids: list[int], within_s: float) -> list[int]:
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        left = [p for p in pids if _alive(p)]
        if not left:
            return []
        time.sleep(0.1)
    return [p for p in pids if _alive(p)]


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc")
@pytest.mark.parametrize("how", ["close", "ctrl-c", "kill -9"])
def test_no_worker_outlives_its_owner(tmp_path: Path, how: str) -> None:
    owner, workers = _start(tmp_path, "close" if how == "close" else "wait")
    try:
        if how == "ctrl-c":
            os.killpg(owner.pid, signal.SIGINT)  # what a terminal sends: the whole group
        elif how == "kill -9":
            owner.kill()
        owner.wait(30)
        assert _all_gone(workers, 10) == []
    finally:
        if owner.poll() is None:
            owner.kill()
            owner.wait()
        if owner.stdout is not None:
            owner.stdout.close()
        for pid in workers:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
