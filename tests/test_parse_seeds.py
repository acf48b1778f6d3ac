"""The five real dumps, parsed: every field checked by hand against the text.

These tests read ``../shared/seeds/`` and skip when it is absent (a user's clone).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from kpi_extract import parse_file
from kpi_extract.models import KpiRecord, ProjectRecord, Quantity
from tests.conftest import seed_path
from tests.golden import unaccounted_lines

D = Decimal


def _kpi(prefix: str) -> KpiRecord:
    result = parse_file(seed_path(prefix))
    assert result.errors == []
    (record,) = result.records
    assert isinstance(record, KpiRecord)
    return record


def _project(prefix: str) -> ProjectRecord:
    result = parse_file(seed_path(prefix))
    assert result.errors == []
    (record,) = result.records
    assert isinstance(record, ProjectRecord)
    return record


def _warnings(record: KpiRecord | ProjectRecord) -> list[tuple[str, int | None]]:
    return [(w.code, w.line) for w in record.warnings]


# --- seed 000: layout A, banner after the last section ------------------------------------------


def test_seed_000_kpi_result() -> None:
    r = _kpi("000")
    assert (r.layout, r.line_start, r.line_end) == ("kpi_result", 3, 69)
    assert r.kpi_name == ("ระดับความสำเร็จของการสร้างเครือข่ายประชาสังคมเพื่อร่วมผลักดันการพัฒนาพื้นที่")
    assert (r.kpi_name_prefix, r.kpi_code, r.kpi_type) == (None, None, None)
    # "ผลผลิต (Output) ผลลัพธ์ (Outcome)": the tick was lost, the level is unknown.
    assert r.kpi_level is None
    assert r.target == Quantity(value=D("5"), unit="ระดับ")
    assert r.achieved == Quantity(value=D("5.00"), unit="ระดับ")
    assert [(s.level, s.code, s.title) for s in r.strategy] == [
        (1, "5", "มหานครประชาธิปไตย"),
        (2, "5.2", "เมืองธรรมาภิบาล"),
        (
            3,
            "5.2.1",
            "ประชาชนมีส่วนร่วมในการเสนอแนะนโยบายและตรวจสอบการทำงานของกรุงเทพมหานคร โดยการใช้ระบบง",
        ),
    ]
    assert r.strategy[0].title_en == "Bangkok as a Democratic City"
    assert r.routine_work is False
    # The definition holds the words "วิธีคำนวณ" (line 12), which are not section 4.
    assert r.definition == (
        "เครือข่ายประชาสังคม หมายถึง เครือข่ายประชาสังคมในระดับเขต โดยสมาชิกเครือข่ายประกอบด้วย"
        "ผู้แทนจากกลุ่มประชาสังคมในพื้นที่เขตที่มีบทบาทและสนใจการพัฒนาพื้นที่เขต\n"
        "วิธีคำนวณ นับจำนวนเครือข่ายประชาสังคมเขตที่มี การจัดตั้งในพื้นที่เขต"
    )
    assert r.calculation == (
        "1. กำหนดแนวทางและหลักเกณฑ์การจัดตั้งเครือข่ายประชาสังคมเขต\n"
        "2. รายงานการประชุมที่เกี่ยวข้อง\n"
        "3. ประเด็นที่ได้จากเครือข่ายประชาสังคมในพื้นที่เขต"
    )
    assert [(q.quarter, q.result, q.score) for q in r.quarters] == [
        (1, None, None),
        (2, None, None),
        (3, None, None),
        (4, None, None),
    ]
    assert r.quarters[0].narrative == "อยู่ระหว่างจัดทำแผนการดำเนินการ"
    assert r.quarters[3].narrative == (
        "ดำเนินการแล้วเสร็จมีโครงการที่ได้จากเครือข่ายประชาสังคมและผลักดันไปสู่การปฏิบัติจนเกิดผลสำเร็จเป็นรูปธรรม"
    )
    assert r.summary is not None and r.summary.split("\n") == [
        "ดำเนินการแล้วเสร็จมีโครงการที่ได้จากเครือข่ายประชาสังคมและผลักดันไปสู่การปฏิบัติจนเกิดผลสำเร็จเป็นรูปธรรม",
        "โดยจัดทำโครงการศูนย์เรียนรู้เกษตรกรพอเพียงหล่อเลี้ยงชุมชน โดยใช้พื้นที่ว่างในชุมชนปลูกพืชผักสวนครัว",
        "เพื่อแจกจ่ายให้ประชาชนในชุมชนเพื่อบริโภค",
    ]
    assert r.support_factors == (
        "ผู้บริหาร\nเจ้าหน้าที่ร่วมดำเนินการ\nสมาชิกเครือข่ายประชาสังคม\nชุมชนในพื้นที่เขตบางบอน"
    )
    assert r.obstacles == ("สถานการณ์การแพร่ระบาดของโรคโควิด-19 ทำให้การจัดกิจกรรมต่างไม่เป็นไปตามแผนที่กำหนด")
    assert r.evidence == ["แบบรายงาน", "ภาพถ่ายกิจกรรม"]
    # No date in the text: the fiscal year is unknown, not guessed.
    assert (r.fiscal_year_be, r.fiscal_year_source, r.date_mentions) == (None, None, [])
    assert r.provenance["kpi_name"] == [3]
    assert r.provenance["target"] == [19]
    assert r.provenance["achieved"] == [21]
    assert r.provenance["quarters[2].narrative"] == [29]
    assert r.provenance["strategy[2]"] == [8]
    assert [(n.line, n.kind) for n in r.noise] == [
        (63, "page_header"),
        (65, "footer"),
        (67, "footer"),
        (69, "footer"),
    ]
    assert _warnings(r) == []


# --- seed 001: layout B ------------------------------------------------------------------------


def test_seed_001_kpi_detail() -> None:
    r = _kpi("001")
    assert (r.layout, r.line_start, r.line_end) == ("kpi_detail", 1, 84)
    assert r.kpi_code == "5030-1052"
    assert r.kpi_name == (
        "จำนวนเครือข่ายประชาคมที่เป็นทางการเพื่อให้ประชาชนเข้ามามีส่วนร่วมในการวางแผน ตัดสินใจ"
        " และติดตามตรวจสอบการทำงานของกรุงเทพมหานคร"
    )
    assert r.target == Quantity(value=D("1"), unit="เครือข่าย/สำนักงานเขต")
    assert r.achieved == Quantity(value=D("1"), unit="เครือข่าย/สำนักงานเขต")
    assert (r.kpi_type, r.kpi_level) == ("ตัวชี้วัดเชิงยุทธศาสตร์", "output")
    assert (r.assessment.quarter, r.assessment.score) == (3, D("0"))
    assert r.quarter_table_unit == "เครือข่าย/สำนักงานเขต"
    assert [(q.quarter, q.result, q.score, q.score_2_1, q.score_2_2) for q in r.quarters] == [
        (1, D("1.00"), D("100"), D("100"), D("100")),
        (2, D("1.00"), D("0"), D("0"), D("0")),
        (3, D("1.00"), D("0"), D("0"), D("0")),
        (4, D("1.00"), D("0"), D("100"), D("100")),
    ]
    assert r.quarters[0].narrative == ("จัดการประชุมคณะบริหารสภาเด็กและเยาวชนเขตบางคอแหลม จำนวน 1 ครั้ง")
    assert r.quarters[3].narrative == (
        "งดจัดกิจกรรม เนื่องจากการแพร่ระบาดของโรคติดเชื้อไวรัสโคโรนา 2019 (โควิด-19)"
    )
    assert r.summary is None
    assert r.definition is not None
    assert r.definition.startswith("การมีส่วนร่วมของประชาชน หมายถึง")
    assert r.data_source == (
        "1. เอกสารประกอบการดำเนินการ 2. ระบบการบริหารจัดการแผนพัฒนากรุงเทพมหานคร (BMA digitalplans)"
    )
    assert [(s.level, s.code) for s in r.strategy] == [
        (1, "5"),
        (2, "5.2"),
        (3, "5.2.1"),
        (4, "5.2.1.1"),
    ]
    # Line 79: ทำางาน repaired to ทำงาน; the truncation mark % is dropped from the value
    # and the line is reported as truncated.
    assert r.strategy[2].title == (
        "ประชาชนมีส่วนร่วมในการเสนอนโยบายและตรวจสอบการทำงานของกรุงเทพมหานคร โดยการใช้ระบบง"
    )
    assert r.strategy[3].title == "รับฟังความคิดเห็นของประชาชนผ่าน “สภาประชาชนกรุงเทพมหานคร”"
    assert [(m.kind, m.date, m.end, m.line) for m in r.date_mentions] == [
        ("month", dt.date(2021, 4, 1), dt.date(2021, 4, 30), 51),
        ("month", dt.date(2021, 7, 1), dt.date(2021, 7, 31), 55),
    ]
    assert (r.fiscal_year_be, r.fiscal_year_source) == (2564, "inferred")
    assert r.provenance["kpi_code"] == [5]
    assert r.provenance["quarters[3].score_2_1"] == [43]
    assert r.provenance["quarters[1].narrative"] == [51]
    assert [(n.line, n.kind) for n in r.noise] == [
        (3, "navigation"),
        (14, "stray"),
        (16, "navigation"),
        (84, "navigation"),
    ]
    assert _warnings(r) == [("truncated_field", 79)]


def test_seed_001_given_fiscal_year_wins_over_inferred() -> None:
    result = parse_file(seed_path("001"), fiscal_year=2563)
    record = result.records[0]
    assert (record.fiscal_year_be, record.fiscal_year_source) == (2563, "given")


# --- seed 002: layout B, quarters 2-4 empty -------------------------------------------------------


def test_seed_002_kpi_detail() -> None:
    r = _kpi("002")
    assert (r.kpi_code, r.line_start, r.line_end) == ("2100-1040", 1, 82)
    assert r.kpi_name == "ร้อยละของชุมชนในพื้นที่กรุงเทพมหานครมีการจัดทำแผนพัฒนาชุมชน"
    assert r.target == Quantity(value=D("75.0000"), unit="ร้อยละ")
    assert r.achieved == Quantity(value=D("20.0000"), unit="ร้อยละ")
    assert (r.assessment.quarter, r.assessment.score) == (4, D("0.0000"))
    assert [(q.quarter, q.result, q.score, q.score_2_1, q.score_2_2) for q in r.quarters] == [
        (1, D("20.00"), D("0.0000"), D("0"), D("0")),
        (2, D("0.00"), D("0.0000"), D("0"), D("0")),
        (3, D("0.00"), D("0.0000"), D("0"), D("0")),
        (4, D("0.00"), D("0.0000"), D("0"), D("0")),
    ]
    assert [q.narrative is None for q in r.quarters] == [False, True, True, True]
    dates = [(m.kind, m.date, m.text) for m in r.date_mentions if m.line == 47]
    assert dates == [
        ("date", dt.date(2019, 10, 11), "วันที่ 11 ตุลาคม 2562"),
        ("date", dt.date(2019, 11, 12), "วันที่ 12 พฤศจิกายน 2562"),
        ("date", dt.date(2019, 12, 13), "วันที่ 13 ธันวาคม 2562"),
        ("date", dt.date(2019, 12, 25), "วันที่ 25 ธันวาคม 2562"),
        ("date", dt.date(2020, 1, 20), "วันจันทร์ที่ 20 มกราคม 2563"),
    ]
    assert [(m.kind, m.date, m.end, m.line) for m in r.date_mentions if m.line != 47] == [
        ("year", dt.date(2012, 1, 1), dt.date(2012, 12, 31), 65),
        # "ปีงบประมาณ พ.ศ. 2563-2565": fiscal years, 1 Oct 2562 .. 30 Sep 2565.
        ("range", dt.date(2019, 10, 1), dt.date(2022, 9, 30), 69),
    ]
    # Q1 narrative dates run from October 2562 to January 2563: fiscal year 2563.
    assert (r.fiscal_year_be, r.fiscal_year_source) == (2563, "inferred")
    assert [(s.level, s.code, s.title) for s in r.strategy] == [
        (1, "5", "มหานครประชาธิปไตย"),
        (2, "5.2", "เมืองธรรมาภิบาล"),
        (
            3,
            "5.2.1",
            "ประชาชนมีส่วนร่วมในการเสนอนโยบายและตรวจสอบการทำงานของกรุงเทพมหานคร โดยการใช้ระบบง",
        ),
        (4, "5.2.1.1", "รับฟังความคิดเห็นของประชาชนผ่าน “สภาประชาชนกรุงเทพมหานคร”"),
    ]
    assert r.supporting_projects == []
    assert _warnings(r) == [("truncated_field", 79)]


# --- seed 003: layout A, banner in the middle of section 6.4 ------------------------------------


def test_seed_003_kpi_result() -> None:
    r = _kpi("003")
    assert (r.line_start, r.line_end) == (7, 120)
    assert r.kpi_name_prefix == "อ.2/2"
    assert r.kpi_name == (
        "ระดับความสำเร็จในการนำข้อมูลความต้องการจากเครือข่ายประชาคมเขตเสนอสภากรุงเทพมหานครเพื่อนำไปสู่การแก้ไข"
    )
    assert r.provenance["kpi_name"] == [8]
    assert r.target == Quantity(value=D("5"), unit="ระดับ")
    assert r.achieved == Quantity(value=D("3.00"), unit="ระดับ")
    assert (r.routine_work, r.strategy) == (True, [])
    assert r.definition is not None and r.definition.startswith(
        "เครือข่ายประชาคม หมายถึง ตัวแทนภาคประชาชน ในระดับกลุ่มเขต ทั้ง 6 กลุ่มเขต\n"
    )
    q4 = r.quarters[3].narrative
    assert q4 is not None
    # The page header at line 76 is noise; the narrative goes on at line 78.
    assert "ผลการดำเนินงานส่วนที่ 2" not in q4
    assert "ประธานสภากรุงเทพมหานคร\nตามหนังสือที่ กท 93/2564 ลงวันที่ 4 เมษายน 2564\n2. คัดเลือก" in q4
    assert q4.endswith("ที่เกี่ยวข้องพิจารณาดำเนินการต่อไป")
    assert r.provenance["quarters[3].narrative"][0] == 53
    assert r.provenance["quarters[3].narrative"][-1] == 92
    assert 76 not in r.provenance["quarters[3].narrative"]
    assert r.quarters[2].narrative == ("ชลผลการดำเนินการ เนื่องจากยังคงมีสถานการณ์การแพร่ระบาดของโควิด 19")
    assert r.summary is None  # "(6.5) ... :" followed by "::" only
    assert r.evidence == [
        "แนวทางในการสร้างกระบวนการมีส่วนร่วมฯ",
        "วิดิทัศน์ประชาสัมพันธ์ผลงานของสมาชิกสภากรุงเทพมหานคร",
        "แบบสอบถาม",
        "สรุปผลจากแบบสอบถาม",
    ]
    day_dates = [m.date for m in r.date_mentions if m.kind == "date"]
    assert day_dates == [
        dt.date(2021, 5, 20),
        dt.date(2021, 3, 9),
        dt.date(2021, 5, 20),
        dt.date(2021, 2, 24),
        dt.date(2021, 4, 30),
        dt.date(2021, 4, 4),
        dt.date(2021, 9, 14),
    ]
    assert (r.fiscal_year_be, r.fiscal_year_source) == (2564, "inferred")
    assert _warnings(r) == [("lost_character", 55), ("lost_character", 61)]


# --- seed 004: layout C, the table that turns into plain lines ---------------------------------


def test_seed_004_project_progress() -> None:
    r = _project("004")
    assert (r.layout, r.line_start, r.line_end) == ("project_progress", 7, 164)
    assert r.project_code == "21000000-3215"
    assert r.project_name == "กิจกรรมการก่อสร้างเครือข่ายประชาสังคมเพื่อร่วมผลักดันการพัฒนาเมือง"
    assert (r.fiscal_year_be, r.fiscal_year_source) == (2564, "stated")
    assert (r.start_date, r.end_date) == (dt.date(2020, 10, 1), dt.date(2021, 9, 30))
    assert (r.budget_received, r.budget_used) == (D("0"), D("0"))
    assert r.agency_path == [
        "สำนักยุทธศาสตร์และประเมินผล",
        "กองยุทธศาสตร์บริหารจัดการ",
        "กลุ่มงานยุทธศาสตร์บริหารจัดการ",
    ]
    assert (r.responsible_person, r.responsible_phone) == ("ณัฐสุตา รัชตวโรทัย", "1544")
    assert (r.coordinator, r.coordinator_phone) == ("พรทิพย์ ทุมพันธ์", "1543")
    assert r.rationale is not None and r.rationale.startswith("การสนับสนุนให้เกิดการพัฒนาเชิงพื้นที่")
    assert r.objectives == [
        "เพื่อต่อยอดการพัฒนาเชิงพื้นที่ที่เกิดจากการรับฟังความคิดเห็นจากประชาชนในปีงบประมาณ พ.ศ. 2563",
        "เพื่อให้สามารถขับเคลื่อนยุทธศาสตร์เชิงพื้นที่ได้อย่างเป็นรูปธรรม",
    ]
    assert r.project_target == (
        "แผนงาน/โครงการที่ได้จากเครือข่ายประชาสังคม และผลักดันไปสู่การปฏิบัติจนเกิดผลสำเร็จเป็นรูปธรรม"
    )
    assert [(s.level, s.code) for s in r.strategy] == [(1, "5"), (2, "5.5"), (3, "5.5.1")]
    assert r.linked_kpi == (
        "มิติที่ 2 ระดับความสำเร็จของการสร้างเครือข่ายประชาสังคมเพื่อร่วมผลักดันการพัฒนาเมือง (ตัวชี้วัดบูรณาการ)"
    )
    reports = r.progress_reports
    assert [p.no for p in reports] == list(range(1, 13))
    assert [p.date for p in reports] == [
        dt.date(2020, 10, 26),
        dt.date(2020, 11, 23),
        dt.date(2020, 12, 29),
        dt.date(2021, 2, 1),
        dt.date(2021, 2, 25),
        dt.date(2021, 3, 26),
        dt.date(2021, 4, 23),
        dt.date(2021, 6, 1),
        dt.date(2021, 6, 28),
        dt.date(2021, 7, 22),
        dt.date(2021, 8, 26),
        dt.date(2021, 9, 14),
    ]
    percents = ["10.00", "10.00", "10.00", "15.00", "30.00", "50.00", "52.00", "60.00"]
    percents += ["70.00", "75.00", "90.00", "100.00"]
    assert [p.progress_pct for p in reports] == [D(v) for v in percents]
    assert {p.budget_spent for p in reports} == {D("0")}
    assert [(p.plan_status, p.target_status) for p in reports[1:4]] == [
        ("เป็นไปตามแผน", "เป็นไปตามเป้าหมาย"),
        ("เป็นไปตามแผนแต่ควรติดตามเป็นปกติตามเป้าหมาย", None),
        ("เป็นไปตามแผน", "เป็นไปตามเป้าหมาย"),
    ]
    assert [(p.plan_status, p.target_status) for p in reports[8:11]] == [
        ("เป็นไปตามแผน", "เป็นไปตามเป้าหมาย"),
        ("เป็นไปตามแผน", "แต่ควรติดตามเป็นไปตามเป้าหมาย"),
        ("เป็นไปตามแผน", "แต่ควรติดตามเป็นไปตามเป้าหมาย"),
    ]
    # Report 9 starts before the page break, its date and text come after the banner.
    nine = reports[8]
    assert nine.text is not None and nine.text.startswith("ขณะนี้กองยุทธศาสตร์บริหารจัดการ")
    assert nine.text.split("\n")[1] == (
        '"ตัวชี้วัดระดับความสำเร็จของการสร้างเครือข่ายประชาสังคมเพื่อร่วมผลักดันการพัฒนาพื้นที่"'
    )
    assert len(nine.text.split("\n")) == 4
    assert r.provenance["progress_reports[8].no"] == [82]
    assert r.provenance["progress_reports[8].date"] == [90]
    # Line 90 ":: 28/06/2564 :" gives the date only; the text starts at line 92.
    assert r.provenance["progress_reports[8].text"] == [92, 94, 96, 98]
    assert r.provenance["progress_reports[8].progress_pct"] == [100]
    assert r.provenance["progress_reports[0].plan_status"] == [62]
    # Lines 130 to 150, every other line: eleven paragraphs.
    assert reports[11].text is not None and reports[11].text.count("\n") == 10
    assert ("page_header", 88) in [(n.kind, n.line) for n in r.noise]
    assert ("table_rule", 60) in [(n.kind, n.line) for n in r.noise]
    assert _warnings(r) == []


@pytest.mark.parametrize("prefix", ["000", "001", "002", "003", "004"])
def test_every_non_blank_seed_line_is_extracted_or_known_noise(prefix: str) -> None:
    assert unaccounted_lines(seed_path(prefix)) == []
