"""Stage 7: audit rules over the records, and the ``audit_findings`` rows they produce.

Record rules run on one record at a time (in the conversion workers, or on an existing
dataset); the dataset rule ``kpi_conflict`` compares records of different files. Every
finding names its rule, severity, record, document, code, the values involved and the lines.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any, Final

from kpi_extract.audit import kpi_rules as k
from kpi_extract.audit import project_rules as p
from kpi_extract.audit.registry import Finding, Rule
from kpi_extract.audit.views import Row, View, build_views

KPI: Final = ("kpi_result", "kpi_detail")
B: Final = ("kpi_detail",)
C: Final = ("project_progress",)
ALL: Final = (*KPI, *C)

#: Every record rule, in report order.
RULES: Final[tuple[Rule, ...]] = (
    Rule(
        "target_not_met",
        "low",
        "ผลงานไม่ถึงค่าเป้าหมาย",
        "achieved value does not meet the target",
        KPI,
        k.target_not_met,
    ),
    Rule(
        "headline_vs_table",
        "medium",
        "ผลงานที่ทำได้ไม่ตรงกับตารางรายไตรมาส",
        "headline achieved value disagrees with the quarterly table",
        B,
        k.headline_vs_table,
    ),
    Rule(
        "full_score_below_target",
        "high",
        "คะแนนเต็มทั้งที่ผลงานต่ำกว่าเป้าหมาย",
        "full score while the result is below target",
        B,
        k.full_score_below_target,
    ),
    Rule(
        "zero_score_target_met",
        "high",
        "คะแนนเป็นศูนย์ทั้งที่ผลงานถึงเป้าหมาย",
        "zero score while the result meets the target",
        B,
        k.zero_score_target_met,
    ),
    Rule(
        "score_pair_contradicts",
        "high",
        "เกณฑ์ 2.1 / 2.2 ขัดกับคะแนน",
        "criteria 2.1 / 2.2 contradict the score",
        B,
        k.score_pair_contradicts,
    ),
    Rule(
        "assessment_vs_table",
        "medium",
        "ผลตรวจประเมินของ สยป. ไม่ตรงกับตาราง",
        "assessment line contradicts the quarterly table",
        B,
        k.assessment_vs_table,
    ),
    Rule(
        "unit_mismatch",
        "medium",
        "หน่วยของเป้าหมาย ผลงาน และตารางไม่ตรงกัน",
        "units of target, achieved and table disagree",
        KPI,
        k.unit_mismatch,
    ),
    Rule(
        "value_out_of_range",
        "medium",
        "ร้อยละเกิน 0-100 หรือระดับเกินมาตรวัด",
        "percentage outside 0..100 or level above the scale",
        KPI,
        k.value_out_of_range,
    ),
    Rule(
        "narrative_contradicts_result",
        "high",
        "รายงานว่างด เลื่อน หรือยังไม่ดำเนินการ แต่ผลงานหรือคะแนนเต็ม",
        "quarter reported cancelled, postponed or not started while its result or score is full",
        KPI,
        k.narrative_contradicts_result,
    ),
    Rule(
        "progress_backwards",
        "high",
        "ความก้าวหน้าลดลงจากรายงานครั้งก่อน",
        "progress goes backwards",
        C,
        p.progress_backwards,
    ),
    Rule(
        "report_dates_out_of_order",
        "medium",
        "วันที่รายงานไม่เรียงลำดับ",
        "report dates out of order",
        C,
        p.report_dates_out_of_order,
    ),
    Rule(
        "report_date_outside_window",
        "medium",
        "วันที่รายงานอยู่นอกปีงบประมาณหรือช่วงโครงการ",
        "report dated outside the fiscal year or the project window",
        C,
        p.report_date_outside_window,
    ),
    Rule(
        "complete_but_behind_plan",
        "high",
        "ความก้าวหน้า 100% แต่สถานะล่าช้ากว่าแผน",
        "100% progress with a behind-plan status",
        C,
        p.complete_but_behind_plan,
    ),
    Rule(
        "budget_overspent",
        "high",
        "ใช้งบประมาณเกินกว่าที่ได้รับ",
        "budget spent beyond the budget received",
        C,
        p.budget_overspent,
    ),
    Rule(
        "budget_used_differs",
        "low",
        "งบประมาณที่ใช้ไปไม่ตรงกับผลรวมที่เบิกใช้",
        "budget used differs from the sum of reported spending",
        C,
        p.budget_used_differs,
    ),
    Rule(
        "progress_out_of_range",
        "medium",
        "ร้อยละความก้าวหน้าเกิน 0-100",
        "progress percentage outside 0..100",
        C,
        p.progress_out_of_range,
    ),
    Rule(
        "era_suspect",
        "medium",
        "ปีที่น่าจะผิดศักราช (พ.ศ./ค.ศ.)",
        "year probably printed in the wrong era",
        ALL,
        p.era_suspect,
    ),
)

#: The rule that compares records of different files (run on the whole dataset).
CONFLICT_RULE: Final = Rule(
    "kpi_conflict",
    "high",
    "ตัวชี้วัดเดียวกันในปีเดียวกันรายงานค่าต่างกันในคนละไฟล์",
    "the same KPI and fiscal year reported with different values in different files",
    KPI,
    lambda view: iter(()),
)
ALL_RULES: Final = (*RULES, CONFLICT_RULE)
DATASET_SCOPE: Final = "dataset"


def _plain(value: Any) -> str:
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, list):
        return json.dumps([_plain(v) for v in value], ensure_ascii=False)
    return str(value)


def finding_row(rule: Rule, record: Row, finding: Finding, scope: str) -> Row:
    """One ``audit_findings`` row."""
    ident = f"{rule.id}|{record['record_id']}|{finding.message}"
    return {
        "scope": scope,
        "finding_id": hashlib.sha256(ident.encode()).hexdigest()[:20],
        "rule_id": rule.id,
        "severity": rule.severity,
        "title_en": rule.title_en,
        "title_th": rule.title_th,
        "record_id": record["record_id"],
        "doc_id": record["doc_id"],
        "source": record["source"],
        "layout": record["layout"],
        "fiscal_year_be": record["fiscal_year_be"],
        "agency_code": record.get("agency_code"),
        "kpi_code": record.get("kpi_code"),
        "project_code": record.get("project_code"),
        "quarter": finding.quarter,
        "message": finding.message,
        "values": [(name, _plain(v)) for name, v in finding.values.items()],
        "lines": sorted(set(finding.lines)),
    }


def audit_view(view: View, rules: Iterable[Rule] = RULES) -> list[Row]:
    """Findings of every rule that applies to one record."""
    return [
        finding_row(rule, view.record, finding, view.record["doc_id"])
        for rule in rules
        if rule.applies_to(view)
        for finding in rule.check(view)
    ]


def audit_tables(tables: Mapping[str, Iterable[Row]]) -> list[Row]:
    """Findings of the record rules over rows of the record tables (one document or more)."""
    return [row for view in build_views(tables) for row in audit_view(view)]


def audit_conflicts(kpis: Iterable[Row]) -> list[Row]:
    """Findings of ``kpi_conflict``: one KPI code and fiscal year, different values."""
    groups: dict[tuple[str, int], list[Row]] = {}
    for row in kpis:
        if row["kpi_code"] and row["fiscal_year_be"] is not None:
            groups.setdefault((row["kpi_code"], row["fiscal_year_be"]), []).append(row)
    out = []
    for (code, year), rows in sorted(groups.items()):
        if len({r["doc_id"] for r in rows}) < 2:
            continue
        values = {(r["target_value"], r["target_unit"], r["achieved_value"]) for r in rows}
        if len(values) < 2:
            continue
        shown = "; ".join(
            f"{r['source']}: target {_plain(r['target_value'])}, "
            f"achieved {_plain(r['achieved_value'])}"
            for r in sorted(rows, key=lambda r: r["source"])
        )
        for row in rows:
            finding = Finding(
                f"KPI {code} of fiscal year {year} is reported with different values: {shown}",
                {
                    "target": row["target_value"],
                    "achieved": row["achieved_value"],
                    "files": len(rows),
                },
                sorted(
                    set(
                        dict(row["provenance"]).get("target", [])
                        + dict(row["provenance"]).get("achieved", [])
                    )
                ),
            )
            out.append(finding_row(CONFLICT_RULE, row, finding, DATASET_SCOPE))
    return out
