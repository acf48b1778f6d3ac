"""Stage 8: the Parquet dataset on disk, written in atomic generations.

Layout of an output folder ``DIR``::

    DIR/kpis -> current/kpis             one link per table (what users read)
    DIR/current -> .kpi_extract/generations/00000007
    DIR/.kpi_extract/generations/00000007/_manifest.json
    DIR/.kpi_extract/generations/00000007/kpis/fiscal_year_be=2564/part-....parquet
    DIR/.kpi_extract/staging/<run>/...   parts written by a run, not yet committed
    DIR/.kpi_extract/lock                held (flock) by the run in progress
    DIR/.kpi_extract/index/<key>.sqlite  the inputs' index left for the next run (runindex)

Part files are immutable. A commit builds a new generation folder out of hard links to the
parts that stay, rewritten copies of the parts that lose rows (a changed input's old rows),
and the run's new parts; then it replaces the ``current`` link in one atomic rename. A run
killed at any moment leaves ``current`` on the previous, complete generation; leftovers are
removed by the next run. The lock is an ``flock`` the kernel drops when the process dies.
"""

from __future__ import annotations

import contextlib
import fcntl
import itertools
import json
import os
import shutil
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, BinaryIO, Final

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from kpi_extract.compaction import compact, crowded, write_groups
from kpi_extract.errors import DatasetLockedError, OutputError
from kpi_extract.faults import checkpoint
from kpi_extract.schema import SCHEMA_VERSION, TABLES
from kpi_extract.spans import MANIFEST_KEY, Positions, Span, from_manifest, widen

STATE_DIR: Final = ".kpi_extract"
NULL_PARTITION: Final = "__HIVE_DEFAULT_PARTITION__"
_COMPRESSION: Final = "zstd"
#: zstd level 1: the same size as Arrow's default level on these tables (17.1 MB for 10,000
#: documents), written in 20% less time.
_LEVEL: Final = 1
_PLACEHOLDER: Final = "part-empty"
#: Part files a run keeps open at once (one per table and fiscal year); past it, the least
#: recently written is finished, so that hundreds of fiscal years cannot exhaust file handles.
MAX_OPEN_PARTS: Final = 64
#: A part holds its rows (as Arrow) until they reach this size, then writes one row group:
#: row groups of a few thousand rows, not of one batch's rows of one year (tens of rows,
#: three times the bytes on disk and four times the time to write).
ROW_GROUP_BYTES: Final = 4 << 20
#: Rows held by all of a run's parts at most; past it, the part holding most writes them.
#: 32 MB, not 64: the parent's peak 336 -> 293 MB at 10,000 documents, the dataset 18 -> 19 MB.
MAX_HELD_BYTES: Final = 32 << 20
#: Seconds an older generation stays, during a run, once a newer one has replaced it: a
#: reader lists a generation's parts, then opens them (see :meth:`Store.drop_generations`).
GENERATION_GRACE: Final = 60.0
#: Parts encoded at once at a commit (see :meth:`Transaction._finish_parts`).
FINISH_THREADS: Final = 2
#: Parts a commit carries into the new generation at once (see :meth:`Transaction._carry_all`).
CARRY_THREADS: Final = 2
#: Parts written out waiting for their ``fsync`` at once at a commit: the disk's time, not
#: the processor's, and the file system joins waits that overlap into one journal commit.
SYNC_THREADS: Final = 16


def fsync_dir(path: Path) -> None:
    """Make the entries of folder ``path`` (a rename, a new file) durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_parquet(table: pa.Table, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        pq.write_table(table, handle, compression=_COMPRESSION, compression_level=_LEVEL)
        handle.flush()
        os.fsync(handle.fileno())


def _map_array(values: list[Any], kind: Any) -> Any:
    """A map column built from its parts: 60 times faster than ``pa.array`` on pairs."""
    offsets, keys, items = [0], [], []
    for pairs in values:
        for key, item in pairs or ():
            keys.append(key)
            items.append(item)
        offsets.append(len(keys))
    from_arrays: Any = pa.MapArray.from_arrays  # the stubs do not know int32 offsets
    array: Any = from_arrays(
        pa.array(offsets, pa.int32()),
        pa.array(keys, kind.key_type),
        pa.array(items, kind.item_type),
    )
    return array


def arrow_table(rows: list[dict[str, Any]], schema: pa.Schema) -> pa.Table:
    """Rows (dicts) as an Arrow table of ``schema``.

    Plain columns are built by Arrow from the dicts, as one array of structs: Arrow reads
    each dict's values in C++ (``Table.from_pylist`` makes a Python list per column first;
    10-15 % slower, and twice as slow as column lists built in Python); map columns from
    their parts (:func:`_map_array`).
    """
    maps = {f.name for f in schema if isinstance(f.type, pa.MapType)}
    plain_type = pa.struct([f for f in schema if f.name not in maps])
    structs: Any = pa.array(rows, type=plain_type)  # a StructArray, which the stubs lose
    plain = pa.Table.from_struct_array(structs)
    columns = [
        _map_array([row.get(f.name) for row in rows], f.type)
        if f.name in maps
        else plain.column(f.name)
        for f in schema
    ]
    return pa.Table.from_arrays(columns, schema=schema)


def _partition(year: int | None) -> str:
    """The folder of a fiscal year's partition."""
    return f"fiscal_year_be={NULL_PARTITION if year is None else year}"


