"""What the classifier looks at for one indicator: name, value, level2 and the parsed Target."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..model import Indicator, Target
from ..schema import hashable
from ..values.vocab import vocabulary


@dataclass(frozen=True, slots=True)
class Item:
    name: str
    value: str
    level2: str
    target: Target


def item_of(name: str, value: str, level2: str | None = None, year: int | None = None,
            target: Target | None = None) -> Item:
    """An Item, parsing the value unless its Target is given."""
    if target is None:
        from ..values import parse_value

        target = parse_value(value or "", year)
    return Item(name or "", value or "", level2 or "", target)


def item_of_indicator(ind: Indicator, year: int | None = None) -> Item:
    """The indicator's own Target when the pipeline filled it, else parse_value(value, year)."""
    return item_of(ind.name, ind.value, ind.level2, year, ind.target)


def unit_kind(target: Target) -> str:
    """ratio / money / count / time / ... of the Target's base unit ("" when it has none)."""
    if not target.unit:
        return ""
    return vocabulary().unit_kinds.get(target.unit, "other")



# target_key(target): every field of the Target as a hashable tuple (lists as tuples, `others` as
# their keys): two Targets with the same key are read the same way by every rule and feature.
# schema.hashable's compiled reader itself, not a function around it: one frame a record (the
# review keys every row it asks the category model about by it)
target_key: Callable[[Target], tuple[Any, ...]] = hashable(Target)


def item_key(item: Item) -> tuple[Any, ...]:
    """What a verdict depends on: (name, value, level2, the Target's fields)."""
    return (item.name, item.value, item.level2, target_key(item.target))


def indicator_key(ind: Indicator, year: int | None = None) -> tuple[Any, ...]:
    """item_key(item_of_indicator(ind, year)) without making the Item (a memo looks most up)."""
    if ind.target is None:
        return item_key(item_of_indicator(ind, year))
    return (ind.name or "", ind.value or "", ind.level2 or "", target_key(ind.target))
