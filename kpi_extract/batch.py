"""Batch conversion: inputs -> parsed documents -> the Parquet dataset, safely re-runnable.

- Every input ends as one ``documents`` row: ``parsed``, ``partial`` (some records failed
  validation: they are in ``quarantine``), ``duplicate`` (same bytes as another input: its
  rows are stored once), or ``quarantined`` (with a reason code in ``quarantine``).
- An input whose size and modification time are unchanged is skipped without reading; one
  whose bytes are unchanged is skipped after hashing; a changed one replaces its rows; a new
  one adds its rows. ``force`` re-parses everything.
- Documents are parsed by ``jobs`` worker processes, ``batch_size`` at a time; rows of one
  batch at most are held in memory. A commit (atomic, see :mod:`kpi_extract.store`) follows
  every ``commit_every`` documents and ends the run.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import hashlib
import os
import signal
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from kpi_extract import __version__
from kpi_extract.audit import DATASET_SCOPE, audit_conflicts, audit_tables
from kpi_extract.errors import DecodeError, KpiExtractError, LayoutError
from kpi_extract.faults import checkpoint
from kpi_extract.grammar import load_grammars
from kpi_extract.inputs import InputItem, iter_inputs, read_item
from kpi_extract.parse import parse_bytes
from kpi_extract.rows import Row, Rows, error_rows, quarantine_row, record_rows
from kpi_extract.schema import TABLES
from kpi_extract.store import Store, Transaction

# Tables whose rows belong to one document's content (audit_findings: scope = doc_id).
DATA_TABLES: Final = tuple(t for t, d in TABLES.items() if d.key in ("doc_id", "scope"))
_HAS_DATA: Final = ("parsed", "partial")
_PR_SET_PDEATHSIG: Final = 1


@dataclass(slots=True)
class Outcome:
    """What became of one input (built in a worker; plain data, picklable)."""

    path: str
    sha256: str | None
    document: Row
    rows: Rows = field(default_factory=Rows)
    quarantine: list[Row] = field(default_factory=list)
    records: int = 0
    unchanged: bool = False


@dataclass(slots=True)
class Summary:
    """Counts of a run: ``seen == parsed + quarantined + skipped``."""

    seen: int = 0
    parsed: int = 0
    records: int = 0
    quarantined: int = 0
    skipped: int = 0
    elapsed: float = 0.0
    generation: int = 0

    def line(self) -> str:
        """The plain summary line printed at the end of a run."""
        return (
            f"files seen {self.seen}, parsed {self.parsed}, records {self.records}, "
            f"quarantined {self.quarantined}, unchanged-skipped {self.skipped}, "
            f"elapsed {self.elapsed:.1f}s"
        )


@dataclass(frozen=True, slots=True)
class _Known:
    doc_id: str
    size: int
    mtime_ns: int
    status: str


def _document_row(item: InputItem, sha256: str | None, **values: Any) -> Row:
    row: Row = {name: None for name in TABLES["documents"].schema.names}
    row.update(
        doc_id=sha256,
        path=item.path,
        sha256=sha256,
        size=item.size,
        mtime_ns=item.mtime_ns,
        record_count=0,
        error_count=0,
        parser_version=__version__,
        grammar_version=load_grammars().version,
    )
    row.update(values)
    return row


def _quarantined(
    item: InputItem, sha256: str | None, stage: str, code: str, message: str
) -> Outcome:
    return Outcome(
        item.path,
        sha256,
        _document_row(item, sha256, status="quarantined", reason_code=code),
        quarantine=[quarantine_row(item.path, sha256, stage, code, message)],
    )


def process(item: InputItem, known_sha: str | None, fiscal_year: int | None) -> Outcome:
    """Read and parse one input; never raises (every failure is a quarantine outcome)."""
    if item.refused:
        return _quarantined(
            item, None, "read", item.refused, f"{item.path}: not read ({item.refused})"
        )
    try:
        data = read_item(item)
    except OSError as exc:
        return _quarantined(item, None, "read", "read_error", str(exc))
    sha = hashlib.sha256(data).hexdigest()
    if sha == known_sha:
        return Outcome(item.path, sha, {}, unchanged=True)
    try:
        result = parse_bytes(data, source=item.path, fiscal_year=fiscal_year)
    except DecodeError as exc:
        return _quarantined(item, sha, "decode", exc.code, exc.message)
    except LayoutError as exc:
        return _quarantined(item, sha, "detect", exc.code, exc.message)
    except (KpiExtractError, Exception) as exc:  # a bug must not stop the batch
        return _quarantined(item, sha, "parse", "internal_error", f"{type(exc).__name__}: {exc}")
    rows = record_rows(result.records, sha, item.path)
    for finding in audit_tables(rows.tables):
        rows.add("audit_findings", finding)
    for w in result.warnings:
        rows.add(
            "warnings",
            {
                "record_id": None,
                "doc_id": sha,
                "fiscal_year_be": None,
                "path": item.path,
                "code": w.code,
                "message": w.message,
                "line": w.line,
            },
        )
    status = "partial" if result.errors else "parsed"
    document = _document_row(
        item,
        sha,
        encoding=result.encoding,
        layout=result.layout,
        record_count=len(result.records),
        error_count=len(result.errors),
        status=status,
        reason_code="validation" if result.errors else None,
    )
    return Outcome(
        item.path,
        sha,
        document,
        rows,
        error_rows(result.errors, sha, item.path),
        records=len(result.records),
    )


def _process_star(args: tuple[InputItem, str | None, int | None]) -> Outcome:
    return process(*args)


def _die_with_parent() -> None:
    """Worker initializer: end this worker when the converting process dies (Linux).

    Without it, workers of a killed run would linger, holding the run's lock and pipes.
    """
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux: workers end when their queue closes
        return
    if os.getppid() == 1:  # the parent died before prctl took effect
        os._exit(1)


class _Index:
    """What the dataset holds already: inputs by path, and which paths share content."""

    def __init__(self, store: Store) -> None:
        table = store.read("documents", ["path", "doc_id", "size", "mtime_ns", "status"])
        self.by_path: dict[str, _Known] = {}
        self.owner: dict[str, str] = {}  # doc_id -> a path whose rows hold it
        self.refs: dict[str, set[str]] = {}  # doc_id -> every path with that content
        for row in table.to_pylist():
            known = _Known(row["doc_id"], row["size"], row["mtime_ns"], row["status"])
            self.by_path[row["path"]] = known
            if known.doc_id:
                self.refs.setdefault(known.doc_id, set()).add(row["path"])
                if known.status in _HAS_DATA:
                    self.owner[known.doc_id] = row["path"]

    def unchanged(self, item: InputItem) -> bool:
        known = self.by_path.get(item.path)
        return known is not None and (known.size, known.mtime_ns) == (item.size, item.mtime_ns)


def _batches(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


class _Run:
    """One conversion run: applies outcomes to the transaction, keeps the counts."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.index = _Index(store)
        self.tx = store.begin()
        self.summary = Summary()
        self.documents: list[Row] = []

    def refreshed(self, outcome: Outcome, item: InputItem) -> None:
        """Same bytes under a new modification time: only the documents row changes."""
        (previous,) = self.store.read_rows("documents", "path", [item.path])
        self.tx.remove("documents", {item.path})
        self.documents.append({**previous, "size": item.size, "mtime_ns": item.mtime_ns})
        known = self.index.by_path[item.path]
        self.index.by_path[item.path] = _Known(known.doc_id, item.size, item.mtime_ns, known.status)
        self.summary.skipped += 1

    def apply(self, outcome: Outcome, item: InputItem, batch: Rows, quarantine: list[Row]) -> None:
        """Record one parsed (or quarantined) input, replacing what its path held before."""
        if outcome.unchanged:
            self.refreshed(outcome, item)
            return
        index, tx = self.index, self.tx
        old = index.by_path.get(outcome.path)
        if old is not None:
            tx.remove("documents", {outcome.path})
            tx.remove("quarantine", {outcome.path})
            self._release(old.doc_id, outcome.path)
        document = dict(outcome.document)
        sha = outcome.sha256
        if document["status"] in _HAS_DATA and sha is not None and sha in index.owner:
            document.update(status="duplicate", duplicate_of=index.owner[sha], record_count=0)
        elif document["status"] in _HAS_DATA and sha is not None:
            batch.extend(outcome.rows)
            quarantine.extend(outcome.quarantine)
            index.owner[sha] = outcome.path
            self.summary.records += outcome.records
        else:
            quarantine.extend(outcome.quarantine)
        if sha is not None:
            index.refs.setdefault(sha, set()).add(outcome.path)
        index.by_path[outcome.path] = _Known(
            sha or "", item.size, item.mtime_ns, document["status"]
        )
        self.documents.append(document)
        if document["status"] == "quarantined":
            self.summary.quarantined += 1
        else:
            self.summary.parsed += 1

    def _release(self, doc_id: str, path: str) -> None:
        """``path`` no longer holds ``doc_id``: drop its rows if no other input does."""
        refs = self.index.refs.get(doc_id, set())
        refs.discard(path)
        if self.index.owner.get(doc_id) != path:
            return
        del self.index.owner[doc_id]
        if refs:
            # Another input has the same content: its rows stay, now under that input.
            self.index.owner[doc_id] = sorted(refs)[0]
            return
        for table in DATA_TABLES:
            self.tx.remove(table, {doc_id})


