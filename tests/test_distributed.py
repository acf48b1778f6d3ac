"""The conversion on a local Dask cluster of two workers gives the same dataset, row for row."""

from __future__ import annotations

import shutil
from pathlib import Path

import dask
import pytest

from kpi_extract.batch import convert
from kpi_extract.store import read_table
from tests.conftest import SAMPLES
from tests.test_convert import snapshot
from tests.test_reliability import B01


def test_dask_cluster_of_two_workers_writes_the_local_dataset(tmp_path: Path) -> None:
    local, distributed = tmp_path / "local", tmp_path / "dask"
    convert([SAMPLES], local, jobs=2)
    summary = convert([SAMPLES], distributed, dask="local:2")
    assert (summary.seen, summary.parsed, summary.records) == (13, 13, 15)
    assert snapshot(distributed) == snapshot(local)
    assert read_table(distributed, "kpis").num_rows == 11
    # A re-run on the cluster skips everything, like a local one.
    assert convert([SAMPLES], distributed, dask="local:2").skipped == 13


def test_a_document_that_kills_its_dask_worker_is_quarantined_and_the_run_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A worker that reads a document holding the mark dies (SIGKILL, as the OOM killer
    # would); the scheduler gives up on the task at once (no retries allowed here, three by
    # default). The chunk is run again one document per task: only that one is lost. Each
    # worker is given one task at a time, so that none dies with the document at fault:
    # the scheduler counts a death against every task a worker held.
    folder = tmp_path / "in"
    shutil.copytree(SAMPLES, folder)
    (folder / "kpi_result" / "z_kills.txt").write_bytes(B01.read_bytes() + b"\nKILL-MY-WORKER\n")
    monkeypatch.setenv("KPI_EXTRACT_CRASH_ON", "KILL-MY-WORKER")  # read by the new workers
    out = tmp_path / "out"
    strict = {"allowed-failures": 0, "worker-saturation": 1.0}
    with dask.config.set({f"distributed.scheduler.{k}": v for k, v in strict.items()}):
        summary = convert([folder], out, dask="local:2")
    assert (summary.seen, summary.parsed, summary.quarantined, summary.records) == (14, 13, 1, 15)
    (row,) = read_table(out, "quarantine").to_pylist()
    assert (Path(row["path"]).name, row["stage"], row["reason_code"]) == (
        "z_kills.txt",
        "parse",
        "crashed",
    )
    assert read_table(out, "kpis").num_rows == 11
