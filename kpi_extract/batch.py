"""Batch conversion: inputs -> parsed documents -> the Parquet dataset, safely re-runnable.

- Every input ends as one ``documents`` row: ``parsed``, ``partial`` (some records failed
  validation: they are in ``quarantine``), ``duplicate`` (same bytes as another input: its
  rows are stored once), or ``quarantined`` (with a reason code in ``quarantine``).
- An input whose size and modification time are unchanged is skipped without reading
  (unless it was quarantined unread: it is looked at again); one whose bytes are unchanged
  is skipped after hashing; a changed one replaces its rows; a new one adds its rows.
  ``force`` re-parses everything.
- Documents are parsed by ``jobs`` worker processes (0: in this process, for debugging),
  in batches of ``batch_size``, in chunks of at most :data:`CHUNK_SIZE` per task, as many
  for each worker (and at most :data:`CHUNK_BYTES` of input), whose rows come back as
  Arrow tables (:mod:`kpi_extract.document`). Two batches are in the pool at a time
  (the next one's tasks run while this one is applied), and a few more wait to be written:
  what a run holds in memory does not grow with the number of inputs. A document that
  takes longer than ``timeout`` seconds, or crashes its worker, is quarantined
  (``timeout``, ``crashed``): a chunk that fails as a whole is run again one document per
  task, so only the document at fault is. One larger than
  :data:`~kpi_extract.document.MAX_DOCUMENT_BYTES` is quarantined unread.
- A commit (atomic, see :mod:`kpi_extract.store`) follows every ``commit_every``
  documents and ends the run.
"""

from __future__ import annotations

import contextlib
import gc
import os
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Final

import pyarrow as pa

from kpi_extract.audit import conflicts
from kpi_extract.audit.refresh import Pending, refresh_conflicts
from kpi_extract.distributed import DaskPool
from kpi_extract.document import Chunk, Outcome, Reader, Task, chunk_failed, process_chunk
from kpi_extract.errors import OutputError
from kpi_extract.faults import checkpoint
from kpi_extract.grammar import load_grammars
from kpi_extract.index import HAS_DATA, Known
from kpi_extract.inputs import InputItem, item_at, iter_inputs, keep_archives_open
from kpi_extract.redact import fingerprint
from kpi_extract.remote import is_url
from kpi_extract.rows import Row
from kpi_extract.runindex import keep_index, open_index
from kpi_extract.schema import TABLES
from kpi_extract.spans import Span, span_of
from kpi_extract.store import GENERATION_GRACE, Store, Transaction
from kpi_extract.workers import Pool

# Tables whose rows belong to one document's content (audit_findings: scope = doc_id).
DATA_TABLES: Final = tuple(t for t, d in TABLES.items() if d.key in ("doc_id", "scope"))
#: Seconds one document may take to parse before its worker is killed (``timeout``).
DOCUMENT_TIMEOUT: Final = 60.0
#: Documents a worker parses per task: their rows come back as one Arrow table per table.
#: 64, not 16: fewer, larger tables to build, send and stage; CPU per document at 10,000
#: documents --jobs 2, three alternating runs each, 2.36-2.47 -> 2.27-2.32 ms (the parent
#: 0.31-0.33 -> 0.26-0.27); 128 gave no more.
CHUNK_SIZE: Final = 64
#: And at most this many bytes of input per task (a larger document is a task alone): the
#: pool's time bound applies to a whole task, and a task of 64 large dumps could exceed it
#: where each of them would not (the task is then run again one document per task).
CHUNK_BYTES: Final = 1 << 20


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
    remote: bool = False  # an input is a URL: workers read their next chunk ahead

    @property
    def redaction(self) -> str | None:
        """The fingerprint of the redaction key, if any."""
        return fingerprint(self.redact_key) if self.redact_key is not None else None


