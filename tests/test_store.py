"""The store: rows split by fiscal year, every row once in the order it came; commits."""

from __future__ import annotations

import contextlib
import itertools
import os
import threading
import types
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from kpi_extract import store as store_module
from kpi_extract.errors import OutputError
from kpi_extract.schema import TABLES
from kpi_extract.store import (
    Store,
    Transaction,
    _by_year,
    _Part,
    arrow_table,
    read_table,
    scan_parts,
)


def test_rows_by_year_keep_their_order_and_nulls_have_their_own_partition() -> None:
    years = [2564, None, 2563, 2564, 2563, None] * 2000
    table = pa.table({"fiscal_year_be": pa.array(years, pa.int32()), "n": range(len(years))})
    groups = _by_year(table)
    assert sorted(groups, key=str) == [2563, 2564, None]
    for year, group in groups.items():
        expected = [n for n, y in enumerate(years) if y == year]
        assert group.column("n").to_pylist() == expected
        assert group.schema == table.schema


def test_one_year_or_none_at_all_is_the_table_itself() -> None:
    one = pa.table({"fiscal_year_be": pa.array([2565, 2565], pa.int32())})
    assert _by_year(one) == {2565: one}
    blank = pa.table({"fiscal_year_be": pa.array([None, None], pa.int32())})
    assert _by_year(blank) == {None: blank}


def _warning(doc_id: str, year: int) -> dict[str, object]:
    return dict.fromkeys(TABLES["warnings"].schema.names) | {
        "doc_id": doc_id,
        "fiscal_year_be": year,
        "code": "x",
    }


def _stage_three_years(tx: Transaction) -> None:
    for year in (2565, 2563, 2564):
        tx.write("warnings", [_warning(f"d{year}", year)])


def test_a_commit_closes_every_part_at_once_and_commits_each(
    tmp_path: Path,
) -> None:
    store = Store(tmp_path / "out")
    with store.locked():
        tx = store.begin()
        _stage_three_years(tx)
        opened = [part.relative for part in tx.growing.values()]
        assert [p.split("/")[1] for p in opened] == [
            "fiscal_year_be=2565",
            "fiscal_year_be=2563",
            "fiscal_year_be=2564",
        ]
        tx.commit()
    assert tx.growing == tx.writing == {} and tx.held_bytes == 0
    assert store.manifest()["parts"]["warnings"] == sorted(opened)
    table = read_table(tmp_path / "out", "warnings")
    assert sorted(
        zip(table["doc_id"].to_pylist(), table["fiscal_year_be"].to_pylist(), strict=True)
    ) == [
        ("d2563", 2563),
        ("d2564", 2564),
        ("d2565", 2565),
    ]


def test_every_part_is_durable_before_the_generation_is_published(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Store(tmp_path / "out")
    synced: list[str] = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    with store.locked():
        tx = store.begin()
        _stage_three_years(tx)
        staged = {part.path.name for part in tx.growing.values()}
        assert len(staged) == 3
        tx.commit()
    current = store.current_dir()
    assert current is not None
    written = {p.name for p in current.rglob("part-*.parquet") if "empty" not in p.name}
    assert written == staged
    synced_names = [Path(p).name for p in synced]
    published = synced_names.index("_manifest.json")
    assert staged <= set(synced_names[:published])  # each part before the manifest


@pytest.mark.parametrize("step", ["write_out", "sync"])
def test_a_part_that_cannot_be_closed_fails_the_commit_and_leaves_no_generation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, step: str
) -> None:
    store = Store(tmp_path / "out")

    def full_disk(part: _Part) -> int:
        raise OSError(28, "No space left on device")

    with store.locked():
        tx = store.begin()
        _stage_three_years(tx)
        monkeypatch.setattr(_Part, step, full_disk)
        with pytest.raises(OutputError, match="No space left on device"):
            tx.commit()
        tx.discard()
    assert store.current_dir() is None and not tx.staging.exists()


def _stage_years_in_turn(tx: Transaction, years: range, rounds: int) -> list[tuple[str, int]]:
    """Rows of ``years`` one after the other, ``rounds`` times (batches mixing years)."""
    names = TABLES["warnings"].schema.names
    staged = []
    for turn in range(rounds):
        for year in years:
            doc_id = f"d{year}-{turn}"
            row = dict.fromkeys(names) | {"doc_id": doc_id, "fiscal_year_be": year, "code": "x"}
            tx.write("warnings", [row])
            staged.append((doc_id, year))
    return staged


