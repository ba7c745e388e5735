"""New passwords: refuse the common and the easily guessed (zxcvbn, Dropbox's estimator, with
its lists of common passwords, names, words and keyboard patterns).

Pure: a password and what else the account is known by in, a reason or None out. Only the
first ``MAX_CHECKED`` characters are scored: zxcvbn's work grows steeply with the length (a
few ms at 32 characters, up to a second at 64), and a password whose first 32 characters are
easy to guess is not rescued by what follows. Scoring still holds the GIL for milliseconds, so
callers run it off the event loop; zxcvbn's word lists (~35 MB) are loaded at the first use,
not in every process that imports this module.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from engine.kernel.errors import DomainError

MAX_CHECKED = 32
SCORES = (
    "too guessable",
    "very guessable",
    "somewhat guessable",
    "safely unguessable",
    "very unguessable",
)


def weakness(password: str, min_score: int, user_inputs: Iterable[str] = ()) -> str | None:
    """Why ``password`` is too easy to guess (in words), or None when it is good enough.

    ``user_inputs``: the username, name, national id… a password built from them is weak.
    """
    from zxcvbn import zxcvbn  # its word lists load here, at the first use

    checked = password[:MAX_CHECKED]
    inputs = [s[:MAX_CHECKED] for s in user_inputs if s]
    result = zxcvbn(checked, user_inputs=inputs, max_length=MAX_CHECKED)
    score = int(result["score"])
    if score >= min_score:
        return None
    warning = str(result.get("feedback", {}).get("warning") or "").rstrip(".")
    said = warning or f"it is {SCORES[score]}"
    return f"{said}; choose a longer password that is not a common one"


async def require_strong(
    password: str, min_score: int, user_inputs: Iterable[str] = (), field: str = "password"
) -> None:
    """Refuse (400 weak_password) a new password that is too easy to guess."""
    reason = await asyncio.to_thread(weakness, password, min_score, list(user_inputs))
    if reason is not None:
        raise DomainError(
            400,
            "weak_password",
            "The new password is too easy to guess",
            reason,
            extra={"field": field},
        )
