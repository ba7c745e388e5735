"""Time left, in milliseconds of the Redis clock.

The deadline and grace rules themselves live in the sitting scripts (``lua/start.lua``,
``lua/answer.lua``, ``lua/submit.lua``), applied atomically inside Redis;
``tests/integration/test_deadline_rules.py`` tests them there, with a controlled clock.
"""

from __future__ import annotations


def remaining_ms(deadline: int, now_ms: int) -> int:
    return max(0, deadline - now_ms)
