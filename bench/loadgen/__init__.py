"""The load generator: simulated students following WORKLOAD.md against a running server
(``python bench/loadtest.py``), the benchmarks' harness (``harness.Cluster``) and their HTTP
floors. Development-only: not in the wheel, imported by no product package; its dependencies
are the ``load`` extra (``pip install -e '.[test,load]'``, as ``make`` does)."""
