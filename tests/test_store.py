"""Rows split by fiscal year for the partitions: every row once, in the order it came."""

from __future__ import annotations

import pyarrow as pa

from kpi_extract.store import _by_year


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
