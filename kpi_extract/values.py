"""Numbers and value-with-unit phrases as the reports print them.

:func:`parse_number` reads one number into a :class:`~decimal.Decimal` (``5``, ``5.00``,
``75.0000``, ``1,407.52``, ``-3``, Thai digits, even mixed). :func:`parse_quantity` reads a
phrase such as ``5 (ระดับ)`` or ``ลดลงร้อยละ : 5 จากปีที่ผ่านมา พ.ศ. 2563`` into a
:class:`Quantity`: the value, the unit as printed, a comparator (``>=`` for ``ไม่น้อยกว่า``,
``<=`` for ``ไม่เกิน``...), a direction (``decrease`` for ``ลดลง``) and the qualifier printed
after the value. Decimals, not floats: ``75.0000`` and ``1,407.52`` stay exact.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Final, Literal

import regex

from kpi_extract.errors import NumberParseError
from kpi_extract.patterns import compile_pattern

Comparator = Literal[">=", "<=", ">", "<", "="]
Direction = Literal["decrease", "increase"]

_THAI_DIGITS: Final = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")
_NUMBER: Final = r"[-\u2212]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"
_NUMBER_RE: Final = compile_pattern(rf"(?<![\d.,])({_NUMBER})(?![\d,]|\.\d)")
_WHOLE_NUMBER_RE: Final = compile_pattern(rf"[+]?{_NUMBER}")
_LOOSE_NUMBER_RE: Final = compile_pattern(r"[-\u2212+]?[\d,]+(?:\.\d+)?")

#: Comparator words and signs, longest first, and what they mean.
COMPARATORS: Final[dict[str, Comparator]] = {
    "ไม่น้อยกว่า": ">=",
    "ไม่ต่ำกว่า": ">=",
    "อย่างน้อย": ">=",
    "ไม่เกิน": "<=",
    "ไม่มากกว่า": "<=",
    "ไม่สูงกว่า": "<=",
    "มากกว่า": ">",
    "สูงกว่า": ">",
    "น้อยกว่า": "<",
    "ต่ำกว่า": "<",
    "เท่ากับ": "=",
    ">=": ">=",
    "<=": "<=",
    "≥": ">=",
    "≤": "<=",
    ">": ">",
    "<": "<",
}
#: Direction words: the value is a change, and which way is better.
DIRECTIONS: Final[dict[str, Direction]] = {"ลดลง": "decrease", "เพิ่มขึ้น": "increase"}
#: Units that may follow a number without parentheses (``1 แห่ง``, ``20 %``).
TRAILING_UNITS: Final = (
    "%", "ร้อยละ", "ระดับ", "คะแนน", "แห่ง", "เล่ม", "ฉบับ", "ครั้ง", "คน", "บาท",
    "เรื่อง", "โครงการ", "ชุมชน", "เครือข่าย", "หน่วยงาน", "วัน", "กิโลเมตร", "ราย",
)  # fmt: skip

_COMPARATOR_RE: Final = compile_pattern(
    "|".join(regex.escape(w) for w in sorted(COMPARATORS, key=len, reverse=True))
)
_DIRECTION_RE: Final = compile_pattern("|".join(DIRECTIONS))
_PAREN_UNIT_RE: Final = compile_pattern(r"^\s*\(([^()]*)\)")
_TRAILING_UNIT_RE: Final = compile_pattern(
    r"^\s*(" + "|".join(regex.escape(u) for u in TRAILING_UNITS) + r")(?!\p{Thai})"
)
_UNIT_NOISE_RE: Final = compile_pattern(r"[\s:()]+")


@dataclass(frozen=True, slots=True)
class Quantity:
    """A value as printed in a report: ``{value, unit, comparator, direction, qualifier}``."""

    value: Decimal | None
    unit: str | None = None
    comparator: Comparator | None = None
    direction: Direction | None = None
    qualifier: str | None = None


def parse_number(text: str) -> Decimal:
    """Read one number, Thai digits and thousands separators included.

    >>> parse_number("1,407.52"), parse_number("๗๕.๐๐๐๐"), parse_number("08.๓0")
    (Decimal('1407.52'), Decimal('75.0000'), Decimal('8.30'))
    >>> parse_number("-")
    Traceback (most recent call last):
    kpi_extract.errors.NumberParseError: not a number: '-'
    """
    cleaned = text.strip().translate(_THAI_DIGITS).replace("\u2212", "-")
    if not _WHOLE_NUMBER_RE.fullmatch(cleaned):
        code = "bad_grouping" if _LOOSE_NUMBER_RE.fullmatch(cleaned) else "not_a_number"
        what = "badly grouped number" if code == "bad_grouping" else "not a number"
        raise NumberParseError(code, f"{what}: {text!r}")
    try:
        return Decimal(cleaned.replace(",", ""))
    except InvalidOperation:  # pragma: no cover - the pattern admits only valid decimals
        raise NumberParseError("not_a_number", f"not a number: {text!r}") from None


def parse_quantity(text: str, unit: str | None = None) -> Quantity:
    """Read a value-with-unit phrase; ``unit`` is a unit printed apart (layout B's label).

    A blank value or ``-`` gives ``Quantity(None, ...)``; text with no number raises
    :class:`~kpi_extract.errors.NumberParseError`.

    >>> parse_quantity("5 (ระดับ)")
    Quantity(value=Decimal('5'), unit='ระดับ', comparator=None, direction=None, qualifier=None)
    >>> q = parse_quantity("ร้อยละ : ๒๐ ของประชาชนที่ทำการสำรวจ")
    >>> q.value, q.unit, q.qualifier
    (Decimal('20'), 'ร้อยละ', 'ของประชาชนที่ทำการสำรวจ')
    >>> q = parse_quantity("75.0000", unit="ไม่น้อยกว่า (ร้อยละ)")
    >>> q.value, q.unit, q.comparator
    (Decimal('75.0000'), 'ร้อยละ', '>=')
    """
    value_text = text.translate(_THAI_DIGITS).strip()
    label = (unit or "").translate(_THAI_DIGITS)
    if value_text in ("", "-", "\u2212"):
        comparator, direction, bare_unit = _read_label(label)
        return Quantity(None, bare_unit, comparator, direction)
    match = _NUMBER_RE.search(value_text)
    if match is None:
        raise NumberParseError("not_a_number", f"no number in {text!r}")
    before, after = value_text[: match.start()], value_text[match.end() :]
    comparator, direction, prefix_unit = _read_label(f"{label} {before}")
    suffix_unit, qualifier = _read_suffix(after)
    return Quantity(
        value=parse_number(match.group(1)),
        unit=prefix_unit or suffix_unit,
        comparator=comparator,
        direction=direction,
        qualifier=qualifier,
    )


def _read_label(label: str) -> tuple[Comparator | None, Direction | None, str | None]:
    """Split the words printed before a value into comparator, direction and unit."""
    comparator_match = _COMPARATOR_RE.search(label)
    direction_match = _DIRECTION_RE.search(label)
    rest = _COMPARATOR_RE.sub(" ", _DIRECTION_RE.sub(" ", label))
    rest = _UNIT_NOISE_RE.sub(" ", rest).strip()
    return (
        COMPARATORS[comparator_match.group()] if comparator_match else None,
        DIRECTIONS[direction_match.group()] if direction_match else None,
        rest or None,
    )


def _read_suffix(after: str) -> tuple[str | None, str | None]:
    """Split the text printed after a value into a unit and a qualifier."""
    unit_match = _PAREN_UNIT_RE.match(after) or _TRAILING_UNIT_RE.match(after)
    unit = None
    if unit_match:
        unit = unit_match.group(1).strip() or None
        after = after[unit_match.end() :]
    qualifier = after.strip(" :") or None
    return unit, qualifier
