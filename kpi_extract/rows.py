"""Records -> rows of the output tables (:mod:`kpi_extract.schema`), one document at a time.

Every row carries ``record_id`` and ``doc_id`` (and ``lines`` or ``line``) so each value can be
traced to its file and lines. Decimals are brought to the scale of their column here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Final

from kpi_extract import judge
from kpi_extract.models import KpiRecord, ProjectRecord, Quantity, Record, RecordError

Row = dict[str, Any]

_VALUE_EXP: Final = Decimal("0.0001")
_MONEY_EXP: Final = Decimal("0.01")


@dataclass(slots=True)
class Rows:
    """Rows of one document, by table name."""

    tables: dict[str, list[Row]] = field(default_factory=dict)

    def add(self, table: str, row: Row) -> None:
        """Append ``row`` to ``table``."""
        self.tables.setdefault(table, []).append(row)

    def extend(self, other: Rows) -> None:
        """Append every row of ``other``."""
        for table, rows in other.tables.items():
            self.tables.setdefault(table, []).extend(rows)


class _Scaler:
    """Brings decimals to their column's scale and notes every value it had to round."""

    def __init__(self) -> None:
        self.rounded: list[str] = []

    def __call__(self, value: Decimal | None, exp: Decimal, name: str) -> Decimal | None:
        if value is None:
            return None
        scaled = value.quantize(exp)
        if scaled != value:
            self.rounded.append(f"{name} {value} rounded to {scaled}")
        return scaled


def agency_code(code: str | None) -> str | None:
    """The agency part of a KPI or project code: the digits before the dash.

    >>> agency_code("5030-1052"), agency_code("21000000-3215"), agency_code(None)
    ('5030', '21000000', None)
    """
    if not code or "-" not in code:
        return None
    return code.split("-", 1)[0]


def _quantity(prefix: str, q: Quantity, scale: _Scaler) -> Row:
    return {
        f"{prefix}_value": scale(q.value, _VALUE_EXP, f"{prefix}.value"),
        f"{prefix}_unit": q.unit,
        f"{prefix}_comparator": q.comparator,
        f"{prefix}_direction": q.direction,
        f"{prefix}_qualifier": q.qualifier,
    }


def _item_lines(record: Record, collection: str) -> dict[int, list[int]]:
    """The lines of each item of ``collection``: those of every ``collection[i].`` key.

    One pass over the provenance for all items, not one per item (a KPI has about 50 keys
    and four quarters, a project seven reports).
    """
    found: dict[int, set[int]] = {}
    start = f"{collection}["
    for key, lines in record.provenance.items():
        if key.startswith(start):
            index, _, rest = key[len(start) :].partition("]")
            if rest.startswith(".") and index.isdigit():
                found.setdefault(int(index), set()).update(lines)
    return {index: sorted(lines) for index, lines in found.items()}


def _common(record: Record, doc_id: str) -> Row:
    return {
        "record_id": record.record_id,
        "doc_id": doc_id,
        "source": record.source,
        "layout": record.layout,
        "line_start": record.line_start,
        "line_end": record.line_end,
        "fiscal_year_be": record.fiscal_year_be,
        "fiscal_year_source": record.fiscal_year_source,
    }


def _child(record: Record, doc_id: str) -> Row:
    return {
        "record_id": record.record_id,
        "doc_id": doc_id,
        "fiscal_year_be": record.fiscal_year_be,
    }


def _target_met(record: KpiRecord) -> bool | None:
    target, achieved = record.target, record.achieved
    if not judge.same_unit(target.unit, achieved.unit):
        return None
    return judge.met(
        achieved.value, target.value, target.direction, target.comparator, record.kpi_name
    )


def _kpi(record: KpiRecord, doc_id: str, out: Rows, scale: _Scaler) -> None:
    out.add(
        "kpis",
        {
            **_common(record, doc_id),
            "kpi_code": record.kpi_code,
            "agency_code": agency_code(record.kpi_code),
            "kpi_name": record.kpi_name,
            "kpi_name_prefix": record.kpi_name_prefix,
            "kpi_type": record.kpi_type,
            "kpi_level": record.kpi_level,
            **_quantity("target", record.target, scale),
            **_quantity("achieved", record.achieved, scale),
            "target_met": _target_met(record),
            "better": judge.better(
                record.target.direction, record.target.comparator, record.kpi_name
            ),
            "assessment_quarter": record.assessment.quarter,
            "assessment_score": scale(record.assessment.score, _VALUE_EXP, "assessment.score"),
            "quarter_table_unit": record.quarter_table_unit,
            "definition": record.definition,
            "calculation": record.calculation,
            "data_source": record.data_source,
            "summary": record.summary,
            "support_factors": record.support_factors,
            "obstacles": record.obstacles,
            "evidence": record.evidence,
            "routine_work": record.routine_work,
            "supporting_projects": record.supporting_projects,
            "provenance": list(record.provenance.items()),
        },
    )
    quarter_lines = _item_lines(record, "quarters")
    for position, q in enumerate(record.quarters):
        out.add(
            "kpi_quarters",
            {
                **_child(record, doc_id),
                "kpi_code": record.kpi_code,
                "quarter": q.quarter,
                "result": scale(q.result, _VALUE_EXP, "quarter.result"),
                "score": scale(q.score, _VALUE_EXP, "quarter.score"),
                "score_2_1": scale(q.score_2_1, _VALUE_EXP, "quarter.score_2_1"),
                "score_2_2": scale(q.score_2_2, _VALUE_EXP, "quarter.score_2_2"),
                "narrative": q.narrative,
                "lines": quarter_lines.get(position, []),
            },
        )


