"""Reading numbers: Arabic with thousands separators, Chinese numerals, scale words."""
from __future__ import annotations

import math

from kpiscan.values.vocab import vocabulary


class NumberTooLarge(ValueError):
    """A printed number no float holds ("1" and 400 zeros): parse_value keeps such a value as text."""


def arabic(text: str) -> float:
    """"1,234.5" -> 1234.5 (full-width digits were folded before the grammar ran)."""
    return float(text.replace(",", ""))  # inf for "1" and 400 zeros: `clean` refuses it


def finite(value: float, text: str) -> float:
    """`value`, or NumberTooLarge when it overflowed to inf (never inf or NaN in a Target)."""
    if not math.isfinite(value):
        raise NumberTooLarge(f"number out of range: {text[:40]}…")
    return value


def chinese(text: str) -> float:
    """A Chinese numeral: "三" 3, "十二" 12, "两百" 200, "一万二千" 12000, "二〇二四" 2024.

    Digits written one after another are positional ("二〇二四"); 十/百/千 multiply the digit
    before them (or 1: "十五" is 15); 万/亿 close a four-digit section.
    """
    numerals = vocabulary().numerals
    total = section = digit = 0
    previous_role = ""
    for ch in text:
        value, role = numerals[ch]
        if role == "digit":
            digit = digit * 10 + value if previous_role == "digit" else value
        elif role == "unit":
            section += (digit or 1) * value
            digit = 0
        elif total and value < _largest_section(total):
            total += (section + digit or 1) * value  # 一亿二千万: 万 adds to what 亿 closed
            section = digit = 0
        else:
            total = (total + section + digit or 1) * value
            section = digit = 0
        previous_role = role
    try:
        return float(total + section + digit)
    except OverflowError:
        raise NumberTooLarge(f"number out of range: {text[:40]}…") from None


def _largest_section(total: int) -> int:
    return 100_000_000 if total >= 100_000_000 else 10_000


def number(text: str) -> float:
    """An Arabic or a Chinese numeral."""
    if text[0].isdigit() or text[0] == ".":
        return arabic(text)
    return chinese(text)


def scale(text: str | None) -> float:
    """The product of the scale characters: "万" 1e4, "千万" 1e7; 1 for none."""
    if not text:
        return 1.0
    factors = vocabulary().scales
    product = 1.0
    for ch in text:
        product *= factors[ch]
    return product


def clean(value: float) -> float:
    """Round away float noise from scaling ("13.93万" is 139300, not 139299.99999999997)."""
    rounded = round(value, 6)
    if rounded - rounded:  # inf - inf is NaN, which is true; a finite number gives 0.0
        raise NumberTooLarge(f"number out of range: {value}")
    return rounded
