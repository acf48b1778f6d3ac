"""Whether a KPI's achieved value meets its target: one definition for tables and audit.

- ``ไม่น้อยกว่า`` / ``>=`` / ``>``: at least (higher is better); ``ไม่เกิน`` / ``<=`` / ``<``: at
  most (lower is better); no comparator: at least.
- ``ลดลง`` (a reduction): lower is better, unless what is measured is the reduction itself
  (the KPI's name says ``ร้อยละที่ลดลง`` / ``ที่ลดลง`` / ``การลดลง``, or the target's unit is the
  reduction ``ลดลงร้อยละ``): then a larger reduction is better.
- Units must agree (``%`` and ``ร้อยละ`` are one unit); otherwise the answer is unknown.

>>> met(Decimal("6.20"), Decimal("5"), "decrease", None, "ร้อยละที่ลดลงของปริมาณขยะ")
True
>>> met(Decimal("3"), Decimal("2"), None, "<=", None)
False
"""

from __future__ import annotations

from decimal import Decimal
from typing import Final, Literal

import regex

Better = Literal["higher", "lower"]

_PERCENT_UNITS: Final = {"%", "ร้อยละ", "เปอร์เซ็นต์"}
_REDUCTION_MEASURED_RE: Final = regex.compile(r"ที่ลดลง|การลดลง|ลดลงร้อยละ|อัตราการลด")


def same_unit(a: str | None, b: str | None) -> bool:
    """Whether two printed units are the same (``%`` is ``ร้อยละ``; a missing unit matches).

    >>> same_unit("%", "ร้อยละ"), same_unit("ร้อยละ", "ระดับ"), same_unit(None, "แห่ง")
    (True, False, True)
    """
    if a is None or b is None:
        return True
    a, b = a.strip(), b.strip()
    return a == b or (a in _PERCENT_UNITS and b in _PERCENT_UNITS)


def is_percent(unit: str | None) -> bool:
    """Whether a unit is a percentage."""
    return unit is not None and unit.strip() in _PERCENT_UNITS


def better(direction: str | None, comparator: str | None, kpi_name: str | None) -> Better:
    """Which way is better for a KPI (see the module docstring)."""
    if comparator in ("<=", "<"):
        return "lower"
    if direction == "decrease":
        return "higher" if kpi_name and _REDUCTION_MEASURED_RE.search(kpi_name) else "lower"
    return "higher"


def met(
    achieved: Decimal | None,
    target: Decimal | None,
    direction: str | None,
    comparator: str | None,
    kpi_name: str | None,
) -> bool | None:
    """Whether ``achieved`` meets ``target``; ``None`` when either is missing."""
    if achieved is None or target is None:
        return None
    if comparator == ">":
        return achieved > target
    if comparator == "<":
        return achieved < target
    if better(direction, comparator, kpi_name) == "lower":
        return achieved <= target
    return achieved >= target