def _project(record: ProjectRecord, doc_id: str, out: Rows, scale: _Scaler) -> None:
    out.add(
        "projects",
        {
            **_common(record, doc_id),
            "project_code": record.project_code,
            "agency_code": agency_code(record.project_code),
            "project_name": record.project_name,
            "start_date": record.start_date,
            "end_date": record.end_date,
            "budget_received": scale(record.budget_received, _MONEY_EXP, "budget_received"),
            "budget_used": scale(record.budget_used, _MONEY_EXP, "budget_used"),
            "agency_path": record.agency_path,
            "responsible_person": record.responsible_person,
            "responsible_phone": record.responsible_phone,
            "coordinator": record.coordinator,
            "coordinator_phone": record.coordinator_phone,
            "rationale": record.rationale,
            "objectives": record.objectives,
            "project_target": record.project_target,
            "linked_kpi": record.linked_kpi,
            "provenance": list(record.provenance.items()),
        },
    )
    report_lines = _item_lines(record, "progress_reports")
    for position, p in enumerate(record.progress_reports):
        out.add(
            "progress_reports",
            {
                **_child(record, doc_id),
                "project_code": record.project_code,
                "position": position,
                "no": p.no,
                "date": p.date,
                "text": p.text,
                "progress_pct": scale(p.progress_pct, _VALUE_EXP, "progress_pct"),
                "budget_spent": scale(p.budget_spent, _MONEY_EXP, "budget_spent"),
                "plan_status": p.plan_status,
                "target_status": p.target_status,
                "lines": report_lines.get(position, []),
            },
        )


def _shared(record: Record, doc_id: str, path: str, out: Rows) -> None:
    kpi_code = record.kpi_code if isinstance(record, KpiRecord) else None
    project_code = record.project_code if isinstance(record, ProjectRecord) else None
    for position, s in enumerate(record.strategy):
        out.add(
            "strategy_links",
            {
                **_child(record, doc_id),
                "record_type": record.record_type,
                "kpi_code": kpi_code,
                "project_code": project_code,
                "position": position,
                "level": s.level,
                "code": s.code,
                "title": s.title,
                "title_en": s.title_en,
                "lines": record.provenance.get(f"strategy[{position}]", []),
            },
        )
    for position, sec in enumerate(record.sections):
        out.add(
            "sections",
            {
                **_child(record, doc_id),
                "position": position,
                "key": sec.key,
                "heading": sec.heading,
                "section_index": sec.index,
                "text": sec.text,
                "line_start": sec.line_start,
                "line_end": sec.line_end,
                "lines": sec.lines,
            },
        )
    for m in record.date_mentions:
        out.add(
            "date_mentions",
            {
                **_child(record, doc_id),
                "kind": m.kind,
                "date": m.date,
                "end": m.end,
                "precision": m.precision,
                "era": m.era,
                "line": m.line,
                "text": m.text,
                "error": m.error,
            },
        )
    for w in record.warnings:
        out.add(
            "warnings",
            {
                **_child(record, doc_id),
                "path": path,
                "code": w.code,
                "message": w.message,
                "line": w.line,
            },
        )


def record_rows(records: Iterable[Record], doc_id: str, path: str) -> Rows:
    """Rows of every table for the records of one document."""
    out = Rows()
    for record in records:
        scale = _Scaler()
        if isinstance(record, KpiRecord):
            _kpi(record, doc_id, out, scale)
        else:
            _project(record, doc_id, out, scale)
        _shared(record, doc_id, path, out)
        for message in scale.rounded:
            out.add(
                "warnings",
                {
                    **_child(record, doc_id),
                    "path": path,
                    "code": "value_rounded",
                    "message": message,
                    "line": record.line_start,
                },
            )
    return out


def quarantine_row(
    path: str,
    sha256: str | None,
    stage: str,
    reason_code: str,
    message: str,
    *,
    record_id: str | None = None,
    line: int | None = None,
) -> Row:
    """One row of the quarantine table."""
    return {
        "path": path,
        "sha256": sha256,
        "doc_id": sha256,
        "record_id": record_id,
        "stage": stage,
        "reason_code": reason_code,
        "message": message,
        "line": line,
    }


def error_rows(errors: Iterable[RecordError], sha256: str, path: str) -> list[Row]:
    """Quarantine rows of records that failed validation, one per failing field."""
    return [
        quarantine_row(
            path,
            sha256,
            "validate",
            "validation",
            f"{e.field}: {e.message}",
            record_id=error.record_id,
            line=e.lines[0] if e.lines else error.line_start,
        )
        for error in errors
        for e in error.errors
    ]
