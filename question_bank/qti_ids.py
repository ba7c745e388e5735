"""Ujian's ids in QTI identifiers.

An option, blank, gap or hotspot id in Ujian is ``[\\w.-]+``; a QTI identifier is an XML
NCName, which may not begin with a digit, a dot or a hyphen. The export writes an item whose
ids are not all NCNames with every id prefixed by ``_`` (prefixing every id keeps distinct ids
distinct) and says so on the item body with ``class="ujian-ids-prefixed"`` (QTI's item body
takes a class, not a data attribute); the import takes the prefix off again only where that
mark is, so a third-party item's own ``_a`` stays ``_a``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

import msgspec

from question_bank.kinds import (
    ChoiceBlank,
    ChoiceOption,
    ClozeItem,
    ItemCreate,
    MatchingItem,
    MultipleResponseItem,
    OrderingItem,
    SingleChoiceItem,
)

PREFIX = "_"
MARK = "class"
MARKED = "ujian-ids-prefixed"
# an XML NCName for the ids Ujian allows: a letter or "_" first (\w less the digits)
_NCNAME = re.compile(r"[^\W\d][\w.-]*")
_PLACEHOLDER = re.compile(r"\{\{([\w.-]+)\}\}")

Rename = Callable[[str], str]


def ids_of(item: ItemCreate) -> set[str]:
    """Every id of the item that becomes a QTI identifier."""
    match item:
        case SingleChoiceItem() | MultipleResponseItem() | OrderingItem():
            return {o.id for o in item.options}
        case MatchingItem():
            return {o.id for o in (*item.sources, *item.targets)}
        case ClozeItem():
            inner = {
                o.id for b in item.blanks.values() if isinstance(b, ChoiceBlank) for o in b.options
            }
            return set(item.blanks) | inner
        case _:
            return set()


def needs_prefix(item: ItemCreate) -> bool:
    return any(_NCNAME.fullmatch(i) is None for i in ids_of(item))


def prefixed(item: ItemCreate) -> ItemCreate:
    return renamed(item, lambda i: PREFIX + i)


def unprefixed(item: ItemCreate) -> ItemCreate:
    return renamed(item, lambda i: i.removeprefix(PREFIX))


def renamed(item: ItemCreate, rename: Rename) -> ItemCreate:
    """The item with every id (and every place that names one) renamed."""
    ids = ids_of(item)

    def one(i: str) -> str:
        return rename(i) if i in ids else i

    def text(t: str) -> str:
        return _PLACEHOLDER.sub(lambda m: "{{" + one(m.group(1)) + "}}", t)

    def options(opts: Iterable[ChoiceOption]) -> list[ChoiceOption]:
        return [msgspec.structs.replace(o, id=one(o.id)) for o in opts]

    def keys(entries: dict[str, float]) -> dict[str, float]:
        # a pair's map key is its two ids, space-separated (QTI directedPair / pair)
        return {" ".join(one(p) for p in k.split(" ")): v for k, v in entries.items()}

    changes: dict[str, object] = {}
    mapping = getattr(item, "mapping", None)
    if mapping is not None:
        changes["mapping"] = msgspec.structs.replace(mapping, entries=keys(mapping.entries))
    match item:
        case SingleChoiceItem() | MultipleResponseItem() | OrderingItem():
            changes["options"] = options(item.options)
            if isinstance(item, SingleChoiceItem):
                changes["correct"] = one(item.correct)
            else:
                changes["correct"] = [one(c) for c in item.correct]
            hottext = getattr(item, "hottext", None)
            if hottext is not None:
                changes["hottext"] = msgspec.structs.replace(hottext, passage=text(hottext.passage))
            if item.graphic is not None:
                spots = {one(k): v for k, v in item.graphic.hotspots.items()}
                changes["graphic"] = msgspec.structs.replace(item.graphic, hotspots=spots)
        case MatchingItem():
            changes["sources"] = options(item.sources)
            changes["targets"] = options(item.targets)
            changes["pairs"] = [(one(s), one(t)) for s, t in item.pairs]
            changes["stem"] = text(item.stem)
            for name in ("gap_match", "associate"):
                spec = getattr(item, name)
                if spec is not None:
                    limits = {one(k): v for k, v in spec.match_max.items()}
                    changes[name] = msgspec.structs.replace(spec, match_max=limits)
        case ClozeItem():
            changes["stem"] = text(item.stem)
            changes["blanks"] = {
                one(bid): (
                    msgspec.structs.replace(b, options=options(b.options), correct=one(b.correct))
                    if isinstance(b, ChoiceBlank)
                    else b
                )
                for bid, b in item.blanks.items()
            }
        case _:
            return item
    return msgspec.structs.replace(item, **changes)
