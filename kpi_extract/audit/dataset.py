"""Audit an existing dataset: recompute ``audit_findings`` from its tables.

Records are read one fiscal-year partition at a time (a record and its child rows share
their fiscal year), so memory is bounded by the largest year, not the archive.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from kpi_extract.audit import audit_conflicts, audit_tables
from kpi_extract.audit.views import Row
from kpi_extract.store import Store

_RECORD_TABLES = ("kpis", "kpi_quarters", "projects", "progress_reports", "date_mentions")


def _years(store: Store) -> list[int | None]:
    years: set[Any] = set()
    for name in ("kpis", "projects"):
        years |= set(store.read(name, ["fiscal_year_be"]).column(0).to_pylist())
    return sorted(years, key=lambda y: (y is None, y or 0))


def _partition(store: Store, name: str, year: int | None) -> list[Row]:
    table = store.read(name)
    column = table.column("fiscal_year_be")
    mask = pc.is_null(column) if year is None else pc.equal(column, pa.scalar(year, pa.int32()))
    rows: list[Row] = table.filter(mask).to_pylist()
    return rows


def recompute(store: Store) -> list[Row]:
    """Every finding of every rule over the dataset (record rules, then conflicts)."""
    findings: list[Row] = []
    for year in _years(store):
        tables = {name: _partition(store, name, year) for name in _RECORD_TABLES}
        findings += audit_tables(tables)
    findings += audit_conflicts(store.read("kpis").to_pylist())
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
