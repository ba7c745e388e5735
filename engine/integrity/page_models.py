"""The wire schema of the page's conversation (engine/integrity/conversation.py): what became
of a telemetry batch, the heartbeat's body and its reply, the answer batch's acknowledgement
with its telemetry part's outcome."""

from __future__ import annotations

import msgspec

from engine.sittings.models import TelemetryPart


class TelemetryAck(msgspec.Struct, frozen=True, kw_only=True):
    """What became of a batch: the reply of ``POST /telemetry``, and the ``telemetry`` part of
    an answer batch's acknowledgement and of a heartbeat's reply. Every outcome it reports is
    final: the page forgets the batch."""

    accepted: int  # events stored
    duplicate: bool  # the batch_seq was seen before: nothing stored, do not resend
    dropped_rate: int  # over this page's rate: dropped, do not resend
    dropped_clock: int  # stamped after sent_at, too old, or before what this page sent


class BatchAck(msgspec.Struct, frozen=True, omit_defaults=True):
    """``POST /answers``: the answer ack (engine/sittings/models.py: AnswerAck), with what
    became of the telemetry the batch carried (left out when it carried none)."""

    # every event with seq <= acked_seq is stored; the client may forget them
    acked_seq: int
    # the server's clock: the page counts this down (it asks for no other timer)
    remaining_ms: int
    telemetry: TelemetryAck | None = None


class HeartbeatBody(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """``POST /heartbeat``: the page's pending telemetry, if it has any (``{}`` else)."""

    telemetry: TelemetryPart | None = None


class PageClock(msgspec.Struct, frozen=True, omit_defaults=True):
    """The heartbeat's reply: everything the page would otherwise poll for, in one small JSON.
    ``state``: ``active``, ``paused`` (a proctor stopped the clock: ``remaining_ms`` stands
    still) or ``submitted`` (by the sweeper, a proctor, another page: the page shows the end).
    Extra time a proctor grants is in ``remaining_ms`` and ``deadline_ms``."""

    state: str
    remaining_ms: int
    deadline_ms: int
    server_time_ms: int
    # answers sent up to this long after the deadline are still stored
    grace_ms: int
    # every answer event with seq <= acked_seq is stored, as in the answer batch's reply: less
    # than the page heard before means the server lost some (ADR 0019), and the page sends them
    # again (always sent: 0 is a sitting that holds none)
    acked_seq: int
    # another device took the sitting over: this page's answers are refused from now on
    device_replaced: bool = False
    # what became of the telemetry the heartbeat carried (left out when it carried none, or
    # when the sitting is no longer open and none was taken)
    telemetry: TelemetryAck | None = None