def _year_of(folder: str) -> int | None:
    """The fiscal year of a partition folder (None: no year, or not a partition)."""
    key, _, value = folder.partition("=")
    return int(value) if key == "fiscal_year_be" and value != NULL_PARTITION else None


def _own_span(table: pa.Table) -> Span | None:
    """The span of a table keyed by path: its first and last path (None: no path)."""
    bounds: Any = pc.min_max(table.column("path")).as_py()
    low, high = bounds["min"], bounds["max"]
    return None if low is None or high is None else (low, high)


def _by_year(table: pa.Table) -> dict[int | None, pa.Table]:
    """The rows of ``table`` by their ``fiscal_year_be``, in the order they came.

    One stable sort, one ``take``, then a slice per year: a filter per year cost a pass
    over every column per year (about 0.5 s of the parent's CPU per 10,000 documents).
    """
    column = table.column("fiscal_year_be")
    if pc.count_distinct(column, mode="all").as_py() <= 1:
        return {column[0].as_py() if len(column) else None: table}
    ordered = table.take(pc.sort_indices(table, sort_keys=[("fiscal_year_be", "ascending")]))
    runs = pc.value_counts(ordered.column("fiscal_year_be"))  # nulls sort last
    out: dict[int | None, pa.Table] = {}
    start = 0
    counts = runs.field("counts").to_pylist()
    for year, count in zip(runs.field("values").to_pylist(), counts, strict=True):
        assert count is not None  # value_counts counts every value
        out[year] = ordered.slice(start, count)
        start += count
    return out


