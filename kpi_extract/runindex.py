"""The run index kept between runs, in the output folder, tied to the inputs it reflects.

A run's index (:class:`~kpi_extract.index.InputIndex`) is the dataset's ``documents`` rows
made searchable. Building it took 6.8 s of the 9.6 s a run of 100 new documents into a
1,000,000-document dataset lasted. A run that ends well leaves it in
``DIR/.kpi_extract/index/<key>.sqlite``, ``key`` naming the ``documents`` parts of the
generation it reflects; the next run takes it if the current generation has the same
parts, and builds it otherwise. Parts are immutable and a commit that drops rows from one
writes a new part under a new name: the same parts are the same rows.

- A run takes the file by renaming it into its staging folder: a run that dies while it
  changes the index leaves no index behind (the next run builds one), never a wrong one.
- The index is left only once the run's last commit is visible, only if it counts as many
  inputs as the generation has ``documents`` rows, and written out (``fsync``) before it is
  renamed into place. Its file takes about 380 bytes per input (38.3 MB for 100,400).
- With ``KPI_EXTRACT_CHECK_INDEX=1`` (the test suite sets it) the index left is compared,
  row by row, with one built from the generation; a difference raises ``RuntimeError``.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

import pyarrow.parquet as pq

from kpi_extract.errors import OutputError
from kpi_extract.index import INPUT_COLUMNS, InputIndex
from kpi_extract.schema import SCHEMA_VERSION
from kpi_extract.store import Store, fsync_dir, scan_parts

INDEX_DIR: Final = "index"
#: Part of the key: a file of another layout of the index is never taken. 3: content
#: hashes stored as 32-byte blobs, the run's paths seen in a file of their own.
FORMAT: Final = 3
CHECK_ENV: Final = "KPI_EXTRACT_CHECK_INDEX"


def documents_key(parts: list[str]) -> str:
    """The key of an index reflecting the ``documents`` parts ``parts``."""
    text = json.dumps([FORMAT, SCHEMA_VERSION, sorted(parts)])
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def open_index(store: Store) -> InputIndex:
    """The index of the dataset's inputs, for a run holding the lock: taken, or built.

    Raises :class:`~kpi_extract.errors.OutputError` when it cannot be written (a full disk).
    """
    work = store.state / "staging" / f"index-{uuid.uuid4().hex[:12]}.sqlite"
    try:
        work.parent.mkdir(parents=True, exist_ok=True)
        return _taken(store, work) or InputIndex(rows=_rows(store), path=work)
    except (OSError, sqlite3.Error) as exc:
        raise OutputError(
            "output", f"cannot write the run's index in {work.parent}: {exc}"
        ) from None


def keep_index(store: Store, index: InputIndex) -> bool:
    """Settle ``index`` and leave it for the next run; return whether it was left.

    Call once the run's last commit is visible: the index is filed under that generation's
    ``documents`` parts. The run's rows are committed by then: an index that cannot be
    left (a full disk) is not, and the next run builds its own.
    """
    try:
        return _keep(store, index)
    except (OSError, sqlite3.Error):
        index.close()
        return False


def _keep(store: Store, index: InputIndex) -> bool:
    path = index.path
    if path is None:
        index.close()
        return False
    key = _current_key(store)
    inputs = index.settle(key)
    rows = sum(pq.read_metadata(part).num_rows for part in store.parts("documents"))
    if os.environ.get(CHECK_ENV):
        _check(store, path, inputs, rows)
    if inputs != rows:
        return False  # not what the generation holds: the next run builds its own
    with path.open("rb") as handle:
        os.fsync(handle.fileno())
    folder = store.state / INDEX_DIR
    folder.mkdir(exist_ok=True)
    kept = folder / f"{key}.sqlite"
    os.rename(path, kept)
    for other in folder.iterdir():
        if other != kept:
            other.unlink()
    fsync_dir(folder)
    return True


def _current_key(store: Store) -> str:
    parts: list[str] = store.manifest()["parts"].get("documents", [])
    return documents_key(parts)


def _taken(store: Store, work: Path) -> InputIndex | None:
    """The index left for the current generation, moved to ``work``; None if there is none.

    One that cannot be moved or read, or that was filed under another key, is not taken.
    """
    key = _current_key(store)
    try:
        os.rename(store.state / INDEX_DIR / f"{key}.sqlite", work)
    except OSError:
        return None
    index = None
    try:
        index = InputIndex.reopen(work)
        if index.key() == key:
            return index
    except sqlite3.DatabaseError:
        pass
    if index is not None:
        index.close()
    work.unlink()
    return None


def _rows(store: Store) -> Iterator[tuple[Any, ...]]:
    """The ``documents`` rows as index rows, from Arrow's columns a row group at a time.

    A row group at a time: the six columns whole are 152 MiB at 1,000,000 documents.
    """
    columns = list(INPUT_COLUMNS)
    for table in scan_parts(store.parts("documents"), "documents", columns):
        yield from zip(*(table.column(name).to_pylist() for name in columns), strict=True)


def _check(store: Store, path: Path, inputs: int, rows: int) -> None:
    """Raise unless the index in ``path`` holds what one built from the dataset holds."""
    built = InputIndex(rows=_rows(store))
    left = InputIndex.reopen(path)
    try:
        expected, found = built.contents(), left.contents()
    finally:
        built.close()
        left.close()
    for what, want, got in zip(("inputs", "owners"), expected, found, strict=True):
        if want != got:
            extra = sorted(map(repr, set(got) - set(want)))[:3]
            missing = sorted(map(repr, set(want) - set(got)))[:3]
            raise RuntimeError(
                f"run index: {what} differ: {extra} not in the dataset, {missing} not in the index"
            )
    if inputs != rows:
        raise RuntimeError(f"run index: {inputs} inputs for {rows} documents rows")
