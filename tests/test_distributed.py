"""The conversion on a local Dask cluster of two workers gives the same dataset, row for row."""

from __future__ import annotations

from pathlib import Path

from kpi_extract.batch import convert
from kpi_extract.store import read_table
from tests.conftest import SAMPLES
from tests.test_convert import snapshot


def test_dask_cluster_of_two_workers_writes_the_local_dataset(tmp_path: Path) -> None:
    local, distributed = tmp_path / "local", tmp_path / "dask"
    convert([SAMPLES], local, jobs=2)
    summary = convert([SAMPLES], distributed, dask="local:2")
    assert (summary.seen, summary.parsed, summary.records) == (13, 13, 15)
    assert snapshot(distributed) == snapshot(local)
    assert read_table(distributed, "kpis").num_rows == 11
    # A re-run on the cluster skips everything, like a local one.
    assert convert([SAMPLES], distributed, dask="local:2").skipped == 13
