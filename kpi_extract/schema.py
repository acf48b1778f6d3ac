"""The Arrow schemas of the output tables: the one place they are kept.

Column names follow the record contract (:mod:`kpi_extract.models`); a nested key becomes
its path joined by ``_`` (``target.value`` -> ``target_value``). Types, chosen on purpose:

- measured values, results, scores and percentages: ``decimal128(38, 4)``, exact (the
  reports print at most four decimals; a value with more is rounded half-even to four and
  a ``value_rounded`` warning says so);
- money (baht): ``decimal128(38, 2)``, exact to the satang;
- dates: ``date32`` (Gregorian, converted from the Buddhist Era);
- line numbers: ``int32``; lists of lines: ``list<int32>``; ``provenance``:
  ``map<string, list<int32>>`` (field -> lines);
- ``target_met`` / ``better``: whether the achieved value meets the target, and which way is
  better, by the one definition of :mod:`kpi_extract.judge` (null when it cannot be told).

Data tables are laid out hive-style by ``fiscal_year_be`` (``fiscal_year_be=2564/``, unknown
years in ``fiscal_year_be=__HIVE_DEFAULT_PARTITION__/``) and also carry the column in every
file, so a single file is self-describing. ``documents`` and ``quarantine`` are not
partitioned. Every file's metadata holds ``kpi_extract.schema_version`` and the table name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import pyarrow as pa

#: Bump when a column is added, removed or changes type.
SCHEMA_VERSION: Final = "1"

VALUE: Final = pa.decimal128(38, 4)
MONEY: Final = pa.decimal128(38, 2)
LINES: Final = pa.list_(pa.int32())
TEXTS: Final = pa.list_(pa.string())
PROVENANCE: Final = pa.map_(pa.string(), LINES)


@dataclass(frozen=True, slots=True)
class TableDef:
    """A table: its schema, whether it is partitioned by fiscal year, and its replace key.

    ``key`` is the column whose values identify the rows of one input: rows of a changed
    file are replaced by deleting the rows of its old key.
    """

    name: str
    schema: pa.Schema
    partitioned: bool
    key: str

    def with_metadata(self) -> pa.Schema:
        """The schema with the version and table name in its metadata."""
        return self.schema.with_metadata(
            {"kpi_extract.schema_version": SCHEMA_VERSION, "kpi_extract.table": self.name}
        )


def _fields(*pairs: tuple[str, pa.DataType]) -> list[pa.Field[Any]]:
    return [pa.field(name, kind) for name, kind in pairs]


_RECORD: Final = _fields(
    ("record_id", pa.string()),
    ("doc_id", pa.string()),
    ("source", pa.string()),
    ("layout", pa.string()),
    ("line_start", pa.int32()),
    ("line_end", pa.int32()),
    ("fiscal_year_be", pa.int32()),
    ("fiscal_year_source", pa.string()),
)
_CHILD: Final = _fields(
    ("record_id", pa.string()),
    ("doc_id", pa.string()),
    ("fiscal_year_be", pa.int32()),
)


def _quantity(prefix: str) -> list[pa.Field[Any]]:
    return _fields(
        (f"{prefix}_value", VALUE),
        (f"{prefix}_unit", pa.string()),
        (f"{prefix}_comparator", pa.string()),
        (f"{prefix}_direction", pa.string()),
        (f"{prefix}_qualifier", pa.string()),
    )


TABLES: Final[dict[str, TableDef]] = {
    t.name: t
    for t in (
        TableDef(
            "documents",
            pa.schema(
                _fields(
                    ("doc_id", pa.string()),
                    ("path", pa.string()),
                    ("sha256", pa.string()),
                    ("size", pa.int64()),
                    ("mtime_ns", pa.int64()),
                    ("encoding", pa.string()),
                    ("layout", pa.string()),
                    ("record_count", pa.int32()),
                    ("error_count", pa.int32()),
                    ("status", pa.string()),
                    ("reason_code", pa.string()),
                    ("duplicate_of", pa.string()),
                    ("parser_version", pa.string()),
                    ("grammar_version", pa.string()),
                    ("redaction", pa.string()),
                )
            ),
            partitioned=False,
            key="path",
        ),
        TableDef(
            "kpis",
            pa.schema(
                [
                    *_RECORD,
                    *_fields(
                        ("kpi_code", pa.string()),
                        ("agency_code", pa.string()),
                        ("kpi_name", pa.string()),
                        ("kpi_name_prefix", pa.string()),
                        ("kpi_type", pa.string()),
                        ("kpi_level", pa.string()),
                    ),
                    *_quantity("target"),
                    *_quantity("achieved"),
                    *_fields(
                        ("target_met", pa.bool_()),
                        ("better", pa.string()),
                        ("assessment_quarter", pa.int32()),
                        ("assessment_score", VALUE),
                        ("quarter_table_unit", pa.string()),
                        ("definition", pa.string()),
                        ("calculation", pa.string()),
                        ("data_source", pa.string()),
                        ("summary", pa.string()),
                        ("support_factors", pa.string()),
                        ("obstacles", pa.string()),
                        ("evidence", TEXTS),
                        ("routine_work", pa.bool_()),
                        ("supporting_projects", TEXTS),
                        ("provenance", PROVENANCE),
                    ),
                ]
            ),
            partitioned=True,
            key="doc_id",
        ),
        TableDef(
            "kpi_quarters",
            pa.schema(
                [
                    *_CHILD,
                    *_fields(
                        ("kpi_code", pa.string()),
                        ("quarter", pa.int32()),
                        ("result", VALUE),
                        ("score", VALUE),
                        ("score_2_1", VALUE),
                        ("score_2_2", VALUE),
                        ("narrative", pa.string()),
                        ("lines", LINES),
                    ),
                ]
            ),
            partitioned=True,
            key="doc_id",
        ),
        TableDef(
            "strategy_links",
            pa.schema(
                [
                    *_CHILD,
                    *_fields(
                        ("record_type", pa.string()),
                        ("kpi_code", pa.string()),
                        ("project_code", pa.string()),
                        ("position", pa.int32()),
                        ("level", pa.int32()),
                        ("code", pa.string()),
                        ("title", pa.string()),
                        ("title_en", pa.string()),
                        ("lines", LINES),
                    ),
                ]
            ),
            partitioned=True,
            key="doc_id",
        ),
        TableDef(
            "projects",
            pa.schema(
                [
                    *_RECORD,
                    *_fields(
                        ("project_code", pa.string()),
                        ("agency_code", pa.string()),
                        ("project_name", pa.string()),
                        ("start_date", pa.date32()),
                        ("end_date", pa.date32()),
                        ("budget_received", MONEY),
                        ("budget_used", MONEY),
                        ("agency_path", TEXTS),
                        ("responsible_person", pa.string()),
                        ("responsible_phone", pa.string()),
                        ("coordinator", pa.string()),
                        ("coordinator_phone", pa.string()),
                        ("rationale", pa.string()),
                        ("objectives", TEXTS),
                        ("project_target", pa.string()),
                        ("linked_kpi", pa.string()),
                        ("provenance", PROVENANCE),
                    ),
                ]
            ),
            partitioned=True,
            key="doc_id",
        ),
        TableDef(
            "progress_reports",
            pa.schema(
                [
                    *_CHILD,
                    *_fields(
                        ("project_code", pa.string()),
                        ("position", pa.int32()),
                        ("no", pa.int32()),
                        ("date", pa.date32()),
                        ("text", pa.string()),
                        ("progress_pct", VALUE),
                        ("budget_spent", MONEY),
                        ("plan_status", pa.string()),
                        ("target_status", pa.string()),
                        ("lines", LINES),
                    ),
                ]
            ),
            partitioned=True,
            key="doc_id",
        ),
        TableDef(
            "sections",
            pa.schema(
                [
                    *_CHILD,
                    *_fields(
                        ("position", pa.int32()),
                        ("key", pa.string()),
                        ("heading", pa.string()),
                        ("section_index", pa.int32()),
                        ("text", pa.string()),
                        ("line_start", pa.int32()),
                        ("line_end", pa.int32()),
                        ("lines", LINES),
                    ),
                ]
            ),
            partitioned=True,
            key="doc_id",
        ),
        TableDef(
            "date_mentions",
            pa.schema(
                [
                    *_CHILD,
                    *_fields(
                        ("kind", pa.string()),
                        ("date", pa.date32()),
                        ("end", pa.date32()),
                        ("precision", pa.string()),
                        ("era", pa.string()),
                        ("line", pa.int32()),
                        ("text", pa.string()),
                        ("error", pa.string()),
                    ),
                ]
            ),
            partitioned=True,
            key="doc_id",
        ),
        TableDef(
            "warnings",
            pa.schema(
                [
                    *_CHILD,
                    *_fields(
                        ("path", pa.string()),
                        ("code", pa.string()),
                        ("message", pa.string()),
                        ("line", pa.int32()),
                    ),
                ]
            ),
            partitioned=True,
            key="doc_id",
        ),
        TableDef(
            "audit_findings",
            pa.schema(
                _fields(
                    ("scope", pa.string()),
                    ("finding_id", pa.string()),
                    ("rule_id", pa.string()),
                    ("severity", pa.string()),
                    ("title_en", pa.string()),
                    ("title_th", pa.string()),
                    ("record_id", pa.string()),
                    ("doc_id", pa.string()),
                    ("source", pa.string()),
                    ("layout", pa.string()),
                    ("fiscal_year_be", pa.int32()),
                    ("agency_code", pa.string()),
                    ("kpi_code", pa.string()),
                    ("project_code", pa.string()),
                    ("quarter", pa.int32()),
                    ("message", pa.string()),
                    ("values", pa.map_(pa.string(), pa.string())),
                    ("lines", LINES),
                )
            ),
            partitioned=True,
            key="scope",
        ),
        TableDef(
            "quarantine",
            pa.schema(
                _fields(
                    ("path", pa.string()),
                    ("sha256", pa.string()),
                    ("doc_id", pa.string()),
                    ("record_id", pa.string()),
                    ("stage", pa.string()),
                    ("reason_code", pa.string()),
                    ("message", pa.string()),
                    ("line", pa.int32()),
                )
            ),
            partitioned=False,
            key="path",
        ),
    )
}
