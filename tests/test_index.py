"""The run's index of inputs (kpi_extract.index): lookups by path and by content."""

from __future__ import annotations

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
