"""Per-sitting heuristics as a pure incremental state machine.

``step(state, session, event, items, thresholds)`` folds one telemetry or answer event into
the sitting's state and returns the new state plus the flags that fired *now* (each rule fires
once per sitting; ``current_flags`` rebuilds every flag with all its evidence at any time, e.g.
at submit). States are msgspec Structs so the engine can keep them in Redis between batches.
"""

from __future__ import annotations

from collections.abc import Mapping

import msgspec

from proctoring.flags import AnswerEvidence, EventEvidence, Evidence, Flag, Rule
from proctoring.telemetry import (
    Blur,
    ClientEvent,
    Device,
    Focus,
    FullscreenExit,
    IpObserved,
    Network,
    Paste,
    Visibility,
)
from proctoring.thresholds import Thresholds

# evidence lists are capped so a state stays small however long a sitting runs
MAX_EVIDENCE = 20


class AnswerSaved(msgspec.Struct, frozen=True, tag="answer", tag_field="type"):
    """An acknowledged answer from the answer stream, with correctness if the engine knows it."""

    ts: int
    item: str
    response: str
    correct: bool | None = None


SittingEvent = ClientEvent | IpObserved | AnswerSaved


class ItemContext(msgspec.Struct, frozen=True, kw_only=True):
    """What the heuristics need to know about an item, from pretesting or calibration."""

    mean_time_s: float
    median_time_s: float
    p_value: float  # classical proportion correct


class ItemTrack(msgspec.Struct, frozen=True, kw_only=True):
    first_rt_s: float
    first_correct: bool | None
    last_response: str
    last_correct: bool | None
    changes: int = 0


class SittingState(msgspec.Struct, frozen=True, kw_only=True):
    sitting: str
    started_at: int | None = None
    last_ts: int = 0
    last_answer_ts: int | None = None
    focused: bool = True
    visible: bool = True
    away_since: int | None = None
    away_ms: int = 0
    longest_away_ms: int = 0
    online: bool = True
    offline_since: int | None = None
    offline_ms: int = 0
    sessions: tuple[str, ...] = ()  # in order first seen; the last one is the current page
    session_last_ts: dict[str, int] = {}
    ips: tuple[str, ...] = ()
    devices: tuple[str, ...] = ()
    fullscreen_exits: int = 0
    items: dict[str, ItemTrack] = {}
    rapid: int = 0
    timed_first: int = 0
    fired: frozenset[Rule] = frozenset()
    evidence: dict[Rule, tuple[Evidence, ...]] = {}


def _add(ev: dict[Rule, tuple[Evidence, ...]], rule: Rule, item: Evidence) -> None:
    old = ev.get(rule, ())
    if len(old) < MAX_EVIDENCE:
        ev[rule] = (*old, item)


def _away_ms(s: SittingState) -> tuple[int, int]:
    """(total, longest) time away including an absence still running at the last event."""
    running = s.last_ts - s.away_since if s.away_since is not None else 0
    return s.away_ms + running, max(s.longest_away_ms, running)


def step(
    state: SittingState,
    session: str,
    event: SittingEvent,
    items: Mapping[str, ItemContext],
    th: Thresholds,
) -> tuple[SittingState, tuple[Flag, ...]]:
    """Fold one event into the state; return the new state and the flags that fired now."""
    s = state
    ts = max(event.ts, s.last_ts)  # streams interleave slightly; time never runs backwards here
    ev = dict(s.evidence)
    upd: dict[str, object] = {"last_ts": ts}
    if s.started_at is None:
        upd["started_at"] = ts
    # sessions: an older page speaking again after a newer one appeared is two live pages
    if session not in s.sessions:
        upd["sessions"] = (*s.sessions, session)
    elif session != s.sessions[-1]:
        newest = s.sessions[-1]
        if ts - s.session_last_ts.get(newest, 0) <= th.session_overlap_s * 1000:
            _add(ev, "overlapping_session", EventEvidence(ts, "session", f"{session}/{newest}"))
    upd["session_last_ts"] = {**s.session_last_ts, session: ts}
    focused, visible = s.focused, s.visible
    match event:
        case Blur():
            focused = False
        case Focus():
            focused = True
        case Visibility(state=vis):
            visible = vis == "visible"
        case FullscreenExit():
            upd["fullscreen_exits"] = s.fullscreen_exits + 1
            _add(ev, "fullscreen_exit", EventEvidence(ts, "fullscreen_exit"))
        case Paste(length=n, item=item) if item is not None and n >= th.paste_min_chars:
            _add(ev, "paste_into_answer", EventEvidence(ts, "paste", f"{n} chars into {item}"))
        case Network(online=on):
            if not on and s.online:
                upd["offline_since"] = ts
            elif on and not s.online and s.offline_since is not None:
                upd["offline_ms"] = s.offline_ms + ts - s.offline_since
                upd["offline_since"] = None
            upd["online"] = on
        case IpObserved(ip=ip) if ip not in s.ips:
            upd["ips"] = (*s.ips, ip)
            note = "" if s.online else "after network reconnect"
            _add(ev, "ip_change", EventEvidence(ts, "ip", f"{ip} {note}".strip()))
        case Device(fingerprint=fp) if fp not in s.devices:
            upd["devices"] = (*s.devices, fp)
            _add(ev, "device_change", EventEvidence(ts, "device", fp))
        case AnswerSaved():
            _answer(s, event, ts, items, th, upd, ev)
        case _:
            pass
    # presence: away while blurred or hidden; time accrues between transitions
    was_away = s.away_since is not None
    now_away = not (focused and visible)
    upd["focused"], upd["visible"] = focused, visible
    if now_away and not was_away:
        upd["away_since"] = ts
    elif was_away and not now_away and s.away_since is not None:
        gone = ts - s.away_since
        upd["away_ms"] = s.away_ms + gone
        upd["longest_away_ms"] = max(s.longest_away_ms, gone)
        upd["away_since"] = None
        _add(ev, "time_away", EventEvidence(s.away_since, "away", f"{gone / 1000:.0f} s"))
    upd["evidence"] = ev
    new = msgspec.structs.replace(s, **upd)
    now = current_flags(new, th)
    fresh = tuple(f for f in now if f.rule not in s.fired)
    if fresh:
        new = msgspec.structs.replace(new, fired=s.fired | {f.rule for f in fresh})
    return new, fresh


