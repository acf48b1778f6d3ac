"""Audit an existing dataset: recompute ``audit_findings`` from its tables.

Records are read one fiscal-year partition at a time (a record and its child rows share
their fiscal year), a year too large to hold a bucket of records at a time
(:mod:`kpi_extract.audit.buckets`), and audited a slice of records at a time.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable, Iterator
from operator import itemgetter
from pathlib import Path
from typing import Any, Final, cast

import pyarrow as pa
import pyarrow.compute as pc

from kpi_extract.audit import audit_tables
from kpi_extract.audit.buckets import year_tables
from kpi_extract.audit.conflicts import in_order, year_conflicts
from kpi_extract.audit.summary import AuditSummary
from kpi_extract.audit.views import QUOTED_FIELDS, Row
from kpi_extract.store import Store, Transaction, read_parts

_RECORD_TABLES = ("kpis", "kpi_quarters", "projects", "progress_reports", "date_mentions")
_RECORD = ["record_id", "doc_id", "source", "layout", "fiscal_year_be", "agency_code"]
#: The columns the record rules and their findings read (None: every column). Without the
#: texts no rule reads (definition, calculation, summary, obstacles, rationale...), the
#: 100,000-document audit took 25.7-26.1 s instead of 29.2-30.8, 289 MiB of RSS instead of
#: 307-320, the same 115,286 findings. Missing one a rule reads is a KeyError, not a silent
#: default: the rules read a row's columns by subscript (``get``: the codes, provenance).
AUDITED_COLUMNS: Final[dict[str, list[str] | None]] = {
    "kpis": [
        *_RECORD,
        *("kpi_code", "kpi_name", "target_value", "target_unit", "target_comparator"),
        *("target_direction", "achieved_value", "achieved_unit", "assessment_quarter"),
        *("assessment_score", "quarter_table_unit", "provenance"),
    ],
    "projects": [
        *_RECORD,
        *("project_code", "start_date", "end_date", "budget_received", "budget_used"),
        "provenance",
    ],
    "kpi_quarters": None,
    "progress_reports": None,
    "date_mentions": None,
}


#: Records audited at a time. A year's rows stay Arrow tables; only the rows of these
#: records become Python objects: the largest year of a 100,000-document dataset, all of it
#: as Python rows, took the audit to 1.2 GB.
_RECORDS_AT_A_TIME = 2000


def _year_findings(
    partitions: dict[str, dict[int | None, list[Path]]], year: int | None, spill: Path
) -> Iterator[list[Row]]:
    """The record rules' findings of one fiscal year, a slice of records at a time.

    ``partitions``: the parts of each record table by fiscal year; ``spill``: a folder for
    the year's buckets if it is too large to hold (:func:`year_tables`).
    """
    parts = {name: partitions[name].get(year, []) for name in _RECORD_TABLES}
    for tables in year_tables(parts, spill, AUDITED_COLUMNS):
        yield from _bucket_findings(tables)


def _bucket_findings(tables: dict[str, pa.Table]) -> Iterator[list[Row]]:
    """The record rules' findings of records with their children, a slice at a time."""
    children = [name for name in _RECORD_TABLES if name not in ("kpis", "projects")]
    for name in ("kpis", "projects"):
        records = tables[name]
        if "provenance" in records.column_names:
            position = records.column_names.index("provenance")
            quoted = _quoted_provenance(records.column(position))
            records = records.set_column(position, "provenance", quoted)
        for start in range(0, records.num_rows, _RECORDS_AT_A_TIME):
            part = records.slice(start, _RECORDS_AT_A_TIME)
            ids = part["record_id"].combine_chunks()
            rows = {name: part.to_pylist()}
            for child in children:
                table = tables[child]
                rows[child] = table.filter(pc.is_in(table["record_id"], value_set=ids)).to_pylist()
            yield audit_tables(rows)


