"""``ujian loadtest``: simulated students following WORKLOAD.md against a running server."""
