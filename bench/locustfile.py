"""The WORKLOAD.md student for Locust, to generate load from many machines against a cluster.

Seed once with the repository's load generator (it needs the database to create students),
then point Locust at the plan it wrote:

    python bench/loadtest.py --base-url https://exam.example --students 50000 --seed-only plan.json
    UJIAN_PLAN=plan.json locust -f bench/locustfile.py --host https://exam.example \\
        --users 50000 --spawn-rate 500            # add --master / --worker for many machines

Each simulated user takes the next student of the plan, signs in, starts, fetches the paper,
then sends what the student page sends (bench/loadgen/workload.py: page_conversation): every
item answered once and a third again in batches of 1–5 with think times, a heartbeat 30 s after
its last request, both carrying the page's telemetry (its heartbeat event every 30 s) and
bringing back the clock, and submits at the end (WORKLOAD.md; scale the exam with
UJIAN_EXAM_MINUTES). An answer batch is retried until acknowledged, as a page does.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import msgspec
from locust import HttpUser, events, task

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.loadgen.workload import (
    PageRequest,
    answer_times,
    batches,
    page_conversation,
    paper_items,
    plan_events,
)

_plan: dict[str, Any] = {}
_next_student = itertools.count()
EXAM_S = float(os.environ.get("UJIAN_EXAM_MINUTES", "180")) * 60


@events.init.add_listener
def _load_plan(**_: Any) -> None:
    path = os.environ.get("UJIAN_PLAN", "plan.json")
    _plan.update(json.loads(Path(path).read_text()))


class Student(HttpUser):
    def wait_time(self) -> float:
        """Until the page's next request is due."""
        return max(0.0, self.t0 + self.todo[0].at - time.monotonic()) if self.todo else 0.0

    def on_start(self) -> None:
        n = next(_next_student) % len(_plan["students"])
        self.rng = random.Random(n)
        r = self.client.post(
            "/v1/auth/token",
            json={"username": _plan["students"][n], "password": _plan["password"]},
            name="sign_in",
        )
        self.auth = {"Authorization": f"Bearer {r.json()['access_token']}"}
        r = self.client.post(
            f"/v1/exams/{_plan['exam_id']}/sittings", headers=self.auth, name="start"
        )
        self.sitting = r.json()["id"]
        r = self.client.get(f"/v1/sittings/{self.sitting}/paper", headers=self.auth, name="paper")
        paper = r.json()
        pending = batches(plan_events(paper_items(paper), self.rng), self.rng)
        offset = int(paper.get("last_seq", 0))
        self.sent = [
            [{"seq": e.seq + offset, "item": e.item, "response": e.response} for e in b]
            for b in pending
        ]
        when = answer_times(len(pending), EXAM_S, self.rng)
        self.todo: list[PageRequest] = page_conversation(when, EXAM_S)
        self.t0 = time.monotonic()
        self.session = uuid.uuid4().hex
        self.telemetry_seq = 0

    def _telemetry(self) -> dict[str, Any]:
        self.telemetry_seq += 1
        ms = int(time.time() * 1000)
        return {
            "session": self.session,
            "batch_seq": self.telemetry_seq,
            "sent_at": ms,
            "events": [{"type": "heartbeat", "ts": ms}],
        }

    @task
    def work(self) -> None:
        if not self.todo:
            self.client.post(
                f"/v1/sittings/{self.sitting}/submit", headers=self.auth, name="submit"
            )
            self.stop()
            return
        request = self.todo[0]
        body: dict[str, Any] = {"telemetry": self._telemetry()} if request.telemetry else {}
        if request.kind == "heartbeat":
            self.todo.pop(0)
            path = f"/v1/sittings/{self.sitting}/heartbeat"
            self.client.post(path, headers=self.auth, json=body, name="heartbeat")
            return
        with self.client.post(
            f"/v1/sittings/{self.sitting}/answers",
            headers=self.auth,
            json={"events": self.sent[0], **body},
            name="answers",
            catch_response=True,
        ) as r:
            if r.status_code == 200 and r.json()["acked_seq"] >= self.sent[0][-1]["seq"]:
                self.sent.pop(0)
                self.todo.pop(0)
                r.success()
            elif r.status_code in (409, 404):
                self.todo.clear()  # time up or submitted: nothing more to send
                r.failure(f"{r.status_code}")
            else:
                # kept and sent again in a second; a refused telemetry part is dropped, as the
                # page drops it
                dropped = r.status_code in (400, 413, 429) and '"part":"telemetry"' in r.text
                again = time.monotonic() - self.t0 + 1.0
                self.todo[0] = msgspec.structs.replace(
                    request, at=again, telemetry=request.telemetry and not dropped
                )
                r.failure(f"{r.status_code}: retried")
