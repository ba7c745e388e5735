"""The sitting scripts' replies (engine/redis_adapter/replies.py) are typed: every status a script
may give is named, and one outside them is an error, never read as a refusal such as "no
such sitting"."""

from __future__ import annotations

import re
from typing import get_args, get_type_hints

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.redis_adapter import replies
from engine.redis_adapter.replies import AnswerReply, StartReply, SubmitReply
from engine.redis_adapter.scripts import lua_source


def _statuses_in_script(name: str) -> set[str]:
    """The first element of every reply table the script returns: {'status', ...}."""
    source = lua_source(name)
    return set(re.findall(r"return \{'([a-z_]+)'", source))


@pytest.mark.parametrize(
    ("script", "reply"), [("answer", AnswerReply), ("start", StartReply), ("submit", SubmitReply)]
)
def test_every_status_a_script_returns_is_named(script: str, reply: type[msgspec.Struct]) -> None:
    named = set(get_args(get_type_hints(reply)[reply.__struct_fields__[0]]))
    flat = {a for n in named for a in (get_args(n) or (n,))}
    found = _statuses_in_script(script)
    assert found and found <= flat


@given(st.text(min_size=1).filter(lambda s: s not in get_args(replies.AnswerStatus)))
def test_an_unknown_answer_status_is_an_error(status: str) -> None:
    with pytest.raises(msgspec.ValidationError):
        replies.reply(AnswerReply, [status, 1, 2])


def test_known_replies_read_with_their_defaults() -> None:
    assert replies.reply(AnswerReply, ["ok", 3, 100]) == AnswerReply("ok", 3, 100, 0, 0)
    assert replies.reply(AnswerReply, ["navigation_linear", 3, 100, 4, 7]).furthest == 7
    assert replies.reply(SubmitReply, ["not_due", 0]).state == "not_due"
