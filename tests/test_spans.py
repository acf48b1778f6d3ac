"""Spans: a commit reads only the parts that can hold the rows it removes (kpi_extract.spans)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from kpi_extract import batch, compaction, runindex
from kpi_extract import store as store_module
from kpi_extract.batch import convert
from kpi_extract.compaction import MAX_SMALL_PARTS, crowded
from kpi_extract.schema import TABLES
from kpi_extract.spans import Positions, from_manifest, span_of, union, widen
from kpi_extract.store import Store, Transaction, arrow_table, read_table
from tests.test_convert import _corpus, snapshot


def test_positions_are_found_within_a_span_both_ends_included() -> None:
    at = Positions(["b/2", "d/1", "b/2"])
    assert at.any_within(("b/2", "b/2"))
    assert at.any_within(("a", "b/2"))
    assert at.any_within(("c", "e"))
    assert not at.any_within(("b/3", "c/9"))
    assert not at.any_within(("d/2", "z"))
    assert not Positions([]).any_within(("a", "z"))


def test_spans_widen_and_join_and_an_unknown_one_makes_the_union_unknown() -> None:
    assert widen(None, "m", "n") == ("m", "n")
    assert widen(("m", "n"), "a", "b") == ("a", "n")
    assert span_of(["k", "c", "x"]) == ("c", "x")
    assert span_of([]) is None
    assert union([("c", "d"), ("a", "b")]) == ("a", "d")
    assert union([("c", "d"), None]) is None
    assert from_manifest({"parts": {}}) == {}
    assert from_manifest({"spans": {"w/p.parquet": ["a", "b"], "bad": "x"}}) == {
        "w/p.parquet": ("a", "b")
    }


def _warnings(*doc_ids: str, year: int = 2564) -> pa.Table:
    rows = [
        dict.fromkeys(TABLES["warnings"].schema.names)
        | {"doc_id": doc_id, "fiscal_year_be": year, "code": "x"}
        for doc_id in doc_ids
    ]
    return arrow_table(rows, TABLES["warnings"].schema)


def _commit_three_parts(store: Store) -> None:
    """Three commits, one part each: docs a1 a2 (inputs in/a1, in/a2), b1 (in/b1), c1."""
    for doc_ids in (("a1", "a2"), ("b1",), ("c1",)):
        tx = store.begin()
        tx.write_table("warnings", _warnings(*doc_ids), span_of(f"in/{d}" for d in doc_ids))
        tx.commit()


def _reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The parts a commit reads (its table, then the first key of what was read)."""
    read: list[str] = []

    def note(paths: list[Path], name: str, table: pa.Table) -> None:
        keys = table.column(TABLES[name].key)
        read.append(f"{name}:{keys[0].as_py() if len(keys) else '-'}")

    _on_read(monkeypatch, note)
    return read


