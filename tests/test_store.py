"""The store: rows split by fiscal year, every row once in the order it came; commits."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from kpi_extract.errors import OutputError
from kpi_extract.schema import TABLES
from kpi_extract.store import Store, Transaction, _by_year, _OpenPart, read_table


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


def _stage_three_years(tx: Transaction) -> None:
    names = TABLES["warnings"].schema.names
    for year in (2565, 2563, 2564):
        row = dict.fromkeys(names) | {"doc_id": f"d{year}", "fiscal_year_be": year, "code": "x"}
        tx.write("warnings", [row])


def test_a_commit_closes_every_part_at_once_and_commits_each(
    tmp_path: Path,
) -> None:
    store = Store(tmp_path / "out")
    with store.locked():
        tx = store.begin()
        _stage_three_years(tx)
        opened = [part.relative for part in tx.open.values()]
        assert [p.split("/")[1] for p in opened] == [
            "fiscal_year_be=2565",
            "fiscal_year_be=2563",
            "fiscal_year_be=2564",
        ]
        tx.commit()
    assert tx.open == {} and tx.held_bytes == 0
    assert store.manifest()["parts"]["warnings"] == sorted(opened)
    table = read_table(tmp_path / "out", "warnings")
    assert sorted(
        zip(table["doc_id"].to_pylist(), table["fiscal_year_be"].to_pylist(), strict=True)
    ) == [
        ("d2563", 2563),
        ("d2564", 2564),
        ("d2565", 2565),
    ]


def test_a_part_that_cannot_be_closed_fails_the_commit_and_leaves_no_generation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Store(tmp_path / "out")

    def full_disk(part: _OpenPart) -> int:
        raise OSError(28, "No space left on device")

    with store.locked():
        tx = store.begin()
        _stage_three_years(tx)
        monkeypatch.setattr(_OpenPart, "close", full_disk)
        with pytest.raises(OutputError, match="No space left on device"):
            tx.commit()
        tx.discard()
    assert store.current_dir() is None and not tx.staging.exists()
