"""The index of a conversion run: what the dataset holds, by input path and by content.

A run asks, for every input, whether the dataset holds it already (same size, time and
redaction: skip it unread; same hash: skip it parsed), and for every parsed document,
whether another input holds the same content (then it is a ``duplicate``). Held in Python
dicts, that index cost about a kilobyte per input and grew with the archive: 100 MB at
100,000 inputs, a gigabyte at a national archive's million. It is kept in a SQLite
database instead (stdlib :mod:`sqlite3`, on disk), with a bounded page cache: the run's
memory does not grow with the archive. A run leaves it in the output folder for the next
one (:mod:`kpi_extract.runindex`): building it is what a small run into a large dataset
spent most of its time on.

>>> index = InputIndex([{"path": "a.txt", "doc_id": "d1", "size": 3, "mtime_ns": 7,
...                     "status": "parsed", "redaction": None}])
>>> index.get("a.txt").doc_id, index.owner("d1"), index.owner("d2")
('d1', 'a.txt', None)
>>> index.first_sight("a.txt"), index.first_sight("a.txt"), index.was_seen("b.txt")
(True, False, False)
>>> index.close()
"""

from __future__ import annotations

import contextlib
import itertools
import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, Final, NamedTuple

from kpi_extract.remote import UNKNOWN_TIME

#: Statuses whose document's rows are stored (a ``duplicate`` names the input that holds them).
HAS_DATA: Final = ("parsed", "partial")
#: Page cache of the index database, in KiB (SQLite's negative ``cache_size``). The index of
#: 100,000 inputs fills 16 MB of it; 4 MB cost 2 µs more per input (21 µs of index work
#: per input: 0.1% of a document's parsing) for 12 MB less.
_CACHE_KIB: Final = 4 * 1024

_SCHEMA: Final = """
CREATE TABLE inputs (
    path TEXT PRIMARY KEY, doc_id NOT NULL, size INTEGER, mtime_ns INTEGER,
    status TEXT, redaction TEXT, applied INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE TABLE owners (doc_id PRIMARY KEY, path TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE kept (key TEXT NOT NULL);
"""
#: The paths a run met, in a database of the run's own beside the index (attached as
#: ``run``): kept in the index's file, they were deleted at its end and left their pages
#: free in it, 8 MB of the 59 MB the index of 100,000 inputs took.
_RUN_SCHEMA: Final = "CREATE TABLE run.seen (path TEXT PRIMARY KEY) WITHOUT ROWID"


#: Made after the dataset's inputs are loaded: sorting them once is quicker than keeping it
#: in order through a million inserts.
_CONTENT_INDEX: Final = "CREATE INDEX inputs_by_content ON inputs (doc_id)"
#: Rows of the dataset loaded per statement.
_LOAD_BATCH: Final = 10_000


#: The ``documents`` columns the index is built from, in the order of its rows.
INPUT_COLUMNS: Final = ("path", "doc_id", "size", "mtime_ns", "status", "redaction")


def _input(row: Mapping[str, Any]) -> tuple[Any, ...]:
    return tuple(row[key] for key in INPUT_COLUMNS)


def _connect(path: Path | None) -> sqlite3.Connection:
    """The index's database: in ``path``, or private (deleted when closed) if None.

    No journal and no syncing: a run uses one transaction for the life of the index (no
    statement pays for a commit of its own), and a file a run was writing when it died is
    never read again (see :mod:`kpi_extract.runindex`). The run's own database
    (:func:`_run_file`) is attached as ``run``, under the same terms.
    """
    db = sqlite3.connect("" if path is None else str(path), isolation_level=None)
    db.execute("ATTACH DATABASE ? AS run", ("" if path is None else str(_run_file(path)),))
    for schema in ("main", "run"):
        db.execute(f"PRAGMA {schema}.cache_size = -{_CACHE_KIB}")
        db.execute(f"PRAGMA {schema}.journal_mode = OFF")
        db.execute(f"PRAGMA {schema}.synchronous = OFF")
    db.execute(_RUN_SCHEMA)
    return db


def _run_file(path: Path) -> Path:
    """Where the index in ``path`` keeps what only its run needs (removed when it ends)."""
    return path.with_name(path.name + "-run")


