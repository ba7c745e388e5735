"""The kernel: what every layer may import and what imports nothing of the web, the database or
Redis. Who is calling (``principal``), the refusals with their stable codes (``errors``) and
the clock (``clock``). The import contracts in ``pyproject.toml`` keep it this way.
"""
