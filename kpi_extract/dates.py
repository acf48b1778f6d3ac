"""Thai dates, months, years and fiscal years, as printed in the report dumps.

Forms understood (Thai digits ๐-๙ are accepted anywhere, even mixed with Arabic ones):

* day, month name, year: ``11 ตุลาคม 2562``, ``23 มี.ค. 64``, ``23มี.ค.2564``, ``9 มีนาคม พ.ศ. 2564``;
  full names (plus the misspellings กรกฏาคม, กุมภาพันธ) and abbreviations with or without
  their dots (``มี.ค.``, ``มี.ค``, ``มีค``, ``มี. ค.``), an optional ``เดือน`` before the name;
* numeric, day first: ``26/10/2563``, ``26/10/63``, and ``26-10-2563`` / ``26.10.2563``
  (a ``-`` or ``.`` separator only with a 4-digit year, so ``5.2.1`` is not a date);
* Gregorian ISO dates and timestamps: ``2020-10-01``, ``2020-10-01 00:00:00``;
* prefixes kept in the printed text: ``วันที่``, ``ลงวันที่``, ``ณ วันที่``, ``วันจันทร์ที่`` ...;
* months ``เดือนเมษายน 2564``, ``เม.ย. 64``, ``เดือน05/64``; years ``พ.ศ. 2555``, ``ค.ศ. 2020``;
  fiscal years ``ปีงบประมาณ พ.ศ. 2564``; ranges joined by ``-``, ``–``, ``—``, ``ถึง``, ``จนถึง``.

Year rule, the same for every form: a 4-digit year above 2400 is Buddhist Era (CE = BE - 543),
a 4-digit year below is Gregorian, a 2-digit year is BE 25xx, any other length is no year.
The era printed before a year (พ.ศ./ค.ศ.) does not change this rule. In a range, a start
without a year (or month) takes the end's, one year earlier if it would fall after the end:
``ตุลาคม - มีนาคม 2564`` is 2020-10-01 .. 2021-03-31.

>>> [(m.kind, m.start, m.printed) for m in find_dates("ลว. 23 มี.ค. 2564 เวลา 08.30 น.")]
[('date', datetime.date(2021, 3, 23), '23 มี.ค. 2564')]
"""

from __future__ import annotations

import calendar
import re
from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from itertools import accumulate
from types import MappingProxyType
from typing import Any, Final, Literal

import regex

from kpi_extract.errors import DateParseError
from kpi_extract.normalise import has_any

__all__ = [
    "THAI_MONTHS",
    "DateMention",
    "be_to_ce",
    "ce_to_be",
    "find_dates",
    "find_dates_in_lines",
    "fiscal_quarter",
    "fiscal_quarter_range",
    "fiscal_year_be",
    "fiscal_year_range",
    "parse_thai_date",
]

Kind = Literal["date", "month", "year", "fiscal_year", "range", "invalid"]
Precision = Literal["day", "month", "year"]
Era = Literal["BE", "CE"]

_BE_OFFSET: Final = 543
_BE_THRESHOLD: Final = 2400  # a 4-digit year above this is Buddhist Era

# Month spellings: (month number, dotted abbreviation, full names as printed).
_MONTHS: Final[tuple[tuple[int, str, tuple[str, ...]], ...]] = (
    (1, "ม.ค.", ("มกราคม",)),
    (2, "ก.พ.", ("กุมภาพันธ์", "กุมภาพันธ")),
    (3, "มี.ค.", ("มีนาคม",)),
    (4, "เม.ย.", ("เมษายน",)),
    (5, "พ.ค.", ("พฤษภาคม",)),
    (6, "มิ.ย.", ("มิถุนายน",)),
    (7, "ก.ค.", ("กรกฎาคม", "กรกฏาคม")),
    (8, "ส.ค.", ("สิงหาคม",)),
    (9, "ก.ย.", ("กันยายน",)),
    (10, "ต.ค.", ("ตุลาคม",)),
    (11, "พ.ย.", ("พฤศจิกายน",)),
    (12, "ธ.ค.", ("ธันวาคม",)),
)
# Printed weekday names (after the word วัน), Monday = 0.
_WEEKDAYS: Final[Mapping[str, int]] = MappingProxyType(
    {"จันทร์": 0, "อังคาร": 1, "พุธ": 2, "พฤหัสบดี": 3, "พฤหัส": 3, "ศุกร์": 4, "เสาร์": 5, "อาทิตย์": 6}
)