def _files_read(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The file names of the parts a commit reads."""
    read: list[str] = []
    _on_read(monkeypatch, lambda paths, name, table: read.extend(path.name for path in paths))
    return read


def _on_read(monkeypatch: pytest.MonkeyPatch, seen: Callable[..., None]) -> None:
    """Call ``seen(paths, name, table)`` for each read of parts: whole, or rewritten."""
    real_read, real_rewrite = store_module.read_parts, Transaction._rewrite

    def read(paths: list[Path], name: str, *args: Any, **kwargs: Any) -> pa.Table:
        table = real_read(paths, name, *args, **kwargs)
        seen(paths, name, table)
        return table

    def rewrite(self: Transaction, source: Path, *args: Any) -> None:
        name = args[1]
        seen([source], name, real_read([source], name))
        real_rewrite(self, source, *args)

    monkeypatch.setattr(store_module, "read_parts", read)
    monkeypatch.setattr(Transaction, "_rewrite", rewrite)


def _doc_ids(store: Store) -> list[str]:
    return sorted(
        str(d) for d in read_table(store.root, "warnings", ["doc_id"]).column(0).to_pylist()
    )


def test_a_removal_reads_only_the_parts_whose_span_holds_its_input(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Store(tmp_path / "out")
    with store.locked():
        _commit_three_parts(store)
        spans = sorted(from_manifest(store.manifest()).values())
        assert spans == [("in/a1", "in/a2"), ("in/b1", "in/b1"), ("in/c1", "in/c1")]
        read = _reads(monkeypatch)
        tx = store.begin()
        tx.remove("warnings", {"a2"}, at=["in/a2"])
        tx.commit()
    # The key column, then the whole part: only a1 a2's part.
    assert read == ["warnings:a1", "warnings:a1"]
    assert _doc_ids(store) == ["a1", "b1", "c1"]
    # The part rewritten without a2 keeps the span it had.
    assert sorted(from_manifest(store.manifest()).values()) == spans


def test_a_part_losing_some_rows_is_rewritten_a_row_group_at_a_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_module, "ROW_GROUP_BYTES", 1)  # a row group per write
    monkeypatch.setattr(compaction, "_GROUP_BYTES", 1)  # and per row group rewritten
    store = Store(tmp_path / "out")
    with store.locked():
        tx = store.begin()
        for n in range(4):
            tx.write_table("warnings", _warnings(f"d{n}", f"e{n}"), span_of([f"in/{n}"]))
        tx.commit()
        (part,) = store.parts("warnings")
        assert pq.ParquetFile(part).num_row_groups == 4
        real_read = pq.ParquetFile.read

        def key_column_only(self: pq.ParquetFile, columns: Any = None, **kwargs: Any) -> pa.Table:
            assert columns is not None, "a part read whole"
            return real_read(self, columns, **kwargs)

        monkeypatch.setattr(pq.ParquetFile, "read", key_column_only)
        tx = store.begin()
        tx.watch("warnings", "doc_id", 10)
        tx.remove("warnings", {"d1", "e2"}, at=["in/1", "in/2"])
        tx.commit()
    assert tx.changed("warnings") == {2564: {"d1", "e2"}}  # the rows removed, no other
    (part,) = store.parts("warnings")
    rows = pq.read_table(part, columns=["doc_id"]).column(0).to_pylist()
    assert rows == ["d0", "e0", "e1", "d2", "d3", "e3"]
    assert [len(group) for group in _row_groups(part)] == [2, 1, 1, 2]


def _row_groups(path: Path) -> list[list[Any]]:
    with pq.ParquetFile(path) as part:
        return [
            part.read_row_group(n, columns=["doc_id"]).column(0).to_pylist()
            for n in range(part.num_row_groups)
        ]


def test_a_removal_that_does_not_say_where_its_rows_came_from_reads_every_part(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Store(tmp_path / "out")
    with store.locked():
        _commit_three_parts(store)
        read = _reads(monkeypatch)
        tx = store.begin()
        tx.remove("warnings", {"b1"})
        tx.commit()
    # Each part's key column; b1's part loses every row: it goes without more reading.
    assert sorted(read) == ["warnings:a1", "warnings:b1", "warnings:c1"]
    assert _doc_ids(store) == ["a1", "a2", "c1"]


def test_a_part_without_a_span_is_read_whenever_its_table_loses_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Store(tmp_path / "out")
    with store.locked():
        _commit_three_parts(store)
        tx = store.begin()
        tx.write_table("warnings", _warnings("x1"))  # no span given: the part has none
        tx.write_table("warnings", _warnings("b1", year=2565), span_of(["in/b1"]))
        tx.commit()
        assert len(from_manifest(store.manifest())) == 4  # 5 parts, one without a span
        read = _reads(monkeypatch)
        tx = store.begin()
        tx.remove("warnings", {"b1"}, at=["in/b1"])
        tx.commit()
    assert sorted(read) == ["warnings:b1", "warnings:b1", "warnings:x1"]
    assert _doc_ids(store) == ["a1", "a2", "c1", "x1"]


def test_a_manifest_written_before_spans_has_every_part_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Store(tmp_path / "out")
    with store.locked():
        _commit_three_parts(store)
        path = store.current_dir() / "_manifest.json"  # type: ignore[operator]
        manifest = json.loads(path.read_text("utf-8"))
        del manifest["spans"]
        path.write_text(json.dumps(manifest), "utf-8")
        read = _reads(monkeypatch)
        tx = store.begin()
        tx.remove("warnings", {"c1"}, at=["in/c1"])
        tx.commit()
    assert sorted(read) == ["warnings:a1", "warnings:b1", "warnings:c1"]
    assert _doc_ids(store) == ["a1", "a2", "b1"]


def test_a_table_keyed_by_path_spans_its_own_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Store(tmp_path / "out")
    schema = TABLES["documents"].schema
    with store.locked():
        for paths in (["in/a", "in/c"], ["in/d"]):
            tx = store.begin()
            rows = [dict.fromkeys(schema.names) | {"path": p, "doc_id": p[-1]} for p in paths]
            tx.write("documents", rows)  # no span given: its paths are
            tx.commit()
        assert sorted(from_manifest(store.manifest()).values()) == [
            ("in/a", "in/c"),
            ("in/d", "in/d"),
        ]
        read = _reads(monkeypatch)
        tx = store.begin()
        tx.remove("documents", {"in/d"})
        tx.commit()
    assert read == ["documents:in/d"]
    left = read_table(store.root, "documents", ["path"]).column(0).to_pylist()
    assert sorted(str(p) for p in left) == [
        "in/a",
        "in/c",
    ]


def test_a_merged_part_spans_its_sources_and_its_rows_are_still_removed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Store(tmp_path / "out")
    with store.locked():
        for n in range(MAX_SMALL_PARTS + 1):  # one small part too many, merged at the next
            tx = store.begin()
            tx.write_table("warnings", _warnings(f"d{n:02d}"), span_of([f"in/{n:02d}"]))
            tx.commit()
        tx = store.begin()
        tx.write_table("warnings", _warnings("e1"), span_of(["in/e1"]))
        tx.commit()
        spans = {s: r.split("/")[-1] for r, s in from_manifest(store.manifest()).items()}
        assert sorted(spans) == [("in/00", "in/16"), ("in/e1", "in/e1")]
        read = _files_read(monkeypatch)
        tx = store.begin()
        tx.remove("warnings", {"d07"}, at=["in/07"])
        tx.commit()
    assert read == [spans["in/00", "in/16"]] * 2  # its key column, then all of it; not e1's
    assert len(_doc_ids(store)) == MAX_SMALL_PARTS + 1
    assert "d07" not in _doc_ids(store)


def _spans_by_file(out: Path) -> dict[str, tuple[str, str]]:
    return {r.split("/")[-1]: s for r, s in from_manifest(Store(out).manifest()).items()}


def _copy(path: str) -> str:
    return path.split("/")[-3]  # .../copy02/kpi_detail/b01_crlf_flood.txt


def test_a_re_run_that_parses_one_changed_input_reads_only_the_parts_that_held_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _corpus(tmp_path / "in", 4)
    out = tmp_path / "out"
    convert([folder], out, jobs=0, batch_size=13, commit_every=13)  # a copy per commit
    spans = _spans_by_file(out)
    held = [r for parts in Store(out).manifest()["parts"].values() for r in parts]
    files = {r.split("/")[-1] for r in held if not r.endswith("part-empty.parquet")}
    assert sorted({(_copy(a), _copy(b)) for a, b in spans.values()}) == [
        (f"copy{n:02d}", f"copy{n:02d}") for n in range(4)
    ]
    assert set(spans) == files  # every part has a span (quarantine has none: empty)
    changed = folder / "copy02" / "kpi_detail" / "b01_crlf_flood.txt"
    changed.write_bytes(changed.read_bytes().replace(b": 85.5000", b": 86.5000"))
    read = _files_read(monkeypatch)
    summary = convert([folder], out, jobs=0, batch_size=13, commit_every=13)
    assert (summary.parsed, summary.skipped) == (1, 51)
    # The commit read only parts written with copy02 (each one's key column; the whole of
    # those holding the old rows), none of the other copies'.
    committed = [name for name in read if name in spans]
    assert committed and {_copy(spans[name][0]) for name in committed} == {"copy02"}
    assert len(set(committed)) < len(files) / 3
    values = sorted(
        str(k["achieved_value"])
        for k in read_table(out, "kpis").to_pylist()
        if k["kpi_code"] == "5012-0871"
    )
    assert values == ["85.5000", "85.5000", "85.5000", "86.5000"]
    # The same dataset as converting the inputs as they are now into a new folder.
    fresh = tmp_path / "fresh"
    convert([folder], fresh, jobs=0, batch_size=13, commit_every=13)
    assert _without_times(snapshot(out)) == _without_times(snapshot(fresh))


def _without_times(tables: dict[str, list[Any]]) -> dict[str, list[Any]]:
    """Snapshots but for the documents' ``mtime_ns`` and ``parsed_at`` columns."""
    out = dict(tables)
    out["documents"] = sorted(
        tuple(pair for pair in row if pair[0] not in ("mtime_ns", "parsed_at"))
        for row in tables["documents"]
    )
    return out


def test_forcing_every_input_again_reads_a_few_parts_per_commit_and_changes_no_row(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _corpus(tmp_path / "in", 4)
    out = tmp_path / "out"
    convert([folder], out, jobs=0, batch_size=13, commit_every=13)
    before = snapshot(out)
    spans = _spans_by_file(out)
    read = _files_read(monkeypatch)
    per_commit: list[set[str]] = []
    real_commit = Transaction.commit

    def counted(self: Transaction) -> int:
        start = len(read)
        number = real_commit(self)
        per_commit.append({_copy(spans[name][0]) for name in read[start:] if name in spans})
        return number

    monkeypatch.setattr(Transaction, "commit", counted)
    summary = convert([folder], out, jobs=0, batch_size=13, commit_every=13, force=True)
    assert (summary.parsed, summary.skipped) == (52, 0)
    assert _without_times(snapshot(out)) == _without_times(before)
    # Each commit replaced one copy's rows and read only the parts of that copy (every part
    # of the dataset, each time, before spans).
    assert per_commit == [{"copy00"}, {"copy01"}, {"copy02"}, {"copy03"}, set()]  # + the last


def test_a_run_drops_the_generations_its_commits_replaced_once_their_grace_is_over(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _corpus(tmp_path / "in", 4)
    out = tmp_path / "out"
    held: list[int] = []
    real_commit = Transaction.commit

    def counted(self: Transaction) -> int:
        number = real_commit(self)
        held.append(sum(p.name.isdigit() for p in self.store.generations.iterdir()))
        return number

    monkeypatch.setattr(Transaction, "commit", counted)
    convert([folder], out, jobs=0, batch_size=13, commit_every=13)
    assert held == [1, 2, 3, 4, 4]  # the grace (60 s) keeps all; the last commit had nothing
    monkeypatch.setattr(batch, "GENERATION_GRACE", 0.0)
    held.clear()
    convert([folder], out, jobs=0, batch_size=13, commit_every=13, force=True)
    # After each commit of the run: the newest two (and the one just replaced at the
    # commit, until the generation after it is made); the run's end keeps two.
    assert held[:4] == [3, 3, 3, 3]
    assert sum(p.name.isdigit() for p in Store(out).generations.iterdir()) == 2


def test_generations_replaced_within_the_grace_stay(tmp_path: Path) -> None:
    store = Store(tmp_path / "out")
    with store.locked():
        for n in range(4):
            tx = store.begin()
            tx.write_table("warnings", _warnings(f"g{n}"), span_of([f"in/{n}"]))
            tx.commit()
        names = sorted(p.name for p in store.generations.iterdir())
        store.drop_generations(grace=3600.0)
        assert sorted(p.name for p in store.generations.iterdir()) == names
        store.drop_generations(grace=0.0)
        assert sorted(p.name for p in store.generations.iterdir()) == names[-2:]
    assert _doc_ids(store) == ["g0", "g1", "g2", "g3"]


def test_a_run_leaves_no_crowded_folder_even_when_its_findings_did_not_change(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _corpus(tmp_path / "in", 2)
    out = tmp_path / "out"
    convert([folder], out, jobs=0, batch_size=1, commit_every=1)  # a part per input
    before = snapshot(out)
    store = Store(out)
    generation = int(store.manifest()["generation"])
    summary = convert([folder], out, jobs=0, batch_size=1, commit_every=1, force=True)
    assert (summary.parsed, summary.skipped) == (26, 0)
    assert _without_times(snapshot(out)) == _without_times(before)
    # 26 commits, one per input, then the conflict check, which found what it had (no
    # generation), then the merge of the run's own parts: one generation more.
    assert summary.generation == generation + 27 == int(store.manifest()["generation"])
    current, previous = store.current_dir(), store.generations / f"{generation + 26:08d}"
    assert current is not None
    run_parts = json.loads((previous / "_manifest.json").read_text("utf-8"))["parts"]
    assert len(run_parts["documents"]) == 26  # the run's, each commit's one
    assert crowded(run_parts["documents"], previous)
    parts = store.manifest()["parts"]
    assert len(parts["documents"]) == 1
    assert not any(crowded(held, current) for held in parts.values())
    assert from_manifest(store.manifest())[parts["documents"][0]] == (
        str(folder / "copy00" / "kpi_detail" / "b01_crlf_flood.txt"),
        str(folder / "copy01" / "project_progress" / "c04_truncated.txt"),
    )
    # The index the run left is filed under the merged parts: the next run takes it.
    taken: list[bool] = []
    real_taken = runindex._taken

    def spied(store: Store, work: Path) -> Any:
        index = real_taken(store, work)
        taken.append(index is not None)
        return index

    monkeypatch.setattr(runindex, "_taken", spied)
    summary = convert([folder], out, jobs=0, batch_size=1, commit_every=1)
    assert (summary.skipped, summary.generation, taken) == (26, generation + 27, [True])
