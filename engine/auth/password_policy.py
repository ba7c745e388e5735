"""New passwords: refuse the common and the easily guessed (zxcvbn, Dropbox's estimator, with
its lists of common passwords, names, words and keyboard patterns).

Pure: a password and what else the account is known by in, a reason or None out. Only the
first ``MAX_CHECKED`` characters are scored: zxcvbn's work grows with the length, and a
password whose first 72 characters are easy to guess is not rescued by what follows.
"""

from __future__ import annotations

from collections.abc import Iterable

from zxcvbn import zxcvbn

from engine.problems import Problem

MAX_CHECKED = 72
SCORES = ("too guessable", "very guessable", "somewhat guessable", "safely unguessable",
          "very unguessable")


def weakness(password: str, min_score: int, user_inputs: Iterable[str] = ()) -> str | None:
    """Why ``password`` is too easy to guess (in words), or None when it is good enough.

    ``user_inputs``: the username, name, national id… a password built from them is weak.
    """
    checked = password[:MAX_CHECKED]
    inputs = [s[:MAX_CHECKED] for s in user_inputs if s]
    result = zxcvbn(checked, user_inputs=inputs, max_length=MAX_CHECKED)
    score = int(result["score"])
    if score >= min_score:
        return None
    warning = str(result.get("feedback", {}).get("warning") or "").rstrip(".")
    said = warning or f"it is {SCORES[score]}"
    return f"{said}; choose a longer password that is not a common one"


def require_strong(password: str, min_score: int, user_inputs: Iterable[str] = (),
                   field: str = "password") -> None:
    """Refuse (400 weak_password) a new password that is too easy to guess."""
    reason = weakness(password, min_score, user_inputs)
    if reason is not None:
        raise Problem(400, "weak_password", "The new password is too easy to guess", reason,
                      extra={"field": field})