class Store:
    """An output folder: its current generation and the way to commit a new one."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.state = root / STATE_DIR
        self.generations = self.state / "generations"

    # -- reading ---------------------------------------------------------------------------

    def current_dir(self) -> Path | None:
        """The folder of the current generation, or ``None`` before the first commit."""
        link = self.root / "current"
        return link.resolve() if link.is_symlink() else None

    def manifest(self) -> dict[str, Any]:
        """The current generation's manifest (empty before the first commit)."""
        current = self.current_dir()
        if current is None:
            return {"generation": 0, "parts": {name: [] for name in TABLES}}
        data: dict[str, Any] = json.loads((current / "_manifest.json").read_text("utf-8"))
        return data

    def read(
        self, name: str, columns: list[str] | None = None, where: pc.Expression | None = None
    ) -> pa.Table:
        """One table of the current generation (empty with its schema if none).

        ``where`` is applied while the parts are scanned: only matching rows are held.
        """
        schema = TABLES[name].schema
        current = self.current_dir()
        parts = self.manifest()["parts"].get(name, [])
        if current is None or not parts:
            empty = schema.empty_table()
            return empty.select(columns) if columns else empty
        import pyarrow.dataset as ds  # noqa: PLC0415 (0.17 s of imports, pandas among them)

        dataset = ds.dataset([str(current / p) for p in parts], schema=schema, format="parquet")
        return dataset.to_table(columns=columns, filter=where)

    def head(self, name: str, columns: list[str] | None, limit: int) -> tuple[pa.Table, int]:
        """The first ``limit`` rows of a table and how many it has, reading no further.

        Read a row group at a time; the count from the files' metadata. Reading the whole
        table to show three rows of two columns of ``sections`` took 3.7 GB at 1,000,000
        documents.
        """
        parts = self.parts(name)
        count = sum(pq.read_metadata(path).num_rows for path in parts)
        pieces: list[pa.Table] = []
        held = 0
        for table in scan_parts(parts, name, columns):
            if held >= limit:
                break
            pieces.append(table.slice(0, limit - held))
            held += pieces[-1].num_rows
        if not pieces:
            empty = TABLES[name].schema.empty_table()
            return (empty.select(columns) if columns else empty), count
        return pa.concat_tables(pieces), count

    def parts(self, name: str) -> list[Path]:
        """The current parts of a table."""
        current = self.current_dir()
        return [current / p for p in self.manifest()["parts"].get(name, [])] if current else []

    def parts_by_year(self, name: str) -> dict[int | None, list[Path]]:
        """The current parts of a partitioned table by fiscal year (``None``: no year)."""
        out: dict[int | None, list[Path]] = {}
        for path in self.parts(name):
            if path.parent.name.startswith("fiscal_year_be="):  # not an empty table's placeholder
                out.setdefault(_year_of(path.parent.name), []).append(path)
        return out

    def read_rows(self, name: str, key: str, values: list[str]) -> list[dict[str, Any]]:
        """Rows of one table whose ``key`` column is one of ``values``."""
        wanted = pc.field(key).isin(pa.array(values, pa.string()))
        rows: list[dict[str, Any]] = self.read(name, where=wanted).to_pylist()
        return rows

    # -- locking ---------------------------------------------------------------------------

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the folder's lock for a run; refuse when another run holds it."""
        try:
            self.state.mkdir(parents=True, exist_ok=True)
            handle = (self.state / "lock").open("a+")
        except OSError as exc:
            raise OutputError("output", f"cannot write to {self.root}: {exc}") from None
        try:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.seek(0)
                holder = handle.read().strip() or "unknown"
                raise DatasetLockedError(
                    "locked",
                    f"another kpi-extract run is writing {self.root} (pid {holder}); "
                    "wait for it to finish",
                ) from None
            handle.seek(0)
            handle.truncate()
            handle.write(str(os.getpid()))
            handle.flush()
            yield
        finally:
            handle.close()

    def begin(self) -> Transaction:
        """Start writing a new generation (call under :meth:`locked`)."""
        return Transaction(self)

    # -- housekeeping ----------------------------------------------------------------------

    def tidy(self) -> int:
        """Merge the small parts of crowded folders as a new generation; return the current one.

        For the end of a run (call under :meth:`locked`): its commits leave its own parts
        alone (:func:`~kpi_extract.compaction.compact`), and a run whose last commit made
        no new conflict finding left them all to the next run, and to every reader until
        then: 5,725 parts after ``--force`` over 1,000,000 documents. No generation when
        no folder is crowded.
        """
        current = self.current_dir()
        manifest = self.manifest()
        parts = manifest["parts"].values()
        if current is None or not any(crowded(held, current) for held in parts):
            return int(manifest["generation"])
        tx = self.begin()
        tx.tidying = True
        try:
            return tx.commit()
        except BaseException:
            tx.discard()
            raise

    def collect_garbage(self, keep: int = 2) -> None:
        """Remove generations but the newest ``keep``, and leftovers of killed runs."""
        self.drop_generations(keep)
        if self.generations.is_dir():
            for tmp in self.generations.glob("tmp-*"):
                shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(self.state / "staging", ignore_errors=True)

    def drop_generations(self, keep: int = 2, grace: float = 0.0) -> None:
        """Remove the generations but the newest ``keep`` and those replaced ``grace`` s ago.

        A run drops them after each of its commits (:data:`GENERATION_GRACE`), not only
        at its end: each commit's generation keeps the parts the commits after it rewrite
        or drop, and ``--force`` over 1,000,000 documents had filled the disk (8 GB of
        generations) by its sixth commit.
        """
        if not self.generations.is_dir():
            return
        current = self.current_dir()
        done = sorted(p for p in self.generations.iterdir() if p.name.isdigit())
        now = time.time()
        for old, newer in itertools.pairwise(done[: max(len(done) - keep + 1, 0)]):
            if old == current or (grace and now - newer.stat().st_mtime < grace):
                continue  # a reader that took it a moment ago may still be opening its parts
            shutil.rmtree(old, ignore_errors=True)


@dataclass(slots=True)
class _Part:
    """Rows of one table and fiscal year staged by a run, bound for one part file.

    The rows are held (as Arrow) until they make a row group; the file and its writer are
    opened by the first row group written, not by the first row held: a run whose batches
    mix many fiscal years holds a few rows of each without a file open for each.
    """

    name: str
    folder: str
    relative: str
    path: Path
    handle: BinaryIO | None = None
    writer: pq.ParquetWriter | None = None
    held: list[pa.Table] = field(default_factory=list)
    held_bytes: int = 0
    span: Span | None = None  # the inputs whose rows it holds (see kpi_extract.spans)
    spanless: bool = False  # some of its rows came without a span: it has none

    def hold(self, table: pa.Table, span: Span | None) -> None:
        """Keep ``table`` (rows of the inputs in ``span``) for the next row group."""
        self.held.append(table)
        self.held_bytes += table.nbytes
        if span is None:
            self.spanless = True
        else:
            self.span = widen(self.span, *span)

    def final_span(self) -> Span | None:
        """Its span, None if some of its rows had none."""
        return None if self.spanless else self.span

    def flush(self) -> int:
        """Write the held rows as one row group; return the bytes no longer held."""
        released = self.held_bytes
        if self.held:
            if self.writer is None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self.handle = self.path.open("wb")
                self.writer = pq.ParquetWriter(
                    self.handle,
                    TABLES[self.name].with_metadata(),
                    compression=_COMPRESSION,
                    compression_level=_LEVEL,
                )
            self.writer.write_table(pa.concat_tables(self.held))
        self.held, self.held_bytes = [], 0
        return released

    def close(self) -> int:
        """Write what is held, close the file durably; return the bytes no longer held."""
        released = self.write_out()
        self.sync()
        return released

    def write_out(self) -> int:
        """Write what is held and the file's footer; return the bytes no longer held.

        The file is complete but not durable until :meth:`sync`.
        """
        released = self.flush()
        if self.writer is not None:
            self.writer.close()
        return released

    def sync(self) -> None:
        """Make the written file durable (``fsync``) and close it."""
        if self.handle is not None:
            self.handle.flush()
            os.fsync(self.handle.fileno())
            self.handle.close()

    def abandon(self) -> None:
        """Close the file without caring what is in it (the run is discarded)."""
        if self.writer is not None:
            with contextlib.suppress(Exception):
                self.writer.close()
        if self.handle is not None:
            self.handle.close()