def refresh_conflicts(store: Store, tx: Transaction) -> int:
    """Recompute the dataset-wide findings (``kpi_conflict``); commit only if they changed."""
    columns = ["record_id", "doc_id", "source", "layout", "fiscal_year_be", "agency_code"]
    columns += ["kpi_code", "target_value", "target_unit", "achieved_value", "provenance"]
    fresh = audit_conflicts(store.read("kpis", columns).to_pylist())
    findings = store.read("audit_findings").to_pylist()
    current = [f for f in findings if f["scope"] == DATASET_SCOPE]
    ids = sorted(f["finding_id"] for f in fresh)
    if ids != sorted(f["finding_id"] for f in current):
        tx.remove("audit_findings", {DATASET_SCOPE})
        tx.write("audit_findings", fresh)
    return tx.commit()


def convert(
    inputs: Sequence[str | Path],
    out: str | Path,
    *,
    jobs: int | None = None,
    fiscal_year: int | None = None,
    force: bool = False,
    pattern: str = "*.txt",
    batch_size: int = 500,
    commit_every: int = 10_000,
    progress: Callable[[int], object] | None = None,
) -> Summary:
    """Convert ``inputs`` into the dataset at ``out``; return the run's counts.

    Raises :class:`~kpi_extract.store.DatasetLockedError` when another run holds ``out``,
    :class:`~kpi_extract.store.OutputError` when it cannot be written and
    :class:`~kpi_extract.inputs.InputError` for an input path that does not exist.
    """
    started = time.monotonic()
    store = Store(Path(out))
    jobs = jobs or os.cpu_count() or 1
    with store.locked():
        store.collect_garbage()
        run = _Run(store)
        items = list({item.path: item for item in iter_inputs(inputs, pattern=pattern)}.values())
        run.summary.seen = len(items)
        try:
            _run_batches(
                run,
                items=items,
                jobs=jobs,
                fiscal_year=fiscal_year,
                force=force,
                batch_size=batch_size,
                commit_every=commit_every,
                progress=progress,
            )
        except BaseException:
            run.tx.discard()
            raise
        run.tx.commit()
        run.summary.generation = refresh_conflicts(store, run.tx)
        store.collect_garbage()
    run.summary.elapsed = time.monotonic() - started
    return run.summary