def _month_key(name: str) -> str:
    """Normalise a month spelling: drop its dots and spaces (``มี. ค.`` -> ``มีค``)."""
    return "".join(name.replace(".", "").split())  # split(): at what isspace() calls space


THAI_MONTHS: Final[Mapping[str, int]] = MappingProxyType(
    {
        _month_key(spelling): number
        for number, abbreviation, names in _MONTHS
        for spelling in (abbreviation, *names)
    }
)
"""Every accepted month spelling, normalised by dropping dots and spaces, to its number."""

# Thai digits -> Arabic and zero-width space -> space, one character for one, so that offsets
# in the translated text are offsets in the original.
_MATCH_TABLE: Final = str.maketrans(
    "\u0e50\u0e51\u0e52\u0e53\u0e54\u0e55\u0e56\u0e57\u0e58\u0e59\u200b", "0123456789 "
)


def _alternation(words: list[str]) -> str:
    return "|".join(regex.escape(w) for w in sorted(words, key=len, reverse=True))


def _abbreviation_pattern(dotted: str) -> str:
    """``มี.ค.`` -> a pattern also matching ``มี.ค``, ``มีค`` and ``มี. ค.``."""
    return r"(?:\.\s*)?".join(regex.escape(p) for p in dotted.rstrip(".").split(".")) + r"\.?"


# Pieces of the grammar. "§" stands for the slot, "a_" (a date or the start of a range) or
# "b_" (the end of a range); a slot holds the groups day, mon, year and wd (weekday).
_THAI_LETTER: Final = r"[\u0e01-\u0e4e]"
_NUM_START: Final = r"(?<![0-9]|[0-9][.,:/])"  # a number starts here, not inside another one
_NUM_END: Final = r"(?![0-9]|[.,:/][0-9])"
_SEP: Final = r"\s*(?:จนถึง|ถึง|[-\u2013\u2014])\s*"  # -, en dash, em dash, ถึง, จนถึง
_ERA: Final = r"(?:[พค]\.?\s?ศ\.?)"  # พ.ศ. / ค.ศ. with or without dots
_ERA_OPT: Final = rf"(?:{_ERA}\s*)?"
_FULL_NAMES: Final = _alternation([n for _, _, names in _MONTHS for n in names])
_ABBREVIATIONS: Final = "|".join(_abbreviation_pattern(a) for _, a, _ in _MONTHS)
_GLUE_WORDS: Final = ("เดือน", "ใน", "ถึง", "ช่วง", "แต่")  # words an abbreviation may be glued to
_MON_NAME: Final = (  # abbreviations must not be glued to a preceding word, except to those
    rf"(?P<§mon>{_FULL_NAMES}|(?:(?<={'|'.join(_GLUE_WORDS)})|(?<!{_THAI_LETTER}))(?:{_ABBREVIATIONS}))"
)
_YEAR: Final = rf"(?P<§year>[0-9]{{4}}|[0-9]{{2}}){_NUM_END}"
_YEAR4: Final = rf"(?P<§year>[0-9]{{4}}){_NUM_END}"
_DAY: Final = rf"{_NUM_START}(?P<§day>[0-9]{{1,2}})"
_MON_NUM: Final = r"(?P<§mon>[0-9]{1,2})"
_PREFIX: Final = rf"""(?:(?:ลง|ณ\s*)?วันที่\s*
    | วัน(?P<§wd>{_alternation(list(_WEEKDAYS))})(?:\s*ที่)?\s* )?"""
_TEXT_DATE: Final = rf"{_DAY}\s*(?:เดือน\s*)?{_MON_NAME}\s*{_ERA_OPT}{_YEAR}"
_NUMERIC_DATE: Final = rf"""{_DAY}(?: /{_MON_NUM}/{_YEAR}
    | -{_MON_NUM}-{_YEAR4} | \.{_MON_NUM}\.{_YEAR4} )"""
