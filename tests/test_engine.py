"""The parsing engine is generic: driven by grammars, robust to partial dumps."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from kpi_extract import parse_text
from kpi_extract.errors import LayoutError
from kpi_extract.grammar import load_grammars
from kpi_extract.models import KpiRecord, Quantity

FIXTURES = Path(__file__).parent / "fixtures"


def _codes(record: KpiRecord) -> list[tuple[str, int | None]]:
    return [(w.code, w.line) for w in record.warnings]


def test_a_made_up_variant_parses_with_its_own_grammar_and_no_code_change() -> None:
    grammars = load_grammars(FIXTURES / "variant_grammars")
    text = (FIXTURES / "variant_dump.txt").read_text(encoding="utf-8")
    result = parse_text(text, source="variant_dump.txt", grammars=grammars)
    assert result.layout == "kpi_result"
    first, second = result.records
    assert isinstance(first, KpiRecord) and isinstance(second, KpiRecord)
    assert (first.line_start, first.line_end, second.line_start) == (2, 11, 12)
    assert first.kpi_name == "ร้อยละของผู้ป่วยเบาหวานที่ควบคุมระดับน้ำตาลได้"
    assert first.target == Quantity(value=Decimal("40"), unit="ร้อยละ", comparator=">=")
    assert first.achieved == Quantity(value=Decimal("42.50"), unit="ร้อยละ")
    assert [(q.quarter, q.narrative) for q in first.quarters] == [
        (1, "คัดกรองผู้ป่วย 1,250 ราย เมื่อวันที่ 15 ธ.ค. 2565"),
        (2, "ติดตามผลการรักษา\nครั้งที่ 2"),
    ]
    # The definition comes after the quarters here, under its second alias.
    assert first.definition == "ผู้ป่วยเบาหวาน หมายถึง ผู้ป่วยที่ขึ้นทะเบียนในศูนย์บริการสาธารณสุข"
    assert first.calculation == "(จำนวนผู้ป่วยที่ควบคุมได้ x 100) / จำนวนผู้ป่วยทั้งหมด"
    assert (first.fiscal_year_be, first.fiscal_year_source) == (2566, "inferred")
    assert first.provenance["quarters[1].narrative"] == [7, 8]
    assert [(n.line, n.kind) for n in first.noise] == [(11, "page_header")]
    assert second.kpi_name == "จำนวนศูนย์บริการที่ผ่านการรับรองคุณภาพ"
    assert second.definition == "การรับรองคุณภาพตามมาตรฐาน HA"
    assert (second.target.value, second.achieved.value) == (Decimal("3"), Decimal("3"))
    assert _codes(first) == _codes(second) == []
    assert result.noise == [(1, "page_header")]


B_HEADER = """รายละเอียดตัวชี้วัด
Back Home
ร้อยละของถนนที่ได้รับการซ่อมแซม : 5001-0042
ค่าเป้าหมาย ร้อยละ : 90.0000
ผลงานที่ทำได้ ร้อยละ : 92.0000
"""


def test_a_page_without_its_table_yields_its_fields_and_says_what_is_missing() -> None:
    (record,) = parse_text(B_HEADER + "รายงานผลฯ ไตรมาสที่ 1\nซ่อมถนน 3 สาย\n").records
    assert isinstance(record, KpiRecord)
    assert (record.kpi_code, record.target.value, record.achieved.value) == (
        "5001-0042",
        Decimal("90.0000"),
        Decimal("92.0000"),
    )
    assert [(q.quarter, q.result, q.narrative) for q in record.quarters] == [
        (1, None, "ซ่อมถนน 3 สาย")
    ]
    missing = [w.message for w in record.warnings if w.code == "missing_section"]
    assert "section 'quarter_table' not found" in missing


def test_a_file_cut_mid_word_keeps_what_is_there() -> None:
    table = B_HEADER + "ผลงานเทียบกับเป้าหมายรายไตรมาส\nไตรมาสที่\n1\n45.00\n2.0000\n10"
    (record,) = parse_text(table).records
    assert isinstance(record, KpiRecord)
    (quarter,) = record.quarters
    assert (quarter.quarter, quarter.result, quarter.score) == (1, Decimal("45.00"), Decimal("2"))
    assert (quarter.score_2_1, quarter.score_2_2) == (None, None)
    assert ("table_cell_mismatch", 11) in _codes(record)  # "10": the "a / b" pair was cut
    (shorter,) = parse_text(table[: table.index("\n2.0000")]).records
    assert isinstance(shorter, KpiRecord)
    assert [(q.quarter, q.result, q.score) for q in shorter.quarters] == [
        (1, Decimal("45.00"), None)
    ]
    assert ("table_short_row", 8) in _codes(shorter)


def test_an_unknown_line_is_reported_with_its_number_not_dropped() -> None:
    text = B_HEADER.replace("Back Home\n", "Back Home\nข้อความที่ไม่รู้จัก\n")
    (record,) = parse_text(text).records
    assert isinstance(record, KpiRecord)
    assert ("unclassified_line", 3) in _codes(record)
    assert record.sections[0].lines[0] == 3  # still kept in the lossless sections layer


def test_a_value_that_is_no_number_is_a_warning_and_stays_empty() -> None:
    text = B_HEADER.replace("ค่าเป้าหมาย ร้อยละ : 90.0000", "ค่าเป้าหมาย ร้อยละ : ผ่านเกณฑ์")
    (record,) = parse_text(text).records
    assert isinstance(record, KpiRecord)
    assert record.target == Quantity()
    assert ("bad_value", 4) in _codes(record)
    assert ("missing_field", 1) in _codes(record)


def test_a_field_printed_twice_with_another_value_keeps_the_first_and_warns() -> None:
    text = B_HEADER + "ค่าเป้าหมาย ร้อยละ : 95.0000\n"
    (record,) = parse_text(text).records
    assert isinstance(record, KpiRecord)
    assert record.target.value == Decimal("90.0000")
    assert record.provenance["target"] == [4]
    assert ("duplicate_field", 6) in _codes(record)


def test_an_impossible_date_is_reported_not_guessed() -> None:
    text = B_HEADER + "รายงานผลฯ ไตรมาสที่ 3\nจัดประชุมวันที่ 31 เม.ย. 2564\n"
    (record,) = parse_text(text).records
    assert isinstance(record, KpiRecord)
    (mention,) = record.date_mentions
    assert (mention.kind, mention.date, mention.line) == ("invalid", None, 7)
    assert record.fiscal_year_be is None


def test_text_of_no_known_layout_is_refused() -> None:
    with pytest.raises(LayoutError) as caught:
        parse_text("สวัสดีครับ\nนี่ไม่ใช่รายงาน\n", source="letter.txt")
    assert caught.value.code == "unknown_layout"
    assert str(caught.value).startswith("letter.txt: ")


def test_record_ids_are_stable_and_positional() -> None:
    text = B_HEADER + B_HEADER.replace("5001-0042", "5001-0043")
    first = parse_text(text).records
    again = parse_text(text).records
    assert [r.record_id for r in first] == [r.record_id for r in again]
    assert [r.record_id[-4:] for r in first] == ["-000", "-001"]
    assert [r.line_start for r in first] == [1, 6]


def test_dates_in_project_fields_are_gregorian_iso() -> None:
    text = (
        "ชื่อโครงการ/กิจกรรม : โครงการทดสอบ\nรหัสโครงการ... : 50010000-0001\n"
        "เริ่มต้นโครงการ : 2021-10-01 00:00:00\nงบประมาณที่ได้รับ : 1,000 บาท\n"
    )
    (record,) = parse_text(text).records
    assert record.layout == "project_progress"
    assert getattr(record, "start_date") == dt.date(2021, 10, 1)  # noqa: B009
    assert getattr(record, "budget_received") == Decimal("1000")  # noqa: B009


def test_a_record_that_fails_validation_is_reported_whole_with_its_lines(tmp_path: Path) -> None:
    grammar_dir = tmp_path / "grammars"
    grammar_dir.mkdir()
    (grammar_dir / "index.toml").write_text('order = ["loose"]\n', encoding="utf-8")
    # A careless grammar: quarter headings accept any digit, the model only 1 to 4.
    (grammar_dir / "loose.toml").write_text(
        """
name = "loose"
layout = "kpi_result"
record_kind = "kpi"
version = "1"
[detect]
min_score = 1
patterns = ['^KPI ']
[record]
start = ['^KPI ']
[[sections]]
key = "name"
headings = ['^KPI (?P<inline>.*)$']
field = "kpi_name"
[[sections]]
key = "quarter"
headings = ['^Q(?P<index>\\d) (?P<inline>.*)$']
field = "narrative"
collection = "quarters"
key_field = "quarter"
""",
        encoding="utf-8",
    )
    result = parse_text("KPI ทดสอบ\nQ1 ครบ\nQ7 เกิน\n", grammars=load_grammars(grammar_dir))
    assert result.records == []
    (error,) = result.errors
    assert (error.record_type, error.line_start, error.line_end) == ("error", 1, 3)
    assert [(e.field, e.lines) for e in error.errors] == [("quarters.1.quarter", [3])]
    assert "less than or equal to 4" in error.errors[0].message
