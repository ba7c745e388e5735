"""Teachers' regular expressions for short-text keys, matched in linear time with RE2.

A key's patterns come from whoever wrote the item. Python's ``re`` backtracks, so ``(a+)+``
against 26 characters kept a process busy for seconds, doubling with every character. RE2
(google-re2) matches in time linear in the answer and refuses, when the item is saved, what it
cannot match that way: backreferences, lookaround, possessive quantifiers, ``(?x)``.

Patterns keep the meaning Python gave them on text, so keys written before stay right: ``\\d``,
``\\w`` and ``\\s`` are Unicode classes (RE2's own are ASCII), ``\\Z`` is the end of the text,
``\\uXXXX`` names a code point and ``x{,n}`` is a repetition. Inside a set ``\\W`` and ``\\S`` and
everywhere ``\\b`` keep RE2's ASCII meaning: a Unicode complement cannot be written there.
"""

from __future__ import annotations

import functools
import logging

import re2

log = logging.getLogger(__name__)

# a pattern is a short rule, not a program: long ones would make every match cost more
MAX_PATTERN_LENGTH = 1000

# Python's meaning of the Perl classes on text, in RE2 syntax (inside a set, without brackets)
_DIGIT = r"\p{Nd}"
_WORD = r"\p{L}\p{N}_"
_SPACE = r"\t-\r\x{1c}-\x{1f}\x{85}\p{Z}"
_OUTSIDE = {
    "d": _DIGIT,
    "D": r"\P{Nd}",
    "w": f"[{_WORD}]",
    "W": f"[^{_WORD}]",
    "s": f"[{_SPACE}]",
    "S": f"[^{_SPACE}]",
    "Z": r"\z",
}
_INSIDE = {"d": _DIGIT, "D": r"\P{Nd}", "w": _WORD, "s": _SPACE}


class UnsupportedPattern(ValueError):
    """A pattern that cannot be matched in linear time (or is not a pattern at all)."""

    def __init__(self, pattern: str, reason: str) -> None:
        super().__init__(f"{reason}: {pattern[:80]!r}")
        self.pattern = pattern
        self.reason = reason


def _code_point(pattern: str, i: int, digits: int) -> tuple[str, int]:
    """``\\uXXXX`` / ``\\UXXXXXXXX`` at ``pattern[i]`` (the letter) as RE2's ``\\x{...}``."""
    hex_digits = pattern[i + 1 : i + 1 + digits]
    if len(hex_digits) != digits or any(c not in "0123456789abcdefABCDEF" for c in hex_digits):
        raise UnsupportedPattern(pattern, f"\\{pattern[i]} needs {digits} hex digits")
    return f"\\x{{{hex_digits}}}", i + 1 + digits


def to_re2(pattern: str) -> str:
    """``pattern`` (Python syntax) in RE2 syntax with Python's meaning; one pass, linear."""
    out: list[str] = []
    in_set = False
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        if c == "\\" and i + 1 < n:
            letter = pattern[i + 1]
            table = _INSIDE if in_set else _OUTSIDE
            if letter in table:
                out.append(table[letter])
                i += 2
            elif letter in "uU":
                text, i = _code_point(pattern, i + 1, 4 if letter == "u" else 8)
                out.append(text)
            else:
                out.append(pattern[i : i + 2])
                i += 2
            continue
        if in_set:
            if c == "]":
                in_set = False
            out.append(c)
            i += 1
            continue
        if c == "[":
            in_set = True
            # a "]" right after "[" or "[^" is a literal in both dialects
            start = i + 1 + (pattern.startswith("^", i + 1))
            end = start + (pattern.startswith("]", start))
            out.append(pattern[i:end])
            i = end
            continue
        if c == "{" and pattern.startswith("{,", i):
            # Python's x{,n} is x{0,n}; RE2 would read "{,n}" as literal text
            close = pattern.find("}", i)
            if close > i + 2 and pattern[i + 2 : close].isdigit():
                out.append("{0," + pattern[i + 2 : close + 1])
                i = close + 1
                continue
        out.append(c)
        i += 1
    return "".join(out)


def _options(case_sensitive: bool) -> re2.Options:
    options = re2.Options()
    options.case_sensitive = case_sensitive
    options.log_errors = False  # a refused pattern is the author's error, reported to them
    return options


def compile_pattern(pattern: str, case_sensitive: bool = True) -> re2._Regexp[str]:
    """The RE2 program of a teacher's pattern; raises UnsupportedPattern."""
    if len(pattern) > MAX_PATTERN_LENGTH:
        raise UnsupportedPattern(pattern, f"longer than {MAX_PATTERN_LENGTH} characters")
    try:
        return re2.compile(to_re2(pattern), _options(case_sensitive))
    except re2.error as err:
        reason = err.args[0] if err.args else str(err)
        if isinstance(reason, bytes):
            reason = reason.decode(errors="replace")
        raise UnsupportedPattern(
            pattern, f"not a regular expression RE2 can match ({reason})"
        ) from err


def check_pattern(pattern: str) -> None:
    """Raise UnsupportedPattern unless ``pattern`` can be matched in linear time."""
    compile_pattern(pattern)


@functools.lru_cache(maxsize=4096)
def _compiled(pattern: str, case_sensitive: bool) -> re2._Regexp[str] | None:
    # keys are published once and scored millions of times: compile each pattern once
    try:
        return compile_pattern(pattern, case_sensitive)
    except UnsupportedPattern as err:
        # a key saved before patterns were checked: it matches nothing rather than running a
        # backtracking engine on a student's answer (logged once per pattern: cached)
        log.warning("a short-text pattern is not usable and matches nothing: %s", err)
        return None


def full_match(pattern: str, text: str, *, case_sensitive: bool) -> bool:
    """Does ``pattern`` match the whole of ``text``? Linear in ``len(text)``."""
    program = _compiled(pattern, case_sensitive)
    return program is not None and program.fullmatch(text) is not None
