"""A fiscal year too large to hold is audited a bucket of records at a time, same findings."""

from __future__ import annotations

import shutil
from pathlib import Path

import pyarrow as pa
import pytest

from kpi_extract.audit import buckets as buckets_module
from kpi_extract.audit.buckets import bucket_count, bucket_of, year_tables
from kpi_extract.audit.dataset import AUDITED_COLUMNS, audit_dataset, recompute
from kpi_extract.audit.summary import AuditSummary
from kpi_extract.cli import EXIT_OUTPUT, main
from kpi_extract.errors import OutputError
from kpi_extract.store import Store, read_table

_TABLES = ("kpis", "kpi_quarters", "projects", "progress_reports", "date_mentions")


def test_a_record_s_bucket_is_its_id_s_first_byte_scaled_to_the_count() -> None:
    ids = pa.array(["00ab-000", "0fxx", "10", "7f", "80", "ff-001", "zz", None, "F0"])
    # 0x7f = 127: 127 // 64 = 1 of 4, 127 // 16 = 7 of 16; not hex, null, upper case: last.
    assert bucket_of(ids, 2).to_pylist() == [0, 0, 0, 0, 1, 1, 1, 1, 1]
    assert bucket_of(ids, 4).to_pylist() == [0, 0, 0, 1, 2, 3, 3, 3, 3]
    assert bucket_of(ids, 16).to_pylist() == [0, 0, 1, 7, 8, 15, 15, 15, 15]
    assert bucket_of(ids, 256).to_pylist() == [0, 15, 16, 127, 128, 255, 255, 255, 255]


def test_the_bucket_count_is_the_power_of_two_that_fits_the_budget(
    audited: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    parts = [p for name in _TABLES for p in Store(audited).parts(name)]
    assert bucket_count(parts) == 1  # a few KB
    monkeypatch.setattr(buckets_module, "BYTES_AT_A_TIME", 1)
    assert bucket_count(parts) == 256  # at most one bucket per first byte
    assert bucket_count([]) == 1


def test_a_year_split_in_buckets_holds_every_row_once(
    audited: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Store(audited)
    parts = {name: store.parts_by_year(name).get(2566, []) for name in _TABLES}
    (whole,) = year_tables(parts, tmp_path / "unused", AUDITED_COLUMNS)
    assert not (tmp_path / "unused").exists()
    monkeypatch.setattr(buckets_module, "BYTES_AT_A_TIME", 1)
    spill = tmp_path / "spill"
    seen: dict[str, list[str]] = {name: [] for name in _TABLES}
    for tables in year_tables(parts, spill, AUDITED_COLUMNS):
        assert len(list(spill.glob("kpis-*.arrow"))) == 256
        ids = set(tables["kpis"].column("record_id").to_pylist())
        ids |= set(tables["projects"].column("record_id").to_pylist())
        for name, table in tables.items():
            assert table.schema.names == whole[name].schema.names
            rows = table.column("record_id").to_pylist()
            if name in ("kpi_quarters", "progress_reports"):
                assert set(rows) <= ids  # a record's children are in its bucket
            seen[name] += [str(row) for row in rows]
    assert not spill.exists()
    for name in _TABLES:
        expected = whole[name].column("record_id").to_pylist()
        assert sorted(seen[name]) == sorted(map(str, expected))
    assert len(seen["kpi_quarters"]) > 0  # b02's second KPI page is of 2566


def test_an_audit_a_bucket_at_a_time_finds_what_is_stored_and_leaves_no_file(
    audited: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Store(audited)
    whole = recompute(store)
    monkeypatch.setattr(buckets_module, "BYTES_AT_A_TIME", 1)
    summary = AuditSummary(keep=10)
    assert audit_dataset(store, summary) is False  # the stored findings, found again
    assert (summary.findings, summary.records) == (10, 6)
    stored = read_table(audited, "audit_findings", ["finding_id"]).column(0).to_pylist()
    assert sorted(map(str, stored)) == sorted(f["finding_id"] for f in whole)
    assert not any((store.state / "staging").glob("audit-*"))


def test_a_year_that_cannot_be_split_is_an_output_error_not_a_crash(
    audited: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(buckets_module, "BYTES_AT_A_TIME", 1)
    store = Store(audited)
    parts = {name: store.parts_by_year(name).get(2566, []) for name in _TABLES}
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    with pytest.raises(OutputError, match=r"cannot split a fiscal year into .*a-file/spill"):
        next(year_tables(parts, blocked / "spill", AUDITED_COLUMNS))
    staging = store.state / "staging"
    shutil.rmtree(staging, ignore_errors=True)
    staging.write_text("not a folder")  # where the audit splits its years
    try:
        assert main(["audit", str(audited)]) == EXIT_OUTPUT
    finally:
        staging.unlink()
    error = capsys.readouterr().err
    assert "cannot split a fiscal year" in error and "the previous dataset is unchanged" in error
    assert read_table(audited, "audit_findings").num_rows == 10
