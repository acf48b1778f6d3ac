"""Audit rules: for every rule a case that fires and one that does not; the seeds' findings."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any

import pyarrow as pa
import pytest

from kpi_extract import parse_file
from kpi_extract.audit import (
    ALL_RULES,
    DATASET_SCOPE,
    RULES,
    audit_conflicts,
    audit_tables,
    audit_view,
)
from kpi_extract.audit import buckets as buckets_module
from kpi_extract.audit import conflicts as conflicts_module
from kpi_extract.audit import dataset as dataset_module
from kpi_extract.audit.conflicts import (
    _shared_codes,
    conflict_candidates,
    conflicts_by_year,
    dataset_finding_ids,
)
from kpi_extract.audit.dataset import AUDITED_COLUMNS, _quoted_provenance, recompute
from kpi_extract.audit.refresh import refresh_conflicts
from kpi_extract.audit.views import View
from kpi_extract.batch import convert
from kpi_extract.cli import main
from kpi_extract.rows import record_rows
from kpi_extract.schema import TABLES
from kpi_extract.store import Store, read_table
from tests.conftest import SAMPLES, seed_path, store_stale_finding

D = Decimal


def kpi(**values: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "record_id": "r1",
        "doc_id": "d1",
        "source": "x.txt",
        "layout": "kpi_detail",
        "fiscal_year_be": 2564,
        "agency_code": "5001",
        "kpi_code": "5001-0001",
        "kpi_name": "ร้อยละของถนนที่ซ่อมแล้ว",
        "target_value": D("80"),
        "target_unit": "ร้อยละ",
        "target_comparator": None,
        "target_direction": None,
        "achieved_value": D("85"),
        "achieved_unit": "ร้อยละ",
        "assessment_quarter": None,
        "assessment_score": None,
        "quarter_table_unit": "ร้อยละ",
        "provenance": [("target", [7]), ("achieved", [9]), ("assessment.score", [18])],
    }
    row.update(values)
    return row


def quarter(
    n: int,
    result: str | None,
    score: str | None,
    pair: tuple[str, str] | None = None,
    narrative: str | None = None,
) -> dict[str, Any]:
    a, b = pair or (None, None)
    return {
        "quarter": n,
        "result": None if result is None else D(result),
        "score": None if score is None else D(score),
        "score_2_1": None if a is None else D(a),
        "score_2_2": None if b is None else D(b),
        "narrative": narrative,
        "lines": [20 + n],
    }


def project(**values: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "record_id": "p1",
        "doc_id": "d2",
        "source": "p.txt",
        "layout": "project_progress",
        "fiscal_year_be": 2564,
        "agency_code": "50010000",
        "project_code": "50010000-0001",
        "start_date": dt.date(2020, 10, 1),
        "end_date": dt.date(2021, 9, 30),
        "budget_received": D("1000.00"),
        "budget_used": D("600.00"),
        "provenance": [("budget_received", [19]), ("budget_used", [23])],
    }
    row.update(values)
    return row


def report(
    no: int,
    day: dt.date | None,
    pct: str | None,
    spent: str | None = "0",
    plan: str | None = "เป็นไปตามแผน",
) -> dict[str, Any]:
    return {
        "no": no,
        "position": no - 1,
        "date": day,
        "progress_pct": None if pct is None else D(pct),
        "budget_spent": None if spent is None else D(spent),
        "plan_status": plan,
        "lines": [60 + 2 * no],
    }


def mention(text: str, era: str, line: int = 30, kind: str = "date") -> dict[str, Any]:
    return {"kind": kind, "text": text, "era": era, "line": line, "date": dt.date(2021, 1, 1)}


def findings(rule_id: str, view: View) -> list[dict[str, Any]]:
    (rule,) = [r for r in RULES if r.id == rule_id]
    return audit_view(view, [rule])


Q_OK = [quarter(1, "20", "1", ("100", "100")), quarter(2, "45", "2.5", ("100", "100"))]

CASES: list[tuple[str, View, View, str]] = [
    (
        "target_not_met",
        View(kpi(achieved_value=D("70"))),
        View(kpi()),
        "achieved 70 ร้อยละ does not meet the target 80 ร้อยละ (higher is better)",
    ),
    (
        "headline_vs_table",
        View(kpi(achieved_value=D("50")), Q_OK),
        View(kpi(achieved_value=D("45")), Q_OK),
        "achieved 50 ร้อยละ is not what the quarterly table shows (20, 45)",
    ),
    (
        "full_score_below_target",
        View(kpi(quarter_table_unit="ร้อยละ"), [quarter(1, "40", "5"), quarter(2, "60", "5")]),
        View(kpi(), [quarter(1, "40", "2"), quarter(2, "85", "5")]),
        "quarter 2 scores 5 (full) but its result 60 is below the target 80",
    ),
    (
        "zero_score_target_met",
        View(kpi(), [quarter(1, "85", "0", ("0", "0"))]),
        View(kpi(), [quarter(1, "70", "0", ("0", "0"))]),
        "quarter 1 scores 0 while its result 85 meets the target 80",
    ),
    (
        "score_pair_contradicts",
        View(
            kpi(), [quarter(1, "70", "0", ("100", "100")), quarter(2, "75", "100", ("100", "100"))]
        ),
        View(kpi(), [quarter(1, "70", "100", ("100", "100"))]),
        "quarter 1: criteria 2.1 / 2.2 = 100 / 100 but the score is 0",
    ),
    (
        "assessment_vs_table",
        View(kpi(assessment_quarter=2, assessment_score=D("5")), Q_OK),
        View(kpi(assessment_quarter=2, assessment_score=D("2.5000")), Q_OK),
        "the assessment gives quarter 2 a score of 5, the table 2.5",
    ),
    (
        "unit_mismatch",
        View(kpi(achieved_unit="แห่ง")),
        View(kpi(target_unit="%")),
        "units disagree: target ร้อยละ, achieved แห่ง, table ร้อยละ",
    ),
    (
        "value_out_of_range",
        View(kpi(achieved_value=D("120"))),
        View(kpi(target_direction="decrease", target_value=D("150"), achieved_value=D("120"))),
        "achieved 120 % is outside 0..100",
    ),
    (
        "narrative_contradicts_result",
        View(kpi(), [quarter(4, "85", "5", narrative="งดจัดกิจกรรม เนื่องจากน้ำท่วม")]),
        View(kpi(), [quarter(4, "60", "0", narrative="งดจัดกิจกรรม เนื่องจากน้ำท่วม")]),
        "quarter 4 is reported as 'งดจัด' but its result or score is full",
    ),
    (
        "progress_backwards",
        View(
            project(),
            [report(1, dt.date(2020, 11, 1), "30"), report(2, dt.date(2020, 12, 1), "20")],
        ),
        View(
            project(),
            [report(1, dt.date(2020, 11, 1), "20"), report(2, dt.date(2020, 12, 1), "20")],
        ),
        "progress falls from 30 % (report 1) to 20 % (report 2)",
    ),
    (
        "report_dates_out_of_order",
        View(
            project(),
            [report(1, dt.date(2020, 12, 1), "10"), report(2, dt.date(2020, 11, 1), "20")],
        ),
        View(
            project(),
            [report(1, dt.date(2020, 11, 1), "10"), report(2, dt.date(2020, 11, 1), "20")],
        ),
        "report 2 (2020-11-01) is dated before report 1 (2020-12-01)",
    ),
    (
        "report_date_outside_window",
        View(project(), [report(1, dt.date(2021, 10, 5), "10")]),
        View(project(), [report(1, dt.date(2021, 9, 30), "10")]),
        "report 1 is dated 2021-10-05, outside the fiscal year 2020-10-01 .. 2021-09-30",
    ),
    (
        "complete_but_behind_plan",
        View(project(), [report(1, dt.date(2021, 9, 1), "100", plan="ล่าช้ากว่าแผน")]),
        View(project(), [report(1, dt.date(2021, 9, 1), "90", plan="ล่าช้ากว่าแผน")]),
        "report 1 is at 100 % but says 'ล่าช้ากว่าแผน'",
    ),
    (
        "budget_overspent",
        View(project(budget_used=D("1200.00")), [report(1, None, "10", "1200")]),
        View(project(budget_used=D("1000.00")), [report(1, None, "10", "1000")]),
        "spent 1,200.00 baht of a budget of 1,000.00 baht",
    ),
    (
        "budget_used_differs",
        View(project(), [report(1, None, "10", "400"), report(2, None, "20", "100")]),
        View(project(), [report(1, None, "10", "400"), report(2, None, "20", "200")]),
        "budget used 600.00 baht, reports add up to 500.00 baht",
    ),
    (
        "progress_out_of_range",
        View(project(), [report(1, None, "120")]),
        View(project(), [report(1, None, "100")]),
        "report 1 progress 120 % is outside 0..100",
    ),
    (
        "era_suspect",
        View(kpi(), mentions=[mention("26/10/2020", "CE")]),
        View(
            kpi(), mentions=[mention("26/10/2563", "BE"), mention("ค.ศ. 2020", "CE", kind="year")]
        ),
        "'26/10/2020' (line 30): a Gregorian year where the report uses Buddhist-era years",
    ),
]


def test_every_rule_has_a_case() -> None:
    assert sorted(case[0] for case in CASES) == sorted(rule.id for rule in RULES)
    assert len({rule.id for rule in ALL_RULES}) == len(ALL_RULES)
    for rule in ALL_RULES:
        assert rule.title_th and rule.title_en and rule.layouts
        assert rule.severity in ("high", "medium", "low")


@pytest.mark.parametrize(("rule_id", "fires", "quiet", "message"), CASES, ids=[c[0] for c in CASES])
def test_rule_fires_and_stays_quiet(rule_id: str, fires: View, quiet: View, message: str) -> None:
    found = findings(rule_id, fires)
    assert [f["message"] for f in found] == [message]
    assert found[0]["lines"], "a finding names the lines it rests on"
    assert found[0]["record_id"] == fires.record["record_id"]
    assert findings(rule_id, quiet) == []


def test_the_dataset_audit_reads_every_column_of_the_rules_cases() -> None:
    # The cases hold only what their rule reads (the rows as the tables hold them, reduced):
    # a rule reading another column fails its case; the dataset audit must read them all.
    for _, fires, quiet, _ in CASES:
        for view in (fires, quiet):
            table = "projects" if "project_code" in view.record else "kpis"
            assert set(view.record) <= set(AUDITED_COLUMNS[table] or [])
    for name, columns in AUDITED_COLUMNS.items():
        assert set(columns or []) <= set(TABLES[name].schema.names)


def test_auditing_the_columns_rules_read_finds_what_auditing_every_column_finds(
    audited: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Store(audited)
    reduced = recompute(store)
    monkeypatch.setattr(dataset_module, "AUDITED_COLUMNS", dict.fromkeys(AUDITED_COLUMNS))
    assert recompute(store) == reduced
    assert len(reduced) == 10


def test_a_reduction_kpi_measured_as_the_reduction_is_met_when_higher() -> None:
    reduction = kpi(
        kpi_name="ร้อยละที่ลดลงของปริมาณขยะ", target_direction="decrease", target_value=D("5")
    )
    assert findings("target_not_met", View({**reduction, "achieved_value": D("6.2")})) == []
    # A KPI that measures the quantity itself, with a reduction target: lower is better.
    count = kpi(
        kpi_name="จำนวนอุบัติเหตุ",
        target_direction="decrease",
        target_value=D("10"),
        target_unit="ครั้ง",
        achieved_unit="ครั้ง",
    )
    assert findings("target_not_met", View({**count, "achieved_value": D("8")})) == []
    assert [
        f["message"] for f in findings("target_not_met", View({**count, "achieved_value": D("12")}))
    ] == ["achieved 12 ครั้ง does not meet the target 10 ครั้ง (lower is better)"]


def test_conflicting_reports_of_one_kpi_in_two_files() -> None:
    first = kpi()
    second = kpi(record_id="r2", doc_id="d9", source="y.txt", achieved_value=D("60"))
    found = audit_conflicts([first, second])
    assert [(f["rule_id"], f["record_id"], f["scope"]) for f in found] == [
        ("kpi_conflict", "r1", "dataset"),
        ("kpi_conflict", "r2", "dataset"),
    ]
    assert found[0]["message"] == (
        "KPI 5001-0001 of fiscal year 2564 is reported with different values: "
        "x.txt: target 80, achieved 85; y.txt: target 80, achieved 60"
    )
    same = kpi(record_id="r3", doc_id="d8", source="z.txt")
    assert audit_conflicts([first, same]) == []
    assert (
        audit_conflicts([first, kpi(record_id="r4", fiscal_year_be=2565, achieved_value=D("1"))])
        == []
    )


def _seed_findings(prefix: str) -> list[tuple[str, int | None]]:
    path = seed_path(prefix)
    result = parse_file(path)
    rows = record_rows(result.records, result.doc_id, str(path))
    return [(f["rule_id"], f["quarter"]) for f in audit_tables(rows.tables)]


def test_seed_001_scores_contradict_results_and_the_cancelled_fourth_quarter() -> None:
    assert _seed_findings("001") == [
        ("zero_score_target_met", 2),
        ("zero_score_target_met", 3),
        ("zero_score_target_met", 4),
        ("score_pair_contradicts", 4),
        ("narrative_contradicts_result", 4),
    ]


def test_seed_003_achieved_3_against_a_target_of_5() -> None:
    assert _seed_findings("003") == [("target_not_met", None)]


def test_seed_002_misses_its_target_and_nothing_else() -> None:
    assert _seed_findings("002") == [("target_not_met", None)]


@pytest.mark.parametrize("prefix", ["000", "004"])
def test_consistent_seeds_have_no_findings(prefix: str) -> None:
    assert _seed_findings(prefix) == []


def test_convert_writes_the_findings(audited: Path) -> None:
    rows = read_table(audited, "audit_findings").to_pylist()
    found = sorted((Path(r["source"]).name, r["rule_id"], r["quarter"]) for r in rows)
    assert found == [
        ("a05_empty_quarter_cancelled.txt", "target_not_met", None),
        # 80 achieved while its table still says 88.20 in quarter 2:
        ("b02_again.txt", "headline_vs_table", None),
        ("b02_again.txt", "kpi_conflict", None),
        ("b02_again.txt", "narrative_contradicts_result", 4),
        ("b02_again.txt", "target_not_met", None),
        ("b02_again.txt", "zero_score_target_met", 2),
        ("b02_two_pages.txt", "kpi_conflict", None),
        ("b02_two_pages.txt", "narrative_contradicts_result", 4),
        ("b02_two_pages.txt", "zero_score_target_met", 2),
        ("c04_truncated.txt", "budget_used_differs", None),
    ]
    (overspend,) = [r for r in rows if r["rule_id"] == "budget_used_differs"]
    assert dict(overspend["values"]) == {"budget_used": "126400", "reports_spent": "58200"}
    assert overspend["severity"] == "low" and overspend["project_code"]


def test_audit_command_prints_a_ranked_summary_and_writes_html(
    audited: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    generation = Store(audited).manifest()["generation"]
    report = tmp_path / "audit.html"
    assert main(["audit", str(audited), "--html", str(report), "--top", "3"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0] == "Audit: 10 findings in 6 records"
    assert lines[1] == "By rule:"
    assert lines[2].split()[:3] == ["high", "kpi_conflict", "2"]
    assert lines[3].split()[:3] == ["high", "narrative_contradicts_result", "2"]
    assert lines[2].endswith("reported with different values in different files")
    assert "    quarter 4 is reported as 'งดจัด' but its result or score is full" in lines
    assert "(audit_findings unchanged)" in lines  # convert had stored the same findings
    assert Store(audited).manifest()["generation"] == generation
    page = report.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and page.count("<svg") == 3
    assert "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in page and "<script" not in page
    assert page.count("class='finding ") == 10
    assert "งดจัดกิจกรรม" in page  # the source lines are quoted


def _conflicting_inputs(tmp_path: Path) -> Path:
    """``first.txt`` and ``again.txt``: one KPI page, its achieved value 88.20 then 80."""
    page = (SAMPLES / "kpi_detail" / "b02_two_pages.txt").read_text(encoding="utf-8")
    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "first.txt").write_text(page, encoding="utf-8")
    (inputs / "again.txt").write_text(page.replace(":88.2000", ":80.0000"), encoding="utf-8")
    return inputs


def test_conflict_candidates_share_code_and_fiscal_year_not_the_code_alone(
    tmp_path: Path,
) -> None:
    inputs = _conflicting_inputs(tmp_path)
    page = (inputs / "first.txt").read_text(encoding="utf-8")
    later = tmp_path / "later.txt"  # the same KPI code, alone in another fiscal year
    later.write_text(page.replace(":88.2000", ":70.0000"), encoding="utf-8")
    out = tmp_path / "out"
    convert([inputs], out, jobs=0)
    convert([later], out, jobs=0, fiscal_year=2570)
    kpis = read_table(out, "kpis", ["kpi_code", "fiscal_year_be", "source"]).to_pylist()
    year = {k["kpi_code"]: k["fiscal_year_be"] for k in kpis if k["source"].endswith("first.txt")}
    assert len(year) == 2  # the sample has two KPI pages, of fiscal years 2565 and 2566
    assert sorted((k["kpi_code"], k["fiscal_year_be"]) for k in kpis) == sorted(
        (code, y) for code in year for y in (year[code], year[code], 2570)
    )
    candidates = conflict_candidates(Store(out))
    found = sorted((c["kpi_code"], Path(c["source"]).name, c["fiscal_year_be"]) for c in candidates)
    assert found == [
        (code, name, year[code]) for code in sorted(year) for name in ("again.txt", "first.txt")
    ]


def test_shared_codes_count_documents_not_rows() -> None:
    def batch(codes: list[str | None], docs: list[str]) -> pa.RecordBatch:
        return pa.record_batch(
            [pa.array(codes, pa.string()), pa.array(docs)], ["kpi_code", "doc_id"]
        )

    table = pa.Table.from_batches(
        [
            batch(["A", "B", None], ["d1", "d1", "d1"]),
            batch(["A", "B", None, "C"], ["d1", "d2", "d2", "d3"]),
        ]
    )
    assert _shared_codes(table).to_pylist() == ["B"]  # A: twice in one document


@pytest.mark.parametrize(
    ("module", "setting"),
    [
        (dataset_module, "_RECORDS_AT_A_TIME"),  # a record at a time
        (buckets_module, "BYTES_AT_A_TIME"),  # each year split in 256 buckets of records
    ],
)
def test_auditing_in_smaller_pieces_finds_what_auditing_a_year_at_once_finds(
    audited: Path, monkeypatch: pytest.MonkeyPatch, module: ModuleType, setting: str
) -> None:
    store = Store(audited)
    whole = recompute(store)
    monkeypatch.setattr(module, setting, 1)
    pieces = recompute(store)

    def by_id(finding: dict[str, Any]) -> str:
        return str(finding["finding_id"])

    assert sorted(pieces, key=by_id) == sorted(whole, key=by_id)
    stored = read_table(audited, "audit_findings").to_pylist()
    assert sorted(f["finding_id"] for f in whole) == sorted(f["finding_id"] for f in stored)
    assert len(whole) == 10


def _conflicting(tmp_path: Path, fiscal_year: int | None = None) -> Path:
    """A dataset where one KPI page is reported twice with two achieved values."""
    out = tmp_path / "out"
    convert([_conflicting_inputs(tmp_path)], out, jobs=0, fiscal_year=fiscal_year)
    return out


def test_conflicts_come_one_fiscal_year_at_a_time(tmp_path: Path) -> None:
    store = Store(_conflicting(tmp_path))
    by_year = list(conflicts_by_year(store))
    # The page holds two KPIs, of 2565 and 2566; only the one whose value differs conflicts.
    assert [year for year, _ in by_year] == [2565, 2566]
    conflicts = {year: sorted(Path(f["source"]).name for f in found) for year, found in by_year}
    assert sorted(conflicts.values()) == [[], ["again.txt", "first.txt"]]
    for year, found in by_year:
        assert {f["fiscal_year_be"] for f in found} <= {year}
        assert {f["rule_id"] for f in found} <= {"kpi_conflict"}
    # The same findings as every year's candidates audited at once (what `audit` does).
    every = audit_conflicts(conflict_candidates(store))
    assert sorted(f["finding_id"] for _, found in by_year for f in found) == sorted(
        f["finding_id"] for f in every
    )


def test_refreshing_unchanged_conflicts_makes_no_generation(tmp_path: Path) -> None:
    store = Store(_conflicting(tmp_path))
    generation = store.manifest()["generation"]
    with store.locked():
        assert refresh_conflicts(store) == generation
    assert store.manifest()["generation"] == generation
    assert not (store.state / "staging").exists() or not any((store.state / "staging").iterdir())


def test_stored_conflicts_of_a_year_without_kpis_are_removed(tmp_path: Path) -> None:
    store = Store(_conflicting(tmp_path))
    # No KPI row of 2550 in the dataset.
    generation = store_stale_finding(store, DATASET_SCOPE, "kpi_conflict", 2550)
    with store.locked():
        assert "stale" in dataset_finding_ids(store.parts_by_year("audit_findings")[2550])
        assert refresh_conflicts(store) == generation + 1
    ids = read_table(store.root, "audit_findings", ["finding_id"]).column("finding_id")
    assert "stale" not in ids.to_pylist()
    conflicts = read_table(store.root, "audit_findings", ["rule_id"]).column("rule_id")
    assert conflicts.to_pylist().count("kpi_conflict") == 2  # the real ones, kept


def test_conflicts_quote_the_same_lines_from_the_reduced_provenance(tmp_path: Path) -> None:
    store = Store(_conflicting(tmp_path))
    full = read_table(store.root, "kpis").to_pylist()  # every column, the whole provenance
    shared = {(r["kpi_code"], r["fiscal_year_be"]) for r in conflict_candidates(store)}
    rows = [r for r in full if (r["kpi_code"], r["fiscal_year_be"]) in shared]
    assert len(rows) == 4 and all(len(r["provenance"]) > 2 for r in rows)
    findings = audit_conflicts(conflict_candidates(store))
    assert findings == audit_conflicts(rows)
    assert all(f["lines"] for f in findings if f["rule_id"] == "kpi_conflict")


def test_a_year_s_conflicts_come_a_slice_of_codes_at_a_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Store(_conflicting(tmp_path, fiscal_year=2570))  # both KPIs of the page in one year
    whole = list(conflicts_by_year(store))
    monkeypatch.setattr(conflicts_module, "CODES_AT_A_TIME", 1)
    sliced = list(conflicts_by_year(store))
    assert [year for year, _ in whole] == [2570]
    assert [year for year, _ in sliced] == [2570, 2570]  # two codes, one at a time
    assert sorted(f["finding_id"] for _, found in sliced for f in found) == sorted(
        f["finding_id"] for _, found in whole for f in found
    )
    generation = store.manifest()["generation"]
    with store.locked():
        assert refresh_conflicts(store) == generation  # the slices of a year compared as one


def test_the_dataset_audit_finds_what_the_conversion_stored_row_for_row(audited: Path) -> None:
    # The workers audit whole rows; the dataset audit reads fewer columns and provenance.
    def by_id(finding: dict[str, Any]) -> str:
        return str(finding["finding_id"])

    stored = sorted(read_table(audited, "audit_findings").to_pylist(), key=by_id)
    assert sorted(recompute(Store(audited)), key=by_id) == stored
    assert [len(f["lines"]) for f in stored if f["rule_id"] == "budget_used_differs"] == [9]


def test_the_provenance_the_audit_reads_is_what_findings_quote() -> None:
    kind = pa.map_(pa.string(), pa.list_(pa.int32()))
    full = [
        [("target", [7]), ("kpi_name", [3]), ("achieved", [9, 10])],
        None,
        [],
        [("definition", [20])],
        [("budget_used", [5]), ("assessment.score", [18])],
    ]
    column = pa.chunked_array([pa.array(full[:2], kind), pa.array(full[2:], kind).slice(1)])
    quoted = _quoted_provenance(column)
    assert quoted.to_pylist() == [
        [("target", [7]), ("achieved", [9, 10])],
        [],  # null: no lines, as the rules read it
        [],
        [("budget_used", [5]), ("assessment.score", [18])],
    ]
    with pytest.raises(ValueError, match="'definition' is not one of the fields findings quote"):
        View(kpi()).lines("target", "definition")