_ISO_DATE: Final = rf"""{_NUM_START}
    (?P<§year>[0-9]{{4}})-(?P<§mon>[0-9]{{1,2}})-(?P<§day>[0-9]{{1,2}})
    (?:[T\x20][0-9]{{2}}:[0-9]{{2}}(?::[0-9]{{2}}(?:\.[0-9]+)?)?)?{_NUM_END}"""
_DAY_FORM: Final = rf"{_PREFIX}(?:{_TEXT_DATE}|{_NUMERIC_DATE}|{_ISO_DATE})"
_MONTH_FORM: Final = rf"""(?:เดือน\s*)?{_MON_NAME}\s*{_ERA_OPT}{_YEAR}
    | เดือน\s*{_NUM_START}{_MON_NUM}/{_YEAR}"""
_YEAR_PREFIX: Final = (
    rf"(?:(?P<fy>ปีงบประมาณ|ปีงบฯ)\s*{_ERA_OPT}|(?<!\.){_ERA}\s*):?\s*"  # not ก.ค.ศ.
)


def _slot(piece: str, slot: str) -> str:
    return piece.replace("§", slot)


_RANGES: Final = [  # forms whose start lacks parts borrow them from the end
    rf"{_slot(_PREFIX, 'a_')}{_slot(_DAY, 'a_')}"
    rf"(?:\s*(?:เดือน\s*)?{_slot(_MON_NAME, 'a_')}(?:\s*{_ERA_OPT}{_slot(_YEAR, 'a_')})?)?"
    rf"{_SEP}{_slot(_PREFIX + _TEXT_DATE, 'b_')}",
    rf"{_slot(_DAY_FORM, 'a_')}{_SEP}{_slot(_DAY_FORM, 'b_')}",
    rf"(?:เดือน\s*)?{_slot(_MON_NAME, 'a_')}(?:\s*{_ERA_OPT}{_slot(_YEAR, 'a_')})?"
    rf"{_SEP}(?:เดือน\s*)?{_slot(_MON_NAME, 'b_')}\s*{_ERA_OPT}{_slot(_YEAR, 'b_')}",
    rf"{_YEAR_PREFIX}{_slot(_YEAR, 'a_')}{_SEP}{_ERA_OPT}{_slot(_YEAR, 'b_')}",
]
_SINGLES: Final = [_DAY_FORM, _MONTH_FORM, _YEAR_PREFIX + _YEAR]
# Where a date can start: a day number followed by what can follow a day (a month, a
# separator), a 4-digit year followed by ``-`` (ISO), a prefix word, an era, a month name or
# an abbreviation not glued to a word. The grammar is tried only there. Every alternative
# consumes its first character and looks ahead for the rest, so that the standard library's
# ``re`` skips to the next possible first character in C (10 times faster than trying an
# alternation of ``regex`` at every position). A superset of the positions where ``_BODY``
# can match (tests/test_dates.py checks it): results are those of a full scan.
_AFTER_DAY: Final = "".join(
    sorted(
        {"เ", "จ", "ถ"} | {a[0] for _, a, _ in _MONTHS} | {n[0] for _, _, ns in _MONTHS for n in ns}
    )
)
_START_WORDS: Final = ("ลงวันที่", "วัน", "เดือน", "ปีงบ", *(n for _, _, ns in _MONTHS for n in ns))
# A dash (``-``, ``–``, ``—``) after a day number: a range if a day or its prefix follows.
_THEN_DAY: Final = r"\s*[\-\u2013\u2014]\s*(?:[0-9]|ลง|ณ|วัน)"
_NOT_GLUED: Final = "|".join(f"(?<={w}.)" for w in _GLUE_WORDS) + f"|(?<!{_THAI_LETTER}.)"