def _chunks(tasks: list[Task], workers: int = 1) -> Iterator[list[Task]]:
    """Consecutive tasks in chunks of one size, at most :data:`CHUNK_SIZE`.

    As few chunks as that allows, made a multiple of ``workers`` so that each worker gets
    as many: 100 tasks and two workers make two chunks of 50, not one of 64 that one
    worker parses while the other is done with 36; 500 make seven of 63 and one of 59.
    A chunk also ends before it would exceed :data:`CHUNK_BYTES` of input (a larger task
    is a chunk alone).
    """
    count = -(-len(tasks) // CHUNK_SIZE)
    count = -(-count // max(1, workers)) * max(1, workers)
    most = -(-len(tasks) // count) if count else CHUNK_SIZE
    chunk: list[Task] = []
    size = 0
    for task in tasks:
        if chunk and (len(chunk) == most or size + task.item.size > CHUNK_BYTES):
            yield chunk
            chunk, size = [], 0
        chunk.append(task)
        size += task.item.size
    if chunk:
        yield chunk


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

    def __init__(self, store: Store, pending: Pending) -> None:
        self.store = store
        self.index = open_index(store)
        self.tx = store.begin()
        # The KPI codes whose conflicts the run has to check again (see audit.refresh),
        # their years noted before the rows become visible.
        self.tx.watch("kpis", "kpi_code", conflicts.CODES_AT_A_TIME)
        self.tx.before_publish = lambda: pending.note(self.tx.changed("kpis"))
        self.summary = Summary()
        self.documents: list[Row] = []
        self.touched: list[InputItem] = []  # unchanged bytes, new modification time
        # Paths whose content lost the input its rows were stored under: parsed again, so
        # that one of them holds the rows (with its own path) and the others name it.
        self.orphaned: set[str] = set()
        self.recount: dict[str, str | None] = {}  # of those, being parsed: the count they had

    def must_parse(self, path: str) -> bool:
        """Whether ``path`` is parsed whatever the index says: a leftover (:meth:`leftovers`).

        An orphaned path met among the inputs is not forced: it is a leftover, parsed
        after the inputs, in the order of the paths, so that the input that comes to hold
        the rows does not depend on the batches (nor on which batch was in the pool when
        another orphaned it).
        """
        return path in self.recount

    def unique(self, items: Iterable[InputItem]) -> Iterator[InputItem]:
        """Each input once (a file may be named twice: by its folder and by itself), counted.

        Streamed, not listed: an archive's inputs are never all held in memory (a list of
        them was 440 bytes per input); the index notes the paths seen.
        """
        for item in items:
            if self.index.first_sight(item.path):
                self.summary.seen += 1
                yield item

    def leftovers(self) -> Iterator[InputItem]:
        """The orphaned paths not parsed since they became so, once the inputs are done.

        One seen in this run was counted already (skipped, parsed...): it is counted once.
        """
        paths, self.orphaned = sorted(self.orphaned), set()
        for path in paths:
            known = self.index.get(path)
            if self.index.first_sight(path):
                self.recount[path] = None
                self.summary.seen += 1
                yield item_at(path)
                continue
            if known is not None and known.applied:
                self.recount[path] = "quarantined" if known.status == "quarantined" else "parsed"
            else:
                self.recount[path] = "skipped"
            # Its documents row (a duplicate's, or a refreshed one) was committed by this
            # run before the leftovers (see _Batches.convert): the row it gets now replaces
            # it. It had two, the first naming an owner that no longer held its content.
            for table in ("documents", "quarantine"):
                self.tx.remove_written(table, {path})
            yield item_at(path)

    def refreshed(self, item: InputItem) -> None:
        """Same bytes under a new modification time: only the documents row changes."""
        self.tx.remove("documents", {item.path})
        self.touched.append(item)
        known = self.index.get(item.path)
        assert known is not None  # only a known input can be unchanged
        self.index.put(item.path, known._replace(size=item.size, mtime_ns=item.mtime_ns))
        self.summary.skipped += 1

    def flush_touched(self, at_least: int = 1) -> None:
        """Add the documents rows of the refreshed inputs, once ``at_least`` of them wait.

        One read of ``documents`` for them all: a scan of the whole table, whatever the
        number of rows it finds. Once a batch, an archive copied elsewhere (every time new,
        every byte the same) was quadratic: a scan of the dataset's ``documents`` for each
        500 inputs.
        """
        if not self.touched or len(self.touched) < at_least:
            return
        items = {item.path: item for item in self.touched}
        for previous in self.store.read_rows("documents", "path", list(items)):
            item = items[previous["path"]]
            self.documents.append({**previous, "size": item.size, "mtime_ns": item.mtime_ns})
        self.touched = []

    def apply(self, outcome: Outcome, item: InputItem, quarantine: list[Row]) -> bool:
        """Record one parsed (or quarantined) input, replacing what its path held before.

        Return whether its data rows are to be written (not for a duplicate).
        """
        if outcome.unchanged:
            self.refreshed(item)
            return False
        self.orphaned.discard(item.path)
        earlier = self.recount.pop(item.path, None)
        if earlier is not None:  # counted before its content was orphaned: count it once
            setattr(self.summary, earlier, getattr(self.summary, earlier) - 1)
        keep = False
        index, tx = self.index, self.tx
        old = index.get(item.path)
        if old is not None:
            tx.remove("documents", {item.path})
            tx.remove("quarantine", {item.path})
            self._release(old.doc_id, item.path)
        document = dict(outcome.document)
        sha = outcome.sha256
        owner = index.owner(sha) if sha is not None else None
        if document["status"] in HAS_DATA and owner is not None:
            document.update(status="duplicate", duplicate_of=owner, record_count=0)
        elif document["status"] in HAS_DATA and sha is not None:
            keep = True
            quarantine.extend(outcome.quarantine)
            index.set_owner(sha, item.path)
            self.summary.records += outcome.records
        else:
            quarantine.extend(outcome.quarantine)
        known = Known(
            sha or "", item.size, item.mtime_ns, document["status"], document.get("redaction"), True
        )
        index.put(item.path, known)
        self.documents.append(document)
        if document["status"] == "quarantined":
            self.summary.quarantined += 1
        else:
            self.summary.parsed += 1
        return keep

    def _release(self, doc_id: str, path: str) -> None:
        """``path`` no longer holds ``doc_id``: drop the rows it held.

        Other inputs with the same content (``duplicate`` of ``path``) are parsed again in
        this run: the first then holds the rows, under its own path, and the others name it.
        """
        if not doc_id or self.index.owner(doc_id) != path:
            return
        self.index.drop_owner(doc_id)
        for table in DATA_TABLES:
            self.tx.remove(table, {doc_id}, at=[path])  # its rows were written as path's
        self.orphaned.update(self.index.sharing(doc_id, path))


def _default_jobs(inputs: Sequence[str | Path]) -> int:
    """The cores; twice as many when an input is a URL.

    A worker reading object storage waits for its first chunk's reads (one request's
    latency, all in flight at once), and for the next one's when they take longer than it
    takes to parse a chunk (they are read meanwhile, see :class:`Reader`): another worker
    parses while one waits. 6,006 documents, two cores, reads answered after 150 ms: 463
    docs/s with 2 workers, 677 with 4, before chunks were read ahead; with it, 529-670
    and 561-738 (two runs each: the README's table).
    """
    cores = os.cpu_count() or 1
    return 2 * cores if _remote(inputs) else cores


def _remote(inputs: Sequence[str | Path]) -> bool:
    return any(isinstance(given, str) and is_url(given) for given in inputs)


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

    ``jobs`` worker processes (default: :func:`_default_jobs`; 0: parse in this process,
    with no time bound); ``redact_key`` replaces personal data (:mod:`kpi_extract.redact`);
    ``dask``, a scheduler address or ``local:N``, parses on a Dask cluster
    (:mod:`kpi_extract.distributed`).
    Raises :class:`~kpi_extract.store.DatasetLockedError` when another run holds ``out``,
    :class:`~kpi_extract.store.OutputError` when it cannot be written and
    :class:`~kpi_extract.inputs.InputError` for an input that does not exist or cannot be
    listed.
    """
    started = time.monotonic()
    options = Options(
        jobs=_default_jobs(inputs) if jobs is None else jobs,
        fiscal_year=fiscal_year,
        force=force,
        batch_size=batch_size,
        commit_every=commit_every,
        timeout=timeout,
        redact_key=redact_key,
        dask=dask,
        remote=_remote(inputs),
    )
    store = Store(Path(out))
    with store.locked():
        store.collect_garbage()
        listed = iter_inputs(inputs, pattern=pattern)  # raises for a missing path, now
        pending = Pending(store)
        run = _Run(store, pending)
        items = run.unique(listed)
        if options.dask is None:
            # Compiled here, the grammars reach the workers with the fork (and out of the
            # collector's sight, see _fewer_collections) instead of each compiling them:
            # 60 ms of CPU per worker.
            load_grammars()
        try:
            with _fewer_collections():
                _run_batches(run, items, options, progress)
        except BaseException:
            run.tx.discard()
            run.index.close()
            raise
        with contextlib.closing(run.index):
            run.tx.commit()
            changed = None if pending.left is None else run.tx.changed("kpis")
            run.summary.generation = refresh_conflicts(store, changed, pending.left or ())
            with contextlib.suppress(OutputError):  # a full disk: the next commit merges them
                run.summary.generation = store.tidy()
            keep_index(store, run.index)
        pending.clear()
        store.collect_garbage()
    run.summary.elapsed = time.monotonic() - started
    return run.summary


@contextlib.contextmanager
def _fewer_collections(threshold: int = 50_000) -> Iterator[None]:
    """Run the cycle collector less often in this process while a run holds many objects.

    The rows of a batch and the index of the dataset are not garbage, yet each collection
    of the oldest generation walks them all: it took 0.2 ms of the parent's 1.4 ms per
    document. Freezing what exists before the workers fork also spares their collections
    (and their copy-on-write pages) the imported modules; the workers collect on their own
    terms (:func:`parse_in_worker`). Restored on the way out.
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
        force = options.force or run.must_parse(item.path)
        if not force and run.index.unchanged(item.path, item.size, item.mtime_ns, redaction):
            run.summary.skipped += 1  # same size, time and redaction: not even read
            continue
        known = None if force else run.index.known_sha(item.path, redaction)
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


def _stage(
    tx: Transaction,
    tables: dict[str, list[pa.Table]],
    quarantine: list[Row],
    documents: list[Row],
    span: Span | None = None,
) -> None:
    """Stage a batch's rows; ``span``: the paths of the inputs that hold its data rows."""
    for name, pieces in tables.items():
        tx.write_table(name, pa.concat_tables(pieces), span)
    tx.write("quarantine", quarantine)
    tx.write("documents", documents)
    # Give back to the system what the batch's tables held: the parent's peak PSS at 10,000
    # documents went 253 -> 229 MB; the allocator kept the freed pages for later batches.
    pa.default_memory_pool().release_unused()


class _InlinePool:
    """Chunks parsed in this process, each when its result is taken (``jobs=0``)."""

    def __init__(self) -> None:
        self.queue: deque[list[Task]] = deque()

    def submit(self, tasks: list[Task]) -> None:
        self.queue.append(tasks)

    def next(self) -> tuple[list[Task], Chunk]:
        tasks = self.queue.popleft()
        return tasks, process_chunk(tasks)

    def close(self) -> None:
        """Nothing to stop."""


_ChunkPool = Pool[list[Task], Chunk] | DaskPool | _InlinePool
#: Refreshed inputs (same bytes, new time) whose documents rows are read together, at
#: most: each read scans the dataset's whole ``documents`` table (see
#: :meth:`_Run.flush_touched`); a commit reads those waiting, whatever their number.
TOUCHED_AT_ONCE: Final = 20_000
#: Batches whose tasks are submitted at once: the next batch's chunks are queued while the
#: last chunks of this one run. With one batch at a time the workers waited for the parent
#: at every batch boundary: 4% of their time (0.43 of 10.4 s, 10,000 documents).
_AHEAD: Final = 2


def _one_per_chunk(tasks: list[Task]) -> list[list[Task]]:
    """A chunk that ran out of time or crashed its worker, run again one task per chunk.

    Only the task at fault is then quarantined (see :class:`~kpi_extract.workers.Pool`).
    """
    return [[task] for task in tasks]


def parse_in_worker(tasks: list[Task]) -> Chunk:
    """:func:`process_chunk` in a worker, then one collection of whatever cycles it left.

    Workers run with the automatic collector off (:func:`gc.disable` as they start):
    parsing makes no reference cycles (tests/test_cycles.py parses the samples, synthetic
    and hostile dumps with the collector saving what it finds: nothing), so its collections
    walked the young objects for nothing, 1.8 % of a 10,000-document run's samples (perf);
    0.5 % of the workers' instructions, these collections included (cachegrind, 200
    documents: 10.872 -> 10.817 M per document). A cycle from a
    path no test takes is still freed, after its chunk: a full collection between chunks
    costs 0.2-0.4 ms, the workers' heap being frozen at the fork (:func:`_fewer_collections`).
    """
    chunk = process_chunk(tasks, _READER)
    gc.collect()
    return chunk


def _start_worker() -> None:
    """How a worker starts: the collector off, archives kept open from chunk to chunk.

    See :func:`parse_in_worker` and :func:`~kpi_extract.inputs.keep_archives_open`.
    """
    gc.disable()
    keep_archives_open()


#: What reads a worker's chunks (each worker its own, after the fork): see :class:`Reader`.
_READER: Final = Reader()


def _pool(options: Options) -> _ChunkPool:
    if options.dask is not None:
        return DaskPool(options.dask, process_chunk, chunk_failed, _one_per_chunk)
    if options.jobs > 0:
        return Pool(
            options.jobs,
            parse_in_worker,
            chunk_failed,
            options.timeout,
            split=_one_per_chunk,
            # A third task in a worker's pipe when its inputs are in storage: as it starts
            # one, the next is there to be read ahead (with two, the parent sent the next
            # one only once the result of the one before had come back: 1 chunk in 33
            # was read ahead). Local files: two, which balances the end of a run better.
            depth=3 if options.remote else 2,
            initializer=_start_worker,
            ahead=_READER.ahead if options.remote else None,
        )
    return _InlinePool()


@dataclass(slots=True)
class _Planned:
    """A batch whose tasks were submitted; what the outcomes applied so far gave."""

    items: list[InputItem]
    left: int  # tasks submitted whose outcomes are not applied yet
    documents: list[Row] = field(default_factory=list)
    tables: dict[str, list[pa.Table]] = field(default_factory=dict)
    quarantine: list[Row] = field(default_factory=list)
    owners: list[str] = field(default_factory=list)  # the inputs whose rows are in tables


class _Batches:
    """Batches through the pool, :data:`_AHEAD` submitted at a time, applied in order.

    A batch's tasks are built before the batch before it is applied: a path that batch
    orphans (see :meth:`_Run.leftovers`) is in ``run.orphaned`` once it is, and the round
    of leftovers, run when the inputs are done and every batch is applied, parses it.
    """

    def __init__(
        self,
        run: _Run,
        options: Options,
        progress: Callable[[int], object] | None,
    ) -> None:
        self.run = run
        self.options = options
        self.progress = progress
        self.pool = _pool(options)
        self.writer = _Writer()
        self.planned: deque[_Planned] = deque()
        self.since_commit = 0

    def convert(self, items: Iterable[InputItem]) -> None:
        """Parse and stage every input, then the paths they orphaned, until none is left."""
        run, size = self.run, self.options.batch_size
        try:
            self._through(_batches(items, size))
            while run.orphaned:
                # What the leftovers will replace is committed first: rows staged since
                # the last commit cannot be told from the ones replacing them.
                self._commit()
                self._through(_batches(run.leftovers(), size))
            self._stage_touched()
            self.writer.drain()
        finally:
            self.writer.close()
            self.pool.close()

    def _stage_touched(self) -> None:
        """Stage the documents rows of the refreshed inputs still waiting (see TOUCHED_AT_ONCE)."""
        run = self.run
        run.documents = []  # the last batch's are staged, or being staged
        run.flush_touched()
        if run.documents:
            self.writer.submit(partial(_stage, run.tx, {}, [], run.documents))

    def _commit(self) -> None:
        """Commit everything applied so far."""
        self._stage_touched()
        self.writer.drain()
        self.run.summary.generation = self.run.tx.commit()
        self.run.store.drop_generations(grace=GENERATION_GRACE)
        self.since_commit = 0

    def _through(self, batches: Iterator[list[InputItem]]) -> None:
        while True:
            while len(self.planned) < _AHEAD and (batch := next(batches, None)) is not None:
                self._submit(batch)
            if not self.planned:
                return
            self._apply(self.planned.popleft())

    def _submit(self, batch: list[InputItem]) -> None:
        tasks = _tasks(self.run, batch, self.options)
        for chunk in _chunks(tasks, self.options.jobs if self.options.dask is None else 1):
            self.pool.submit(chunk)
        self.planned.append(_Planned(batch, len(tasks)))

    def _apply(self, planned: _Planned) -> None:
        run = self.run
        run.documents = planned.documents
        while planned.left:
            tasks, chunk = self.pool.next()
            keep = []
            for task, outcome in zip(tasks, chunk.outcomes, strict=True):
                keep.append(run.apply(outcome, task.item, planned.quarantine))
                if keep[-1]:
                    planned.owners.append(task.item.path)
                checkpoint("parsed")
            for name, table in chunk.kept(keep).items():
                planned.tables.setdefault(name, []).append(table)
            planned.left -= len(tasks)
        run.flush_touched(TOUCHED_AT_ONCE)  # those left are staged by the commit
        span = span_of(planned.owners)
        stage = partial(_stage, run.tx, planned.tables, planned.quarantine, planned.documents, span)
        self.writer.submit(stage)
        if self.progress is not None:
            self.progress(len(planned.items))
        self.since_commit += len(planned.items)
        if self.since_commit >= self.options.commit_every:
            self._commit()


def _run_batches(
    run: _Run,
    items: Iterable[InputItem],
    options: Options,
    progress: Callable[[int], object] | None,
) -> None:
    _Batches(run, options, progress).convert(items)
