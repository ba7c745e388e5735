"""The student page's answer queue (engine/web/static/queue.js), run in Chromium against a model
of the server's answer script (engine/redis_adapter/lua/answer.lua: events stored in seq order, a
duplicate acknowledged, a gap stops the batch, nothing taken after deadline + grace).

Whatever the interleaving of answers, lost requests, lost replies, reloads (with the network or
without), the end of time and the server losing acknowledged events (a Redis failover or crash:
its acked_seq then goes back, docs/adr/0019-acknowledged-means-replicated.md), the page never
calls an answer saved that the server does not hold once it has heard the server since, never
forgets what the student did, gets every answer to the server while it is open, and at the end
names every answer that did not arrive."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from playwright.sync_api import Page, sync_playwright

from engine.web.assets import ASSETS
from tests.e2e.browser.conftest import CHROMIUM, CHROMIUM_ARGS

ITEMS = ("i1", "i2", "i3", "i4")


@dataclass
class ModelServer:
    stored: list[dict[str, Any]] = field(default_factory=list)  # events in seq order
    open: bool = True

    @property
    def last(self) -> int:
        return len(self.stored)

    @property
    def latest(self) -> dict[str, Any]:
        return {e["item"]: e["response"] for e in self.stored}

    def receive(self, events: list[dict[str, Any]]) -> tuple[str, int]:
        if not self.open:
            return "time_expired", self.last
        for event in sorted(events, key=lambda e: e["seq"]):
            if event["seq"] == self.last + 1:
                self.stored.append(dict(event))
            elif event["seq"] > self.last + 1:
                break  # a gap: acked_seq always means "this and everything before it"
        return "ok", self.last

    def lose(self, n: int) -> None:
        """Its latest ``n`` events are gone, acknowledged or not, as after a failover."""
        del self.stored[max(0, self.last - n) :]


@pytest.fixture(scope="module")
def page() -> Iterator[Page]:
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        tab = chromium.new_page()
        tab.set_content("<!doctype html><title>queue</title>")
        tab.add_script_tag(content=ASSETS["queue.js"].body.decode())
        yield tab
        chromium.close()


answer = st.tuples(
    st.just("answer"), st.sampled_from(ITEMS), st.one_of(st.none(), st.integers(0, 3))
)
send = st.tuples(
    st.just("send"),
    st.sampled_from(("delivered", "request_lost", "reply_lost")),
    st.integers(1, 4),
)
simple = st.tuples(
    st.sampled_from(("reload_online", "reload_offline", "deadline", "server_closes", "heartbeat")),
    st.none(),
    st.none(),
)
lose = st.tuples(st.just("server_loses"), st.integers(1, 5), st.none())
operations = st.lists(st.one_of(answer, answer, send, send, simple, lose), max_size=40)


def js(page: Page, expression: str, arg: Any = None) -> Any:
    return page.evaluate(f"(arg) => {{ const Q = window.ujQueue; {expression} }}", arg)


def page_view(page: Page) -> dict[str, Any]:
    return js(
        page,
        "const s = window.st; return {answers: s.answers, late: Q.lateItems(s),"
        " status: Object.fromEntries(arg.map(i => [i, Q.status(s, i)]))};",
        list(ITEMS),
    )


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(ops=operations)
def test_the_page_never_claims_an_answer_the_server_does_not_hold(
    page: Page, ops: list[tuple[str, Any, Any]]
) -> None:
    server = ModelServer()
    student: dict[str, Any] = {}  # what the student last put, per item, before time was up
    closed = False
    # the server lost events the page has not heard of yet: until it hears the server again it
    # cannot know, so only then must "saved" be true again
    unheard = False
    js(page, "window.st = Q.create();")

    def respond(value: int | None) -> dict[str, Any] | None:
        return None if value is None else {"kind": "numeric", "value": value}

    def check() -> dict[str, Any]:
        view = page_view(page)
        for item in ITEMS:
            # the page keeps exactly what the student did (cleared: null, never touched: absent)
            assert view["answers"].get(item) == student.get(item), item
            if view["status"][item] == "saved" and not unheard:
                assert server.latest.get(item) == student.get(item), (item, view, server)
        return view

    def deliver(size: int, lost: str) -> bool:
        """Whether the page heard that time is over."""
        nonlocal unheard
        batch = js(page, "return Q.batch(window.st, arg);", size)
        if not batch or lost == "request_lost":
            return False
        verdict, acked = server.receive(batch)
        if lost == "reply_lost":
            return False
        js(page, "Q.ack(window.st, arg);", acked)
        unheard = False
        if verdict == "time_expired":
            js(page, "Q.expire(window.st);")
        return verdict == "time_expired"

    for op, a, b in ops:
        if op == "answer":
            event = js(page, "return Q.record(window.st, arg[0], arg[1], 0);", [a, respond(b)])
            assert (event is None) == closed  # after time is up the page takes nothing
            if not closed:
                student[a] = respond(b)
        elif op == "send":
            closed = deliver(b, a) or closed
        elif op == "reload_offline":
            js(page, "window.st = Q.restore(JSON.parse(JSON.stringify(window.st)));")
        elif op == "reload_online":
            js(page, "window.st = Q.restore(JSON.parse(JSON.stringify(window.st)));")
            if server.open:  # the paper: the server's last seq and latest answers
                js(page, "Q.reconcile(window.st, arg[0], arg[1]);", [server.last, server.latest])
                unheard = False
            else:  # the paper is refused once the sitting is over: nothing more counts
                js(page, "Q.expire(window.st);")
                closed = True
        elif op == "deadline":
            js(page, "Q.close(window.st);")
            closed = True
        elif op == "server_closes":
            server.open = False
        elif op == "heartbeat":  # its reply says what the server holds, queue or not
            js(page, "Q.ack(window.st, arg);", server.last)
            unheard = False
        elif op == "server_loses":
            server.lose(a)
            unheard = True
        check()

    # while the server is open, everything gets there once the page hears the server (a
    # heartbeat: with nothing queued the page sends no batch to hear it by); then one batch
    # stores it all
    if server.open:
        js(page, "Q.ack(window.st, arg);", server.last)
        unheard = False
        for _ in range(2):
            deliver(500, "delivered")
        view = check()
        assert js(page, "return window.st.queue.length;") == 0
        assert server.latest == student, (server.latest, student)
        assert all(s == "saved" for s in view["status"].values()), view

    # the end: the server takes nothing more; the page hears so (with acked_seq) once
    server.open = False
    js(page, "Q.close(window.st);")
    deliver(500, "delivered")
    js(page, "Q.ack(window.st, arg);", server.last)  # the heartbeat, with nothing queued
    js(page, "Q.expire(window.st);")
    view = check()
    missing = {i for i in ITEMS if server.latest.get(i) != student.get(i)}
    assert missing <= set(view["late"]), (missing, view)  # every lost answer is named
    assert set(view["late"]) <= set(student), view
    assert json.dumps(view["late"]) == json.dumps(sorted(set(view["late"]), key=view["late"].index))
