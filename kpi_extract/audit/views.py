"""What audit rules look at: one record with its child rows, as the tables hold them.

Views are built from table rows (dicts), so the same rules run in a conversion worker (on
the rows of one document) and on an existing dataset (``kpi-extract audit DIR``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

Row = dict[str, Any]

#: The fields whose lines findings quote (:meth:`View.lines`): of a record's provenance, the
#: dataset audit reads only these.
QUOTED_FIELDS: Final = frozenset(
    {"target", "achieved", "assessment.score", "quarter_table_unit"}
    | {"budget_received", "budget_used"}
)


@dataclass(frozen=True, slots=True)
class View:
    """A record (a ``kpis`` or ``projects`` row) and its children, ordered."""

    record: Row
    children: list[Row] = field(default_factory=list)  # quarters or progress reports
    mentions: list[Row] = field(default_factory=list)

    @property
    def layout(self) -> str:
        """The record's layout."""
        return str(self.record["layout"])

    def lines(self, *fields: str) -> list[int]:
        """Lines the record's fields came from (provenance), for quoting a finding.

        ``fields``: of :data:`QUOTED_FIELDS`, the only provenance the dataset audit reads.
        """
        provenance = dict(self.record.get("provenance") or [])
        out: set[int] = set()
        for name in fields:
            if name not in QUOTED_FIELDS:
                raise ValueError(f"{name!r} is not one of the fields findings quote")
            out.update(provenance.get(name) or [])
        return sorted(out)


def build_views(tables: Mapping[str, Iterable[Row]]) -> list[View]:
    """Group rows of the record tables into one view per record.

    Reads ``kpis``, ``kpi_quarters``, ``projects``, ``progress_reports``, ``date_mentions``.
    """
    children: dict[str, list[Row]] = {}
    for row in [*tables.get("kpi_quarters", []), *tables.get("progress_reports", [])]:
        children.setdefault(row["record_id"], []).append(row)
    mentions: dict[str, list[Row]] = {}
    for row in tables.get("date_mentions", []):
        mentions.setdefault(row["record_id"], []).append(row)
    views = []
    for record in [*tables.get("kpis", []), *tables.get("projects", [])]:
        rid = record["record_id"]
        kids = sorted(
            children.get(rid, []), key=lambda r: (r.get("quarter") or 0, r.get("position") or 0)
        )
        views.append(View(record, kids, sorted(mentions.get(rid, []), key=lambda r: r["line"])))
    return views
