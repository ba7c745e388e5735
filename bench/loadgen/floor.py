"""The HTTP floors of the benchmarks: processes of their own, never routes of the service.

- ``bare_app``: WORKLOAD.md's floor, a bare Litestar app (no middleware, guards or plugins of
  ours) whose one POST decodes an answer batch and does nothing. The same as the reference
  measurement's ``floor_app.py``; served by the same HTTP server as the API, same worker count
  and core, it is the denominator of ``http_floor_ratio``.
- ``ujian_with_floor``: the whole Ujian app (every middleware, route and plugin) with the same
  do-nothing POST registered by the benchmark, so ``app_floor_ratio`` (in-app floor ÷ bare
  floor) says what Ujian's own per-request machinery costs before any work is done.

From the repository's root (``bench.loadgen`` is not installed: it is development-only):

    granian --interface asgi --loop uvloop bench.loadgen.floor:bare_app
    granian --interface asgi --loop uvloop --factory bench.loadgen.floor:ujian_with_floor
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Litestar, Request, Response, get, post
from litestar.params import JSONBody

from engine.auth.policy import PUBLIC, apply_policies
from engine.sittings.models import AnswerAck, AnswerBatch

FLOOR_PATH = "/bench/floor"


class _Event(msgspec.Struct):
    seq: int
    item: str
    response: object
    client_ts: int = 0


class _Batch(msgspec.Struct):
    events: list[_Event]


@get("/health/live", sync_to_thread=False)
def _live() -> dict[str, bool]:
    return {"ok": True}


@post(FLOOR_PATH, status_code=200, sync_to_thread=False)
def _bare_floor(data: _Batch) -> dict[str, int]:
    return {"acked_seq": data.events[-1].seq if data.events else 0, "remaining_ms": 1}


# the paper benchmark's floor: the very bytes the paper route sent (gzip or not, given by the
# benchmark once with POST), with the same headers, and no work
_paper_body: list[tuple[bytes, dict[str, str]]] = [(b"{}", {})]


@post("/bench/paper-floor", status_code=204)
async def _set_paper_floor(request: Request[Any, Any, Any], encoding: str = "identity") -> None:
    data = await request.body()
    headers = {"Cache-Control": "no-store", "Vary": "Accept-Encoding"}
    if encoding != "identity":
        headers["Content-Encoding"] = encoding
    _paper_body[0] = (data, headers)


@get("/bench/paper-floor", sync_to_thread=False)
def _paper_floor() -> Response[bytes]:
    body, headers = _paper_body[0]
    return Response(body, media_type="application/json", headers=headers)


bare_app = Litestar([_live, _bare_floor, _set_paper_floor, _paper_floor], debug=False)


# the in-app floor decodes the answer endpoint's own body type
@post(FLOOR_PATH, status_code=200, include_in_schema=False, opt=PUBLIC, sync_to_thread=False)
def _in_app_floor(data: JSONBody[AnswerBatch]) -> AnswerAck:
    return AnswerAck(acked_seq=data.events[-1].seq, remaining_ms=0)


def ujian_with_floor() -> Litestar:
    """Ujian's app as ``ujian serve`` builds it, plus the public do-nothing POST at FLOOR_PATH."""
    from engine.asgi import app_from_env  # the whole service: only this process needs it

    app = app_from_env()
    app.register(_in_app_floor)
    apply_policies(app)
    return app
