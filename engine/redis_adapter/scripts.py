"""Every Lua script the engine runs, read from ``lua/`` beside this module.

One folder, so a script's keys and replies are reviewed next to each other and the Lambda
package carries them all (engine/overflow/packaging.py takes ``.lua`` files).
"""

from __future__ import annotations

from functools import cache
from importlib import resources


@cache
def lua_source(name: str) -> str:
    """The text of ``lua/<name>.lua``; a name without a script raises FileNotFoundError."""
    return (resources.files("engine.redis_adapter") / "lua" / f"{name}.lua").read_text("utf-8")