def _packed(doc_id: str) -> str | bytes:
    """A content hash as the index stores it: 64 lowercase hex digits as their 32 bytes.

    Half the room in each of the three places a hash is kept (the inputs, their owners
    and the inputs by content). Anything else (``""``, a test's ``"d1"``) is kept as text,
    which never equals a blob: the mapping is one to one.

    >>> _packed("ab" * 32) == bytes([0xAB] * 32), _packed("AB" * 32), _packed("d1")
    (True, 'ABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABAB', 'd1')
    """
    if len(doc_id) == 64:
        with contextlib.suppress(ValueError):
            raw = bytes.fromhex(doc_id)
            if raw.hex() == doc_id:
                return raw
    return doc_id


def _unpacked(stored: str | bytes) -> str:
    """A content hash as :func:`_packed` stored it, as text again."""
    return stored.hex() if isinstance(stored, bytes) else stored


class Known(NamedTuple):
    """What the index holds of one input path."""

    doc_id: str  # "" when the input was never read (quarantined unread)
    size: int
    mtime_ns: int
    status: str
    redaction: str | None = None
    applied: bool = False  # parsed (or quarantined) in this run


class InputIndex:
    """Inputs by path, the input holding each content, and the paths seen in this run.

    Built from the ``documents`` rows of the dataset: mappings with the keys of
    :data:`INPUT_COLUMNS`, or ``rows``, tuples of their values in that order (made from
    Arrow's columns: 0.55 s instead of 1.7 for the 1,000,100 rows of a 1,000,000-document
    dataset, which ``Table.to_pylist`` makes dicts of first).
    """

    def __init__(
        self,
        documents: Iterable[Mapping[str, Any]] = (),
        *,
        rows: Iterable[tuple[Any, ...]] = (),
        path: Path | None = None,
    ) -> None:
        self.path = path
        self.db = _connect(path)
        self.db.executescript(_SCHEMA)
        self.db.execute("BEGIN")
        self._load(itertools.chain(map(_input, documents), rows))
        self.db.execute(_CONTENT_INDEX)

    @classmethod
    def reopen(cls, path: Path) -> InputIndex:
        """The index :meth:`settle` left in the file ``path``, for another run."""
        index = cls.__new__(cls)
        index.path = path
        index.db = _connect(path)
        index.db.execute("BEGIN")
        return index

    def settle(self, key: str) -> int:
        """End the run: forget what it met, note ``key``, commit and close; return the inputs.

        What is left is the dataset's inputs as the run leaves them, for :meth:`reopen`.
        """
        self.db.execute("UPDATE inputs SET applied = 0 WHERE applied")
        inputs = int(self.db.execute("SELECT count(*) FROM inputs").fetchone()[0])
        self.db.execute("DELETE FROM kept")
        self.db.execute("INSERT INTO kept VALUES (?)", (key,))
        self.db.execute("COMMIT")
        self.close()
        return inputs

    def key(self) -> str | None:
        """The key :meth:`settle` noted, if this index was settled."""
        row = self.db.execute("SELECT key FROM kept").fetchone()
        return None if row is None else str(row[0])

    def contents(self) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
        """Every input (without :attr:`Known.applied`) and every owner, in order (for checks)."""
        inputs = [
            (path, _unpacked(doc_id), *rest)
            for path, doc_id, *rest in self.db.execute(
                "SELECT path, doc_id, size, mtime_ns, status, redaction FROM inputs ORDER BY path"
            )
        ]
        owners = [
            (_unpacked(doc_id), path)
            for doc_id, path in self.db.execute("SELECT doc_id, path FROM owners ORDER BY doc_id")
        ]
        return inputs, owners

    def _load(self, documents: Iterator[tuple[Any, ...]]) -> None:
        """The dataset's inputs, as :meth:`put` and :meth:`set_owner` would one row at a time.

        A path given twice: the last row holds; a content with data under two paths: the
        later path owns it. In bulk, the owners sorted by content first: one statement per
        row, each owner inserted at a random place, took 23.5-25.6 s for the 1,000,100
        documents of a 1,000,000-document archive; this takes 8.1 s.
        """
        self.db.execute(
            "CREATE TEMP TABLE loaded_owners "
            "(seq INTEGER PRIMARY KEY, doc_id NOT NULL, path TEXT NOT NULL)"
        )
        while batch := list(itertools.islice(documents, _LOAD_BATCH)):
            inputs = [
                (path, _packed(doc_id or ""), size, mtime_ns, status, redaction)
                for path, doc_id, size, mtime_ns, status, redaction in batch
            ]
            self.db.executemany(
                "INSERT OR REPLACE INTO inputs VALUES (?, ?, ?, ?, ?, ?, 0)", inputs
            )
            owners = [(i[1], i[0]) for i in inputs if i[1] and i[4] in HAS_DATA]
            self.db.executemany("INSERT INTO loaded_owners (doc_id, path) VALUES (?, ?)", owners)
        # In order of content, and for one content in the rows' order: the last one holds.
        self.db.execute(
            "INSERT OR REPLACE INTO owners SELECT doc_id, path FROM loaded_owners "
            "ORDER BY doc_id, seq"
        )
        self.db.execute("DROP TABLE loaded_owners")

    def close(self) -> None:
        """Close the index and remove its run's database (a private index is deleted)."""
        self.db.close()
        if self.path is not None:
            _run_file(self.path).unlink(missing_ok=True)

    # -- inputs by path ---------------------------------------------------------------------

    def get(self, path: str) -> Known | None:
        """What the index holds of ``path``, if anything."""
        row = self.db.execute(
            "SELECT doc_id, size, mtime_ns, status, redaction, applied FROM inputs WHERE path = ?",
            (path,),
        ).fetchone()
        if row is None:
            return None
        return Known(_unpacked(row[0]), row[1], row[2], row[3], row[4], bool(row[5]))

    def put(self, path: str, known: Known) -> None:
        """Record (or replace) what ``path`` holds."""
        self.db.execute(
            "INSERT OR REPLACE INTO inputs VALUES (?, ?, ?, ?, ?, ?, ?)",
            (path, _packed(known.doc_id), *known[1:5], int(known.applied)),
        )

    def unchanged(self, path: str, size: int, mtime_ns: int, redaction: str | None) -> bool:
        """Same size, time and redaction as the dataset holds: the input need not be read.

        Compared by SQLite, not on a :class:`Known` made first: a run skipping the
        1,000,000 inputs of its dataset, 12.7 -> 11.5 s. An input whose store gives no time
        (:data:`~kpi_extract.remote.UNKNOWN_TIME`) is never unchanged: it is read. Nor is
        one quarantined unread (no content hash): a read that failed may succeed now (an
        object store's errors are often passing ones; a file's permissions fixed change
        no time), and the other reasons (too large, a bad or nested archive...) cost no
        parsing to decide again.
        """
        if mtime_ns == UNKNOWN_TIME:
            return False
        row = self.db.execute(
            "SELECT 1 FROM inputs WHERE path = ? AND size = ? AND mtime_ns = ? AND redaction IS ?"
            " AND NOT (status = 'quarantined' AND doc_id = '')",
            (path, size, mtime_ns, redaction),
        ).fetchone()
        return row is not None

    def known_sha(self, path: str, redaction: str | None) -> str | None:
        """The hash the dataset holds for ``path`` (under the same redaction), if any."""
        known = self.get(path)
        return known.doc_id or None if known is not None and known.redaction == redaction else None

    # -- contents ---------------------------------------------------------------------------

    def owner(self, doc_id: str) -> str | None:
        """The input whose rows hold the content ``doc_id``, if any."""
        row = self.db.execute(
            "SELECT path FROM owners WHERE doc_id = ?", (_packed(doc_id),)
        ).fetchone()
        return None if row is None else str(row[0])

    def set_owner(self, doc_id: str, path: str) -> None:
        """``path``'s rows now hold the content ``doc_id``."""
        self.db.execute("INSERT OR REPLACE INTO owners VALUES (?, ?)", (_packed(doc_id), path))

    def drop_owner(self, doc_id: str) -> None:
        """No input's rows hold ``doc_id`` any more."""
        self.db.execute("DELETE FROM owners WHERE doc_id = ?", (_packed(doc_id),))

    def sharing(self, doc_id: str, path: str) -> list[str]:
        """The paths other than ``path`` that hold the content ``doc_id``, sorted."""
        rows = self.db.execute(
            "SELECT path FROM inputs WHERE doc_id = ? AND path != ? ORDER BY path",
            (_packed(doc_id), path),
        )
        return [str(row[0]) for row in rows]

    # -- this run ---------------------------------------------------------------------------

    def first_sight(self, path: str) -> bool:
        """Note that this run met ``path``; whether it is the first time."""
        cursor = self.db.execute("INSERT OR IGNORE INTO run.seen VALUES (?)", (path,))
        return cursor.rowcount == 1

    def was_seen(self, path: str) -> bool:
        """Whether this run met ``path`` already."""
        row = self.db.execute("SELECT 1 FROM run.seen WHERE path = ?", (path,)).fetchone()
        return row is not None
