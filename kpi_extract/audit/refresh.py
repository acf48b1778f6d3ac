"""Keep the stored ``kpi_conflict`` findings true to the dataset at the end of a run.

A conflict is between KPI rows of one code and fiscal year, so only the conflicts of the
codes whose rows a run added or removed can change: the run's transaction notes them
(:meth:`~kpi_extract.store.Transaction.watch`), and only those codes are checked again,
in their fiscal years. Checking every year at each run took 7.8 s of a 100-document run
into a 1,000,000-document dataset, and grew with the archive.

The findings are committed after the run's rows, in a generation of their own. A run killed
between the two commits would leave stale conflicts behind, so before its rows become
visible a run notes their fiscal years in the dataset's state folder (:class:`Pending`);
the next run checks those years whole, then forgets them.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Final, TypeAlias

import pyarrow as pa
import pyarrow.compute as pc

from kpi_extract.audit import DATASET_SCOPE, conflicts
from kpi_extract.audit.conflicts import dataset_finding_ids
from kpi_extract.errors import OutputError
from kpi_extract.store import Store, Transaction, read_parts, scan_parts

#: The note of fiscal years whose conflicts may be stale, in the dataset's state folder.
PENDING_NOTE: Final = "conflicts-pending.json"

#: What a run changed in ``kpis``: the KPI codes by fiscal year, None for a whole year.
Changed: TypeAlias = Mapping[int | None, set[str] | None]


class Pending:
    """Fiscal years whose conflicts may be stale: noted before a run's rows become visible.

    ``left``: the years a run killed before its conflict check left noted (None if the note
    cannot be read: every year is then checked).
    """

    def __init__(self, store: Store) -> None:
        self.path = store.state / PENDING_NOTE
        self.left = self._read()
        self.noted: set[int] | None = None if self.left is None else set(self.left)

    def _read(self) -> set[int] | None:
        try:
            years = json.loads(self.path.read_text("utf-8"))["years"]
            return {int(year) for year in years}
        except FileNotFoundError:
            return set()
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def note(self, years: Iterable[int | None]) -> None:
        """Add ``years`` to the note (written, synced and renamed into place if it grows)."""
        if self.noted is None:
            # Unreadable: left as it is, so that every year is checked until a check ends.
            return
        new = {year for year in years if year is not None} - self.noted
        if not new:
            return
        self.noted |= new
        tmp = self.path.with_name(f".{PENDING_NOTE}.tmp")
        try:
            with tmp.open("w", encoding="utf-8") as handle:
                json.dump({"years": sorted(self.noted)}, handle)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self.path)
        except OSError as exc:
            raise OutputError("output", f"cannot write {self.path}: {exc}") from None

    def clear(self) -> None:
        """Forget the note: every year it named has been checked."""
        self.path.unlink(missing_ok=True)
        self.noted = set()


def refresh_conflicts(
    store: Store, changed: Changed | None = None, whole_years: Iterable[int] = ()
) -> int:
    """Recompute the ``kpi_conflict`` findings ``changed`` can have changed; commit if they did.

    ``changed``: the KPI codes a run added or removed, by fiscal year (None for a whole
    year); None: every year of the dataset whole. ``whole_years``: years checked whole as
    well (those :class:`Pending` left). A year with more codes changed than a slice of
    :func:`~kpi_extract.audit.conflicts.year_conflicts` holds is checked whole. Each
    year's findings are compared with the ids stored for it; the transaction is discarded
    if no year differs. Return the generation the dataset is at.
    """
    kpis = store.parts_by_year("kpis")
    stored = store.parts_by_year("audit_findings")
    plan: dict[int, frozenset[str] | None]
    if changed is None:
        plan = {year: None for year in {*kpis, *stored} if year is not None}
    else:
        most = conflicts.CODES_AT_A_TIME
        plan = {
            year: None if codes is None or len(codes) > most else frozenset(codes)
            for year, codes in changed.items()
            if year is not None
        }
    plan.update(dict.fromkeys(whole_years))
    tx = store.begin()
    try:
        # Every year is staged, whether or not an earlier one changed: no short circuit.
        changes = [
            _refresh_year(tx, kpis, stored.get(year, []), year, plan[year]) for year in sorted(plan)
        ]
        if not any(changes):
            tx.discard()
            return int(store.manifest()["generation"])
        return tx.commit()
    except BaseException:
        tx.discard()
        raise


def _refresh_year(
    tx: Transaction,
    kpis: dict[int | None, list[Path]],
    stored: list[Path],
    year: int,
    codes: frozenset[str] | None,
) -> bool:
    """Stage one year's conflicts of ``codes`` (None: all); return whether they changed.

    ``stored``: the year's parts of ``audit_findings``. A whole year's findings are staged
    a slice at a time, replacing every stored dataset-wide finding of the year if the
    transaction commits. For ``codes``, nothing is staged unless their findings changed;
    then the year's other stored conflicts are staged again beside the new ones, as they
    are read. Held at most: the ids and codes of the year's stored conflicts, a row group.
    """
    if codes is None:
        ids: list[str] = []
        for findings in conflicts.year_conflicts(kpis, year):
            tx.write("audit_findings", findings)
            ids += [finding["finding_id"] for finding in findings]
        tx.remove("audit_findings", {DATASET_SCOPE}, years=[year])
        return sorted(ids) != sorted(dataset_finding_ids(stored))
    found = [
        finding for findings in conflicts.year_conflicts(kpis, year, codes) for finding in findings
    ]
    scope = ("scope", pa.array([DATASET_SCOPE], pa.string()))
    wanted = pa.array(sorted(codes), pa.string())
    known = read_parts(stored, "audit_findings", ["kpi_code", "finding_id"], scope)
    # A null code is not one of them (is_in is false for a null, never null).
    of_codes = pc.is_in(known.column("kpi_code"), value_set=wanted)
    was = known.filter(of_codes).column("finding_id")
    if sorted(str(finding_id) for finding_id in was.to_pylist()) == sorted(
        finding["finding_id"] for finding in found
    ):
        return False
    tx.remove("audit_findings", {DATASET_SCOPE}, years=[year])
    # The year's other conflicts, a row group at a time: a year's whole lot held would grow
    # with the archive.
    for piece in scan_parts(stored, "audit_findings", None, scope):
        tx.write_table(
            "audit_findings", piece.filter(pc.invert(pc.is_in(piece["kpi_code"], value_set=wanted)))
        )
    tx.write("audit_findings", found)
    return True
