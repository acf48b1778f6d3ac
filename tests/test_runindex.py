"""The run index a run leaves in the output folder for the next one (kpi_extract.runindex).

The suite runs with ``KPI_EXTRACT_CHECK_INDEX=1`` (conftest): every run of every test
compares the index it leaves with one built from its dataset. These tests show when an
index is taken, when it is not, and what a run that dies leaves.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kpi_extract import runindex
from kpi_extract.batch import convert
from kpi_extract.index import InputIndex, Known
from kpi_extract.runindex import CHECK_ENV, INDEX_DIR, documents_key, keep_index, open_index
from kpi_extract.store import STATE_DIR, Store
from tests.conftest import ROOT, SAMPLES

#: The bytes of b02_two_pages.txt (and of its copy b02_copy.txt): the hash is their doc_id.
TWO_PAGES = "47f0007a0fe76d703a31591c97f5daf4948d"


def _inputs(tmp_path: Path) -> tuple[Path, Path]:
    """The four kpi_detail samples and a copy of b02 (same bytes), and the output folder."""
    inputs = tmp_path / "in"
    inputs.mkdir()
    for sample in sorted((SAMPLES / "kpi_detail").glob("*.txt")):
        shutil.copy(sample, inputs / sample.name)
    shutil.copy(inputs / "b02_two_pages.txt", inputs / "b02_copy.txt")
    return inputs, tmp_path / "out"


def _converted(tmp_path: Path) -> tuple[Path, Path]:
    """:func:`_inputs`, converted once."""
    inputs, out = _inputs(tmp_path)
    convert([inputs], out, jobs=0)
    return inputs, out


def _kept(out: Path) -> list[str]:
    folder = out / STATE_DIR / INDEX_DIR
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


def _key(out: Path) -> str:
    return documents_key(Store(out).manifest()["parts"]["documents"])


def _built(out: Path) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    index = InputIndex(rows=runindex._rows(Store(out)))
    try:
        return index.contents()
    finally:
        index.close()


def _no_build(store: Store) -> object:
    raise AssertionError("the index was built, not taken")


def test_a_run_leaves_its_index_filed_under_the_documents_parts(tmp_path: Path) -> None:
    _, out = _converted(tmp_path)
    key = _key(out)
    assert _kept(out) == [f"{key}.sqlite"]
    index = InputIndex.reopen(out / STATE_DIR / INDEX_DIR / f"{key}.sqlite")
    try:
        assert index.key() == key
        rows, owners = index.contents()
        assert index.get("nothing.txt") is None
    finally:
        index.close()
    # The documents table of this run, as `kpi-extract show` prints it: b02_copy.txt sorts
    # first, holds the rows, and b02_two_pages.txt is its duplicate.
    assert [(Path(r[0]).name, r[1][:36], r[2], r[4]) for r in rows] == [
        ("b01_crlf_flood.txt", "043cfe30a88a930183f9284dc0936f886f84", 4081, "parsed"),
        ("b02_copy.txt", TWO_PAGES, 9678, "parsed"),
        ("b02_two_pages.txt", TWO_PAGES, 9678, "duplicate"),
        ("b03_no_table_thai_digits.txt", "f5a61b9f93c98f630cde1bf2182479007403", 4858, "parsed"),
        ("b04_truncated_no_newline.txt", "6ea25e9b3968973b16f1ec3aab60146b4234", 2494, "parsed"),
    ]
    assert len(owners) == 4
    assert [Path(path).name for doc_id, path in owners if doc_id.startswith(TWO_PAGES)] == [
        "b02_copy.txt"
    ]


def test_the_next_run_takes_it_and_leaves_it_in_step(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inputs, out = _converted(tmp_path)
    first = _kept(out)
    # New bytes for the input holding b02's rows: b02_two_pages.txt, its duplicate, is
    # parsed again and holds them from now on.
    (inputs / "b02_copy.txt").write_bytes(
        (SAMPLES / "kpi_detail" / "b01_crlf_flood.txt").read_bytes()
    )
    monkeypatch.delenv(CHECK_ENV)  # the check builds an index of its own
    monkeypatch.setattr(runindex, "_rows", _no_build)
    summary = convert([inputs], out, jobs=0)
    assert (summary.parsed, summary.skipped) == (2, 3)
    assert _kept(out) == [f"{_key(out)}.sqlite"] != first
    monkeypatch.undo()
    index = InputIndex.reopen(out / STATE_DIR / INDEX_DIR / _kept(out)[0])
    try:
        left = index.contents()
        owner = index.owner(next(d for d, _ in left[1] if d.startswith(TWO_PAGES)))
        copy = index.get(str(inputs / "b02_copy.txt"))
    finally:
        index.close()
    assert left == _built(out)
    assert owner is not None and Path(owner).name == "b02_two_pages.txt"
    assert copy is not None and copy.status == "duplicate"  # of b01_crlf_flood.txt now
    assert not copy.applied  # what a run met is not left for the next


def test_a_run_that_changes_nothing_takes_it_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inputs, out = _converted(tmp_path)
    kept = _kept(out)
    monkeypatch.setattr(runindex, "_rows", _no_build)
    monkeypatch.delenv(CHECK_ENV)
    summary = convert([inputs], out, jobs=0)
    assert (summary.parsed, summary.skipped) == (0, 5)
    assert _kept(out) == kept


def test_an_index_not_of_this_generation_or_damaged_is_built_again(tmp_path: Path) -> None:
    inputs, out = _converted(tmp_path)
    folder = out / STATE_DIR / INDEX_DIR
    old = (folder / _kept(out)[0]).read_bytes()
    (inputs / "b01_crlf_flood.txt").write_text("changed\n", encoding="utf-8")
    convert([inputs], out, jobs=0)
    # The index of the first generation under this generation's name: it says b01 has
    # its old size, and would have the run read it again. Its own key tells it apart.
    (folder / _kept(out)[0]).write_bytes(old)
    summary = convert([inputs], out, jobs=0)
    assert (summary.parsed, summary.skipped) == (0, 5)
    (folder / _kept(out)[0]).write_bytes(b"not a database" * 100)
    summary = convert([inputs], out, jobs=0)
    assert (summary.parsed, summary.skipped) == (0, 5)
    assert len(_kept(out)) == 1


def test_a_run_killed_while_it_holds_the_index_leaves_none(tmp_path: Path) -> None:
    inputs, out = _converted(tmp_path)
    (inputs / "b01_crlf_flood.txt").write_text("changed\n", encoding="utf-8")
    args = [sys.executable, "-m", "kpi_extract.cli", "convert", str(inputs), "--out", str(out)]
    env = {**os.environ, "KPI_EXTRACT_KILL_AT": "parsed:1"}
    killed = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    assert killed.returncode == -9, killed.stderr
    assert _kept(out) == []  # taken by the run, which died with it
    summary = convert([inputs], out, jobs=0)
    assert (summary.parsed, summary.quarantined, summary.skipped) == (0, 1, 4)  # not a report
    assert _kept(out) == [f"{_key(out)}.sqlite"]


def test_an_index_that_does_not_hold_the_datasets_inputs_is_not_left(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, out = _converted(tmp_path)
    store = Store(out)
    index = open_index(store)
    index.put("ghost.txt", Known("d1", 3, 7, "parsed"))
    with pytest.raises(RuntimeError, match=r"inputs differ.*ghost\.txt"):
        keep_index(store, index)
    monkeypatch.delenv(CHECK_ENV)
    index = open_index(store)  # built: the one taken above was not left
    index.put("ghost.txt", Known("d1", 3, 7, "parsed"))
    assert keep_index(store, index) is False
    assert _kept(out) == []


def test_the_key_is_the_set_of_parts_and_the_format() -> None:
    parts = ["documents/part-a-000001.parquet", "documents/part-b-000002.parquet"]
    assert documents_key(parts) == documents_key(parts[::-1])
    assert documents_key(parts) != documents_key(parts[:1])
    assert len(documents_key([])) == 32


def test_an_index_that_cannot_be_taken_or_left_does_not_fail_the_run(tmp_path: Path) -> None:
    inputs, out = _inputs(tmp_path)
    (out / STATE_DIR).mkdir(parents=True)
    (out / STATE_DIR / INDEX_DIR).write_text("a file where the folder goes", encoding="utf-8")
    for _ in range(2):
        summary = convert([inputs], out, jobs=0)
        assert (summary.parsed + summary.skipped, summary.quarantined) == (5, 0)
    assert summary.skipped == 5  # the second run built its index and skipped every input
    assert Store(out).read("documents").num_rows == 5
    assert not (out / STATE_DIR / "staging").exists()  # the index not left is not kept either
