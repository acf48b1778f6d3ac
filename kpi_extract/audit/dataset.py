"""Audit an existing dataset: recompute ``audit_findings`` from its tables.

Records are read one fiscal-year partition at a time (a record and its child rows share
their fiscal year), a year too large to hold a bucket of records at a time
(:mod:`kpi_extract.audit.buckets`), and audited a slice of records at a time.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable, Iterable, Iterator
from operator import itemgetter
from pathlib import Path
from typing import Any, Final, cast

import pyarrow as pa
import pyarrow.compute as pc

from kpi_extract.audit import DATASET_SCOPE, audit_conflicts, audit_tables
from kpi_extract.audit.buckets import year_tables
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


_CONFLICT_COLUMNS = ["record_id", "doc_id", "source", "layout", "fiscal_year_be", "agency_code"]
_CONFLICT_COLUMNS += ["kpi_code", "target_value", "target_unit", "achieved_value", "provenance"]
#: The provenance entries a conflict quotes: the lines of the target and the achieved value.
_QUOTED = ("target", "achieved")
#: KPI codes whose conflict candidates become Python rows at a time (a year's whole lot, at
#: 1.6 KB a candidate, grows with the archive when its reports all fall in one year).
_CODES_AT_A_TIME = 1000


def conflict_candidates(store: Store) -> list[Row]:
    """The KPI rows whose code and fiscal year appear in more than one document.

    Every year's at once: :func:`conflicts_by_year` holds a slice of a year's at a time.
    """
    partitions = store.parts_by_year("kpis")
    out: list[Row] = []
    for year in _in_order(partitions):
        table = _year_candidates(partitions, year)
        out += _candidate_rows(table) if table is not None else []
    return out


def conflicts_by_year(store: Store) -> Iterator[tuple[int, list[Row]]]:
    """The ``kpi_conflict`` findings of the dataset: ``(fiscal year, findings)``, in order.

    A conflict is between rows of one KPI code in one fiscal year, so the findings are
    made a slice of codes at a time (at most :data:`_CODES_AT_A_TIME` codes), years in
    order, each year at least once (with no findings if it has no conflict). Only a
    slice's candidates become Python rows; a year's are held as Arrow, without the
    provenance a conflict does not quote. Holding every year's candidates and findings
    as Python rows took a 1,000,000-document run from about 300 MB to 2.1 GB (PSS) at its
    end (169,238 candidates, 167,913 findings).
    """
    partitions = store.parts_by_year("kpis")
    for year in _in_order(partitions):
        if year is not None:
            for findings in _year_conflicts(partitions, year):
                yield year, findings


def _year_conflicts(partitions: dict[int | None, list[Path]], year: int) -> Iterator[list[Row]]:
    """The ``kpi_conflict`` findings of one fiscal year, a slice of codes at a time.

    At least one slice, empty if the year has no conflict.
    """
    table = _year_candidates(partitions, year)
    if table is None:
        yield []
        return
    # By code (a stable sort: a code's rows keep their order), then a run of codes at a time,
    # as slices of the sorted table.
    table = table.sort_by("kpi_code")
    counts = pc.value_counts(table["kpi_code"]).field("counts").to_pylist()
    rows_per_code = [int(count or 0) for count in counts]  # value_counts counts every row
    start = 0
    for first in range(0, len(rows_per_code), _CODES_AT_A_TIME):
        rows = sum(rows_per_code[first : first + _CODES_AT_A_TIME])
        yield audit_conflicts(_candidate_rows(table.slice(start, rows)))
        start += rows


def _year_candidates(partitions: dict[int | None, list[Path]], year: int | None) -> pa.Table | None:
    """One fiscal year's KPI rows whose code appears in more than one document of the year.

    None if there are none. Of the provenance, only the lines a conflict quotes are kept
    (columns ``quoted_target`` and ``quoted_achieved``): the whole map as Python objects
    made a candidate 10 KB, 210 MB for the largest year of a 1,000,000-document dataset
    (21,185 candidates; 34 MB without it). With plain Arrow kernels: a dataset scan and a
    ``group_by`` over the whole table took the parent from 85 to 189 MB (PSS) at 100,000
    documents, now 86 to 126.
    """
    if year is None:
        return None
    parts = partitions[year]
    shared = _shared_codes(read_parts(parts, "kpis", ["kpi_code", "doc_id"]))
    if len(shared) == 0:
        return None
    found = read_parts(parts, "kpis", _CONFLICT_COLUMNS, ("kpi_code", shared))
    provenance = found.column("provenance")
    found = found.drop_columns(["provenance"])
    for key in _QUOTED:
        found = found.append_column(f"quoted_{key}", pc.map_lookup(provenance, key, "first"))
    return found


def _candidate_rows(table: pa.Table) -> list[Row]:
    """Candidates of :func:`_year_candidates` as the rows :func:`audit_conflicts` reads."""
    rows: list[Row] = table.to_pylist()
    for row in rows:
        quoted = [(key, row.pop(f"quoted_{key}")) for key in _QUOTED]
        row["provenance"] = [(key, lines) for key, lines in quoted if lines is not None]
    return rows


def _shared_codes(table: pa.Table) -> pa.Array[Any]:
    """The KPI codes of ``table`` that more than one ``doc_id`` reports."""
    table = table.filter(pc.is_valid(table["kpi_code"]))
    codes = table["kpi_code"].combine_chunks().dictionary_encode()
    docs = table["doc_id"].combine_chunks().dictionary_encode()
    # Each distinct (code, document) pair as one integer, then how many pairs per code.
    width = pa.scalar(max(1, len(docs.dictionary)), pa.int64())
    code_index, doc_index = pc.cast(codes.indices, pa.int64()), pc.cast(docs.indices, pa.int64())
    pairs = pc.unique(pc.add(pc.multiply(code_index, width), doc_index))
    counts = pc.value_counts(pc.divide(pairs, width))
    many = counts.field("values").filter(pc.greater(counts.field("counts"), pa.scalar(1)))
    return codes.dictionary.take(many)


def _in_order(years: Iterable[int | None]) -> list[int | None]:
    """Fiscal years in order, the partition of rows without a year last."""
    return sorted(years, key=lambda year: (year is None, year or 0))


def dataset_finding_ids(parts: list[Path]) -> list[str]:
    """The ids of the dataset-wide findings (scope ``dataset``) stored in ``parts``.

    ``parts``: parts of ``audit_findings``, of one fiscal year for instance.
    """
    scope = pa.array([DATASET_SCOPE], pa.string())
    table = read_parts(parts, "audit_findings", ["scope", "finding_id"], ("scope", scope))
    return [str(finding_id) for finding_id in table.column("finding_id").to_pylist()]


def findings_by_year(store: Store) -> Iterator[tuple[int | None, list[Row]]]:
    """Every finding of every rule over the dataset: ``(fiscal year, findings)``.

    Years in order, a slice at a time: a year's record findings, then its conflicts. A year
    too large to hold is split in the dataset's staging folder (call under the lock).
    """
    partitions = {name: store.parts_by_year(name) for name in _RECORD_TABLES}
    spill = store.state / "staging" / f"audit-{uuid.uuid4().hex[:12]}"
    # The fiscal years that have records: the partitions of kpis and projects.
    for year in _in_order({*partitions["kpis"], *partitions["projects"]}):
        for findings in _year_findings(partitions, year, spill):
            yield year, findings
        if year is not None and year in partitions["kpis"]:
            for findings in _year_conflicts(partitions["kpis"], year):
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
