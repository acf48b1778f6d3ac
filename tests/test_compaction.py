"""Small parts of a partition are merged at a commit once there are too many of them."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from kpi_extract import compaction
from kpi_extract.schema import TABLES
from kpi_extract.spans import from_manifest
from kpi_extract.store import Store, arrow_table, read_table


def _warning(doc_id: str, year: int) -> dict[str, object]:
    names = TABLES["warnings"].schema.names
    return dict.fromkeys(names) | {"doc_id": doc_id, "fiscal_year_be": year, "code": "x"}


def _nightly_runs(store: Store, nights: range, year: int = 2566) -> None:
    """A run a night, each adding one warning of ``year`` and one of 2567 every tenth."""
    for night in nights:
        with store.locked():
            tx = store.begin()
            rows = [_warning(f"n{night}", year)]
            rows += [_warning(f"m{night}", 2567)] if night % 10 == 0 else []
            tx.write("warnings", rows)
            tx.commit()


def _folders(store: Store) -> dict[str, int]:
    parts = store.manifest()["parts"]["warnings"]
    return {
        folder: sum(Path(p).parent.name == folder for p in parts)
        for folder in sorted({Path(p).parent.name for p in parts})
    }


def test_past_sixteen_small_parts_a_partition_s_are_merged_into_one(tmp_path: Path) -> None:
    store = Store(tmp_path / "out")
    _nightly_runs(store, range(17))
    # 17 parts of 2566: 16 carried, one new; 2567's two.
    assert _folders(store) == {"fiscal_year_be=2566": 17, "fiscal_year_be=2567": 2}
    before = store.current_dir()
    assert before is not None
    _nightly_runs(store, range(17, 18))
    # 17 carried parts, past 16: merged; the night's own part stays apart.
    assert _folders(store) == {"fiscal_year_be=2566": 2, "fiscal_year_be=2567": 2}
    docs = read_table(store.root, "warnings", ["doc_id"]).column(0).to_pylist()
    assert sorted(map(str, docs)) == sorted([f"n{n}" for n in range(18)] + ["m0", "m10"])
    # The generation before still reads as it was, from its own files.
    manifest = json.loads((before / "_manifest.json").read_text(encoding="utf-8"))
    assert all((before / p).is_file() for p in manifest["parts"]["warnings"])
    assert len(manifest["parts"]["warnings"]) == 19
    _nightly_runs(store, range(18, 40))
    counts = _folders(store)
    assert counts["fiscal_year_be=2566"] <= compaction.MAX_SMALL_PARTS + 1
    assert len(read_table(store.root, "warnings")) == 40 + 4


def test_large_parts_and_a_run_s_own_parts_are_not_merged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Store(tmp_path / "out")
    monkeypatch.setattr(compaction, "SMALL_PART_BYTES", 1)  # every part is large
    _nightly_runs(store, range(20))
    assert _folders(store)["fiscal_year_be=2566"] == 20
    monkeypatch.undo()
    with store.locked():  # one run committing 20 times: its own parts, never merged by it
        tx = store.begin()
        for n in range(20):
            tx.write("warnings", [_warning(f"r{n}", 2568)])
            tx.commit()
    assert _folders(store)["fiscal_year_be=2568"] == 20
    assert _folders(store)["fiscal_year_be=2566"] == 1  # the next commit merged those
    assert len(read_table(store.root, "warnings")) == 20 + 2 + 20


def test_crowded_folders_are_merged_together_each_in_the_order_of_its_parts(
    tmp_path: Path,
) -> None:
    store = Store(tmp_path / "out")
    expected: dict[str, list[object]] = {}
    for night in range(18):  # a warning of 2566 and one of 2567 a night
        if night == 17:  # the 17 parts each folder carries into this night's commit
            for path in sorted(store.parts("warnings")):
                rows = pq.read_table(path, columns=["doc_id"]).column(0).to_pylist()
                expected.setdefault(path.parent.name, []).extend(rows)
        with store.locked():
            tx = store.begin()
            tx.write("warnings", [_warning(f"a{night:02d}", 2566), _warning(f"b{night:02d}", 2567)])
            tx.commit()
    assert _folders(store) == {"fiscal_year_be=2566": 2, "fiscal_year_be=2567": 2}
    merged = {}
    for path in store.parts("warnings"):
        table = pq.read_table(path, columns=["doc_id"])
        if table.num_rows > 1:  # the folder's merged part; the other is the night's
            merged[path.parent.name] = table.column(0).to_pylist()
    assert merged == expected
    assert sorted(map(str, expected["fiscal_year_be=2566"])) == [f"a{n:02d}" for n in range(17)]
    assert sorted(map(str, expected["fiscal_year_be=2567"])) == [f"b{n:02d}" for n in range(17)]


def test_small_parts_merge_into_parts_of_neighbouring_spans_of_at_most_a_bound(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Sizes in bytes, the bound 10: neighbours by span go together while they fit; a part
    # with no span goes with its kind only; a group of one is left as it was.
    monkeypatch.setattr(compaction, "MERGED_PART_BYTES", 10)
    sizes = {"p1": 6, "p2": 4, "p3": 4, "p4": 9, "p5": 1, "u1": 3, "u2": 3}
    spans = {
        "p1": ("in/c", "in/d"),
        "p2": ("in/a", "in/b"),
        "p3": ("in/e", "in/f"),
        "p4": ("in/g", "in/g"),
        "p5": ("in/a", "in/a"),
    }
    assert compaction._groups(sorted(sizes), sizes, spans) == [
        ["p5", "p2"],
        ["p1", "p3"],
        ["p4"],
        ["u1", "u2"],
    ]
    # And at most MAX_MERGED_PARTS parts: the hundred small parts a long run leaves (one a
    # commit) make several merged parts, each spanning fewer inputs.
    monkeypatch.setattr(compaction, "MAX_MERGED_PARTS", 1)
    assert compaction._groups(["p5", "p2"], sizes, spans) == [["p5"], ["p2"]]


def test_a_crowded_folder_merges_by_span_and_the_merged_parts_span_their_sources(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Store(tmp_path / "out")
    schema = TABLES["warnings"].schema
    for night in range(compaction.MAX_SMALL_PARTS + 1):  # written in reverse order of paths
        with store.locked():
            tx = store.begin()
            path = f"in/{99 - night}"
            tx.write_table(
                "warnings", arrow_table([_warning(f"n{night:02d}", 2566)], schema), (path, path)
            )
            tx.commit()
    sizes = [path.stat().st_size for path in store.parts("warnings")]
    # A bound of about three parts: 17 small parts make 6 merged ones, by span.
    monkeypatch.setattr(compaction, "MERGED_PART_BYTES", 3 * max(sizes))
    _nightly_runs(store, range(100, 101), year=2566)  # the commit that merges
    spans = from_manifest(store.manifest())
    merged = sorted(s for s in spans.values() if s[0] != s[1])
    assert merged == [
        ("in/83", "in/85"),
        ("in/86", "in/88"),
        ("in/89", "in/91"),
        ("in/92", "in/94"),
        ("in/95", "in/97"),
        ("in/98", "in/99"),
    ]
    doc_ids = read_table(store.root, "warnings", ["doc_id"]).column(0).to_pylist()
    assert sorted(str(d) for d in doc_ids) == sorted(
        [f"n{n:02d}" for n in range(compaction.MAX_SMALL_PARTS + 1)] + ["m100", "n100"]
    )