def _held(part: _Part) -> int:
    return part.held_bytes


@dataclass(frozen=True, slots=True)
class _Carry:
    """A part of the current generation to bring into the one being built."""

    name: str
    relative: str
    removals: pa.Array[Any] | None  # the keys of the rows it loses, if it has any (sorted)
    rewrite_to: Path  # where it is written if it loses some rows (named afterwards)


@dataclass(frozen=True, slots=True)
class _Carried:
    """What became of a :class:`_Carry`: linked as it was, gone, or rewritten."""

    linked: bool = False
    rewritten: Path | None = None


def _reads(job: _Carry) -> bool:
    """Whether carrying ``job``'s part reads it (it may lose rows)."""
    return job.removals is not None


class _Removals:
    """The keys each carried part of a commit loses, as the sorted arrays it is read with.

    Made once per table and partition, not per part: sorting the 10,000 keys a commit of
    ``--force`` removes from a table took 15 ms, for each of the ~50 parts it reads.
    """

    def __init__(self, tx: Transaction) -> None:
        self.tx = tx
        self.made: dict[tuple[str, str, bool, bool], pa.Array[Any] | None] = {}

    def of(self, name: str, relative: str, unread: bool) -> pa.Array[Any] | None:
        """What part ``relative`` of ``name`` loses; ``unread``: its span holds none of them.

        A part committed by this run loses only what it applied again; another one, the
        removals limited to its partition, and the others unless ``unread``.
        """
        tx, folder = self.tx, Path(relative).parent.name
        fresh = relative in tx.fresh
        limited = tx.removals_in[name].get(folder, set()) if not fresh else set()
        made_key = (name, folder if limited else "", fresh, unread)
        if made_key not in self.made:
            if fresh:
                keys = tx.removals_written[name]
            else:
                keys = limited if unread else tx.removals[name] | limited
            self.made[made_key] = pa.array(sorted(keys), pa.string()) if keys else None
        return self.made[made_key]


def _in_order(
    fn: Callable[[Any], Any], jobs: list[Any], threaded: Callable[[Any], bool], threads: int
) -> list[Any]:
    """``fn`` of each job, in order; the first error stops the jobs not yet started.

    The jobs ``threaded`` picks run ``threads`` at a time, the others in this thread
    meanwhile.
    """
    with ThreadPoolExecutor(threads, thread_name_prefix="kpi-carry") as pool:
        futures = {i: pool.submit(fn, job) for i, job in enumerate(jobs) if threaded(job)}
        try:
            done = [fn(job) if i not in futures else None for i, job in enumerate(jobs)]
            for i, future in futures.items():
                done[i] = future.result()
        except BaseException:
            for future in futures.values():
                future.cancel()
            raise
    return done


