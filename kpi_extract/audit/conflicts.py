"""The dataset-wide rule ``kpi_conflict``: one KPI code, one fiscal year, different values.

A conflict is between rows of different documents, so it is found over the dataset, one
fiscal-year partition of ``kpis`` at a time, never by a worker. Only the rows whose code
more than one document of the year reports (the candidates) become Python rows, a slice of
codes at a time. :mod:`kpi_extract.audit.refresh` keeps the stored findings up to date.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from kpi_extract.audit import DATASET_SCOPE, audit_conflicts
from kpi_extract.audit.views import Row
from kpi_extract.store import Store, read_parts

_CONFLICT_COLUMNS = ["record_id", "doc_id", "source", "layout", "fiscal_year_be", "agency_code"]
_CONFLICT_COLUMNS += ["kpi_code", "target_value", "target_unit", "achieved_value", "provenance"]
#: The provenance entries a conflict quotes: the lines of the target and the achieved value.
_QUOTED = ("target", "achieved")
#: KPI codes whose conflict candidates become Python rows at a time (a year's whole lot, at
#: 1.6 KB a candidate, grows with the archive when its reports all fall in one year).
CODES_AT_A_TIME = 1000


def conflict_candidates(store: Store) -> list[Row]:
    """The KPI rows whose code and fiscal year appear in more than one document.

    Every year's at once: :func:`conflicts_by_year` holds a slice of a year's at a time.
    """
    partitions = store.parts_by_year("kpis")
    out: list[Row] = []
    for year in in_order(partitions):
        table = _year_candidates(partitions, year)
        out += _candidate_rows(table) if table is not None else []
    return out


def conflicts_by_year(store: Store) -> Iterator[tuple[int, list[Row]]]:
    """The ``kpi_conflict`` findings of the dataset: ``(fiscal year, findings)``, in order.

    A conflict is between rows of one KPI code in one fiscal year, so the findings are
    made a slice of codes at a time (at most :data:`CODES_AT_A_TIME` codes), years in
    order, each year at least once (with no findings if it has no conflict). Only a
    slice's candidates become Python rows; a year's are held as Arrow, without the
    provenance a conflict does not quote. Holding every year's candidates and findings
    as Python rows took a 1,000,000-document run from about 300 MB to 2.1 GB (PSS) at its
    end (169,238 candidates, 167,913 findings).
    """
    partitions = store.parts_by_year("kpis")
    for year in in_order(partitions):
        if year is not None:
            for findings in year_conflicts(partitions, year):
                yield year, findings


def year_conflicts(
    partitions: dict[int | None, list[Path]], year: int, codes: Collection[str] | None = None
) -> Iterator[list[Row]]:
    """The ``kpi_conflict`` findings of one fiscal year, a slice of codes at a time.

    At least one slice, empty if the year has no conflict. With ``codes``, only the
    findings of those KPI codes (those a run changed, :mod:`kpi_extract.audit.refresh`).
    """
    table = _year_candidates(partitions, year, codes)
    if table is None:
        yield []
        return
    # By code (a stable sort: a code's rows keep their order), then a run of codes at a time,
    # as slices of the sorted table.
    table = table.sort_by("kpi_code")
    counts = pc.value_counts(table["kpi_code"]).field("counts").to_pylist()
    rows_per_code = [int(count or 0) for count in counts]  # value_counts counts every row
    start = 0
    for first in range(0, len(rows_per_code), CODES_AT_A_TIME):
        rows = sum(rows_per_code[first : first + CODES_AT_A_TIME])
        yield audit_conflicts(_candidate_rows(table.slice(start, rows)))
        start += rows


def _year_candidates(
    partitions: dict[int | None, list[Path]],
    year: int | None,
    codes: Collection[str] | None = None,
) -> pa.Table | None:
    """One fiscal year's KPI rows whose code appears in more than one document of the year.

    With ``codes``, only rows of those codes. None if there are none. Of the provenance,
    only the lines a conflict quotes are kept (columns ``quoted_target`` and
    ``quoted_achieved``): the whole map as Python objects
    made a candidate 10 KB, 210 MB for the largest year of a 1,000,000-document dataset
    (21,185 candidates; 34 MB without it). With plain Arrow kernels: a dataset scan and a
    ``group_by`` over the whole table took the parent from 85 to 189 MB (PSS) at 100,000
    documents, now 86 to 126.
    """
    parts = partitions.get(year, []) if year is not None else []
    if not parts or (codes is not None and not codes):
        return None
    only = None if codes is None else ("kpi_code", pa.array(sorted(codes), pa.string()))
    shared = _shared_codes(read_parts(parts, "kpis", ["kpi_code", "doc_id"], only))
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


def in_order(years: Iterable[int | None]) -> list[int | None]:
    """Fiscal years in order, the partition of rows without a year last."""
    return sorted(years, key=lambda year: (year is None, year or 0))


def dataset_finding_ids(parts: list[Path]) -> list[str]:
    """The ids of the dataset-wide findings (scope ``dataset``) stored in ``parts``.

    ``parts``: parts of ``audit_findings``, of one fiscal year for instance.
    """
    scope = pa.array([DATASET_SCOPE], pa.string())
    table = read_parts(parts, "audit_findings", ["scope", "finding_id"], ("scope", scope))
    return [str(finding_id) for finding_id in table.column("finding_id").to_pylist()]