# A day number (not inside another number) followed by what can follow a day, or a year.
# One alternative per digit, not ``[0-9]``: when every alternative starts with a literal,
# ``re`` skips in C to the next character that can start one (13% faster here).
_DAY_STARTS: Final = [
    rf"{d}(?<![0-9].)(?<![0-9][.,:/].)"
    rf"(?=[0-9]?(?:\s*[{_AFTER_DAY}]|{_THEN_DAY}|/[0-9]|\.[0-9]{{1,2}}\.[0-9])|[0-9]{{3}}-)"
    for d in "0123456789"
]
# (first letter, what must follow it, what must precede it) for every other alternative.
_LETTER_STARTS: Final = [
    *((w[0], re.escape(w[1:]), "") for w in _START_WORDS),
    ("ณ", r"\s*วันที่", ""),
    *((era, r"\.?\s?ศ", r"(?<!\..)") for era in "พค"),
    *(
        (a[0], _abbreviation_pattern(a)[len(re.escape(a[0])) :], f"(?:{_NOT_GLUED})")
        for _, a, _ in _MONTHS
    ),
]


def _letter_start(first: str, starts: list[tuple[str, str]]) -> str:
    """One alternative for a first letter: what may follow, looked at before what precedes.

    Most Thai letters of a text are followed by none of the months or words: one lookahead
    rejects them before any lookbehind runs. With the abbreviations' lookbehinds first, the
    candidate scan took 0.155 ms per document, 0.11 now; dates as a whole 0.31 -> 0.26 ms
    (1,000 synthetic documents, the same mentions found).
    """
    ahead = "|".join(f"(?:{rest})" for rest, _ in starts)
    if not any(before for _, before in starts):
        return f"{re.escape(first)}(?={ahead})"
    each = "|".join(f"(?={rest}){before}" for rest, before in starts)
    return f"{re.escape(first)}(?={ahead})(?:{each})"


_BY_FIRST: Final[dict[str, list[tuple[str, str]]]] = {}
for _first, _rest, _before in _LETTER_STARTS:
    _BY_FIRST.setdefault(_first, []).append((_rest, _before))
_CAN_START: Final = re.compile(
    "|".join([*_DAY_STARTS, *(_letter_start(f, starts) for f, starts in _BY_FIRST.items())])
)
# Ranges first, so that a range is reported once, not also its two ends.
_BODY: Final = regex.compile(
    "(?:" + "|".join([*_RANGES, *(_slot(s, "a_") for s in _SINGLES)]) + ")", regex.VERBOSE
)
# What _BODY matches where no range can: every range has a separator (_SEP) after its start.
_SINGLE_BODY: Final = regex.compile(
    "(?:" + "|".join(_slot(s, "a_") for s in _SINGLES) + ")", regex.VERBOSE
)
_RANGE_SEPARATORS: Final = ("ถึง", "-", "\u2013", "\u2014")  # what _SEP needs: จนถึง ends in ถึง
_DIGIT: Final = re.compile("[0-9]")  # every form has a year: no digit, no date
# What _MATCH_TABLE changes. Searched for one by one (has_any): 2 µs per document, the
# pattern ``[\u0e50-\u0e59\u200b]`` took 22 (normalised text has none of them).
_TRANSLATED: Final = "".join(map(chr, _MATCH_TABLE))
# A cheap test run before the full pattern: every form has a month name or abbreviation
# (full names end in คม, ยน, พันธ; abbreviations are letters around a dot, or one of the
# dotless ones), a numeric or ISO date (two separators), or a year after พ.ศ./ค.ศ. (ศ),
# ปีงบ or เดือน. A line with none of these (``1.00``, ``100 / 100``) has no date.
_MAYBE_DATE: Final = re.compile(
    r"\d[/.\-]\d{1,2}[/.\-]\d|คม|ยน|พันธ|[\u0e01-\u0e4e]\.\s?[ก-ฮ]|ศ|ปีงบ|เดือน|"
    r"(?:มค|กพ|มีค|เมย|พค|มิย|กค|สค|กย|ตค|พย|ธค)"
)
# A day and a year around a word that is no month we know (``11 ตุลา 2562``).
_UNKNOWN_MONTH: Final = regex.compile(
    rf"""{_slot(_PREFIX, "a_")}[0-9]{{1,2}}\s*(?P<word>{_THAI_LETTER}[\u0e01-\u0e4e.\s]*?)
    \s*{_ERA_OPT}(?:[0-9]{{4}}|[0-9]{{2}})""",
    regex.VERBOSE,
)


