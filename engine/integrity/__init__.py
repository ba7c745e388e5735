"""Integrity flags: telemetry ingest, live heuristics, cross-sitting forensics and their review.

The rules are pure and live in ``proctoring/``; this package is their engine adapter: Redis
streams and state, PostgreSQL tables (migration 0005), the overflow job and the HTTP endpoints.
"""
