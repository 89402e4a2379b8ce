"""What the classifier looks at for one indicator: name, value, level2 and the parsed Target."""
from __future__ import annotations

from dataclasses import dataclass

from ..model import Indicator, Target


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
    from ..values.vocab import vocabulary

    return vocabulary().unit_kinds.get(target.unit, "other")
