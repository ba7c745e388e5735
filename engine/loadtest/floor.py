"""The HTTP floor of the benchmarks: a bare POST that decodes an answer batch and does nothing.

Served by the same app, in the same process, as the real answer endpoint (only when
``UJIAN_BENCH_FLOOR_ENDPOINT=true``), so ``http_floor_ratio`` compares like with like: what the
answer path costs beyond Litestar, msgspec and the HTTP server themselves.
"""

from __future__ import annotations

from typing import Any

from litestar import post
from litestar.params import JSONBody

from engine.settings import Settings
from engine.sittings.models import AnswerAck, AnswerBatch


@post(
    "/bench/floor",
    status_code=200,
    include_in_schema=False,
    exclude_from_auth=True,
    sync_to_thread=False,
)
def floor(data: JSONBody[AnswerBatch]) -> AnswerAck:
    return AnswerAck(acked_seq=data.events[-1].seq, remaining_ms=0)


def bench_routes(settings: Settings) -> list[Any]:
    return [floor] if settings.bench_floor_endpoint else []
