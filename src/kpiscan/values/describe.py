"""A Target as one readable line (the CLI's `kpiscan value` output)."""
from __future__ import annotations

from kpiscan.model import Target


def number_text(x: float) -> str:
    """139300.0 -> "139300", 0.25 -> "0.25" (never scientific notation)."""
    return format(x, ".6f").rstrip("0").rstrip(".") if x % 1 else str(int(x))


def _amount_text(target: Target) -> str:
    if target.op == "between" and target.low is not None and target.high is not None:
        amount = f"{number_text(target.low)}..{number_text(target.high)}"
    elif target.value is not None:
        amount = f"{target.op} {number_text(target.value)}"
    else:
        return ""
    return f"{amount} {_unit_text(target)}".rstrip()


def _unit_text(target: Target) -> str:
    return (target.unit or "") + "".join(f"/{p}" for p in target.per)


def _against(target: Target) -> str:
    """" (increase vs previous-year)", " (decrease)", "" — a change and its baseline."""
    if target.change is None:
        return ""
    return f" ({target.change} vs {target.baseline})" if target.baseline else f" ({target.change})"


def _describe_one(target: Target) -> str:
    kind = target.kind
    if kind == "quantity":
        return f"quantity {_amount_text(target)}{_against(target)}"
    if kind == "frequency":
        parts = ("frequency", target.period or "", _amount_text(target))
        return " ".join(part for part in parts if part) + _against(target)
    if kind in ("date", "deadline"):
        return f"{kind} {target.date}"
    if kind == "period":
        return " ".join(part for part in ("period", target.period or "", target.date or "") if part)
    if kind == "relative":
        change = f" ({target.change})" if target.change else ""
        return f"relative {target.op} {target.baseline}{change}"
    if kind == "qualitative":
        return f"qualitative {target.text}"
    if kind == "empty" and (target.op or target.unit):  # an unfilled template ("≥ %")
        return " ".join(part for part in ("empty placeholder", target.op or "", _unit_text(target)) if part)
    return kind


def describe(target: Target) -> str:
    """"quantity <= 139300 元", "deadline 2024-07", "quantity = 5 % (increase vs previous-year)",
    "relative >= previous-year", "quantity = 1600 人; also quantity = 200 人"."""
    text = _describe_one(target)
    if target.others:
        text += "".join(f"; also {_describe_one(other)}" for other in target.others)
    return text
