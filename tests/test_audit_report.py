"""The audit's reports at archive scale: counts of every finding, the worst quoted, bounded.

The ``audited`` dataset (conftest) has 10 findings in 6 records; its KPIs, checked against
the samples: a05 target 10 (reduction), achieved 7.50; b02 page 1 target 100, achieved 100
(twice); b02 page 2 target 85, achieved 88.20 and, in ``b02_again.txt``, 80.
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest

from kpi_extract.audit import report as report_module
from kpi_extract.audit.dataset import audit_dataset, recompute
from kpi_extract.audit.report import KpiShares, Quoter, html_report, summary_text
from kpi_extract.audit.summary import AuditSummary, rank
from kpi_extract.cli import EXIT_OUTPUT, EXIT_USAGE, main
from kpi_extract.store import Store, read_table
from tests.conftest import store_stale_finding


def test_a_summary_counts_every_finding_and_keeps_the_worst(audited: Path) -> None:
    findings = recompute(Store(audited))
    summary = AuditSummary.of(findings, keep=3)
    assert (summary.findings, summary.records) == (10, 6)
    assert summary.per_rule == Counter(
        narrative_contradicts_result=2,
        kpi_conflict=2,
        zero_score_target_met=2,
        headline_vs_table=1,
        target_not_met=2,
        budget_used_differs=1,
    )
    assert summary.agencies() == [("1700", 6), ("5038", 2), ("(no code)", 1), ("50050000", 1)]
    assert summary.high_per_agency == Counter({"1700": 4, "5038": 2})
    worst = [(f["rule_id"], Path(f["source"]).name, f["lines"][0]) for f in summary.worst]
    assert worst == [
        ("narrative_contradicts_result", "b02_again.txt", 40),
        ("kpi_conflict", "b02_again.txt", 90),
        ("zero_score_target_met", "b02_again.txt", 115),
    ]
    assert summary.worst == rank(findings)[:3]


def test_a_summary_fed_a_finding_at_a_time_is_the_summary_of_all(audited: Path) -> None:
    findings = recompute(Store(audited))
    whole = AuditSummary.of(findings, keep=4)
    one_by_one = AuditSummary(keep=4)
    for finding in findings:
        one_by_one.add([finding])
    assert one_by_one == whole
    # The worst do not depend on the order findings come in.
    assert AuditSummary.of(reversed(findings), keep=4).worst == whole.worst


def test_auditing_a_dataset_stores_what_it_summarises(audited: Path, tmp_path: Path) -> None:
    store = Store(audited)
    summary = AuditSummary(keep=10)
    assert audit_dataset(store, summary) is False  # convert stored the same findings
    # A finding of a year without records.
    generation = store_stale_finding(store, "some-document", "target_not_met", 2550)
    again = AuditSummary(keep=10)
    assert audit_dataset(store, again) is True
    assert store.manifest()["generation"] == generation + 1
    stored = read_table(audited, "audit_findings", ["finding_id"]).column(0).to_pylist()
    assert sorted(map(str, stored)) == sorted(f["finding_id"] for f in summary.worst)
    assert again == summary
    assert list(store.parts_by_year("audit_findings")) == [2565, 2566, 2567]


def test_the_terminal_summary_quotes_the_worst_from_the_source_lines(audited: Path) -> None:
    store = Store(audited)
    summary = AuditSummary.of(recompute(store), keep=2)
    text = summary_text(summary, Quoter.for_findings(store, summary.worst), top=2)
    lines = text.splitlines()
    assert lines[0] == "Audit: 10 findings in 6 records"
    assert lines[lines.index("By agency:") + 1].split() == ["1700", "6", "(high", "4)"]
    assert lines[lines.index("Most serious findings (top 2):") + 1].split()[:2] == [
        "[high]",
        "narrative_contradicts_result",
    ]
    quoted = [line for line in lines if line.startswith("       ")]
    assert quoted and all(" | " in line for line in quoted)
    assert "งดจัดกิจกรรม" in text  # b02's cancelled fourth quarter, quoted from sections


def test_kpi_shares_draw_a_bar_per_kpi_then_a_histogram(
    audited: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shares = KpiShares.read(Store(audited))
    assert shares.kpis == 5
    assert sorted(bar[2] for bar in shares.bars) == [75.0, 94.1, 100.0, 100.0, 103.8]
    heading, svg = shares.chart()
    assert heading.startswith("Target vs achieved per KPI")
    assert svg.count("<rect") == 5 and "103.8 %" in svg
    monkeypatch.setattr(report_module, "KPI_BARS", 4)
    heading, svg = shares.chart()
    assert heading.startswith("Target vs achieved: the 5 KPIs with both values, per band")
    assert shares.bands == Counter({"50 to 80 %": 1, "80 to 100 %": 1, "100 to 120 %": 3})
    assert svg.count("<rect") == 6  # every band, empty ones included
    assert ">100 to 120 %</text>" in svg


def test_kpi_shares_skip_kpis_without_both_values_and_stop_drawing_bars(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(report_module, "KPI_BARS", 2)
    shares = KpiShares()

    def kpi(target: str | None, achieved: str | None) -> dict[str, object]:
        return {
            "kpi_code": "K",
            "kpi_name": None,
            "target_value": None if target is None else Decimal(target),
            "achieved_value": None if achieved is None else Decimal(achieved),
            "target_met": None,
        }

    shares.add([kpi("0", "5"), kpi(None, "5"), kpi("10", None)])
    shares.add([kpi("10", "4.99"), kpi("10", "15"), kpi("10", "30"), kpi("4", "6")])
    shares.add([kpi("10", "-2"), kpi("-5", "3")])  # a fall, a negative target: -20 %, -60 %
    assert shares.kpis == 9
    assert len(shares.bars) == 3  # one past KPI_BARS: enough to know there are too many
    assert shares.bands == Counter({"under 50 %": 3, "150 % and over": 3})


def test_the_html_report_quotes_at_most_its_limit(audited: Path, tmp_path: Path) -> None:
    page_path = tmp_path / "audit.html"
    argv = ["audit", str(audited), "--html", str(page_path), "--html-limit", "4", "--top", "1"]
    assert main(argv) == 0
    page = page_path.read_text(encoding="utf-8")
    assert page.count("class='finding ") == 4
    assert "The 4 most serious of 10 findings;" in page
    assert "10 findings in 6 records; 5 KPIs." in page
    store = Store(audited)
    summary = AuditSummary.of(recompute(store), keep=10)
    whole = html_report(summary, KpiShares.read(store), Quoter.for_findings(store, []), "t")
    assert whole.count("class='finding ") == 10 and "most serious of" not in whole


def test_an_html_report_that_cannot_be_written_is_an_error_not_a_traceback(
    audited: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # No such folder: refused before the audit runs.
    assert main(["audit", str(audited), "--html", str(tmp_path / "no" / "a.html")]) == EXIT_USAGE
    assert f"no folder {tmp_path / 'no'} for the HTML report" in capsys.readouterr().err
    # A folder where the file should be: the audit runs, the report fails.
    assert main(["audit", str(audited), "--html", str(tmp_path)]) == EXIT_OUTPUT
    captured = capsys.readouterr()
    assert "cannot write the HTML report: [Errno 21] Is a directory" in captured.err
    assert captured.out.startswith("Audit: 10 findings in 6 records")
