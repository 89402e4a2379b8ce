"""A Target as one readable line (the CLI's `kpiscan value` output)."""
from __future__ import annotations

from kpiscan.model import Target


def number_text(x: float) -> str:
    """139300.0 -> "139300", 0.25 -> "0.25" (never scientific notation)."""
    return format(x, ".6f").rstrip("0").rstrip(".") if x % 1 else str(int(x))


def _amount_text(target: Target) -> str:
    if target.op == "between":
        amount = f"{number_text(target.low)}..{number_text(target.high)}"
    elif target.value is not None:
        amount = f"{target.op} {number_text(target.value)}"
    else:
        return ""
    unit = target.unit or ""
    per = "".join(f"/{p}" for p in target.per)
    return f"{amount} {unit}{per}".rstrip()


def describe(target: Target) -> str:
    """"quantity <= 139300 元", "deadline 2024-07", "frequency quarter", "qualitative 提升"."""
    kind = target.kind
    if kind == "quantity":
        return f"quantity {_amount_text(target)}"
    if kind == "frequency":
        return " ".join(part for part in ("frequency", target.period or "", _amount_text(target)) if part)
    if kind in ("date", "deadline"):
        return f"{kind} {target.date}"
    if kind == "period":
        return " ".join(part for part in ("period", target.period or "", target.date or "") if part)
    if kind == "qualitative":
        return f"qualitative {target.text}"
    return kind
