"""Typed converters that grammars name: text captured by a pattern -> typed field values.

A converter takes the named groups of one match (the text to convert is ``groups["value"]``)
and returns a plain value (str, Decimal, date, list, dict) that the record models validate.
A converter raises ``ValueError`` (usually a :class:`~kpi_extract.errors.KpiExtractError`)
on text it cannot read; the engine turns that into a ``bad_value`` warning on the line.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Final

import regex

from kpi_extract.dates import parse_thai_date
from kpi_extract.patterns import compile_pattern
from kpi_extract.values import parse_number, parse_quantity

Groups = Mapping[str, str | None]
Converter = Callable[[Groups], object]

_LINE_PREFIX_RE: Final = compile_pattern(r"^\s*(?:::|:)?\s*")
# The exporter's mark of a truncated field: ``%`` right after Thai text at the end of a line.
# Values drop it; the line keeps its ``truncated_field`` warning (kpi_extract.normalise).
_TRUNCATION_MARK_RE: Final = compile_pattern(r"(?<=\p{Thai})%$", regex.MULTILINE)
_BULLET_RE: Final = compile_pattern(r"^(?:[-\u2022*]\s*)+")
_NUMBERING_RE: Final = compile_pattern(r"^\d{1,2}[.)]\s*")
_STRATEGY_RE: Final = compile_pattern(
    r"^(?:(?:ด้านที่|มิติที่|เป้าหมายที่|เป้าประสงค์ที่|ยุทธศาสตร์ที่|ประเด็นที่)\s*)?"
    r"(?P<code>\d+(?:\.\d+)*)\.?\s*(?:[-\u2013]\s*)?(?P<title>.*?)"
    r"(?:\s+:\s+(?P<title_en>[A-Za-z][^\p{Thai}]*))?$"
)


def _value(groups: Groups) -> str:
    value = (groups.get("value") or "").strip()
    # Most values have no ``%`` at all: testing for it takes 0.1 µs, the pattern 0.5.
    return _TRUNCATION_MARK_RE.sub("", value) if "%" in value else value


def _empty(text: str) -> bool:
    return text in ("", "-", "::", ":")


def text(groups: Groups) -> str | None:
    """One line of text, whitespace collapsed; blank or ``-`` is ``None``; no truncation mark.

    >>> text({"value": "  ร้อยละของ   ชุมชน "}), text({"value": "-"}), text({"value": "ระบบง%"})
    ('ร้อยละของ ชุมชน', None, 'ระบบง')
    """
    value = " ".join(_value(groups).split())
    return None if _empty(value) else value


def paragraphs(groups: Groups) -> str | None:
    """Lines of a section: ``::`` and ``:`` line prefixes dropped, blank lines dropped.

    >>> paragraphs({"value": ":: ผู้บริหาร\\nเจ้าหน้าที่  ร่วมดำเนินการ"})
    'ผู้บริหาร\\nเจ้าหน้าที่ ร่วมดำเนินการ'
    """
    # Without a colon the prefix pattern only takes leading spaces, which split() drops too.
    lines = [
        " ".join((_LINE_PREFIX_RE.sub("", line) if ":" in line else line).split())
        for line in _value(groups).split("\n")
    ]
    kept = [line for line in lines if line]
    joined = "\n".join(kept)
    return None if _empty(joined) else joined


def items(groups: Groups) -> list[str]:
    """Lines of a section as a list: ``::``, bullets and blank lines dropped.

    >>> items({"value": ":: - แนวทางฯ\\n- แบบสอบถาม\\n-"})
    ['แนวทางฯ', 'แบบสอบถาม']
    """
    out = []
    for line in (paragraphs(groups) or "").split("\n"):
        item = " ".join(_BULLET_RE.sub("", line).split())
        if item:
            out.append(item)
    return out


def numbered_items(groups: Groups) -> list[str]:
    """Lines of a numbered list without their numbers (``1. เพื่อ...`` -> ``เพื่อ...``).

    >>> numbered_items({"value": "1. เพื่อต่อยอด\\n2. เพื่อขับเคลื่อน"})
    ['เพื่อต่อยอด', 'เพื่อขับเคลื่อน']
    """
    return [_NUMBERING_RE.sub("", item) for item in items(groups)]


def number(groups: Groups) -> object:
    """A number as a Decimal; blank is ``None``."""
    value = _value(groups)
    return None if _empty(value) else parse_number(value)


def integer(groups: Groups) -> int | None:
    """A whole number."""
    value = _value(groups)
    return None if _empty(value) else int(parse_number(value))


def quantity(groups: Groups) -> dict[str, object]:
    """A value with unit: groups ``value`` and optional ``unit`` (a label printed apart).

    >>> quantity({"value": "5.00 (ระดับ)"})["unit"]
    'ระดับ'
    """
    q = parse_quantity(_value(groups), unit=groups.get("unit"))
    # Its fields by hand: ``dataclasses.asdict`` copies each value deeply, at 5 times the cost.
    return {
        "value": q.value,
        "unit": q.unit,
        "comparator": q.comparator,
        "direction": q.direction,
        "qualifier": q.qualifier,
    }


def date(groups: Groups) -> object:
    """A date in any printed form (Thai, Buddhist era, ISO) as ``datetime.date``."""
    value = _value(groups)
    return None if _empty(value) else parse_thai_date(value)


def kpi_level(groups: Groups) -> str | None:
    """``output`` or ``outcome`` from ``(ตัวชี้วัดระดับผลผลิต (output))``; both printed: ``None``.

    >>> kpi_level({"value": "(ตัวชี้วัดระดับผลลัพธ์ (outcome))"})
    'outcome'
    """
    value = _value(groups).lower()
    output = "output" in value or "ผลผลิต" in value
    outcome = "outcome" in value or "ผลลัพธ์" in value
    if output == outcome:
        return None
    return "output" if output else "outcome"


def strategy(groups: Groups) -> dict[str, object] | None:
    """A strategy level line: level (depth of the code), code, Thai and English titles.

    >>> level = strategy({"value": "ด้านที่ 5 - มหานครประชาธิปไตย : Bangkok as a Democratic City"})
    >>> level["level"], level["code"], level["title"], level["title_en"]
    (1, '5', 'มหานครประชาธิปไตย', 'Bangkok as a Democratic City')
    >>> strategy({"value": "มิติที่ 5.2 - เมืองธรรมาภิบาล"})["code"]
    '5.2'
    """
    value = " ".join(_value(groups).split())
    match = _STRATEGY_RE.match(value)
    if match is None:
        raise ValueError(f"not a strategy line: {value!r}")
    code = match.group("code")
    title_en = match.group("title_en")
    return {
        "level": code.count(".") + 1,
        "code": code,
        "title": match.group("title").strip() or None,
        "title_en": title_en.strip() if title_en else None,
    }


def path(groups: Groups) -> list[str]:
    """A ``สำนัก / กอง / กลุ่มงาน`` hierarchy as a list.

    >>> path({"value": "สำนักยุทธศาสตร์ / กองยุทธศาสตร์ /  กลุ่มงาน"})
    ['สำนักยุทธศาสตร์', 'กองยุทธศาสตร์', 'กลุ่มงาน']
    """
    return [part.strip() for part in _value(groups).split("/") if part.strip()]


def flag(groups: Groups) -> bool:
    """``True``: the line was printed (e.g. routine work instead of a strategy)."""
    return True


#: Converters by the name grammars use.
CONVERTERS: Final[Mapping[str, Converter]] = {
    "text": text,
    "paragraphs": paragraphs,
    "items": items,
    "numbered_items": numbered_items,
    "number": number,
    "int": integer,
    "quantity": quantity,
    "date": date,
    "kpi_level": kpi_level,
    "strategy": strategy,
    "path": path,
    "flag": flag,
}