def _run_batches(
    run: _Run,
    *,
    items: list[InputItem],
    jobs: int,
    fiscal_year: int | None,
    force: bool,
    batch_size: int,
    commit_every: int,
    progress: Callable[[int], object] | None,
) -> None:
    pool = ProcessPoolExecutor(jobs, initializer=_die_with_parent) if jobs > 1 else None
    since_commit = 0
    try:
        for batch in _batches(items, batch_size):
            run.documents = []
            rows, quarantine = Rows(), list[Row]()
            todo = []
            for item in batch:
                if not force and run.index.unchanged(item):
                    run.summary.skipped += 1  # same size and time: not even read
                else:
                    known = run.index.by_path.get(item.path)
                    todo.append(
                        (item, None if force or known is None else known.doc_id, fiscal_year)
                    )
            results = (
                pool.map(_process_star, todo, chunksize=8) if pool else map(_process_star, todo)
            )
            for (item, _, _), outcome in zip(todo, results, strict=True):
                run.apply(outcome, item, rows, quarantine)
                checkpoint("parsed")
            for table, table_rows in rows.tables.items():
                run.tx.write(table, table_rows)
            run.tx.write("quarantine", quarantine)
            run.tx.write("documents", run.documents)
            if progress is not None:
                progress(len(batch))
            since_commit += len(batch)
            if since_commit >= commit_every:
                run.summary.generation = run.tx.commit()
                since_commit = 0
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
