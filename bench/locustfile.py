"""The WORKLOAD.md student for Locust, to generate load from many machines against a cluster.

Seed once with the repository's load generator (it needs the database to create students),
then point Locust at the plan it wrote:

    python bench/loadtest.py --base-url https://exam.example --students 50000 --seed-only plan.json
    UJIAN_PLAN=plan.json locust -f bench/locustfile.py --host https://exam.example \\
        --users 50000 --spawn-rate 500            # add --master / --worker for many machines

Each simulated user takes the next student of the plan, signs in, starts, fetches the paper,
then answers every item once and a third again in batches of 1–5 with think times, sends
telemetry every 30 s and a timer sync every 60 s, and submits at the end (WORKLOAD.md; scale
the exam with UJIAN_EXAM_MINUTES). An answer batch is retried until acknowledged, as a page does.
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

from locust import HttpUser, between, events, task

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.loadgen.workload import batches, paper_items, plan_events

_plan: dict[str, Any] = {}
_next_student = itertools.count()
EXAM_S = float(os.environ.get("UJIAN_EXAM_MINUTES", "180")) * 60


@events.init.add_listener
def _load_plan(**_: Any) -> None:
    path = os.environ.get("UJIAN_PLAN", "plan.json")
    _plan.update(json.loads(Path(path).read_text()))


class Student(HttpUser):
    # the think time between answer batches: the exam's length over its ~67 batches
    wait_time = between(EXAM_S / 67 * 0.5, EXAM_S / 67 * 1.5)

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
        self.pending = batches(plan_events(paper_items(paper), self.rng), self.rng)
        offset = int(paper.get("last_seq", 0))
        self.sent = [
            [{"seq": e.seq + offset, "item": e.item, "response": e.response} for e in b]
            for b in self.pending
        ]
        self.session = uuid.uuid4().hex
        self.telemetry_seq = 0
        self.next_telemetry = time.monotonic() + 30
        self.next_timer = time.monotonic() + 60

    @task
    def work(self) -> None:
        now = time.monotonic()
        if now >= self.next_telemetry:
            self.telemetry_seq += 1
            ms = int(time.time() * 1000)
            self.client.post(
                f"/v1/sittings/{self.sitting}/telemetry",
                headers=self.auth,
                name="telemetry",
                json={
                    "session": self.session,
                    "batch_seq": self.telemetry_seq,
                    "sent_at": ms,
                    "events": [{"type": "heartbeat", "ts": ms}],
                },
            )
            self.next_telemetry = now + 30
        if now >= self.next_timer:
            self.client.get(f"/v1/sittings/{self.sitting}/timer", headers=self.auth, name="timer")
            self.next_timer = now + 60
        if not self.sent:
            self.client.post(
                f"/v1/sittings/{self.sitting}/submit", headers=self.auth, name="submit"
            )
            self.stop()
            return
        with self.client.post(
            f"/v1/sittings/{self.sitting}/answers",
            headers=self.auth,
            json={"events": self.sent[0]},
            name="answers",
            catch_response=True,
        ) as r:
            if r.status_code == 200 and r.json()["acked_seq"] >= self.sent[0][-1]["seq"]:
                self.sent.pop(0)
                r.success()
            elif r.status_code in (409, 404):
                self.sent.clear()  # time up or submitted: nothing more to send
                r.failure(f"{r.status_code}")
            else:
                r.failure(f"{r.status_code}: retried")  # kept; sent again next task