@dataclass(frozen=True, slots=True)
class DateMention:
    """A date, month, year, fiscal year or range found in text by :func:`find_dates`.

    ``start`` and ``end`` are the first and last days covered (both ``None`` for kind
    ``invalid``, whose ``error`` says why; ``precision`` still tells the form); ``span`` are
    offsets in the text searched, so ``text[span[0]:span[1]] == printed`` (prefixes such as
    ``วันที่``, ``เดือน``, ``พ.ศ.``, ``ปีงบประมาณ`` included; ``ใน``, ``เมื่อ``, ``ตั้งแต่``, ``ลว.``
    not); ``era`` is the era the year was printed in (2-digit years are BE) and ``weekday``
    the printed weekday (Monday = 0), if any, not checked against the date.
    """

    kind: Kind
    start: date | None
    end: date | None
    precision: Precision
    span: tuple[int, int]
    printed: str
    era: Era
    weekday: int | None
    error: str | None


def be_to_ce(year: int) -> int:
    """Convert a Buddhist Era year to the Gregorian year.

    >>> be_to_ce(2564)
    2021
    """
    return year - _BE_OFFSET


def ce_to_be(year: int) -> int:
    """Convert a Gregorian year to the Buddhist Era year.

    >>> ce_to_be(2021)
    2564
    """
    return year + _BE_OFFSET


def fiscal_year_be(d: date) -> int:
    """Return the Thai fiscal year (BE, named by the year it ends in) that contains ``d``.

    >>> fiscal_year_be(date(2020, 9, 30)), fiscal_year_be(date(2020, 10, 1))
    (2563, 2564)
    """
    return ce_to_be(d.year) + (1 if d.month >= 10 else 0)


def fiscal_quarter(d: date) -> int:
    """Return the quarter (1-4) of the Thai fiscal year that contains ``d``; Q1 is Oct-Dec.

    >>> fiscal_quarter(date(2020, 12, 31)), fiscal_quarter(date(2021, 1, 1))
    (1, 2)
    """
    return (d.month - 10) % 12 // 3 + 1


def fiscal_year_range(fy_be: int) -> tuple[date, date]:
    """Return the first and last days of the Thai fiscal year ``fy_be`` (1 Oct - 30 Sep).

    >>> fiscal_year_range(2564)
    (datetime.date(2020, 10, 1), datetime.date(2021, 9, 30))
    """
    year = be_to_ce(fy_be)
    return date(year - 1, 10, 1), date(year, 9, 30)


def fiscal_quarter_range(fy_be: int, quarter: int) -> tuple[date, date]:
    """Return the first and last days of ``quarter`` (1-4) of the Thai fiscal year ``fy_be``.

    >>> fiscal_quarter_range(2564, 2)
    (datetime.date(2021, 1, 1), datetime.date(2021, 3, 31))

    Raises:
        ValueError: if ``quarter`` is not 1, 2, 3 or 4.

    """
    if quarter not in (1, 2, 3, 4):
        raise ValueError(f"fiscal quarter must be 1-4, not {quarter!r}")
    first_month = (9 + 3 * (quarter - 1)) % 12 + 1
    year = be_to_ce(fy_be) - (1 if quarter == 1 else 0)
    return date(year, first_month, 1), _month_end(year, first_month + 2)


def _month_end(year: int, month: int) -> date:
    if not 1 <= month <= 12:
        raise ValueError(f"month {month} does not exist")
    return date(year, month, calendar.monthrange(year, month)[1])


def _year_ce(printed: str) -> int:
    year = int(printed)
    if len(printed) == 2:
        return be_to_ce(2500 + year)
    return be_to_ce(year) if year > _BE_THRESHOLD else year


def _era(printed: str) -> Era:
    return "BE" if len(printed) == 2 or int(printed) > _BE_THRESHOLD else "CE"