def _committed(store: Store) -> list[tuple[str, int]]:
    table = read_table(store.root, "warnings")
    pairs = zip(table["doc_id"].to_pylist(), table["fiscal_year_be"].to_pylist(), strict=True)
    # A row missing either value is dropped here and so fails the comparison with the staged.
    return sorted((d, y) for d, y in pairs if d is not None and y is not None)


def test_more_years_than_open_files_still_make_one_part_per_year(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Held rows need no file: 5 years in turn with 2 files allowed open, and no row group
    # due before the commit, give 5 parts, not a part per year and round.
    monkeypatch.setattr("kpi_extract.store.MAX_OPEN_PARTS", 2)
    store = Store(tmp_path / "out")
    with store.locked():
        tx = store.begin()
        staged = _stage_years_in_turn(tx, range(2561, 2566), rounds=4)
        assert len(tx.growing) == 5 and tx.writing == {}
        assert not tx.staging.exists()  # nothing written yet
        tx.commit()
    parts = store.manifest()["parts"]["warnings"]
    assert [p.split("/")[1] for p in parts] == [f"fiscal_year_be={y}" for y in range(2561, 2566)]
    assert _committed(store) == sorted(staged)


def test_past_the_open_files_the_least_recently_written_part_is_finished(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A row group at every row: each year's part needs its file at once; with 2 open, the
    # third year finishes the first, whose next rows go to a new part.
    monkeypatch.setattr("kpi_extract.store.MAX_OPEN_PARTS", 2)
    monkeypatch.setattr("kpi_extract.store.ROW_GROUP_BYTES", 1)
    store = Store(tmp_path / "out")
    with store.locked():
        tx = store.begin()
        staged = _stage_years_in_turn(tx, range(2561, 2564), rounds=2)
        assert list(tx.writing) == ["warnings/fiscal_year_be=2562", "warnings/fiscal_year_be=2563"]
        assert len(tx.staged["warnings"]) == 4  # 2561, 2562, 2563 of round 0 and 2561 of round 1
        assert tx.held_bytes == 0
        tx.commit()
    parts = store.manifest()["parts"]["warnings"]
    assert [p.split("/")[1] for p in parts] == [
        "fiscal_year_be=2561",
        "fiscal_year_be=2561",
        "fiscal_year_be=2562",
        "fiscal_year_be=2562",
        "fiscal_year_be=2563",
        "fiscal_year_be=2563",
    ]
    assert _committed(store) == sorted(staged)


def test_replacing_a_table_keeps_only_this_run_s_rows_and_the_other_tables_parts(
    tmp_path: Path,
) -> None:
    store = Store(tmp_path / "out")
    with store.locked():
        tx = store.begin()
        tx.write("warnings", [_warning("old-1", 2565), _warning("old-2", 2566)])
        tx.write("documents", [dict.fromkeys(TABLES["documents"].schema.names) | {"doc_id": "d"}])
        tx.commit()
        documents = store.parts("documents")
        tx = store.begin()
        tx.write("warnings", [_warning("new", 2566)])
        tx.replace("warnings")
        tx.commit()
    assert read_table(store.root, "warnings", ["doc_id"]).column(0).to_pylist() == ["new"]
    assert list(store.parts_by_year("warnings")) == [2566]  # 2565 had only old rows
    assert [p.stat().st_ino for p in store.parts("documents")] == [
        p.stat().st_ino for p in documents
    ]  # linked, not rewritten
    with store.locked():  # replacing with nothing empties the table; it keeps its schema
        tx = store.begin()
        tx.replace("warnings")
        tx.commit()
    assert read_table(store.root, "warnings").num_rows == 0
    assert read_table(store.root, "warnings").schema.names == TABLES["warnings"].schema.names


def test_scanning_parts_keeps_the_wanted_rows_a_row_group_at_a_time(tmp_path: Path) -> None:
    rows = [_warning(f"d{n % 7}", 2565) | {"message": str(n)} for n in range(100)]
    schema = TABLES["warnings"].with_metadata()
    path = tmp_path / "part.parquet"
    pq.write_table(arrow_table(rows, schema), path, row_group_size=30)
    assert pq.ParquetFile(path).num_row_groups == 4
    every = list(scan_parts([path], "warnings", ["message"]))
    assert [t.num_rows for t in every] == [30, 30, 30, 10]
    wanted = pa.array(["d3"], pa.string())
    kept = list(scan_parts([path, path], "warnings", ["doc_id", "message"], ("doc_id", wanted)))
    messages = [m for t in kept for m in t.column("message").to_pylist()]
    expected = [str(n) for n in range(100) if n % 7 == 3]
    assert messages == expected * 2
    assert {d for t in kept for d in t.column("doc_id").to_pylist()} == {"d3"}


def test_the_head_of_a_table_reads_only_its_first_rows_and_counts_them_all(
    tmp_path: Path,
) -> None:
    store = Store(tmp_path / "out")
    assert store.head("warnings", ["doc_id"], 3)[0].num_rows == 0  # before the first commit
    with store.locked():
        for run in range(3):
            tx = store.begin()
            tx.write("warnings", [_warning(f"r{run}-{n}", 2565) for n in range(2)])
            tx.commit()
    table, count = store.head("warnings", ["doc_id", "code"], 3)
    assert count == 6
    everything = read_table(store.root, "warnings", ["doc_id", "code"])
    assert table.to_pylist() == everything.slice(0, 3).to_pylist()
    assert table.column_names == ["doc_id", "code"]
    assert store.head("warnings", None, 0)[0].num_rows == 0


def test_a_watched_column_s_values_are_kept_by_year_as_rows_are_staged_and_removed(
    tmp_path: Path,
) -> None:
    store = Store(tmp_path / "out")
    with store.locked():
        tx = store.begin()
        for doc_id, year, code in [("d1", 2563, "a"), ("d2", 2564, "b"), ("d3", 2564, None)]:
            tx.write("warnings", [_warning(doc_id, year) | {"code": code}])
        tx.commit()
        tx = store.begin()
        tx.watch("warnings", "code", limit=2)
        assert tx.changed("warnings") == {}
        tx.write("warnings", [_warning("d4", 2565) | {"code": "c"}])
        tx.remove("warnings", {"d2", "d3"})
        assert tx.changed("warnings") == {2565: {"c"}}  # the removed rows: at the commit
        notes: list[dict[int | None, set[str] | None]] = []
        tx.before_publish = lambda: notes.append(dict(tx.changed("warnings")))
        tx.commit()
        # Known before the generation became visible; a null value is not kept.
        assert notes == [{2565: {"c"}, 2564: {"b"}}]
        rows = [(d, c) for d, c in _rows(store, "warnings", ["doc_id", "code"])]
        assert sorted(rows) == [("d1", "a"), ("d4", "c")]
        # Past the limit, a year is changed throughout.
        for n in range(3):
            tx.write("warnings", [_warning(f"e{n}", 2565) | {"code": f"x{n}"}])
        assert tx.changed("warnings") == {2565: None, 2564: {"b"}}
        tx.discard()


def test_a_removal_limited_to_years_keeps_the_key_s_rows_of_other_years(tmp_path: Path) -> None:
    store = Store(tmp_path / "out")
    with store.locked():
        tx = store.begin()
        for year in (2563, 2564, 2565):
            tx.write("warnings", [_warning("same", year), _warning(f"own{year}", year)])
        tx.commit()
        tx = store.begin()
        tx.remove("warnings", {"same"}, years=[2564, 2565])
        tx.remove("warnings", {"own2565"}, years=[2563])  # not in 2563: nothing
        tx.commit()
    assert sorted(_rows(store, "warnings", ["doc_id", "fiscal_year_be"])) == [
        ("own2563", 2563),
        ("own2564", 2564),
        ("own2565", 2565),
        ("same", 2563),
    ]


def _rows(store: Store, name: str, columns: list[str]) -> list[tuple[object, ...]]:
    table = read_table(store.root, name, columns)
    return list(zip(*(table.column(c).to_pylist() for c in columns), strict=True))


def _many_parts(root: Path) -> Store:
    """A dataset of warnings in 3 years x 4 commits (12 parts), docs ``{year}-{commit}-{n}``."""
    store = Store(root)
    with store.locked():
        for commit in range(4):
            tx = store.begin()
            for year in (2563, 2564, 2565):
                rows = [_warning(f"{year}-{commit}-{n}", year) for n in range(3)]
                tx.write_table("warnings", arrow_table(rows, TABLES["warnings"].schema))
            tx.commit()
    return store


def _remove_across_parts(store: Store) -> dict[int | None, set[str] | None]:
    """One commit: 4 parts lose some rows, 2 all of them, 6 nothing; what it changed."""
    with store.locked():
        tx = store.begin()
        tx.watch("warnings", "doc_id", limit=100)
        some = {f"{year}-{commit}-0" for year in (2563, 2565) for commit in (0, 3)}
        every = {f"2564-1-{n}" for n in range(3)}
        tx.remove("warnings", some | every)
        tx.commit()
        return dict(tx.changed("warnings"))


def _generation(store: Store) -> tuple[list[str], list[tuple[object, ...]]]:
    """The parts of the current generation and its rows, in order."""
    parts = store.manifest()["parts"]["warnings"]
    return parts, _rows(store, "warnings", ["doc_id", "fiscal_year_be"])


def _runs_numbered(monkeypatch: pytest.MonkeyPatch) -> None:
    """Transactions get the ids 000000000001, 000000000002... (part names depend on them)."""
    numbers = itertools.count(1)
    ids = types.SimpleNamespace(
        uuid4=lambda: types.SimpleNamespace(hex=f"{next(numbers):012d}{0:020d}")
    )
    monkeypatch.setattr(store_module, "uuid", ids)


def test_parts_carried_in_threads_make_the_same_generation_as_one_by_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = {}
    for threads in (1, 4):
        monkeypatch.setattr(store_module, "CARRY_THREADS", threads)
        _runs_numbered(monkeypatch)
        store = _many_parts(tmp_path / f"out{threads}")
        changed = _remove_across_parts(store)
        made[threads] = (_generation(store), changed)
    assert made[4] == made[1]
    (parts, rows), changed = made[1]
    assert len(rows) == 36 - 4 - 3
    assert ("2563-0-0", 2563) not in rows and ("2564-1-1", 2564) not in rows
    # The 7 parts that lost nothing linked as they were; the 4 that lost some rows
    # rewritten by the removal's run (5), named in the order of the parts they replace.
    assert parts == [
        f"warnings/fiscal_year_be={year}/part-{run:012d}-{sequence:06d}.parquet"
        for year, run, sequence in [
            (2563, 2, 1), (2563, 3, 1), (2563, 5, 1), (2563, 5, 2),
            (2564, 1, 2), (2564, 3, 2), (2564, 4, 2),
            (2565, 2, 3), (2565, 3, 3), (2565, 5, 3), (2565, 5, 4),
        ]
    ]  # fmt: skip
    assert changed == {
        2563: {"2563-0-0", "2563-3-0"},
        2564: {f"2564-1-{n}" for n in range(3)},
        2565: {"2565-0-0", "2565-3-0"},
    }


def test_a_commit_carries_two_parts_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = _many_parts(tmp_path / "out")
    both = threading.Barrier(2, timeout=10)  # broken unless two carries meet
    real_carry = Transaction._carry

    def carry(self: Transaction, *args: Any) -> Any:
        with contextlib.suppress(threading.BrokenBarrierError):
            both.wait()
        return real_carry(self, *args)

    monkeypatch.setattr(Transaction, "_carry", carry)
    _remove_across_parts(store)
    assert not both.broken
    assert len(_generation(store)[1]) == 29


def test_a_part_that_cannot_be_carried_fails_the_commit_and_leaves_the_generation(
    tmp_path: Path,
) -> None:
    store = _many_parts(tmp_path / "out")
    before = _generation(store)
    current = store.current_dir()
    assert current is not None
    lost = current / store.manifest()["parts"]["warnings"][5]
    lost.unlink()  # a part of the current generation gone from the disk
    with pytest.raises(OutputError, match=lost.name):
        _remove_across_parts(store)
    assert store.current_dir() == current
    assert not list(store.generations.glob("tmp-*"))
    assert store.manifest()["parts"]["warnings"] == before[0]


def test_parts_that_lose_no_rows_are_linked_by_the_committing_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = _many_parts(tmp_path / "out")
    carried_by: list[tuple[str, bool]] = []
    real_carry = Transaction._carry

    def carry(self: Transaction, base: Path, tmp: Path, job: Any) -> Any:
        carried_by.append((job.relative, threading.current_thread() is threading.main_thread()))
        return real_carry(self, base, tmp, job)

    monkeypatch.setattr(Transaction, "_carry", carry)
    with store.locked():
        tx = store.begin()
        tx.write("warnings", [_warning("new", 2566)])  # adds a part, removes nothing
        tx.commit()
    assert len(carried_by) == 12 and all(main for _, main in carried_by)
    carried_by.clear()
    _remove_across_parts(store)  # every part read: none has a span to rule it out
    assert len(carried_by) == 13 and not any(main for _, main in carried_by)
