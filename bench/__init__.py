"""Development-only: the benchmarks (scripts, run as ``python bench/bench_x.py``), the load
generator and its harness (``bench.loadgen``) and the Locust file. Not part of the wheel; no
product package imports it (tests/unit/architecture/test_development_only.py)."""
