"""The exam-level wiring: flags carry their statistic, threshold, p-value and evidence."""

from __future__ import annotations

import msgspec
import numpy as np
import pytest

from grading.irt import p_correct
from proctoring.flags import (
    AnswerEvidence,
    Flag,
    MatchEvidence,
    PairEvidence,
    ValueEvidence,
    summarise,
)
from proctoring.forensics import ForensicsReport, analyse_exam


def _exam(seed: int) -> dict[str, object]:
    rng = np.random.default_rng(seed)
    n, k = 240, 60
    a, b, c = rng.uniform(0.7, 1.8, k), rng.normal(size=k), np.full(k, 0.2)
    key = rng.integers(0, 4, k)
    theta = rng.normal(size=n)
    right = rng.random((n, k)) < p_correct(theta, a, b, c)
    wrong = (key + rng.integers(1, 4, (n, k))) % 4
    resp = np.where(right, key, wrong)
    times = np.exp(4.0 - rng.normal(0, 0.2, n)[:, None] + rng.normal(size=(n, k)) / 2.0)
    # each sitting works through its own shuffled order, as Ujian serves papers
    order = np.argsort(rng.random((n, k)), axis=1)
    at = np.empty((n, k))
    rows = np.arange(n)[:, None]
    at[rows, order] = np.cumsum(times[rows, order], axis=1)
    resp[7, :45] = resp[8, :45]  # sitting 7 copies 3/4 of sitting 8's paper, in real time
    at[7, :45] = at[8, :45] + 2.0
    times[20, :30] = 1.5  # sitting 20 rapid-guesses half the paper
    resp[20, :30] = rng.integers(0, 4, 30)
    # sitting 30, weak on the paper, knew the answers to items 10-39 and gave them in a
    # quarter of the usual time
    resp[30] = (key + 1) % 4
    resp[30, 10:40] = key[10:40]
    times[30, 10:40] *= 0.25
    room = np.arange(n) // 30
    return dict(
        sittings=[f"s{i}" for i in range(n)],
        item_ids=[f"q{i}" for i in range(k)],
        responses=resp,
        key=key,
        a=a,
        b=b,
        c=c,
        n_options=4,
        times=times,
        answered_at=at,
        changed=rng.random((n, k)) < 0.1,
        blocks={"room": room},
    )


@pytest.fixture(scope="module")
def report() -> ForensicsReport:
    return analyse_exam(**_exam(3))  # type: ignore[arg-type]


def _by(report: ForensicsReport, rule: str) -> list[Flag]:
    return [f for f in report.flags if f.rule == rule]


def test_copying_pair_is_flagged_with_matched_answers(report: ForensicsReport) -> None:
    sim = _by(report, "answer_similarity")
    assert {f.sitting for f in sim} == {"s7", "s8"}
    flag = next(f for f in sim if f.sitting == "s7")
    assert flag.p_value is not None and flag.p_value < 1e-4
    assert flag.correction == "bonferroni" and flag.kind == "test"
    # s7 answered 2 s after s8 on the copied items: the clock names the copier
    assert flag.note.startswith("copier (who answered after whom): s7 gave s8's answer on")
    # the 45 copied answers, and any identical answer that fell in the window by chance
    assert flag.statistic >= 45.0
    assert f"{flag.statistic:.0f} of those answers came 0-60 s after" in flag.note
    source = next(f for f in sim if f.sitting == "s8")
    assert source.note.startswith("source (who answered after whom): s7 gave s8's answer")
    values = {e.label: e.value for e in flag.evidence if isinstance(e, ValueEvidence)}
    assert values["p lag"] == flag.p_value <= values["cut"]
    # three rooms of 30 share alpha = .001 over 8 x 30 x 29 ordered pairs, two tests each
    assert values["cut"] == pytest.approx(0.001 * 0.9 / (8 * 30 * 29 * 2))
    pair = flag.evidence[0]
    assert isinstance(pair, PairEvidence) and pair.other_sitting == "s8"
    assert pair.observed > pair.expected
    matches = [e for e in flag.evidence if isinstance(e, MatchEvidence)]
    assert matches and all(0 < m.model_probability < 1 for m in matches)
    # least likely shared answers come first: they are the strongest evidence
    probs = [m.model_probability for m in matches]
    assert probs == sorted(probs)
    assert {f.sitting for f in _by(report, "timestamp_synchrony")} >= {"s7", "s8"}