def _month(printed: str) -> int:
    if not printed.isdigit():
        return THAI_MONTHS[_month_key(printed)]
    month = int(printed)
    if not 1 <= month <= 12:
        raise ValueError(f"month {month} does not exist")
    return month


def _bounds(g: dict[str, str | None], precision: Precision, fiscal: bool) -> tuple[date, date]:
    """Compute the first and last days of a match; raise ValueError if they do not exist."""
    a_day, a_mon, a_year = g["a_day"], g["a_mon"], g["a_year"]
    b_day, b_mon = g.get("b_day") or a_day, g.get("b_mon") or a_mon
    b_year = g.get("b_year") or a_year
    assert b_year is not None  # every form has a year
    start_year, end_year = _year_ce(a_year or b_year), _year_ce(b_year)
    if precision == "year" and fiscal:
        start = fiscal_year_range(ce_to_be(start_year))[0]
        end = fiscal_year_range(ce_to_be(end_year))[1]
    elif precision == "year":
        start, end = date(start_year, 1, 1), date(end_year, 12, 31)
    elif precision == "day":
        assert a_day is not None and b_day is not None and b_mon is not None
        start = date(start_year, _month(a_mon or b_mon), int(a_day))
        end = date(end_year, _month(b_mon), int(b_day))
    else:
        assert b_mon is not None
        start = date(start_year, _month(a_mon or b_mon), 1)
        end = _month_end(end_year, _month(b_mon))
    if a_year is None and a_mon is not None and start > end:
        start = start.replace(year=start.year - 1)  # ตุลาคม - มีนาคม 2564: October 2563
    if start > end:
        raise ValueError("impossible range: it ends before it starts")
    return start, end


def _mention(match: Any, text: str, offset: int = 0) -> tuple[Kind, DateMention]:
    """Interpret a match of ``_BODY``; return the kind of its form and the mention.

    ``offset`` is where the line searched starts in ``text``: the span is the line's.
    """
    g: dict[str, str | None] = match.groupdict()
    precision: Precision = "day" if g["a_day"] else "month" if g["a_mon"] else "year"
    fiscal = g["fy"] is not None
    kind: Kind
    if g.get("b_year") is not None:
        kind = "range"
    elif precision == "year":
        kind = "fiscal_year" if fiscal else "year"
    else:
        kind = "date" if precision == "day" else "month"
    start: date | None
    end: date | None
    error: str | None = None
    try:
        start, end = _bounds(g, precision, fiscal)
    except (ValueError, OverflowError) as exc:
        start = end = None
        error = str(exc) if str(exc).startswith("impossible") else f"impossible date: {exc}"
    wd = g["a_wd"]
    mention = DateMention(
        kind="invalid" if error else kind,
        start=start,
        end=end,
        precision=precision,
        span=(match.start() - offset, match.end() - offset),
        printed=text[match.start() : match.end()],
        era=_era(g["a_year"] or g.get("b_year") or "0"),
        weekday=None if wd is None else _WEEKDAYS[wd],
        error=error,
    )
    return kind, mention


def find_dates(text: str) -> list[DateMention]:
    """Find every date, month, year, fiscal year and range mentioned in ``text``, in order.

    Never raises: a date form whose values do not exist is reported with kind ``invalid``.
    Times (``08.30 น.``), document numbers (``54/2564``), codes (``5.2.1``) and bare numbers
    are not dates.

    >>> [(m.kind, m.start, m.end) for m in find_dates("ปีงบประมาณ พ.ศ ๒๕๖๔ เดือน05/64")]
    ... # doctest: +NORMALIZE_WHITESPACE
    [('fiscal_year', datetime.date(2020, 10, 1), datetime.date(2021, 9, 30)),
     ('month', datetime.date(2021, 5, 1), datetime.date(2021, 5, 31))]
    >>> find_dates("31 เม.ย. 2564")[0].error
    'impossible date: day is out of range for month'
    """
    return [mention for _, mention in find_dates_in_lines([text])]


