"""The run's index of inputs (kpi_extract.index): lookups by path and by content."""

from __future__ import annotations

from pathlib import Path

import pytest

from kpi_extract import index as index_module
from kpi_extract.index import INPUT_COLUMNS, InputIndex, Known


def _row(
    path: str, doc_id: str | None, status: str, redaction: str | None = None
) -> dict[str, object]:
    return {
        "path": path,
        "doc_id": doc_id,
        "size": 10,
        "mtime_ns": 99,
        "status": status,
        "redaction": redaction,
    }


def test_owners_come_from_inputs_with_data_and_sharing_lists_the_other_paths() -> None:
    index = InputIndex(
        [
            _row("b.txt", "d1", "duplicate"),
            _row("a.txt", "d1", "parsed"),
            _row("c.txt", "d1", "duplicate"),
            _row("q.txt", None, "quarantined"),
        ]
    )
    try:
        assert index.owner("d1") == "a.txt"
        assert index.sharing("d1", "a.txt") == ["b.txt", "c.txt"]
        assert index.get("q.txt") == Known("", 10, 99, "quarantined", None, False)
        assert index.known_sha("q.txt", None) is None  # never read: no hash to compare
        index.drop_owner("d1")
        assert index.owner("d1") is None
    finally:
        index.close()


def test_unchanged_needs_the_same_size_time_and_redaction() -> None:
    index = InputIndex([_row("a.txt", "d1", "parsed", redaction="k1")])
    try:
        assert index.unchanged("a.txt", 10, 99, "k1")
        assert not index.unchanged("a.txt", 10, 98, "k1")
        assert not index.unchanged("a.txt", 10, 99, None)
        assert not index.unchanged("new.txt", 10, 99, "k1")
        assert index.known_sha("a.txt", "k1") == "d1"
        assert index.known_sha("a.txt", None) is None  # another redaction: re-parse
        index.put("a.txt", Known("d2", 11, 100, "parsed", None, True))
        assert index.get("a.txt") == Known("d2", 11, 100, "parsed", None, True)
        assert index.unchanged("a.txt", 11, 100, None)  # no redaction then, none now
        assert not index.unchanged("a.txt", 11, 100, "k1")
        assert not index.unchanged("a.txt", 12, 100, None)
        assert index.sharing("d1", "x") == []
    finally:
        index.close()


def test_a_content_hash_is_stored_as_its_32_bytes_and_read_back_as_it_was_given(
    tmp_path: Path,
) -> None:
    sha, other, upper = "0f" * 32, "a1" * 32, "AB" * 32  # upper case: not a hash we make
    index = InputIndex(
        [
            _row("a.txt", sha, "parsed"),
            _row("b.txt", sha, "duplicate"),
            _row("u.txt", upper, "parsed"),
        ],
        path=tmp_path / "index.sqlite",
    )
    try:
        index.put("c.txt", Known(other, 5, 6, "parsed", "k", True))
        index.set_owner(other, "c.txt")
        assert index.get("a.txt") == Known(sha, 10, 99, "parsed", None, False)
        assert index.known_sha("c.txt", "k") == other
        assert (index.owner(sha), index.owner(other), index.owner(upper)) == (
            "a.txt",
            "c.txt",
            "u.txt",
        )
        assert index.sharing(sha, "a.txt") == ["b.txt"]
        stored = dict(index.db.execute("SELECT path, doc_id FROM inputs").fetchall())
        assert stored == {
            "a.txt": bytes([15] * 32),
            "b.txt": bytes([15] * 32),
            "c.txt": bytes([0xA1] * 32),
            "u.txt": upper,
        }
        owners = {path for _, path in index.db.execute("SELECT doc_id, path FROM owners")}
        assert owners == {"a.txt", "c.txt", "u.txt"}
        inputs, by_content = index.contents()
        assert [row[:2] for row in inputs] == [
            ("a.txt", sha),
            ("b.txt", sha),
            ("c.txt", other),
            ("u.txt", upper),
        ]
        assert by_content == sorted(
            [(sha, "a.txt"), (other, "c.txt"), (upper, "u.txt")], key=lambda r: _order(r[0])
        )
        index.drop_owner(sha)
        assert index.owner(sha) is None
    finally:
        index.close()


def _order(doc_id: str) -> tuple[int, bytes]:
    # SQLite orders text before blobs, and blobs by their bytes.
    return (0, doc_id.encode()) if doc_id == "AB" * 32 else (1, bytes.fromhex(doc_id))


def test_the_paths_a_run_meets_are_kept_out_of_the_index_s_file(tmp_path: Path) -> None:
    path = tmp_path / "index.sqlite"
    index = InputIndex([_row("a.txt", "d1", "parsed")], path=path)
    assert [index.first_sight(f"p{n:05d}") for n in (1, 2, 1)] == [True, True, False]
    assert index.was_seen("p00002") and not index.was_seen("a.txt")
    for n in range(3, 3000):  # pages of paths that, kept in the file, would be left free
        index.first_sight(f"{'folder/' * 8}p{n:05d}")
    assert index.settle("key") == 1
    assert not (tmp_path / "index.sqlite-run").exists()
    again = InputIndex.reopen(path)
    try:
        tables = {row[0] for row in again.db.execute("SELECT name FROM main.sqlite_schema")}
        assert "seen" not in tables
        assert again.db.execute("PRAGMA main.freelist_count").fetchone()[0] == 0
        assert not again.was_seen("p00001")  # a new run has met nothing yet
        assert again.key() == "key"
    finally:
        again.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["index.sqlite"]


@pytest.mark.parametrize("as_tuples", [False, True])
@pytest.mark.parametrize("batch", [10_000, 2])
def test_the_dataset_s_inputs_load_as_if_put_one_row_at_a_time(
    batch: int, as_tuples: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(index_module, "_LOAD_BATCH", batch)
    rows = [
        _row("a.txt", "d1", "parsed"),
        _row("b.txt", "d2", "partial"),
        _row("a.txt", "d3", "parsed"),  # the same path again: this row holds
        _row("c.txt", "d2", "parsed"),  # d2 with data under a later path: c.txt owns it
        _row("d.txt", "d3", "duplicate"),
        _row("e.txt", None, "quarantined"),
    ]
    if as_tuples:  # as the run gives them, made from the columns of `documents`
        index = InputIndex(rows=[tuple(row[c] for c in INPUT_COLUMNS) for row in rows])
    else:
        index = InputIndex(rows)
    try:
        assert index.get("a.txt") == Known("d3", 10, 99, "parsed", None, False)
        assert [index.owner(d) for d in ("d1", "d2", "d3")] == ["a.txt", "c.txt", "a.txt"]
        assert index.sharing("d2", "c.txt") == ["b.txt"]
        assert index.sharing("d3", "a.txt") == ["d.txt"]
        assert index.sharing("d1", "x.txt") == []  # a.txt holds d3 now
        assert index.get("e.txt") == Known("", 10, 99, "quarantined", None, False)
    finally:
        index.close()
