from __future__ import annotations

from dataclasses import fields
from decimal import Decimal

import pytest

from kpi_extract.convert import paragraphs, quantity, text
from kpi_extract.errors import NumberParseError
from kpi_extract.values import Quantity, parse_number, parse_quantity


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("5", "5"),
        ("5.00", "5.00"),
        ("75.0000", "75.0000"),
        ("1,407.52", "1407.52"),
        ("1,250,000", "1250000"),
        ("๗๕.๐๐๐๐", "75.0000"),
        ("๑,๔๐๗.๕๒", "1407.52"),
        ("08.๓0", "8.30"),
        ("-3", "-3"),
        ("\u22122.5", "-2.5"),
        ("+4", "4"),
        ("  0  ", "0"),
        ("0.0000", "0.0000"),
    ],
)
def test_parse_number(text: str, value: str) -> None:
    assert parse_number(text) == Decimal(value)
    assert str(parse_number(text)) == value


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "not_a_number"),
        ("-", "not_a_number"),
        ("ร้อยละ", "not_a_number"),
        ("5 (ระดับ)", "not_a_number"),
        ("1.2.3", "not_a_number"),
        ("1,40", "bad_grouping"),
        ("12,3456", "bad_grouping"),
        ("1e5", "not_a_number"),
        ("NaN", "not_a_number"),
    ],
)
def test_parse_number_refuses(text: str, code: str) -> None:
    with pytest.raises(NumberParseError) as caught:
        parse_number(text)
    assert caught.value.code == code
    assert repr(text) in str(caught.value)
    assert isinstance(caught.value, ValueError)


D = Decimal


@pytest.mark.parametrize(
    ("text", "unit", "expected"),
    [
        ("5 (ระดับ)", None, Quantity(D("5"), "ระดับ")),
        ("5.00 (ระดับ)", None, Quantity(D("5.00"), "ระดับ")),
        (
            "ร้อยละ : 20 ของประชาชนที่ทำการสำรวจ",
            None,
            Quantity(D("20"), "ร้อยละ", qualifier="ของประชาชนที่ทำการสำรวจ"),
        ),
        (
            "ลดลงร้อยละ : 5 จากปีที่ผ่านมา พ.ศ. 2563",
            None,
            Quantity(D("5"), "ร้อยละ", direction="decrease", qualifier="จากปีที่ผ่านมา พ.ศ. 2563"),
        ),
        (">ร้อยละ : 80", None, Quantity(D("80"), "ร้อยละ", comparator=">")),
        ("ไม่น้อยกว่าร้อยละ 80", None, Quantity(D("80"), "ร้อยละ", comparator=">=")),
        ("ไม่เกิน 3 (ครั้ง)", None, Quantity(D("3"), "ครั้ง", comparator="<=")),
        ("น้อยกว่า 10 แห่ง", None, Quantity(D("10"), "แห่ง", comparator="<")),
        ("20 %", None, Quantity(D("20"), "%")),
        ("1,407.52 บาท", None, Quantity(D("1407.52"), "บาท")),
        ("๖.๒๐ (ร้อยละ)", None, Quantity(D("6.20"), "ร้อยละ")),
        ("75.0000", "ร้อยละ", Quantity(D("75.0000"), "ร้อยละ")),
        ("1", "เครือข่าย/สำนักงานเขต", Quantity(D("1"), "เครือข่าย/สำนักงานเขต")),
        ("80.0000", "ไม่น้อยกว่า (ร้อยละ)", Quantity(D("80.0000"), "ร้อยละ", comparator=">=")),
        ("5", "ลดลงร้อยละ", Quantity(D("5"), "ร้อยละ", direction="decrease")),
        ("-", "ร้อยละ", Quantity(None, "ร้อยละ")),
        ("", None, Quantity(None)),
        ("เพิ่มขึ้นร้อยละ 10", None, Quantity(D("10"), "ร้อยละ", direction="increase")),
    ],
)
def test_parse_quantity(text: str, unit: str | None, expected: Quantity) -> None:
    assert parse_quantity(text, unit=unit) == expected


def test_parse_quantity_without_a_number_is_an_error() -> None:
    with pytest.raises(NumberParseError, match="no number in 'ผ่านเกณฑ์'"):
        parse_quantity("ผ่านเกณฑ์")


def test_the_quantity_converter_gives_every_field_of_a_quantity() -> None:
    # convert.quantity lists the fields by hand (asdict is slow): it must keep up with them.
    row = quantity({"value": "75.0000", "unit": "ไม่น้อยกว่า (ร้อยละ)"})
    assert list(row) == [f.name for f in fields(Quantity)]
    assert row == {
        "value": Decimal("75.0000"),
        "unit": "ร้อยละ",
        "comparator": ">=",
        "direction": None,
        "qualifier": None,
    }


@pytest.mark.parametrize(
    ("printed", "value"),
    [
        ("ระบบง%", "ระบบง"),  # the exporter's truncation mark after Thai text: dropped
        ("  ระบบง%  ", "ระบบง"),
        ("ร้อยละ 80%", "ร้อยละ 80%"),  # a percent sign after a number stays
        ("ระบบง% แล้ว", "ระบบง% แล้ว"),  # not at the end of the line
        ("100 %", "100 %"),
        ("ไม่มีเครื่องหมาย", "ไม่มีเครื่องหมาย"),
    ],
)
def test_text_converters_drop_the_truncation_mark_only_after_thai_at_a_line_end(
    printed: str, value: str
) -> None:
    assert text({"value": printed}) == value
    assert paragraphs({"value": f"บรรทัดแรก%\n{printed}"}) == f"บรรทัดแรก\n{value}"