#: Joins lines searched in one pass. No pattern consumes it, and every lookaround sees it as
#: it sees the start or the end of a string (not a digit, a letter, a dot or a space), so a
#: pass over lines joined by it finds what a pass over each line finds.
_LINE_JOIN: Final = "\x00"


def find_dates_in_lines(lines: Sequence[str]) -> list[tuple[int, DateMention]]:
    """:func:`find_dates` of each of ``lines``, in one pass: ``(line index, mention)``, in order.

    Spans are offsets in their line. Most lines have no date, and the cost of a call per
    line dominated: one pass over a record's lines took dates from 0.64 to 0.37 ms per
    document (1,000 synthetic documents, profiled).

    >>> [(i, m.printed, m.span) for i, m in find_dates_in_lines(["ก 1 ม.ค. 64", "", "พ.ศ. 2564"])]
    [(0, '1 ม.ค. 64', (2, 11)), (2, 'พ.ศ. 2564', (0, 9))]
    """
    text = _LINE_JOIN.join(lines)
    matched = text.translate(_MATCH_TABLE) if has_any(text, _TRANSLATED) else text
    if not _DIGIT.search(matched) or not _MAYBE_DATE.search(matched):
        return []
    starts = list(accumulate((len(line) + 1 for line in lines[:-1]), initial=0))
    out = []
    for match in _scan(matched):
        index = bisect_right(starts, match.start()) - 1
        out.append((index, _mention(match, text, starts[index])[1]))
    return out


def _scan(text: str) -> list[Any]:
    """The matches of ``_BODY`` a left-to-right scan of ``text`` finds (as ``finditer``).

    Where the rest of the line has no range separator, no range can match: the singles
    alone are tried there. Most dates are single, and every range was tried first and
    failed: dates took 0.26 -> 0.22 ms per document (1,000 synthetic documents).
    """
    out, end = [], 0
    line_end = last_separator = -1  # the end of the candidate's line, its last separator
    for candidate in _CAN_START.finditer(text):
        position = candidate.start()
        if position < end:
            continue
        if position > line_end:
            line_end = text.find(_LINE_JOIN, position)
            line_end = len(text) if line_end == -1 else line_end
            last_separator = max(text.rfind(s, position, line_end) for s in _RANGE_SEPARATORS)
        separated = last_separator >= position  # one after the candidate, in its line
        match = (_BODY if separated else _SINGLE_BODY).match(text, position)
        if match is not None:
            out.append(match)
            end = match.end()
    return out


def parse_thai_date(text: str) -> date:
    """Parse one date (a single day) written in any form of this module.

    >>> parse_thai_date("๒๓ มี.ค. ๒๕๖๔")
    datetime.date(2021, 3, 23)
    >>> parse_thai_date("วันจันทร์ที่ 20 มกราคม 2563")
    datetime.date(2020, 1, 20)
    >>> parse_thai_date("2020-10-01 00:00:00")
    datetime.date(2020, 10, 1)

    Raises:
        DateParseError: code ``not_a_date`` for text that is not one day (also a month, a
            year or a range), ``impossible_date`` for a day that does not exist
            (``29 ก.พ. 2564``), ``unknown_month`` for an unknown month name (``11 ตุลา 2562``).

    """
    stripped = text.strip().translate(_MATCH_TABLE)
    # As in _scan: without a range separator no range matches, and the singles alone are
    # tried (a day of a progress report 15 -> 8 µs).
    separated = any(s in stripped for s in _RANGE_SEPARATORS)
    match = (_BODY if separated else _SINGLE_BODY).fullmatch(stripped)
    if match is None:
        unknown = _UNKNOWN_MONTH.fullmatch(stripped)
        if unknown and _month_key(unknown["word"]) not in THAI_MONTHS:
            raise DateParseError("unknown_month", f"unknown month in {text!r}")
        raise DateParseError("not_a_date", f"not a date: {text!r}")
    kind, mention = _mention(match, stripped)
    if kind != "date":
        raise DateParseError("not_a_date", f"not a date: {text!r} is a {kind}, not a day")
    if mention.start is None:
        raise DateParseError("impossible_date", f"{mention.error}: {text!r}")
    return mention.start
