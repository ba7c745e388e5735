"""The telemetry tests, unchanged, on a three-master Redis Cluster: the per-sitting rate
limit and the integrity stream run there too."""

from __future__ import annotations

from tests.integration.integrity.test_integrity_live import (
    test_duplicate_batches_and_a_flooding_sitting,
    test_telemetry_is_persisted_and_raises_behaviour_flags,
)

__all__ = [
    "test_duplicate_batches_and_a_flooding_sitting",
    "test_telemetry_is_persisted_and_raises_behaviour_flags",
]
