"""Simulated students following WORKLOAD.md against a running server (bench/loadgen/).

    python bench/loadtest.py --base-url http://127.0.0.1:8000 --students 200 --duration 60

Development-only, like everything under bench/: it needs the ``load`` extra
(``pip install -e '.[test,load]'``, which ``make`` installs). ``--help`` lists the options.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.loadgen.cli import main

if __name__ == "__main__":
    sys.exit(main())
