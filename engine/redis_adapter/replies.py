"""The sitting scripts' replies as Structs (``lua/start.lua``, ``answer.lua``, ``submit.lua``,
``heartbeat.lua``).

Every status a script can answer is named here: a reply outside them is a script and the code
out of step, raised as a ``msgspec.ValidationError`` (a 500, logged) at the adapter, never
mistaken for a refusal the student would see as a 404 or a 409.
"""

from __future__ import annotations

from typing import Any, Literal, TypeVar

import msgspec

_R = TypeVar("_R", bound=msgspec.Struct)
SessionState = Literal["active", "submitted"]
StartState = Literal[SessionState, "exam_not_open", "exam_closed"]
AnswerStatus = Literal[
    "ok",
    "no_session",
    "forbidden",
    "sitting_submitted",
    "device_replaced",
    "sitting_paused",
    "time_expired",
    "rate_limited",
    "navigation_linear",
]
SubmitState = Literal[SessionState, "no_session", "forbidden", "not_due"]
HeartbeatStatus = Literal["ok", "no_session", "forbidden"]


class StartReply(msgspec.Struct, frozen=True, array_like=True):
    state: StartState
    started_ms: int
    deadline_ms: int
    now_ms: int


class AnswerReply(msgspec.Struct, frozen=True, array_like=True):
    status: AnswerStatus
    acked_seq: int
    remaining_ms: int
    # rate_limited: ms until the batch fits the budget; navigation_linear: the refused seq
    detail: int = 0
    # navigation_linear: the furthest place in the student's order reached before
    furthest: int = 0


class SubmitReply(msgspec.Struct, frozen=True, array_like=True):
    state: SubmitState
    submitted_ms: int
    # 1 when this call submitted the sitting, 0 when it was submitted before (or not at all)
    fresh: int = 0


class HeartbeatReply(msgspec.Struct, frozen=True, array_like=True):
    """``lua/heartbeat.lua``: the clock of the caller's own sitting (status ``ok``), or
    nothing but the status."""

    status: HeartbeatStatus
    state: Literal["active", "paused", "submitted"] = "submitted"
    exam_version_id: str = ""
    deadline_ms: int = 0
    now_ms: int = 0
    paused_at_ms: int = 0
    grace_ms: int = 0
    replaced: bool = False
    last_seq: int = 0


def reply(kind: type[_R], fields: list[Any]) -> _R:
    """A script's reply as its Struct, its status checked against the ones it may have."""
    return msgspec.convert(fields, kind)


def text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
