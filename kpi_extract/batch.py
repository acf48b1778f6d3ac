"""Batch conversion: inputs -> parsed documents -> the Parquet dataset, safely re-runnable.

- Every input ends as one ``documents`` row: ``parsed``, ``partial`` (some records failed
  validation: they are in ``quarantine``), ``duplicate`` (same bytes as another input: its
  rows are stored once), or ``quarantined`` (with a reason code in ``quarantine``).
- An input whose size and modification time are unchanged is skipped without reading; one
  whose bytes are unchanged is skipped after hashing; a changed one replaces its rows; a new
  one adds its rows. ``force`` re-parses everything.
- Documents are parsed by ``jobs`` worker processes (0: in this process, for debugging),
  ``batch_size`` at a time; rows of one batch at most are held in memory. A document that
  takes longer than ``timeout`` seconds, or crashes its worker, is quarantined (``timeout``,
  ``crashed``); one larger than :data:`MAX_DOCUMENT_BYTES` is quarantined unread.
- A commit (atomic, see :mod:`kpi_extract.store`) follows every ``commit_every``
  documents and ends the run.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import os
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Final

from kpi_extract import __version__
from kpi_extract.audit import DATASET_SCOPE, audit_conflicts, audit_tables
from kpi_extract.audit.dataset import conflict_candidates, dataset_findings
from kpi_extract.distributed import DaskPool
from kpi_extract.errors import DecodeError, KpiExtractError, LayoutError
from kpi_extract.faults import checkpoint
from kpi_extract.grammar import load_grammars
from kpi_extract.inputs import InputItem, iter_inputs, read_item
from kpi_extract.parse import parse_bytes
from kpi_extract.redact import fingerprint, redact_rows
from kpi_extract.rows import Row, Rows, error_rows, quarantine_row, record_rows
from kpi_extract.schema import TABLES
from kpi_extract.store import Store, Transaction
from kpi_extract.workers import Pool

# Tables whose rows belong to one document's content (audit_findings: scope = doc_id).
DATA_TABLES: Final = tuple(t for t, d in TABLES.items() if d.key in ("doc_id", "scope"))
_HAS_DATA: Final = ("parsed", "partial")
#: A dump larger than this is quarantined (``too_large``) unread: a report is ~10 KB, and a
#: file of several thousand reports is well below it.
MAX_DOCUMENT_BYTES: Final = 32 * 1024 * 1024
#: Seconds one document may take to parse before its worker is killed (``timeout``).
DOCUMENT_TIMEOUT: Final = 60.0


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
    redaction: str | None = None


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


def process(
    item: InputItem,
    known_sha: str | None,
    fiscal_year: int | None,
    redact_key: bytes | None = None,
) -> Outcome:
    """Read and parse one input; never raises (every failure is a quarantine outcome)."""
    if item.refused:
        return _quarantined(
            item, None, "read", item.refused, f"{item.path}: not read ({item.refused})"
        )
    if item.size > MAX_DOCUMENT_BYTES:
        message = f"{item.path}: {item.size} bytes, more than {MAX_DOCUMENT_BYTES} for one dump"
        return _quarantined(item, None, "read", "too_large", message)
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
    quarantine = error_rows(result.errors, sha, item.path)
    if redact_key is not None:  # rows are changed in place, quarantine messages included
        redact_rows(Rows({**rows.tables, "quarantine": quarantine}), redact_key)
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
        redaction=fingerprint(redact_key) if redact_key is not None else None,
    )
    return Outcome(item.path, sha, document, rows, quarantine, records=len(result.records))


@dataclass(frozen=True, slots=True)
class Options:
    """How a run converts (see :func:`convert`)."""

    jobs: int = 1
    fiscal_year: int | None = None
    force: bool = False
    batch_size: int = 500
    commit_every: int = 10_000
    timeout: float = 60.0
    redact_key: bytes | None = None
    dask: str | None = None

    @property
    def redaction(self) -> str | None:
        """The fingerprint of the redaction key, if any."""
        return fingerprint(self.redact_key) if self.redact_key is not None else None


@dataclass(frozen=True, slots=True)
class Task:
    """One input to parse, and what the worker needs to know about it."""

    item: InputItem
    known_sha: str | None
    fiscal_year: int | None
    redact_key: bytes | None


def _process_task(task: Task) -> Outcome:
    return process(task.item, task.known_sha, task.fiscal_year, task.redact_key)


def _failed(task: Task, reason: str) -> Outcome:
    """The outcome of a task whose worker ran out of time or died."""
    item = task.item
    what = "took longer than the time bound" if reason == "timeout" else "crashed its worker"
    return _quarantined(item, None, "parse", reason, f"{item.path}: parsing {what}")


class _Index:
    """What the dataset holds already: inputs by path, and which paths share content."""

    def __init__(self, store: Store) -> None:
        columns = ["path", "doc_id", "size", "mtime_ns", "status", "redaction"]
        table = store.read("documents", columns)
        self.by_path: dict[str, _Known] = {}
        self.owner: dict[str, str] = {}  # doc_id -> a path whose rows hold it
        self.refs: dict[str, set[str]] = {}  # doc_id -> every path with that content
        for row in table.to_pylist():
            known = _Known(
                row["doc_id"], row["size"], row["mtime_ns"], row["status"], row["redaction"]
            )
            self.by_path[row["path"]] = known
            if known.doc_id:
                self.refs.setdefault(known.doc_id, set()).add(row["path"])
                if known.status in _HAS_DATA:
                    self.owner[known.doc_id] = row["path"]

    def unchanged(self, item: InputItem, redaction: str | None) -> bool:
        """Same size, time and redaction: the input need not even be read."""
        known = self.by_path.get(item.path)
        same = (item.size, item.mtime_ns, redaction)
        return known is not None and (known.size, known.mtime_ns, known.redaction) == same

    def known_sha(self, item: InputItem, redaction: str | None) -> str | None:
        """The hash the dataset holds for this path (under the same redaction), if any."""
        known = self.by_path.get(item.path)
        return known.doc_id if known is not None and known.redaction == redaction else None


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
        self.touched: list[InputItem] = []  # unchanged bytes, new modification time

    def refreshed(self, item: InputItem) -> None:
        """Same bytes under a new modification time: only the documents row changes."""
        self.tx.remove("documents", {item.path})
        self.touched.append(item)
        known = self.index.by_path[item.path]
        self.index.by_path[item.path] = _Known(
            known.doc_id, item.size, item.mtime_ns, known.status, known.redaction
        )
        self.summary.skipped += 1

    def flush_touched(self) -> None:
        """Add the documents rows of the batch's refreshed inputs (one read per batch)."""
        if not self.touched:
            return
        items = {item.path: item for item in self.touched}
        for previous in self.store.read_rows("documents", "path", list(items)):
            item = items[previous["path"]]
            self.documents.append({**previous, "size": item.size, "mtime_ns": item.mtime_ns})
        self.touched = []

    def apply(self, outcome: Outcome, item: InputItem, batch: Rows, quarantine: list[Row]) -> None:
        """Record one parsed (or quarantined) input, replacing what its path held before."""
        if outcome.unchanged:
            self.refreshed(item)
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
            sha or "", item.size, item.mtime_ns, document["status"], document.get("redaction")
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
    fresh = audit_conflicts(conflict_candidates(store))
    current = dataset_findings(store)
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
    timeout: float = DOCUMENT_TIMEOUT,
    redact_key: bytes | None = None,
    dask: str | None = None,
    progress: Callable[[int], object] | None = None,
) -> Summary:
    """Convert ``inputs`` into the dataset at ``out``; return the run's counts.

    ``jobs`` worker processes (default: the cores; 0: parse in this process, with no time
    bound); ``redact_key`` replaces personal data (:mod:`kpi_extract.redact`); ``dask``, a
    scheduler address or ``local:N``, parses on a Dask cluster (:mod:`kpi_extract.distributed`).
    Raises :class:`~kpi_extract.store.DatasetLockedError` when another run holds ``out``,
    :class:`~kpi_extract.store.OutputError` when it cannot be written and
    :class:`~kpi_extract.inputs.InputError` for an input path that does not exist.
    """
    started = time.monotonic()
    options = Options(
        jobs=(os.cpu_count() or 1) if jobs is None else jobs,
        fiscal_year=fiscal_year,
        force=force,
        batch_size=batch_size,
        commit_every=commit_every,
        timeout=timeout,
        redact_key=redact_key,
        dask=dask,
    )
    store = Store(Path(out))
    with store.locked():
        store.collect_garbage()
        run = _Run(store)
        items = list({item.path: item for item in iter_inputs(inputs, pattern=pattern)}.values())
        run.summary.seen = len(items)
        try:
            with _fewer_collections():
                _run_batches(run, items, options, progress)
        except BaseException:
            run.tx.discard()
            raise
        run.tx.commit()
        run.summary.generation = refresh_conflicts(store, run.tx)
        store.collect_garbage()
    run.summary.elapsed = time.monotonic() - started
    return run.summary


