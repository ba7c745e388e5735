"""Choosing a problem's language from Accept-Language: any header renders (a malformed range is
skipped), and of the languages we speak, the one weighted highest wins."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from engine.problem_language import (
    INDONESIAN_PROBLEMS,
    SUPPORTED,
    localise,
    preferred_language,
)

TAGS = {"en": "en", "en-GB": "en", "id": "id", "id-ID": "id", "in": "id", "fr": None, "de-AT": None}


@given(st.text(max_size=300))
def test_any_header_chooses_a_language_we_speak(header: str) -> None:
    assert preferred_language(header) in SUPPORTED


@given(
    st.lists(
        st.sampled_from(sorted(TAGS)), min_size=1, max_size=5, unique_by=lambda t: TAGS[t] or t
    ),
    st.lists(st.integers(1, 1000), min_size=5, max_size=5, unique=True),
    st.booleans(),
)
def test_the_highest_weighted_supported_language_wins(
    tags: list[str], weights: list[int], spaces: bool
) -> None:
    sep = ", " if spaces else ","
    header = sep.join(f"{tag};q={w / 1000:.3f}" for tag, w in zip(tags, weights, strict=False))
    ranked = sorted(
        ((w, TAGS[tag]) for tag, w in zip(tags, weights, strict=False) if TAGS[tag]),
        reverse=True,
    )
    assert preferred_language(header) == (ranked[0][1] if ranked else "en")


@given(st.sampled_from(sorted(TAGS)))
def test_q_zero_refuses_a_language(tag: str) -> None:
    assert preferred_language(f"{tag};q=0") == "en"
    if TAGS[tag] == "id":
        assert preferred_language(f"{tag}, en;q=0.1") == "id"
        assert preferred_language(f"{tag};q=0, *") == "en"


def test_indonesian_words_for_every_listed_code_and_english_unchanged() -> None:
    for code, (title, detail) in INDONESIAN_PROBLEMS.items():
        assert localise(code, "T", "D", "id") == (title, detail or "D")
        assert localise(code, "T", "D", "en") == ("T", "D")
    assert localise("some_new_code", "T", "D", "id") == ("T", "D")
