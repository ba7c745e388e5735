"""HTTP requests in flight in this process: one of the shares its utilisation is the max of.

Counted by the request metrics middleware (engine/http_metrics.py)."""

from __future__ import annotations

from engine.overflow.utilisation import InFlight

# one per process: every app built in it serves through the same event loop and CPU
http_in_flight = InFlight(limit=256)