@contextlib.contextmanager
def _fewer_collections(threshold: int = 50_000) -> Iterator[None]:
    """Run the cycle collector less often while a run holds many long-lived objects.

    The rows of a batch and the index of the dataset are not garbage, yet each collection
    of the oldest generation walks them all: it took 0.2 ms of the parent's 1.4 ms per
    document. Freezing what exists before the workers fork also spares their collections
    (and their copy-on-write pages) the imported modules. Restored on the way out.
    """
    old = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(threshold, *old[1:])
    try:
        yield
    finally:
        gc.set_threshold(*old)
        gc.unfreeze()


def _tasks(run: _Run, batch: list[InputItem], options: Options) -> list[Task]:
    """The inputs of a batch that must be read; count the others as skipped."""
    todo = []
    redaction = options.redaction
    for item in batch:
        if not options.force and run.index.unchanged(item, redaction):
            run.summary.skipped += 1  # same size, time and redaction: not even read
            continue
        known = None if options.force else run.index.known_sha(item, redaction)
        todo.append(Task(item, known, options.fiscal_year, options.redact_key))
    return todo


class _Writer:
    """Stages batches in a background thread while the workers parse the next batch.

    Encoding Parquet releases the GIL, so the parent keeps the workers fed meanwhile. At
    most ``ahead`` batches wait to be written: memory stays bounded by a few batches.
    """

    def __init__(self, ahead: int = 1) -> None:
        self.ahead = ahead
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kpi-writer")
        self.pending: deque[Future[None]] = deque()

    def submit(self, fn: Callable[[], None]) -> None:
        """Run ``fn`` after what was submitted before; raise what an earlier one raised."""
        while len(self.pending) > self.ahead:
            self.pending.popleft().result()
        self.pending.append(self.executor.submit(fn))

    def drain(self) -> None:
        """Wait for every submitted write; raise the first error."""
        while self.pending:
            self.pending.popleft().result()

    def close(self) -> None:
        """Stop the thread once the write in progress, if any, has ended."""
        self.executor.shutdown(wait=True, cancel_futures=True)