class Transaction:
    """Parts written by one run, removals to apply, and commits of new generations."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.run = uuid.uuid4().hex[:12]
        self.staging = store.state / "staging" / self.run
        self.staged: dict[str, list[str]] = {name: [] for name in TABLES}
        self.removals: dict[str, set[str]] = {name: set() for name in TABLES}
        # Removals limited to partitions: table -> partition folder -> keys.
        self.removals_in: dict[str, dict[str, set[str]]] = {name: {} for name in TABLES}
        self.watched: dict[str, tuple[str, int]] = {}  # table -> (column, limit): see watch
        self.changes: dict[str, dict[int | None, set[str] | None]] = {}  # see :meth:`changed`
        #: Called by a commit once the new generation is built, before it becomes visible.
        self.before_publish: Callable[[], object] | None = None
        self.replaced: set[str] = set()  # tables whose committed parts are all dropped
        self.fresh: set[str] = set()  # parts written by this run: filtered only by the below
        # Keys whose rows this run committed before, to drop at its next commit: see
        # remove_written.
        self.removals_written: dict[str, set[str]] = {name: set() for name in TABLES}
        # Where the removed rows are, for each table: the inputs they came from (see
        # kpi_extract.spans), and the tables with a removal that did not say.
        self.positions: dict[str, set[str]] = {name: set() for name in TABLES}
        self.anywhere: set[str] = set()
        self.spans: dict[str, Span] = {}  # this run's finished parts, by relative path
        self.sequence = 0
        self.growing: dict[str, _Part] = {}  # partition folder -> its part, until the commit
        self.writing: dict[str, _Part] = {}  # growing parts with a file open, by last write
        self.held_bytes = 0  # rows held by the growing parts, not yet written
        self.tidying = False  # commit a generation for the compaction alone (Store.tidy)
        self._noting = threading.Lock()  # changes noted by the threads carrying parts

    def write(self, name: str, rows: list[dict[str, Any]]) -> None:
        """Stage ``rows`` (dicts) of table ``name`` (see :meth:`write_table`)."""
        if rows:
            self.write_table(name, arrow_table(rows, TABLES[name].schema))

    def write_table(self, name: str, table: pa.Table, span: Span | None = None) -> None:
        """Stage the rows of ``table``, an Arrow table of ``name``'s schema.

        Rows of one table and fiscal year go to one part until the next commit, in row
        groups of about :data:`ROW_GROUP_BYTES`: a run writes a few large files, not one per
        batch and year. ``span``: the first and last path of the inputs the rows came from
        (:mod:`kpi_extract.spans`); a table keyed by path spans its own keys. Without one,
        the part the rows go to has no span.
        """
        if table.num_rows == 0:
            return
        table_def = TABLES[name]
        table = table.replace_schema_metadata(table_def.with_metadata().metadata)
        groups = _by_year(table) if table_def.partitioned else {None: table}
        for year, group in sorted(groups.items(), key=lambda item: str(item[0])):
            self._note_changed(name, year, group)
            folder = f"{name}/{_partition(year)}" if table_def.partitioned else name
            try:
                part = self.growing.get(folder) or self._new_part(name, folder)
                part.hold(group, _own_span(group) if table_def.key == "path" else span)
                self.held_bytes += group.nbytes
                if part.held_bytes >= ROW_GROUP_BYTES:
                    self._flush(part)
                while self.held_bytes > MAX_HELD_BYTES:
                    self._flush(max(self.growing.values(), key=_held))
            except OSError as exc:
                raise OutputError("output", f"cannot write {self.staging}: {exc}") from None
            checkpoint("staged")

    def _new_part(self, name: str, folder: str) -> _Part:
        relative = self._part_name(folder)
        part = self.growing[folder] = _Part(name, folder, relative, self.staging / relative)
        return part

    def _part_name(self, folder: str) -> str:
        """A new part's path in ``folder``, unique to this run."""
        self.sequence += 1
        return f"{folder}/part-{self.run}-{self.sequence:06d}.parquet"

    def _flush(self, part: _Part) -> None:
        """Write ``part``'s held rows, opening its file if it has none.

        At most :data:`MAX_OPEN_PARTS` parts have a file open: past it, the least recently
        written is finished (hundreds of fiscal years cannot exhaust file handles), and rows
        of its table and year that come later go to a new part. Parts that only hold rows
        have no file: a run mixing 74 tables and years in every batch of 10,000 documents
        had finished and reopened ~73 parts per batch (1,291 parts, 37 MB, against 81 parts
        and 19 MB for the same documents sorted by layout).
        """
        if part.writer is None and len(self.writing) >= MAX_OPEN_PARTS:
            oldest = self.writing.pop(next(iter(self.writing)))
            del self.growing[oldest.folder]
            self.held_bytes -= oldest.close()
            self._staged(oldest)
        self.held_bytes -= part.flush()
        self.writing.pop(part.folder, None)
        self.writing[part.folder] = part  # the most recently written last

    def _finish_parts(self) -> None:
        """Close every growing part: it is complete and can be committed.

        Parts are encoded :data:`FINISH_THREADS` at a time: Parquet encoding releases the
        GIL, and at the end of a run the workers have nothing left to parse. A run of 1,000
        documents ends with every row it parsed still held: closing its parts took
        0.15-0.18 s one at a time, 0.08-0.13 s two at a time (AMD EPYC). Each part's
        ``fsync`` then waits in one of :data:`SYNC_THREADS` threads, not in an encoding
        one (the 78 of a 1,000-document run waited 86 ms in all, strace): closing the parts
        of 1,000 documents, four alternating pairs, 103-135 -> 101-117 ms.
        """
        parts = list(self.growing.values())
        try:
            with (
                ThreadPoolExecutor(FINISH_THREADS, thread_name_prefix="kpi-finish") as encoding,
                ThreadPoolExecutor(SYNC_THREADS, thread_name_prefix="kpi-sync") as syncing,
            ):
                released, synced = [], []
                for part, done in zip(parts, encoding.map(_Part.write_out, parts), strict=True):
                    released.append(done)
                    synced.append(syncing.submit(part.sync))
                for future in synced:
                    future.result()
        except OSError as exc:
            raise OutputError("output", f"cannot write {self.staging}: {exc}") from None
        self.growing, self.writing = {}, {}
        self.held_bytes -= sum(released)
        for part in parts:
            self._staged(part)

    def _staged(self, part: _Part) -> None:
        """``part`` is finished: it goes into the next commit, with its span if it has one."""
        self.staged[part.name].append(part.relative)
        span = part.final_span()
        if span is not None:
            self.spans[part.relative] = span

    def remove(
        self,
        name: str,
        keys: set[str],
        years: Iterable[int | None] | None = None,
        at: Iterable[str] | None = None,
    ) -> None:
        """Delete, at the next commit, the rows of ``name`` whose key is in ``keys``.

        With ``years``, only those in the partitions of these fiscal years. ``at``: the
        paths of the inputs the rows came from (:mod:`kpi_extract.spans`; a table keyed by
        path: its keys); the parts whose span holds none of them are not read. Without
        ``at``, every part of the table is.
        """
        if years is None:
            self.removals[name] |= keys
            if TABLES[name].key == "path":
                self.positions[name] |= keys
            elif at is None:
                self.anywhere.add(name)
            else:
                self.positions[name].update(at)
            return
        for year in years:
            self.removals_in[name].setdefault(_partition(year), set()).update(keys)

    def remove_written(self, name: str, keys: set[str]) -> None:
        """Delete, at the next commit, the rows with these keys that this run committed.

        For an input applied again in the run: its first rows are outdated. Rows staged
        since the last commit stay: commit first what the rows to replace are in.
        """
        self.removals_written[name] |= keys

    def watch(self, name: str, column: str, limit: int) -> None:
        """Keep, from now on, the values of ``column`` in the rows of ``name`` that change.

        Those staged and those removed, by fiscal year (:meth:`changed`): what a later step
        that depends on them (the conflict check) has to look at again. Past ``limit``
        values in a year, the year is kept as changed throughout (None), not its values:
        the codes of a 1,000,000-document conversion would take tens of MB.
        """
        self.watched[name] = (column, limit)
        self.changes.setdefault(name, {})

    def changed(self, name: str) -> dict[int | None, set[str] | None]:
        """The values of the watched column in ``name``'s rows staged or removed so far.

        By fiscal year; None for a year past the limit of :meth:`watch`; a null value is
        not kept. The rows a commit removes are known once it has built the generation (a
        part is read only when it is rewritten): see :attr:`before_publish`.
        """
        return self.changes.get(name, {})

    def _note_changed(self, name: str, year: int | None, rows: pa.Table, mask: Any = None) -> None:
        """Note the watched values of ``rows`` (those ``mask`` selects, if given)."""
        if name not in self.watched:
            return
        column, limit = self.watched[name]
        array = rows.column(column) if mask is None else rows.column(column).filter(mask)
        found = pc.unique(array.combine_chunks().drop_null()).to_pylist()
        with self._noting:
            values = self.changes[name].setdefault(year, set())
            if values is None:
                return
            values.update(str(value) for value in found)
            if len(values) > limit:
                self.changes[name][year] = None

    def replace(self, name: str) -> None:
        """Delete, at the next commit, every row of ``name`` but those this run staged.

        Without reading a part: :meth:`remove` with every key would read each one.
        """
        self.replaced.add(name)

    def commit(self) -> int:
        """Make everything staged and removed visible at once; return the generation."""
        self._finish_parts()
        try:
            return self._commit()
        except OSError as exc:
            for tmp in self.store.generations.glob(f"tmp-*-{self.run}"):
                shutil.rmtree(tmp, ignore_errors=True)
            raise OutputError("output", f"cannot commit to {self.store.root}: {exc}") from None

    def _commit(self) -> int:
        store = self.store
        base = store.current_dir()
        manifest = store.manifest()
        changes = any(self.staged.values()) or any(self.removals.values())
        changes = changes or bool(self.replaced) or any(self.removals_in.values())
        changes = changes or any(self.removals_written.values()) or self.tidying
        if base is not None and not changes:
            return int(manifest["generation"])  # nothing changed: no new generation
        store.generations.mkdir(parents=True, exist_ok=True)
        numbers = [int(p.name) for p in store.generations.iterdir() if p.name.isdigit()]
        number = max([int(manifest["generation"]), *numbers]) + 1
        tmp = store.generations / f"tmp-{number:08d}-{self.run}"
        carried_spans = from_manifest(manifest)
        spans: dict[str, Span] = {}
        carried = self._carry_all(base, tmp, manifest, carried_spans)
        parts: dict[str, list[str]] = {}
        for name in TABLES:
            parts[name] = self._table_parts(name, tmp, carried[name], (carried_spans, spans))
        checkpoint("linked")
        if self.before_publish is not None:
            self.before_publish()
        listed = {relative for held in parts.values() for relative in held}
        self._write_manifest(tmp, number, parts, {r: s for r, s in spans.items() if r in listed})
        final = store.generations / f"{number:08d}"
        os.rename(tmp, final)
        fsync_dir(store.generations)
        checkpoint("renamed")
        self._point_current(final)
        checkpoint("pointed")
        self.removals = {name: set() for name in TABLES}
        self.removals_in = {name: {} for name in TABLES}
        self.removals_written = {name: set() for name in TABLES}
        self.positions = {name: set() for name in TABLES}
        self.anywhere = set()
        self.replaced = set()
        return number

    def _carry_all(
        self, base: Path | None, tmp: Path, manifest: dict[str, Any], spans: dict[str, Span]
    ) -> dict[str, list[tuple[str, _Carried]]]:
        """Bring the parts of the current generation (in ``base``) into ``tmp``, by table.

        The parts that lose rows are read :data:`CARRY_THREADS` at a time: reading and
        writing Parquet release the GIL, and the workers have nothing to parse while the
        parent commits. The others are linked in this thread meanwhile: in threads too,
        their links waited on each other for the GIL (the two commits of 100 new documents
        into 100,000 documents, 1,545 parts linked: 0.5 s one at a time, 0.6-0.7 s in two
        threads, 0.41-0.53 s so). ``spans``: the current generation's. A rewritten part is
        named afterwards, in the order of the parts (:meth:`_table_parts`), as if carried
        one by one.
        """
        carried: dict[str, list[tuple[str, _Carried]]] = {name: [] for name in TABLES}
        if base is None:  # the first generation: nothing to carry
            return carried
        jobs: list[_Carry] = []
        removals = _Removals(self)
        for name in TABLES:
            if name in self.replaced:
                continue
            where = None if name in self.anywhere else Positions(self.positions[name])
            for relative in manifest["parts"].get(name, []):
                if Path(relative).name.startswith(_PLACEHOLDER):
                    continue  # re-made by _table_parts if the table is still empty
                span = spans.get(relative)
                unread = where is not None and span is not None and not where.any_within(span)
                keys = removals.of(name, relative, unread)
                folder = tmp / Path(relative).parent
                jobs.append(_Carry(name, relative, keys, folder / f".carry-{len(jobs)}.tmp"))
        carry = partial(self._carry, base, tmp)
        done = _in_order(carry, jobs, _reads, CARRY_THREADS)
        for job, outcome in zip(jobs, done, strict=True):
            carried[job.name].append((job.relative, outcome))
        return carried

    def _table_parts(
        self,
        name: str,
        tmp: Path,
        carried: list[tuple[str, _Carried]],
        spans: tuple[dict[str, Span], dict[str, Span]],
    ) -> list[str]:
        """The parts of table ``name`` in the generation being built in ``tmp``.

        ``carried``: its parts in the current one, and what became of each
        (:meth:`_carry_all`); ``spans``: theirs, and the new generation's, which gets those
        of the parts returned.
        """
        table_def = TABLES[name]
        carried_spans, new_spans = spans
        kept: list[str] = []
        for relative, outcome in carried:
            now = relative
            if outcome.rewritten is not None:
                now = self._part_name(str(Path(relative).parent))
                os.rename(outcome.rewritten, tmp / now)
            elif not outcome.linked:
                continue  # every row went
            kept.append(now)
            span = carried_spans.get(relative)
            if span is not None:
                new_spans[now] = span  # a rewritten part spans what it spanned
        for relative in self.staged[name]:
            (tmp / relative).parent.mkdir(parents=True, exist_ok=True)
            os.rename(self.staging / relative, tmp / relative)
            self.fresh.add(relative)
            kept.append(relative)
            if relative in self.spans:
                new_spans[relative] = self.spans.pop(relative)
        kept = compact(
            name, kept, tmp, self._part_name, fresh=self.fresh, level=_LEVEL, spans=new_spans
        )
        if not kept:
            # An empty table still reads with its schema (DuckDB needs a file to glob).
            kept.append(f"{name}/{_PLACEHOLDER}.parquet")
            _write_parquet(table_def.with_metadata().empty_table(), tmp / kept[0])
        self.staged[name] = []
        return sorted(kept)

    def _carry(self, base: Path, tmp: Path, job: _Carry) -> _Carried:
        """Bring one part into the new generation: linked, rewritten without rows, or gone.

        Run by :meth:`_carry_all`: in one of its threads when the part is read, else in
        the committing thread.
        """
        name, relative = job.name, job.relative
        source, target = base / relative, tmp / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        if job.removals is not None:
            key = TABLES[name].key
            keys = read_parts([source], name, [key]).column(key)
            hit = pc.is_in(keys, value_set=job.removals)
            if pc.all(hit).as_py():  # every row goes: the part goes, read no further
                if name in self.watched:
                    columns = list(dict.fromkeys([key, self.watched[name][0]]))
                    year = _year_of(Path(relative).parent.name)
                    self._note_changed(name, year, read_parts([source], name, columns))
                return _Carried()
            if pc.any(hit).as_py():
                self._rewrite(source, job.rewrite_to, name, job.removals)
                return _Carried(rewritten=job.rewrite_to)
        os.link(source, target)
        return _Carried(linked=True)

    def _rewrite(self, source: Path, target: Path, name: str, value_set: pa.Array[Any]) -> None:
        """Copy part ``source`` to ``target`` without the rows keyed by one of ``value_set``.

        A row group at a time: read whole, the 3.4 MB merged parts of a 1,000,000-document
        dataset took the parent of ``--force`` from 250 to 530 MB at its first commit.
        """
        schema = TABLES[name].with_metadata()
        key, year = TABLES[name].key, _year_of(source.parent.name)

        def kept() -> Iterator[pa.Table]:
            for group in scan_parts([source], name, None):
                table = group.cast(schema)
                gone = pc.is_in(table.column(key), value_set=value_set)
                self._note_changed(name, year, table, gone)
                yield table.filter(pc.invert(gone))

        write_groups(target, schema, kept(), _LEVEL)

    def _write_manifest(
        self, tmp: Path, number: int, parts: dict[str, list[str]], spans: dict[str, Span]
    ) -> None:
        manifest = {
            "generation": number,
            "schema_version": SCHEMA_VERSION,
            "parts": parts,
            MANIFEST_KEY: {relative: list(span) for relative, span in sorted(spans.items())},
        }
        path = tmp / "_manifest.json"
        with path.open("w", encoding="utf-8") as handle:
            json.dump(manifest, handle, indent=1, sort_keys=True)
            handle.flush()
            os.fsync(handle.fileno())
        fsync_dir(tmp)

    def _point_current(self, final: Path) -> None:
        root = self.store.root
        link = root / "current"
        tmp_link = root / f".current-{self.run}"
        tmp_link.symlink_to(final.relative_to(root))
        os.replace(tmp_link, link)
        for name in TABLES:
            table_link = root / name
            if table_link.is_symlink():
                continue
            if table_link.exists():
                raise OutputError("output", f"{table_link} exists and is not kpi-extract's link")
            table_link.symlink_to(Path("current") / name)
        fsync_dir(root)

    def discard(self) -> None:
        """Forget what this run staged (after an error)."""
        for part in self.growing.values():
            part.abandon()
        self.growing, self.writing = {}, {}
        self.held_bytes = 0
        shutil.rmtree(self.staging, ignore_errors=True)