def _answer(
    s: SittingState,
    a: AnswerSaved,
    ts: int,
    items: Mapping[str, ItemContext],
    th: Thresholds,
    upd: dict[str, object],
    ev: dict[Rule, tuple[Evidence, ...]],
) -> None:
    if not s.visible:
        _add(ev, "answer_while_hidden", AnswerEvidence(a.item, a.response, a.correct))
    prior = s.items.get(a.item)
    tracks = dict(s.items)
    if prior is not None:
        wtr = prior.last_correct is False and a.correct is True
        if wtr:
            _add(ev, "wrong_to_right_changes", AnswerEvidence(a.item, a.response, True))
        changed = a.response != prior.last_response
        tracks[a.item] = msgspec.structs.replace(
            prior,
            last_response=a.response,
            last_correct=a.correct,
            changes=prior.changes + int(changed),
        )
    else:
        # the first answer's time is the gap since the previous answer (or the start): the
        # page shows one item at a time, so that gap is the time spent reaching this answer
        since = s.last_answer_ts if s.last_answer_ts is not None else (s.started_at or ts)
        rt = max(0.0, (ts - since) / 1000.0)
        tracks[a.item] = ItemTrack(
            first_rt_s=rt,
            first_correct=a.correct,
            last_response=a.response,
            last_correct=a.correct,
        )
        ctx = items.get(a.item)
        if ctx is not None:
            upd["timed_first"] = s.timed_first + 1
            if rt < min(th.nt_fraction * ctx.mean_time_s, th.nt_cap_s):
                upd["rapid"] = s.rapid + 1
                _add(
                    ev,
                    "rapid_guessing",
                    AnswerEvidence(a.item, a.response, a.correct, rt, ctx.mean_time_s),
                )
            hard = ctx.p_value <= th.hard_item_p
            if hard and a.correct is True and rt < th.fast_fraction * ctx.median_time_s:
                _add(
                    ev,
                    "fast_correct_hard",
                    AnswerEvidence(a.item, a.response, True, rt, ctx.median_time_s),
                )
    upd["items"] = tracks
    upd["last_answer_ts"] = ts


def _count(s: SittingState, rule: Rule) -> int:
    return len(s.evidence.get(rule, ()))


def _wtr(s: SittingState) -> int:
    # counted from tracks too, since evidence is capped
    return sum(1 for t in s.items.values() if t.first_correct is False and t.last_correct)


def current_flags(s: SittingState, th: Thresholds) -> tuple[Flag, ...]:
    """Every heuristic flag the state supports now, each with its full (capped) evidence."""
    out: list[Flag] = []

    def add(rule: Rule, stat: float, thr: float, direction: str = "above") -> None:
        fires = stat <= thr if direction == "below" else stat >= thr
        if fires:
            out.append(
                Flag(
                    sitting=s.sitting,
                    rule=rule,
                    kind="behaviour",
                    statistic=stat,
                    threshold=thr,
                    direction="below" if direction == "below" else "above",
                    evidence=s.evidence.get(rule, ()),
                )
            )

    total, longest = _away_ms(s)
    if longest >= th.away_single_s * 1000:
        add("time_away", longest / 1000.0, th.away_single_s)
    else:
        add("time_away", total / 1000.0, th.away_total_s)
    add("paste_into_answer", _count(s, "paste_into_answer"), 1)
    add("ip_change", len(s.ips), th.max_distinct_ips + 1)
    add("device_change", len(s.devices), th.max_distinct_devices + 1)
    add("overlapping_session", _count(s, "overlapping_session"), 1)
    add("answer_while_hidden", _count(s, "answer_while_hidden"), th.answers_while_hidden)
    add("fullscreen_exit", s.fullscreen_exits, th.fullscreen_exits)
    if s.timed_first >= th.rte_min_items:
        add("rapid_guessing", 1.0 - s.rapid / s.timed_first, th.rte_min, "below")
    add("fast_correct_hard", _count(s, "fast_correct_hard"), th.fast_correct_hard_min)
    add("wrong_to_right_changes", _wtr(s), th.wtr_min)
    return tuple(out)
