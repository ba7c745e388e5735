"""Parsing an answer batch (or a heartbeat) that carries the page's telemetry: Hypothesis
properties. The web framework decodes the body as it always did (JSON, then a lax conversion
to the Struct); the telemetry part is then validated by the telemetry ingest's own strict
decoder (engine/integrity/ingest.py: decode_part). What must hold: the answers part means the
same with or without telemetry beside it, and the telemetry part is taken or refused exactly
as ``POST /telemetry`` would take or refuse the same batch, with the same code."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.integrity.ingest import decode_part
from engine.integrity.page_models import HeartbeatBody
from engine.kernel.errors import DomainError
from engine.sittings.models import AnswerBatch
from proctoring.telemetry import TelemetryBatch, TelemetryTooLarge, decode_batch
from tests.unit.proctoring.test_proctoring_telemetry import batches


def _framework(body: bytes, kind: type[Any] = AnswerBatch) -> Any:
    """What Litestar does with a JSON body for ``JSONBody[kind]`` (litestar/_signature)."""
    return msgspec.convert(msgspec.json.decode(body), kind, strict=False)


def _endpoint(part: Any) -> TelemetryBatch | str:
    """What POST /telemetry makes of the same batch: the batch, or its refusal's code."""
    try:
        return decode_batch(msgspec.json.encode(part))
    except TelemetryTooLarge:
        return "payload_too_large"
    except (msgspec.ValidationError, msgspec.DecodeError):
        return "validation_failed"


def _part(part: dict[str, Any]) -> TelemetryBatch | str:
    try:
        return decode_part(part)
    except DomainError as err:
        assert err.extra is not None and err.extra["part"] == "telemetry"
        return err.code


answer_events = st.lists(
    st.fixed_dictionaries(
        {
            "seq": st.integers(1, 2**53),
            "item": st.text(st.characters(categories=["L", "N"]), min_size=1, max_size=64),
            "response": st.none() | st.just({"kind": "single_choice", "choice": "b"}),
        },
        optional={"client_ts": st.integers(0, 2**53)},
    ),
    min_size=1,
    max_size=20,
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda kids: (
        st.lists(kids, max_size=3) | st.dictionaries(st.text(max_size=8), kids, max_size=3)
    ),
    max_leaves=6,
)


@st.composite
def mutated(draw: st.DrawFn) -> dict[str, Any]:
    """A page's batch with one thing changed: a field dropped, added or replaced at the top,
    or in one of its events (most such changes make it invalid; some do not)."""
    part: dict[str, Any] = msgspec.to_builtins(draw(batches))
    target: dict[str, Any] = part
    if draw(st.booleans()):
        target = draw(st.sampled_from(part["events"]))
    key = draw(st.sampled_from(sorted(target)) | st.text(max_size=10))
    action = draw(st.sampled_from(["drop", "set"]))
    if action == "drop":
        target.pop(key, None)
    else:
        target[key] = draw(json_values)
    return part


@given(events=answer_events, telemetry=batches)
def test_answers_mean_the_same_with_telemetry_beside_them(
    events: list[dict[str, Any]], telemetry: TelemetryBatch
) -> None:
    alone = _framework(msgspec.json.encode({"events": events}))
    part = msgspec.to_builtins(telemetry)
    both = _framework(msgspec.json.encode({"events": events, "telemetry": part}))
    assert both.events == alone.events and alone.telemetry is None
    assert decode_part(both.telemetry) == telemetry == _endpoint(part)
    beat = _framework(msgspec.json.encode({"telemetry": part}), HeartbeatBody)
    assert decode_part(beat.telemetry) == telemetry


@given(events=answer_events, part=mutated())
def test_the_telemetry_part_is_refused_exactly_as_the_telemetry_endpoint_refuses_it(
    events: list[dict[str, Any]], part: dict[str, Any]
) -> None:
    both = _framework(msgspec.json.encode({"events": events, "telemetry": part}))
    assert _part(both.telemetry) == _endpoint(part)


# the framework's lax conversion reads the string "null" as null for every optional field of
# every body (as it reads "1" as 1): that one string is "no telemetry", like a JSON null
@given(part=json_values.filter(lambda v: not isinstance(v, dict) and v not in (None, "null")))
def test_a_telemetry_part_that_is_no_object_refuses_the_request(part: Any) -> None:
    body = msgspec.json.encode(
        {"events": [{"seq": 1, "item": "q1", "response": None}], "telemetry": part}
    )
    with pytest.raises(msgspec.ValidationError, match="telemetry"):
        _framework(body)


def test_the_string_null_is_no_telemetry_as_for_any_optional_field() -> None:
    events = [{"seq": 1, "item": "q1", "response": None}]
    assert (
        _framework(msgspec.json.encode({"events": events, "telemetry": "null"})).telemetry is None
    )


def test_an_oversized_part_is_refused_before_its_events_are_looked_at() -> None:
    device = {"type": "device", "ts": 1, "fingerprint": "f" * 128, "user_agent": "u" * 512}
    part = {"session": "tab00001", "batch_seq": 1, "sent_at": 1, "events": [device] * 200}
    assert _endpoint(part) == _part(part) == "payload_too_large"
