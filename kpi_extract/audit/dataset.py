"""Audit an existing dataset: recompute ``audit_findings`` from its tables.

Records are read one fiscal-year partition at a time (a record and its child rows share
their fiscal year), so memory is bounded by the largest year, not the archive.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from kpi_extract.audit import DATASET_SCOPE, audit_conflicts, audit_tables
from kpi_extract.audit.views import Row
from kpi_extract.store import Store

_RECORD_TABLES = ("kpis", "kpi_quarters", "projects", "progress_reports", "date_mentions")


def _years(store: Store) -> list[int | None]:
    years: set[Any] = set()
    for name in ("kpis", "projects"):
        years |= set(store.read(name, ["fiscal_year_be"]).column(0).to_pylist())
    return sorted(years, key=lambda y: (y is None, y or 0))


def _partition(store: Store, name: str, year: int | None) -> list[Row]:
    column = pc.field("fiscal_year_be")
    where = column.is_null() if year is None else column == pa.scalar(year, pa.int32())
    rows: list[Row] = store.read(name, where=where).to_pylist()
    return rows


_CONFLICT_COLUMNS = ["record_id", "doc_id", "source", "layout", "fiscal_year_be", "agency_code"]
_CONFLICT_COLUMNS += ["kpi_code", "target_value", "target_unit", "achieved_value", "provenance"]


def conflict_candidates(store: Store) -> list[Row]:
    """The KPI rows whose code and fiscal year appear in more than one document.

    Grouped and matched in Arrow, so only those rows become Python objects. (Every row of
    a shared code, in any year, used to become one first: at 100,000 synthetic documents,
    54,656 rows for 2,038 candidates; 0.6 -> 0.46 s.)
    """
    keys = ["kpi_code", "fiscal_year_be"]
    table = store.read("kpis", [*keys, "doc_id"])
    table = table.filter(
        pc.and_(pc.is_valid(table["kpi_code"]), pc.is_valid(table["fiscal_year_be"]))
    )
    counts = table.group_by(keys).aggregate([("doc_id", "count_distinct")])
    shared = counts.filter(pc.greater(counts["doc_id_count_distinct"], pa.scalar(1)))
    if shared.num_rows == 0:
        return []
    full = store.read("kpis", _CONFLICT_COLUMNS, pc.field("kpi_code").isin(shared["kpi_code"]))
    wanted = pc.is_in(_pair(full), value_set=_pair(shared).combine_chunks())
    rows: list[Row] = full.filter(wanted).to_pylist()
    return rows


def _pair(table: pa.Table) -> Any:
    """``code<US>year`` of each row: (KPI code, fiscal year) pairs matched as one value."""
    join: Any = pc.binary_join_element_wise  # the stubs take scalars only
    return join(table["kpi_code"], pc.cast(table["fiscal_year_be"], pa.string()), "\x1f")


def dataset_findings(store: Store) -> list[Row]:
    """The stored findings of the dataset-wide rule (scope ``dataset``)."""
    table = store.read("audit_findings", where=pc.field("scope") == pa.scalar(DATASET_SCOPE))
    return list(table.to_pylist())


def recompute(store: Store) -> list[Row]:
    """Every finding of every rule over the dataset (record rules, then conflicts)."""
    findings: list[Row] = []
    for year in _years(store):
        tables = {name: _partition(store, name, year) for name in _RECORD_TABLES}
        findings += audit_tables(tables)
    findings += audit_conflicts(conflict_candidates(store))
    return findings


def audit_dataset(store: Store) -> tuple[list[Row], bool]:
    """Recompute and store ``audit_findings``; return them and whether the table changed."""
    with store.locked():
        findings = recompute(store)
        previous = store.read("audit_findings", ["scope", "finding_id"]).to_pylist()
        if sorted(f["finding_id"] for f in findings) == sorted(f["finding_id"] for f in previous):
            return findings, False
        tx = store.begin()
        tx.remove("audit_findings", {f["scope"] for f in previous})
        tx.write("audit_findings", findings)
        tx.commit()
        store.collect_garbage()
    return findings, True
