"""Tests of kpi_extract.dates: every expected value below was worked out by hand.

BE = CE + 543: 2562 = 2019, 2563 = 2020, 2564 = 2021, 2565 = 2022;
fiscal year 2564 = 2020-10-01 .. 2021-09-30.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from kpi_extract import dates
from kpi_extract.dates import (
    THAI_MONTHS,
    DateMention,
    be_to_ce,
    ce_to_be,
    find_dates,
    fiscal_quarter,
    fiscal_quarter_range,
    fiscal_year_be,
    fiscal_year_range,
    parse_thai_date,
)
from kpi_extract.errors import DateParseError

D = date


def _params(table: Sequence[tuple[Any, ...]]) -> list[Any]:
    """Rows (id, *values) -> pytest params with readable ids."""
    return [pytest.param(*row[1:], id=row[0]) for row in table]


# --------------------------------------------------------------------------- parse_thai_date

PARSE_OK: list[tuple[str, str, date]] = [
    # every date form found in the five seeds
    ("seed-11-oct-2562", "11 ตุลาคม 2562", D(2019, 10, 11)),
    ("seed-wanthi-11-oct", "วันที่ 11 ตุลาคม 2562", D(2019, 10, 11)),
    ("seed-12-nov-2562", "วันที่ 12 พฤศจิกายน 2562", D(2019, 11, 12)),
    ("seed-13-dec-2562", "13 ธันวาคม 2562", D(2019, 12, 13)),
    ("seed-25-dec-2562", "25 ธันวาคม 2562", D(2019, 12, 25)),
    ("seed-monday-20-jan", "วันจันทร์ที่ 20 มกราคม 2563", D(2020, 1, 20)),
    ("seed-thursday-25-feb", "วันพฤหัสบดีที่ 25 กุมภาพันธ์ 2564", D(2021, 2, 25)),
    ("seed-23-mar-abbrev", "23 มี.ค. 2564", D(2021, 3, 23)),
    ("seed-9-mar", "ลงวันที่ 9 มีนาคม 2564", D(2021, 3, 9)),
    ("seed-4-apr", "ลงวันที่ 4 เมษายน 2564", D(2021, 4, 4)),
    ("seed-30-apr", "30 เมษายน 2564", D(2021, 4, 30)),
    ("seed-20-may", "20 พฤษภาคม 2564", D(2021, 5, 20)),
    ("seed-25-may", "25 พฤษภาคม 2564", D(2021, 5, 25)),
    ("seed-7-jun", "7 มิถุนายน 2564", D(2021, 6, 7)),
    ("seed-10-jun", "ลงวันที่ 10 มิถุนายน 2564", D(2021, 6, 10)),
    ("seed-14-sep", "14 กันยายน 2564", D(2021, 9, 14)),
    ("seed-24-feb", "24 กุมภาพันธ์ 2564", D(2021, 2, 24)),
    ("seed-num-26-10-2563", "26/10/2563", D(2020, 10, 26)),
    ("seed-num-23-11-2563", "23/11/2563", D(2020, 11, 23)),
    ("seed-num-29-12-2563", "29/12/2563", D(2020, 12, 29)),
    ("seed-num-01-02-2564", "01/02/2564", D(2021, 2, 1)),
    ("seed-num-25-02-2564", "25/02/2564", D(2021, 2, 25)),
    ("seed-num-26-03-2564", "26/03/2564", D(2021, 3, 26)),
    ("seed-num-23-04-2564", "23/04/2564", D(2021, 4, 23)),
    ("seed-num-01-06-2564", "01/06/2564", D(2021, 6, 1)),
    ("seed-num-28-06-2564", "28/06/2564", D(2021, 6, 28)),
    ("seed-num-22-07-2564", "22/07/2564", D(2021, 7, 22)),
    ("seed-num-26-08-2564", "26/08/2564", D(2021, 8, 26)),
    ("seed-num-14-09-2564", "14/09/2564", D(2021, 9, 14)),
    ("seed-iso-start", "2020-10-01 00:00:00", D(2020, 10, 1)),
    ("seed-iso-end", "2021-09-30 00:00:00", D(2021, 9, 30)),
    # the other full month names and the two common misspellings
    ("full-jan", "1 มกราคม 2564", D(2021, 1, 1)),
    ("full-feb-no-karan", "15 กุมภาพันธ 2564", D(2021, 2, 15)),
    ("full-mar", "31 มีนาคม 2564", D(2021, 3, 31)),
    ("full-jul", "1 กรกฎาคม 2564", D(2021, 7, 1)),
    ("full-jul-misspelt", "2 กรกฏาคม 2564", D(2021, 7, 2)),
    ("full-aug", "31 สิงหาคม 2563", D(2020, 8, 31)),
    ("full-nov", "30 พฤศจิกายน 2563", D(2020, 11, 30)),
    # abbreviations, each month, with and without dots and spaces
    ("abbr-jan", "1 ม.ค. 2564", D(2021, 1, 1)),
    ("abbr-feb", "28 ก.พ. 2564", D(2021, 2, 28)),
    ("abbr-apr", "5 เม.ย. 2564", D(2021, 4, 5)),
    ("abbr-may", "6 พ.ค. 2564", D(2021, 5, 6)),
    ("abbr-jun", "7 มิ.ย. 2564", D(2021, 6, 7)),
    ("abbr-jul", "8 ก.ค. 2564", D(2021, 7, 8)),
    ("abbr-aug", "9 ส.ค. 2564", D(2021, 8, 9)),
    ("abbr-sep", "10 ก.ย. 2564", D(2021, 9, 10)),
    ("abbr-oct", "11 ต.ค. 2563", D(2020, 10, 11)),
    ("abbr-nov", "12 พ.ย. 2563", D(2020, 11, 12)),
    ("abbr-dec", "13 ธ.ค. 2563", D(2020, 12, 13)),
    ("abbr-no-final-dot", "23 มี.ค 2564", D(2021, 3, 23)),
    ("abbr-no-dots", "23 มีค 2564", D(2021, 3, 23)),
    ("abbr-space-inside", "23 มี. ค. 2564", D(2021, 3, 23)),
    ("abbr-glued", "23มี.ค.2564", D(2021, 3, 23)),
    ("abbr-no-dots-glued", "5ธค2563", D(2020, 12, 5)),
    # two-digit years are BE 25xx
    ("yy-64", "23 มี.ค. 64", D(2021, 3, 23)),
    ("yy-63", "1 ต.ค. 63", D(2020, 10, 1)),
    ("yy-99", "31 ธ.ค. 99", D(2056, 12, 31)),
    ("yy-00", "1 ม.ค. 00", D(1957, 1, 1)),
    ("yy-numeric", "26/10/63", D(2020, 10, 26)),
    # era words before the year
    ("era-be", "9 มีนาคม พ.ศ. 2564", D(2021, 3, 9)),
    ("era-be-no-final-dot", "9 มีนาคม พ.ศ 2564", D(2021, 3, 9)),
    ("era-be-glued", "9 มีนาคม พ.ศ.2564", D(2021, 3, 9)),
    ("era-ce", "9 มีนาคม ค.ศ. 2021", D(2021, 3, 9)),
    ("ce-year-no-era", "9 มีนาคม 2021", D(2021, 3, 9)),
    ("ce-year-2399", "1 มกราคม 2399", D(2399, 1, 1)),
    ("be-year-2401", "1 มกราคม 2401", D(1858, 1, 1)),
    ("formal-with-month-word", "วันที่ ๑๑ เดือน ตุลาคม พ.ศ. ๒๕๖๒", D(2019, 10, 11)),
    # numeric forms
    ("num-single-digits", "1/6/2564", D(2021, 6, 1)),
    ("num-dashes", "26-10-2563", D(2020, 10, 26)),
    ("num-dots", "26.10.2563", D(2020, 10, 26)),
    ("num-ce-year", "26/10/2020", D(2020, 10, 26)),
    # Thai digits, also mixed inside one number
    ("thai-digits-abbr", "๒๓ มี.ค. ๒๕๖๔", D(2021, 3, 23)),
    ("thai-digits-numeric", "๒๖/๑๐/๒๕๖๓", D(2020, 10, 26)),
    ("mixed-digits-numeric", "0๑/0๖/๒๕๖๔", D(2021, 6, 1)),
    ("mixed-digits-text", "2๓ มี.ค. 25๖๔", D(2021, 3, 23)),
    # prefixes
    ("monday-no-thi", "วันจันทร์ 20 มกราคม 2563", D(2020, 1, 20)),
    ("tuesday", "วันอังคารที่ 21 มกราคม 2563", D(2020, 1, 21)),
    ("wednesday", "วันพุธที่ 22 มกราคม 2563", D(2020, 1, 22)),
    ("thursday-short", "วันพฤหัสที่ 23 มกราคม 2563", D(2020, 1, 23)),
    ("friday", "วันศุกร์ที่ 24 มกราคม 2563", D(2020, 1, 24)),
    ("saturday", "วันเสาร์ที่ 25 มกราคม 2563", D(2020, 1, 25)),
    ("sunday", "วันอาทิตย์ที่ 26 มกราคม 2563", D(2020, 1, 26)),
    ("na-wanthi", "ณ วันที่ 30 กันยายน 2564", D(2021, 9, 30)),
    ("surrounding-whitespace", "  23 มี.ค. 2564\n", D(2021, 3, 23)),
    # Gregorian ISO
    ("iso-date", "2020-10-01", D(2020, 10, 1)),
    ("iso-t-time", "2020-10-01T00:00:00", D(2020, 10, 1)),
    ("iso-late-time", "2021-09-30 23:59:59", D(2021, 9, 30)),
    # leap days
    ("leap-2563", "29 ก.พ. 2563", D(2020, 2, 29)),
    ("leap-2567-numeric", "29/02/2567", D(2024, 2, 29)),
    ("leap-2543-is-2000", "29 กุมภาพันธ์ 2543", D(2000, 2, 29)),
    ("leap-iso", "2024-02-29", D(2024, 2, 29)),
]


@pytest.mark.parametrize(
    ("text", "expected"), [c[1:] for c in PARSE_OK], ids=[c[0] for c in PARSE_OK]
)
def test_parse_thai_date(text: str, expected: date) -> None:
    assert parse_thai_date(text) == expected


PARSE_FAIL: list[tuple[str, str, str]] = [
    ("empty", "", "not_a_date"),
    ("blank", "   ", "not_a_date"),
    ("latin", "abc", "not_a_date"),
    ("time", "08.30", "not_a_date"),
    ("document-number", "1/2564", "not_a_date"),
    ("code", "5.2.1", "not_a_date"),
    ("no-year", "11 ตุลาคม", "not_a_date"),
    ("bare-year", "2564", "not_a_date"),
    ("three-digit-year", "11 ตุลาคม 256", "not_a_date"),
    ("dash-two-digit-year", "26-10-63", "not_a_date"),
    ("trailing-text", "23 มี.ค. 2564 เวลา", "not_a_date"),
    ("a-year-not-a-day", "พ.ศ. 2564", "not_a_date"),
    ("a-month-not-a-day", "เดือนเมษายน 2564", "not_a_date"),
    ("a-fiscal-year", "ปีงบประมาณ 2564", "not_a_date"),
    ("a-range", "1 - 15 ตุลาคม 2563", "not_a_date"),
    ("project-code", "21000000-3215", "not_a_date"),
    ("feb-29-2564", "29 ก.พ. 2564", "impossible_date"),
    ("apr-31", "31 เม.ย. 2564", "impossible_date"),
    ("day-32", "32/01/2564", "impossible_date"),
    ("day-00", "00/10/2563", "impossible_date"),
    ("day-0-text", "0 มกราคม 2564", "impossible_date"),
    ("jun-31", "31 มิถุนายน 2564", "impossible_date"),
    ("feb-29-2566-numeric", "29/02/2566", "impossible_date"),
    ("feb-29-1900", "29 ก.พ. 2443", "impossible_date"),
    ("feb-29-1957", "29 กุมภาพันธ์ 2500", "impossible_date"),
    ("month-13", "13/13/2564", "impossible_date"),
    ("month-00", "01/00/2564", "impossible_date"),
    ("iso-feb-30", "2021-02-30", "impossible_date"),
    ("nov-31-yy", "31 พ.ย. 63", "impossible_date"),
    ("colloquial-month", "11 ตุลา 2562", "unknown_month"),
    ("colloquial-january", "5 มกรา 2564", "unknown_month"),
    ("bad-abbreviation", "1 ม.ต. 2564", "unknown_month"),
]


@pytest.mark.parametrize(
    ("text", "code"), [c[1:] for c in PARSE_FAIL], ids=[c[0] for c in PARSE_FAIL]
)
def test_parse_thai_date_fails(text: str, code: str) -> None:
    with pytest.raises(DateParseError) as info:
        parse_thai_date(text)
    assert info.value.code == code
    assert isinstance(info.value, ValueError)
    assert repr(text) in str(info.value)


def test_not_a_date_message() -> None:
    with pytest.raises(DateParseError, match=r"^not a date: '08\.30'$"):
        parse_thai_date("08.30")


# --------------------------------------------------------------------------- find_dates

Row = tuple[str, date | None, date | None, str]

SEED_002_47 = (
    "วันที่ 11 ตุลาคม 2562 ประชุมหารือร่วมกับสำนักพัฒนาสังคมเพื่อบูรณาการการทำงานร่วมกันในการจัดทำ"
    "แผนพัฒนาชุมชน ณ ห้องนพรัตน์ / วันที่ 12 พฤศจิกายน 2562 ผอ.สยป. อนุมัติโครงการและรายละเอียด"
    "ค่าใช้จ่ายในการดำเนินงาน / วันที่ 13 ธันวาคม 2562 ประชุมสำนักพัฒนาสังคม และกลุ่มการปฏิบัติงาน"
    "ของสำนักงานเขต เพื่อรับทราบและเตรียมการในเบื้องต้น ณ ห้องประชุม ชั้น 24 อาคารธานีนพรัตน์ "
    "ศาลาว่าการกทม.2 / วันที่ 25 ธันวาคม 2562 ประชุมหารือร่วมกับสำนักพัฒนาสังคม เพื่อสรุปแนวทาง"
    "และรูปแบบการดำเนินการฯ ให้แก่สำนักงานเขต ก่อนเข้าร่วมประชุมนำเสนอแนวทางการดำเนินโครงการ"
    "สนับสนุนการจัดทำและทบทวนแผนพัฒนาชุมชนของชุมชนในแต่ละสำนักงานเขต ในวันจันทร์ที่ 20 มกราคม 2563 "
    "เวลา 08.๓0 – 16.30 น. ณ ห้องรัตนโกสินทร์"
)
SEED_004_75 = (
    "| รายงานครั้งที่8 | :: 01/06/2564 : เดือน05/64 มีหนังสือสยป. ด่วนที่สุด ที่ กท0502/558 "
    "ลว. 25 พฤษภาคม 2564 ติดตามความก้าวหน้าการดำเนินการขับเคลื่อนเครือข่ายประชาสังคมฯ โดยมีจำนวน 3 "
    "กลุ่มเขตที่ยังไม่จัดส่งแบบ P1 โดยกำหนดให้ส่ง สยป. ภายในวันที่ 7 มิถุนายน 2564 | | |"
)

FIND: list[tuple[str, str, list[Row]]] = [
    (
        "seed-002-47-five-dates-and-a-time",
        SEED_002_47,
        [
            ("date", D(2019, 10, 11), D(2019, 10, 11), "วันที่ 11 ตุลาคม 2562"),
            ("date", D(2019, 11, 12), D(2019, 11, 12), "วันที่ 12 พฤศจิกายน 2562"),
            ("date", D(2019, 12, 13), D(2019, 12, 13), "วันที่ 13 ธันวาคม 2562"),
            ("date", D(2019, 12, 25), D(2019, 12, 25), "วันที่ 25 ธันวาคม 2562"),
            ("date", D(2020, 1, 20), D(2020, 1, 20), "วันจันทร์ที่ 20 มกราคม 2563"),
        ],
    ),
    (
        "seed-004-75-month-dates-document-number",
        SEED_004_75,
        [
            ("date", D(2021, 6, 1), D(2021, 6, 1), "01/06/2564"),
            ("month", D(2021, 5, 1), D(2021, 5, 31), "เดือน05/64"),
            ("date", D(2021, 5, 25), D(2021, 5, 25), "25 พฤษภาคม 2564"),
            ("date", D(2021, 6, 7), D(2021, 6, 7), "วันที่ 7 มิถุนายน 2564"),
        ],
    ),
    (
        "seed-004-69-numeric-and-weekday",
        "| รายงานครั้งที่5 | :: 25/02/2564 : ดำเนินการจัดประชุม เมื่อวันพฤหัสบดีที่ 25 กุมภาพันธ์ 2564 โดยมี",
        [
            ("date", D(2021, 2, 25), D(2021, 2, 25), "25/02/2564"),
            ("date", D(2021, 2, 25), D(2021, 2, 25), "วันพฤหัสบดีที่ 25 กุมภาพันธ์ 2564"),
        ],
    ),
    (
        "seed-004-71-lw-abbreviated",
        "ที่ กท 0502/539 ลว. 23 มี.ค. 2564 และ",
        [("date", D(2021, 3, 23), D(2021, 3, 23), "23 มี.ค. 2564")],
    ),
    (
        "seed-003-49-document-number-then-date",
        "ตามหนังสือที่ 54/2564 ลงวันที่ 9 มีนาคม 2564 / อยู่ระหว่าง",
        [("date", D(2021, 3, 9), D(2021, 3, 9), "ลงวันที่ 9 มีนาคม 2564")],
    ),
    (
        "seed-003-53-date-and-time-range",
        "ได้กำหนดการจัดกิจกรรมไว้ในวันที่ 20 พฤษภาคม 2564 เวลา 08.00-16.30 น. ณ ห้องประชุม",
        [("date", D(2021, 5, 20), D(2021, 5, 20), "วันที่ 20 พฤษภาคม 2564")],
    ),
    (
        "seed-003-57-meeting-number",
        "ครั้งที่ 1/2564 เมื่อวันที่ 24 กุมภาพันธ์ 2564",
        [("date", D(2021, 2, 24), D(2021, 2, 24), "วันที่ 24 กุมภาพันธ์ 2564")],
    ),
    (
        "seed-003-65-letter-number",
        "(หนังสือที่ กท 0100/754 ลงวันที่ 30 เมษายน 2564)",
        [("date", D(2021, 4, 30), D(2021, 4, 30), "ลงวันที่ 30 เมษายน 2564")],
    ),
    (
        "seed-004-61-table-cell",
        "| รายงานครั้งที่1 | :: 26/10/2563 : พิจารณา",
        [("date", D(2020, 10, 26), D(2020, 10, 26), "26/10/2563")],
    ),
    (
        "seed-004-17-iso-timestamp",
        "เริ่มต้นโครงการ : 2020-10-01 00:00:00",
        [("date", D(2020, 10, 1), D(2020, 10, 1), "2020-10-01 00:00:00")],
    ),
    (
        "na-wanthi",
        "ข้อมูล ณ วันที่ 30 กันยายน 2564",
        [("date", D(2021, 9, 30), D(2021, 9, 30), "ณ วันที่ 30 กันยายน 2564")],
    ),
    (
        "seed-001-51-month-and-covid",
        "ไวรัสโคโรนา 2019 (โควิด-19) คาดว่าจัดกิจกรรมในเดือนเมษายน 2564",
        [("month", D(2021, 4, 1), D(2021, 4, 30), "เดือนเมษายน 2564")],
    ),
    (
        "seed-003-39-month",
        "และดำเนินการจัดประชุมในเดือนมีนาคม 2564 แต่ด้วย",
        [("month", D(2021, 3, 1), D(2021, 3, 31), "เดือนมีนาคม 2564")],
    ),
    ("month-bare-name", "พฤษภาคม 2564", [("month", D(2021, 5, 1), D(2021, 5, 31), "พฤษภาคม 2564")]),
    ("month-abbr-yy", "ช่วง เม.ย. 64", [("month", D(2021, 4, 1), D(2021, 4, 30), "เม.ย. 64")]),
    ("month-numeric", "เดือน 5/2564", [("month", D(2021, 5, 1), D(2021, 5, 31), "เดือน 5/2564")]),
    ("month-feb-leap", "ก.พ. 2563", [("month", D(2020, 2, 1), D(2020, 2, 29), "ก.พ. 2563")]),
    ("month-feb", "กุมภาพันธ์ 2564", [("month", D(2021, 2, 1), D(2021, 2, 28), "กุมภาพันธ์ 2564")]),
    (
        "seed-002-65-year",
        "ว่าด้วยชุมชนและกรรมการชุมชน พ.ศ. 2555 ทั้งนี้",
        [("year", D(2012, 1, 1), D(2012, 12, 31), "พ.ศ. 2555")],
    ),
    (
        "seed-004-53-year-thai-digits",
        "วิสัยทัศน์กรุงเทพฯ พ.ศ. ๒๕๗๕ ไปปฏิบัติ",
        [("year", D(2032, 1, 1), D(2032, 12, 31), "พ.ศ. ๒๕๗๕")],
    ),
    ("year-no-final-dot", "พ.ศ ๒๕๖๔", [("year", D(2021, 1, 1), D(2021, 12, 31), "พ.ศ ๒๕๖๔")]),
    ("year-ce", "ค.ศ. 2020", [("year", D(2020, 1, 1), D(2020, 12, 31), "ค.ศ. 2020")]),
    (
        "seed-003-59-fiscal-year",
        "ตั้งแต่ปีงบประมาณ พ.ศ. 2563",
        [("fiscal_year", D(2019, 10, 1), D(2020, 9, 30), "ปีงบประมาณ พ.ศ. 2563")],
    ),
    (
        "seed-003-68-fiscal-year-thai-digits",
        "ประจำปีงบประมาณ พ.ศ ๒๕๖๔ (รอบสิ้นปีงบประมาณ)",
        [("fiscal_year", D(2020, 10, 1), D(2021, 9, 30), "ปีงบประมาณ พ.ศ ๒๕๖๔")],
    ),
    (
        "seed-004-15-fiscal-year-field",
        "ปีงบประมาณ พ.ศ. : 2564",
        [("fiscal_year", D(2020, 10, 1), D(2021, 9, 30), "ปีงบประมาณ พ.ศ. : 2564")],
    ),
    (
        "fiscal-year-no-era",
        "ปีงบประมาณ 2564",
        [("fiscal_year", D(2020, 10, 1), D(2021, 9, 30), "ปีงบประมาณ 2564")],
    ),
    (
        "seed-002-69-fiscal-range",
        "ได้รับการบรรจุในแผนปฏิบัติราชการประจำปีของสำนักงานเขตในปีงบประมาณ พ.ศ. 2563-2565 เพื่อให้",
        [("range", D(2019, 10, 1), D(2022, 9, 30), "ปีงบประมาณ พ.ศ. 2563-2565")],
    ),
    ("year-range", "พ.ศ. 2563-2565", [("range", D(2020, 1, 1), D(2022, 12, 31), "พ.ศ. 2563-2565")]),
    (
        "year-range-spaced",
        "แผน พ.ศ. 2563 - 2565",
        [("range", D(2020, 1, 1), D(2022, 12, 31), "พ.ศ. 2563 - 2565")],
    ),
    (
        "month-range-one-year",
        "ตั้งแต่เดือนตุลาคม - ธันวาคม 2561",
        [("range", D(2018, 10, 1), D(2018, 12, 31), "เดือนตุลาคม - ธันวาคม 2561")],
    ),
    (
        "month-range-across-new-year",
        "ตุลาคม - มีนาคม 2564",
        [("range", D(2020, 10, 1), D(2021, 3, 31), "ตุลาคม - มีนาคม 2564")],
    ),
    (
        "month-range-two-years-chon-thueng",
        "ตุลาคม 2563 จนถึง มีนาคม 2564",
        [("range", D(2020, 10, 1), D(2021, 3, 31), "ตุลาคม 2563 จนถึง มีนาคม 2564")],
    ),
    (
        "month-range-abbr-thueng",
        "ต.ค.ถึงธ.ค. 2563",
        [("range", D(2020, 10, 1), D(2020, 12, 31), "ต.ค.ถึงธ.ค. 2563")],
    ),
    (
        "day-range-one-month",
        "1 - 15 ตุลาคม 2563",
        [("range", D(2020, 10, 1), D(2020, 10, 15), "1 - 15 ตุลาคม 2563")],
    ),
    (
        "day-range-en-dash-yy",
        "1–15 ต.ค. 63",
        [("range", D(2020, 10, 1), D(2020, 10, 15), "1–15 ต.ค. 63")],
    ),
    (
        "day-range-two-months",
        "20 ต.ค. - 5 พ.ย. 2563",
        [("range", D(2020, 10, 20), D(2020, 11, 5), "20 ต.ค. - 5 พ.ย. 2563")],
    ),
    (
        "day-range-across-new-year",
        "20 ธ.ค. - 5 ม.ค. 2564",
        [("range", D(2020, 12, 20), D(2021, 1, 5), "20 ธ.ค. - 5 ม.ค. 2564")],
    ),
    (
        "day-range-full",
        "1 ต.ค. 2563 - 30 ก.ย. 2564",
        [("range", D(2020, 10, 1), D(2021, 9, 30), "1 ต.ค. 2563 - 30 ก.ย. 2564")],
    ),
    (
        "day-range-thueng-wanthi",
        "ตั้งแต่วันที่ 1 ตุลาคม 2563 ถึงวันที่ 30 กันยายน 2564",
        [
            (
                "range",
                D(2020, 10, 1),
                D(2021, 9, 30),
                "วันที่ 1 ตุลาคม 2563 ถึงวันที่ 30 กันยายน 2564",
            )
        ],
    ),
    (
        "day-range-numeric-em-dash",
        "01/10/2563 — 30/09/2564",
        [("range", D(2020, 10, 1), D(2021, 9, 30), "01/10/2563 — 30/09/2564")],
    ),
    (
        "invalid-apr-31",
        "ลงวันที่ 31 เม.ย. 2564 และ",
        [("invalid", None, None, "ลงวันที่ 31 เม.ย. 2564")],
    ),
    ("invalid-feb-29", "29 ก.พ. 2564", [("invalid", None, None, "29 ก.พ. 2564")]),
    (
        "invalid-range-backwards",
        "15 - 1 ตุลาคม 2563",
        [("invalid", None, None, "15 - 1 ตุลาคม 2563")],
    ),
    ("invalid-year-range-backwards", "พ.ศ. 2565-2563", [("invalid", None, None, "พ.ศ. 2565-2563")]),
    (
        "invalid-end-of-range",
        "29 ก.พ. 2564 - 3 มี.ค. 2564",
        [("invalid", None, None, "29 ก.พ. 2564 - 3 มี.ค. 2564")],
    ),
]


def _rows(mentions: list[DateMention]) -> list[Row]:
    return [(m.kind, m.start, m.end, m.printed) for m in mentions]


@pytest.mark.parametrize(("text", "expected"), _params(FIND))
def test_find_dates(text: str, expected: list[Row]) -> None:
    mentions = find_dates(text)
    assert _rows(mentions) == expected
    for m in mentions:
        assert text[m.span[0] : m.span[1]] == m.printed
    assert [m.span for m in mentions] == sorted(m.span for m in mentions)


NEVER_A_DATE: list[tuple[str, str]] = [
    ("time-range", "08.30 – 16.30 น."),
    ("time-thai-digit", "08.๓0"),
    ("time-range-glued", "เวลา 08.00-16.30 น."),
    ("letter-number", "หนังสือที่ 54/2564"),
    ("meeting-number", "ครั้งที่ 1/2564"),
    ("bma-letter", "กท 0100/754"),
    ("bma-letter-glued", "กท0502/558"),
    ("strategy-code", "5.2.1"),
    ("strategy-code-thai", "๕.๒.๑.๑"),
    ("project-code", "21000000-3215"),
    ("kpi-code", "5030-1052"),
    ("kpi-code-line", "ร้อยละของชุมชน : 2100-1040"),
    ("twenty-years", "ระยะ 20 ปี"),
    ("covid", "โควิด-19"),
    ("covid-damaged", "โควิด ? 19"),
    ("percentage", "10.00 %"),
    ("progress-line", ":: ความก้าวหน้าของงานฯ = 10.00 % งบประมาณที่เบิกใช้ (ครั้งที่ 1) = 0 บาท"),
    ("bare-number", "2564"),
    ("count", "จำนวน 2564 คน"),
    ("year-word-in-name", "โรคติดเชื้อไวรัสโคโรนา 2019"),
    ("kpi-name-code", "อ.2/2ระดับความสำเร็จ"),
    ("floor-number", "ชั้น 24 อาคารธานีนพรัตน์"),
    ("abbreviation-bma", "ศาลาว่าการกทม.2 /"),
    ("opdc-not-february", "ก.พ.ร. 2564"),
    ("teachers-council-not-july", "ก.ค.ศ. 2564"),
    ("new-year-card-not-august", "ส.ค.ส. 2564"),
    ("day-month-no-year", "11 ตุลาคม"),
    ("three-digit-year", "11 ตุลาคม 256"),
    ("strategy-line", ":ด้านที่ ๕ - มหานครประชาธิปไตย"),
    ("empty", ""),
]


@pytest.mark.parametrize("text", _params(NEVER_A_DATE))
def test_never_a_date(text: str) -> None:
    assert find_dates(text) == []


def test_mention_fields() -> None:
    (m,) = find_dates("เมื่อวันพฤหัสบดีที่ 25 กุมภาพันธ์ 2564 โดยมี")
    assert m == DateMention(
        kind="date",
        start=D(2021, 2, 25),
        end=D(2021, 2, 25),
        precision="day",
        span=(5, 38),  # 5 = len("เมื่อ"), 33 characters printed
        printed="วันพฤหัสบดีที่ 25 กุมภาพันธ์ 2564",
        era="BE",
        weekday=3,
        error=None,
    )
    assert m.start is not None and m.start.weekday() == 3


@pytest.mark.parametrize(
    ("text", "precision", "era", "weekday"),
    [
        ("วันจันทร์ที่ 20 มกราคม 2563", "day", "BE", 0),
        ("2020-10-01 00:00:00", "day", "CE", None),
        ("23 มี.ค. 64", "day", "BE", None),
        ("เดือน05/64", "month", "BE", None),
        ("ค.ศ. 2020", "year", "CE", None),
        ("ปีงบประมาณ 2564", "year", "BE", None),
        ("ตุลาคม - มีนาคม 2564", "month", "BE", None),
        ("31 เม.ย. 2564", "day", "BE", None),
    ],
    ids=["weekday", "iso-ce", "yy-be", "month", "ce-year", "fiscal", "month-range", "invalid"],
)
def test_mention_precision_era_weekday(
    text: str, precision: str, era: str, weekday: int | None
) -> None:
    (m,) = find_dates(text)
    assert (m.precision, m.era, m.weekday) == (precision, era, weekday)


def test_invalid_mention_says_why() -> None:
    (m,) = find_dates("31 เม.ย. 2564")
    assert m.kind == "invalid"
    assert m.error == "impossible date: day is out of range for month"
    (r,) = find_dates("พ.ศ. 2565-2563")
    assert r.error is not None and "ends before it starts" in r.error


def test_span_with_thai_digits() -> None:
    text = "ก่อน ๒๓ มี.ค. ๒๕๖๔ และ ๐๑/๐๖/๒๕๖๔ และ พ.ศ. ๒๕๗๕"
    mentions = find_dates(text)
    assert [m.printed for m in mentions] == ["๒๓ มี.ค. ๒๕๖๔", "๐๑/๐๖/๒๕๖๔", "พ.ศ. ๒๕๗๕"]
    assert [text[m.span[0] : m.span[1]] for m in mentions] == [m.printed for m in mentions]


def test_mention_is_frozen() -> None:
    (m,) = find_dates("23 มี.ค. 2564")
    with pytest.raises(AttributeError):
        m.kind = "invalid"  # type: ignore[misc]


# --------------------------------------------------------------------------- months table


@pytest.mark.parametrize(
    ("spelling", "month"),
    [
        ("มกราคม", 1),
        ("กุมภาพันธ์", 2),
        ("กุมภาพันธ", 2),
        ("มีค", 3),
        ("เมย", 4),
        ("กรกฏาคม", 7),
        ("กรกฎาคม", 7),
        ("สค", 8),
        ("ธันวาคม", 12),
        ("ธค", 12),
    ],
)
def test_thai_months(spelling: str, month: int) -> None:
    assert THAI_MONTHS[spelling] == month


def test_thai_months_size() -> None:
    assert len(THAI_MONTHS) == 26  # 12 full names, 2 misspellings, 12 abbreviations
    assert sorted(set(THAI_MONTHS.values())) == list(range(1, 13))


# --------------------------------------------------------------------------- fiscal years


@pytest.mark.parametrize(
    ("day", "fy", "quarter"),
    [
        (D(2020, 9, 30), 2563, 4),
        (D(2020, 10, 1), 2564, 1),
        (D(2020, 12, 31), 2564, 1),
        (D(2021, 1, 1), 2564, 2),
        (D(2021, 3, 31), 2564, 2),
        (D(2021, 4, 1), 2564, 3),
        (D(2021, 6, 30), 2564, 3),
        (D(2021, 7, 1), 2564, 4),
        (D(2021, 9, 30), 2564, 4),
        (D(2021, 10, 1), 2565, 1),
    ],
    ids=str,
)
def test_fiscal_year_and_quarter(day: date, fy: int, quarter: int) -> None:
    assert fiscal_year_be(day) == fy
    assert fiscal_quarter(day) == quarter


def test_fiscal_year_range() -> None:
    assert fiscal_year_range(2564) == (D(2020, 10, 1), D(2021, 9, 30))
    assert fiscal_year_range(2563) == (D(2019, 10, 1), D(2020, 9, 30))


@pytest.mark.parametrize(
    ("quarter", "first", "last"),
    [
        (1, D(2020, 10, 1), D(2020, 12, 31)),
        (2, D(2021, 1, 1), D(2021, 3, 31)),
        (3, D(2021, 4, 1), D(2021, 6, 30)),
        (4, D(2021, 7, 1), D(2021, 9, 30)),
    ],
    ids=["q1", "q2", "q3", "q4"],
)
def test_fiscal_quarter_range_2564(quarter: int, first: date, last: date) -> None:
    assert fiscal_quarter_range(2564, quarter) == (first, last)


@pytest.mark.parametrize("quarter", [0, 5, -1])
def test_fiscal_quarter_range_rejects(quarter: int) -> None:
    with pytest.raises(ValueError, match="quarter"):
        fiscal_quarter_range(2564, quarter)


def test_era_conversion() -> None:
    assert be_to_ce(2564) == 2021
    assert ce_to_be(2021) == 2564
    assert be_to_ce(ce_to_be(1990)) == 1990


# --------------------------------------------------------------------------- properties

FULL = ["มกราคม", "กุมภาพันธ์", "มีนาคม", "เมษายน", "พฤษภาคม", "มิถุนายน"]
FULL += ["กรกฎาคม", "สิงหาคม", "กันยายน", "ตุลาคม", "พฤศจิกายน", "ธันวาคม"]
ABBR = ["ม.ค.", "ก.พ.", "มี.ค.", "เม.ย.", "พ.ค.", "มิ.ย."]
ABBR += ["ก.ค.", "ส.ค.", "ก.ย.", "ต.ค.", "พ.ย.", "ธ.ค."]
DATES = st.dates(min_value=D(1990, 1, 1), max_value=D(2040, 12, 31))


@given(DATES)
def test_round_trip(d: date) -> None:
    be = d.year + 543
    assert parse_thai_date(f"{d.day} {FULL[d.month - 1]} {be}") == d
    assert parse_thai_date(f"{d.day} {ABBR[d.month - 1]} {be % 100:02d}") == d
    assert parse_thai_date(f"{d.day:02d}/{d.month:02d}/{be}") == d
    (m,) = find_dates(f"เมื่อวันที่ {d.day} {FULL[d.month - 1]} พ.ศ. {be} แล้ว")
    assert (m.kind, m.start, m.end) == ("date", d, d)


@given(DATES)
def test_fiscal_ranges_contain_the_day(d: date) -> None:
    fy, quarter = fiscal_year_be(d), fiscal_quarter(d)
    first, last = fiscal_year_range(fy)
    assert first <= d <= last
    assert last - first in (timedelta(days=364), timedelta(days=365))
    q_first, q_last = fiscal_quarter_range(fy, quarter)
    assert q_first <= d <= q_last


FUZZ_PIECES = [*"0123456789๐๑๒๓๔๕๖๗๘๙ ./-–:มคกพยศีเิ", "วันที่", "ตุลาคม", "ถึง", "พ.ศ."]
FUZZ = st.lists(st.sampled_from(FUZZ_PIECES), max_size=30).map("".join)


@given(FUZZ)
def test_find_dates_never_raises(text: str) -> None:
    for m in find_dates(text):
        assert text[m.span[0] : m.span[1]] == m.printed
        assert (m.start is None) == (m.kind == "invalid") == (m.error is not None)
        if m.start is not None and m.end is not None:
            assert m.start <= m.end


SCAN_PIECES = [
    *FUZZ_PIECES,
    *"ณลงปีงบเดือนในแต่ช่วง",
    "เดือน",
    "ปีงบประมาณ",
    "วันจันทร์ที่",
    "ม.ค.",
    "มี. ค.",
    "ธค",
    "กรกฎาคม",
    "ค.ศ.",
    "ลงวันที่",
    "ณ วันที่",
    "2564",
    "2021-03-04",
    " - ",
    "—",
    "จนถึง",
    "08.30",
    "1/2/2564",
    "ณห้อง",
]


def _groups(match: Any) -> dict[str, str]:
    """The groups a match filled (the singles' pattern has no range end groups)."""
    return {name: value for name, value in match.groupdict().items() if value is not None}


@given(st.lists(st.sampled_from(SCAN_PIECES), max_size=8).map("".join))
@example("1 ต.ค. 2563")
@example("วันจันทร์ที่ 20 มกราคม 2563")
@example("ปีงบประมาณ พ.ศ. 2564")
@example("เดือน05/64")
@example("ธค 64")
def test_a_whole_text_without_a_range_separator_is_read_by_the_singles_alone(text: str) -> None:
    # parse_thai_date tries the singles alone where no separator is (as _scan does).
    if any(s in text for s in dates._RANGE_SEPARATORS):
        return
    single, full = dates._SINGLE_BODY.fullmatch(text), dates._BODY.fullmatch(text)
    assert (single is None) == (full is None)
    if single is not None and full is not None:
        assert (single.span(), _groups(single)) == (full.span(), _groups(full))


@given(st.lists(st.sampled_from(SCAN_PIECES), max_size=40).map("".join))
def test_candidate_scan_finds_what_a_full_scan_finds(text: str) -> None:
    # find_dates tries the grammar only where _CAN_START allows, and no range where no
    # separator follows; a plain scan tries every form at every position. Both must find
    # the same matches, with the same groups (the singles' pattern has no range end groups).
    found = [(m.span(), _groups(m)) for m in dates._scan(text)]
    assert found == [(m.span(), _groups(m)) for m in dates._BODY.finditer(text)]


@given(st.lists(st.lists(st.sampled_from(SCAN_PIECES), max_size=12).map("".join), max_size=6))
def test_one_pass_over_lines_finds_what_a_pass_per_line_finds(lines: list[str]) -> None:
    expected = [(i, m) for i, line in enumerate(lines) for m in find_dates(line)]
    assert dates.find_dates_in_lines(lines) == expected


@given(st.lists(st.lists(st.sampled_from(SCAN_PIECES), max_size=12).map("".join), max_size=6))
def test_the_scan_of_joined_lines_finds_what_the_full_pattern_finds_per_line(
    lines: list[str],
) -> None:
    # Ranges are tried only where a separator follows in the same line: a separator in a
    # later line must not be needed, nor one in an earlier line be missed.
    expected, offset = [], 0
    for line in lines:
        for m in dates._BODY.finditer(line):
            expected.append(((m.start() + offset, m.end() + offset), _groups(m)))
        offset += len(line) + 1
    joined = dates._LINE_JOIN.join(lines)
    assert [(m.span(), _groups(m)) for m in dates._scan(joined)] == expected


def test_one_pass_over_lines_keeps_each_line_apart() -> None:
    # Per line, neither is a range nor a date: "1" ends a line, "- 2 ม.ค. 64" starts the next;
    # "ใน" glued to an abbreviation only on its own line.
    found = dates.find_dates_in_lines(["เมื่อ 1", "- 2 ม.ค. 64", "ใน", "ม.ค. 2564"])
    assert [(i, m.kind, m.printed, m.span) for i, m in found] == [
        (1, "date", "2 ม.ค. 64", (2, 11)),
        (3, "month", "ม.ค. 2564", (0, 9)),
    ]


def test_month_keys_drop_dots_and_exactly_what_isspace_calls_space() -> None:
    for code in range(0x110000):
        char = chr(code)
        expected = "มค" if char.isspace() or char == "." else f"ม{char}ค"
        assert dates._month_key(f"ม{char}.ค") == expected, hex(code)