def _quoted_provenance(column: pa.ChunkedArray[Any]) -> pa.ChunkedArray[Any]:
    """A ``provenance`` map column with only the entries of :data:`QUOTED_FIELDS`.

    A null map becomes an empty one (the rules read both alike). The whole map made
    ``to_pylist`` of a year's KPIs take 0.80 s instead of 0.07 (12,680 rows).
    """
    wanted = pa.array(sorted(QUOTED_FIELDS), pa.string())
    chunks = []
    for chunk in column.chunks:
        assert isinstance(chunk, pa.MapArray)
        offsets = chunk.offsets  # of a slice: not rebased, the children whole
        first = offsets[0].as_py()
        size = offsets[-1].as_py() - first
        keys, items = chunk.keys.slice(first, size), chunk.items.slice(first, size)
        keep = pc.is_in(keys, value_set=wanted)
        kept = pc.cumulative_sum(pc.cast(keep, pa.int64()))
        before = pa.concat_arrays([pa.array([0], pa.int64()), kept])  # kept before each entry
        rebased = cast("pa.Int64Array", before.take(pc.subtract(offsets, offsets[0])))
        chunks.append(pa.MapArray.from_arrays(rebased, keys.filter(keep), items.filter(keep)))
    return pa.chunked_array(chunks, column.type)


def findings_by_year(store: Store) -> Iterator[tuple[int | None, list[Row]]]:
    """Every finding of every rule over the dataset: ``(fiscal year, findings)``.

    Years in order, a slice at a time: a year's record findings, then its conflicts. A year
    too large to hold is split in the dataset's staging folder (call under the lock).
    """
    partitions = {name: store.parts_by_year(name) for name in _RECORD_TABLES}
    spill = store.state / "staging" / f"audit-{uuid.uuid4().hex[:12]}"
    # The fiscal years that have records: the partitions of kpis and projects.
    for year in in_order({*partitions["kpis"], *partitions["projects"]}):
        for findings in _year_findings(partitions, year, spill):
            yield year, findings
        if year is not None and year in partitions["kpis"]:
            for findings in year_conflicts(partitions["kpis"], year):
                yield year, findings


def recompute(store: Store) -> list[Row]:
    """Every finding of every rule over the dataset, as one list (see :func:`audit_dataset`)."""
    return [finding for _, findings in findings_by_year(store) for finding in findings]


def audit_dataset(store: Store, summary: AuditSummary) -> bool:
    """Recompute ``audit_findings``, store them if they changed; return whether they did.

    The findings are staged and added to ``summary`` a slice at a time, not held: those of
    a 100,000-document dataset (115,286), held as Python rows with the tables the reports
    read, took the audit to 3.7 GB. To tell whether they changed, one fiscal year's ids at
    a time are compared with the ids stored for that year.
    """
    with store.locked():
        tx = store.begin()
        try:
            if not stage_by_year(tx, findings_by_year(store), _finding_ids, summary.add):
                tx.discard()
                return False
            tx.replace("audit_findings")
            tx.commit()
        except BaseException:
            tx.discard()
            raise
        store.collect_garbage()
    return True


def stage_by_year(
    tx: Transaction,
    by_year: Iterator[tuple[int | None, list[Row]]],
    stored_ids: Callable[[list[Path]], list[str]],
    seen: Callable[[list[Row]], object] = lambda findings: None,
) -> bool:
    """Stage findings in ``tx`` as they come; whether they differ from those stored.

    ``by_year``: ``(fiscal year, findings)`` in order of year; ``stored_ids(parts)``: the ids
    of the stored findings of those parts of ``audit_findings`` to compare with; ``seen``
    is given each slice staged. Only one year's ids are held at a time.
    """
    stored = tx.store.parts_by_year("audit_findings")
    changed = False
    for year, slices in itertools.groupby(by_year, key=itemgetter(0)):
        ids: list[str] = []
        for _, findings in slices:
            tx.write("audit_findings", findings)
            seen(findings)
            ids += [finding["finding_id"] for finding in findings]
        changed = changed or sorted(ids) != sorted(stored_ids(stored.pop(year, [])))
    # Stored findings of a year that has none any more.
    return changed or any(stored_ids(parts) for parts in stored.values())


def _finding_ids(parts: list[Path]) -> list[str]:
    table = read_parts(parts, "audit_findings", ["finding_id"])
    return [str(finding_id) for finding_id in table.column("finding_id").to_pylist()]