def read_parts(
    paths: list[Path],
    name: str,
    columns: list[str] | None = None,
    keep: tuple[str, pa.Array[Any]] | None = None,
) -> pa.Table:
    """Parts of table ``name``, read one file after the other.

    With ``keep=(column, values)``, only the rows whose ``column`` is one of ``values``,
    filtered a row group at a time (:func:`scan_parts`): a part merged from a year's small
    ones (:mod:`kpi_extract.compaction`) read whole before filtering took a run's conflict
    check to 476 MB of RSS at 1,000,000 documents. No dataset scan: one over the whole
    ``kpis`` table, for that check, took the parent from 85 to 189 MB (PSS) at 100,000
    documents, with 8 MB of data read (its import, its threads' buffers).
    """
    schema = TABLES[name].with_metadata()
    pieces = []
    if keep is not None:
        pieces = list(scan_parts(paths, name, columns, keep))
    for path in paths if keep is None else []:
        with pq.ParquetFile(path) as part:
            pieces.append(part.read(columns=columns, use_threads=False))
    if not pieces:
        empty = schema.empty_table()
        return empty.select(columns) if columns else empty
    return pa.concat_tables(pieces)


def scan_parts(
    paths: list[Path],
    name: str,
    columns: list[str] | None,
    keep: tuple[str, pa.Array[Any]] | None = None,
) -> Iterator[pa.Table]:
    """Parts of table ``name``, a row group at a time: memory bounded by a row group.

    ``columns``: those to read, or None for all of them.
    With ``keep=(column, values)``, only the rows whose ``column`` is one of ``values``; a
    row group without any is not read beyond that column.
    """
    for path in paths:
        with pq.ParquetFile(path) as part:
            for group in range(part.num_row_groups):
                if keep is None:
                    yield part.read_row_group(group, columns=columns, use_threads=False)
                    continue
                key = part.read_row_group(group, columns=[keep[0]], use_threads=False)
                hit = pc.is_in(key.column(0), value_set=keep[1])
                if pc.any(hit).as_py():
                    table = part.read_row_group(group, columns=columns, use_threads=False)
                    yield table.filter(hit)


def read_table(root: str | Path, name: str, columns: list[str] | None = None) -> pa.Table:
    """Read one table of a dataset written by ``kpi-extract convert``."""
    return Store(Path(root)).read(name, columns)
