"""The dashboard's two message catalogues say the same things, and every word the page or the
server can ask for has a message in both (a gap would show a bare key to a teacher)."""

from __future__ import annotations

import re
import typing

from engine.analytics.item_warnings import SEVERITY
from engine.web.assets import ASSETS
from grading.types import ScoreStatus
from proctoring.flags import Rule
from question_bank.kinds import ItemCreate

SCRIPTS = ("teacher.js", "teacher-flags.js", "teacher-items.js", "teacher-table.js")


def _keys(name: str) -> set[str]:
    return set(re.findall(r"^  '([^']+)':", ASSETS[name].body.decode(), re.MULTILINE))


INDONESIAN, ENGLISH = _keys("teacher-id.js"), _keys("teacher-en.js")


def test_both_catalogues_have_the_same_messages() -> None:
    assert len(INDONESIAN) > 250
    assert set() == INDONESIAN ^ ENGLISH


def test_every_literal_key_the_page_uses_has_a_message() -> None:
    used: set[str] = set()
    for name in SCRIPTS:
        body = ASSETS[name].body.decode()
        used |= set(re.findall(r"\bt\('([a-z_.0-9]+)'[,)]", body))
        used |= set(re.findall(r"\bhelp\('([a-z_.0-9]+)'\)", body))
    assert len(used) > 100
    assert used - INDONESIAN == set()


def test_every_rule_kind_warning_and_status_has_words() -> None:
    rules = typing.get_args(Rule)
    wanted = {f"rule.{r}.{part}" for r in rules for part in ("title", "found", "check")}
    kinds = [k.__struct_config__.tag for k in typing.get_args(ItemCreate)]
    wanted |= {f"kind.{k}" for k in kinds}
    wanted |= {f"reason.{w}" for w in SEVERITY}
    wanted |= {f"status.{s}" for s in typing.get_args(ScoreStatus)}
    wanted |= {f"state.{s}" for s in ("created", "active", "submitted", "graded")}
    assert wanted - INDONESIAN == set()


def test_the_page_loads_its_catalogues_before_its_script_and_speaks_indonesian_first() -> None:
    page = ASSETS["teacher.html"].body.decode()
    order = [page.index(f"/static/{n}?v=") for n in ("i18n.js", "teacher-id.js", "teacher-en.js")]
    assert order == sorted(order) and order[-1] < page.index("/static/teacher.js?v=")
    assert '<html lang="id">' in page
