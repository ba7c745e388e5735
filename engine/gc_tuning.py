"""Garbage-collector settings for the worker process.

CPython starts a young-generation collection every 700 container allocations. The persister
makes a tuple per answer event and a dict per stream entry, thousands a batch, so it
collected many times a batch; every collection that reached the old generation walked the
whole heap as well. Measured with bench/bench_persist.py, that was a third of the persister's
CPU. The data it makes is acyclic and is freed by reference counting, so it gains nothing
from those collections.

- ``gc.freeze()`` moves everything alive after start-up (modules, settings, pools) out of
  the collector's view, so no later collection walks it again.
- The young-generation threshold is raised to ``YOUNG_THRESHOLD``. The older generations
  keep their defaults. Cycles are still collected, only less often.
"""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 50_000


def tune_for_throughput() -> None:
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)
