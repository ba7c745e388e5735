"""A small implementation of the Lambda Runtime API, the HTTP interface ``awslambdaric`` polls.

Each runtime client process asks ``GET /2018-06-01/runtime/invocation/next`` and blocks until
an invocation is queued; it answers with ``POST .../invocation/{id}/response`` or
``.../error``. ``invoke`` queues an event and waits for that answer, as the Lambda service does
for the event source mapping. One client runs one invocation at a time, so concurrency is the
number of client processes.
"""

from __future__ import annotations

import json
import queue
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

PREFIX = "/2018-06-01/runtime"


@dataclass
class Invocation:
    event: bytes
    deadline_ms: int
    request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    done: threading.Event = field(default_factory=threading.Event)
    ok: bool = False
    payload: Any = None


class InvocationTimeout(Exception):
    pass


class RuntimeApi:
    def __init__(
        self,
        function_name: str = "ujian-overflow-local",
        timeout_s: float = 60.0,
        region: str = "ap-southeast-3",
    ) -> None:
        self.function_arn = f"arn:aws:lambda:{region}:000000000000:function:{function_name}"
        self.timeout_s = timeout_s
        self.pending: queue.Queue[Invocation] = queue.Queue()
        self.running: dict[str, Invocation] = {}
        self.init_errors: list[Any] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, daemon=True, name="lambda-runtime-api"
        )

    @property
    def address(self) -> str:
        host, port = self._server.server_address[:2]
        return f"{host!s}:{port}"

    def start(self) -> None:
        self._thread.start()

    def abort_all(self) -> None:
        """Fail every queued and running invocation (the functions are going away)."""
        with self._lock:
            waiting = list(self.running.values())
            self.running.clear()
        while not self.pending.empty():
            waiting.append(self.pending.get_nowait())
        for invocation in waiting:
            invocation.payload = {"errorType": "Aborted", "errorMessage": "runtime stopped"}
            invocation.done.set()

    def stop(self) -> None:
        self.abort_all()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def invoke(self, event: dict[str, Any]) -> Invocation:
        """Run one invocation; raises InvocationTimeout like a function that hit its timeout."""
        invocation = Invocation(
            json.dumps(event).encode(), int((time.time() + self.timeout_s) * 1000)
        )
        self.pending.put(invocation)
        if not invocation.done.wait(self.timeout_s + 5):
            raise InvocationTimeout(f"invocation {invocation.request_id} timed out")
        return invocation

    # ---- what the HTTP handler calls

    def next_invocation(self) -> Invocation:
        invocation = self.pending.get()
        with self._lock:
            self.running[invocation.request_id] = invocation
        return invocation

    def finish(self, request_id: str, ok: bool, body: bytes) -> bool:
        with self._lock:
            invocation = self.running.pop(request_id, None)
        if invocation is None:
            return False
        invocation.ok = ok
        invocation.payload = json.loads(body) if body else None
        invocation.done.set()
        return True


def _handler_for(api: RuntimeApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # the runtime client keeps its connection open

        def log_message(self, format: str, *args: Any) -> None:
            pass  # quiet: one line per invocation is noise

        def _reply(
            self, status: int, body: bytes = b"", headers: dict[str, str] | None = None
        ) -> None:
            self.send_response(status)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            if self.path != f"{PREFIX}/invocation/next":
                self._reply(404, b'{"errorType":"NotFound"}')
                return
            invocation = api.next_invocation()
            self._reply(
                200,
                invocation.event,
                {
                    "Lambda-Runtime-Aws-Request-Id": invocation.request_id,
                    "Lambda-Runtime-Deadline-Ms": str(invocation.deadline_ms),
                    "Lambda-Runtime-Invoked-Function-Arn": api.function_arn,
                    "Lambda-Runtime-Trace-Id": _trace_id(),
                },
            )

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            parts = self.path.removeprefix(PREFIX + "/").split("/")
            if parts == ["init", "error"]:
                api.init_errors.append(json.loads(body or b"null"))
                self._reply(202, b"{}")
            elif len(parts) == 3 and parts[0] == "invocation" and parts[2] in ("response", "error"):
                found = api.finish(parts[1], parts[2] == "response", body)
                self._reply(202 if found else 404, b"{}")
            else:
                self._reply(404, b'{"errorType":"NotFound"}')

    return Handler


def _trace_id() -> str:
    """An X-Ray trace header as the Lambda runtime API hands one to each invocation."""
    return f"Root=1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]};Sampled=0"