def _stage(tx: Transaction, rows: Rows, quarantine: list[Row], documents: list[Row]) -> None:
    for table, table_rows in rows.tables.items():
        tx.write(table, table_rows)
    tx.write("quarantine", quarantine)
    tx.write("documents", documents)


def _run_batches(
    run: _Run,
    items: list[InputItem],
    options: Options,
    progress: Callable[[int], object] | None,
) -> None:
    pool: Pool[Task, Outcome] | DaskPool | None = None
    if options.dask is not None:
        pool = DaskPool(options.dask, _process_task)
    elif options.jobs > 0:
        pool = Pool(options.jobs, _process_task, _failed, options.timeout)
    writer = _Writer()
    since_commit = 0
    try:
        for batch in _batches(items, options.batch_size):
            run.documents = documents = list[Row]()
            rows, quarantine = Rows(), list[Row]()
            todo = _tasks(run, batch, options)
            results = pool.map(todo) if pool else map(_process_task, todo)
            for task, outcome in zip(todo, results, strict=True):
                run.apply(outcome, task.item, rows, quarantine)
                checkpoint("parsed")
            run.flush_touched()
            writer.submit(partial(_stage, run.tx, rows, quarantine, documents))
            if progress is not None:
                progress(len(batch))
            since_commit += len(batch)
            if since_commit >= options.commit_every:
                writer.drain()
                run.summary.generation = run.tx.commit()
                since_commit = 0
        writer.drain()
    finally:
        writer.close()
        if pool is not None:
            pool.close()