def test_rapid_guesser_is_flagged_with_timings(report: ForensicsReport) -> None:
    rapid = _by(report, "rapid_guessing")
    assert [f.sitting for f in rapid] == ["s20"]
    assert rapid[0].statistic == pytest.approx(0.5) and rapid[0].direction == "below"
    assert len(rapid[0].evidence) == 20


def test_preknowledge_is_flagged_with_its_fast_right_answers(report: ForensicsReport) -> None:
    known = _by(report, "preknowledge")
    assert [f.sitting for f in known] == ["s30"]
    flag = known[0]
    assert flag.p_value is not None and flag.p_value < 0.001
    assert flag.note.startswith(f"right on {flag.statistic:.0f} of ")
    assert "rapid guesses left out" in flag.note
    items = [e for e in flag.evidence if isinstance(e, AnswerEvidence)]
    assert items and all(e.correct and e.seconds is not None for e in items)
    assert all(10 <= int(e.item[1:]) < 40 for e in items)
    # the rapid guesser is fast everywhere and right by chance: not preknowledge
    assert "s20" not in {f.sitting for f in known}


def test_report_is_small_and_serialisable(report: ForensicsReport) -> None:
    flagged = {f.sitting for f in report.flags}
    assert len(flagged) < 20  # out of 240: the flags are a short review queue
    raw = msgspec.json.encode(report)
    assert msgspec.json.decode(raw, type=ForensicsReport) == report
    levels = {s.sitting: s.level for s in report.summaries}
    assert levels["s7"] in ("medium", "high")
    assert set(report.seconds) >= {"similarity_blocked", "similarity_screen", "person_fit"}
    # every test's flag carries its statistic, its p-value and the evidence in words
    tests = [f for f in report.flags if f.kind == "test"]
    assert {f.rule for f in tests} >= {"answer_similarity", "timestamp_synchrony"}
    assert all(f.p_value is not None and 0.0 <= f.p_value <= 1.0 for f in tests)
    assert all(len(f.note) > 40 and f"{f.p_value:.2g}" in f.note for f in tests)


def test_summary_counts_distinct_rules_weighted_by_kind() -> None:
    def flag(rule: str, kind: str, p: float | None = None) -> Flag:
        return msgspec.convert(
            {
                "sitting": "s1",
                "rule": rule,
                "kind": kind,
                "statistic": 1.0,
                "threshold": 1.0,
                "p_value": p,
            },
            Flag,
        )

    same_rule = [flag("time_away", "behaviour"), flag("time_away", "behaviour")]
    assert summarise("s1", same_rule).score == 1.0
    assert summarise("s1", same_rule).level == "low"
    mixed = [
        *same_rule,
        flag("answer_similarity", "test", 1e-6),
        flag("person_misfit", "test", 1e-4),
    ]
    s = summarise("s1", mixed)
    assert (s.score, s.level, s.smallest_p) == (5.0, "high", 1e-6)
    assert s.rules == ("answer_similarity", "person_misfit", "time_away")
    assert summarise("s2", mixed).level == "none"


def test_without_own_item_orders_the_clock_tests_stand_down() -> None:
    # in one shared item order honest neighbours answer each item at about the same time, so
    # the lag test and synchrony have no null to stand on; omega still finds the pair
    report = analyse_exam(**_exam(3), own_item_order=False)  # type: ignore[arg-type]
    sim = _by(report, "answer_similarity")
    assert {f.sitting for f in sim} == {"s7", "s8"}
    assert all(f.note.startswith(("copier (by ability)", "source (by ability)")) for f in sim)
    assert all("came 0-60 s after" not in f.note for f in sim)
    assert not _by(report, "timestamp_synchrony")
