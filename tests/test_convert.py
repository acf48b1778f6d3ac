"""Batch conversion into the Parquet dataset: counts, values, re-runs, crashes, locks."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
import zipfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from kpi_extract.batch import Summary, convert
from kpi_extract.errors import DatasetLockedError
from kpi_extract.inputs import InputError
from kpi_extract.schema import SCHEMA_VERSION, TABLES
from kpi_extract.store import Store, read_table
from tests.conftest import SAMPLES, SEEDS

ROOT = Path(__file__).resolve().parent.parent


def snapshot(out: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every table as a sorted list of rows: equal snapshots mean equal datasets."""
    tables = {}
    for name in TABLES:
        rows = read_table(out, name).to_pylist()
        tables[name] = sorted(tuple(sorted((k, repr(v)) for k, v in r.items())) for r in rows)
    return tables


def _rows(out: Path, table: str, **where: Any) -> list[dict[str, Any]]:
    return [
        r for r in read_table(out, table).to_pylist() if all(r[k] == v for k, v in where.items())
    ]


@pytest.fixture(scope="module")
def samples_out(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Summary]:
    out = tmp_path_factory.mktemp("samples") / "dataset"
    return out, convert([SAMPLES], out, jobs=2)


def test_summary_counts_add_up(samples_out: tuple[Path, Summary]) -> None:
    _, summary = samples_out
    assert (summary.seen, summary.parsed, summary.quarantined, summary.skipped) == (13, 13, 0, 0)
    assert summary.records == 15  # 6 KPI result forms, 5 detail pages, 4 projects
    assert summary.line().startswith(
        "files seen 13, parsed 13, records 15, quarantined 0, unchanged-skipped 0, elapsed "
    )


def test_every_table_has_its_rows(samples_out: tuple[Path, Summary]) -> None:
    out, _ = samples_out
    counts = {name: read_table(out, name).num_rows for name in TABLES}
    assert counts["documents"] == 13
    assert counts["kpis"] == 11
    assert counts["projects"] == 4
    # Quarters: A records have 4 each but a04, cut in quarter 3 (3); B records 4 each
    # (b03 lost its table but has 4 narratives; b04 is cut in quarter 3's narrative but
    # its table has all 4 rows).
    assert counts["kpi_quarters"] == 4 * 6 - 1 + 4 * 5
    assert counts["progress_reports"] == 4 + 4 + 11 + 3
    assert counts["quarantine"] == 0
    assert {r["status"] for r in read_table(out, "documents").to_pylist()} == {"parsed"}


def test_values_are_typed_and_traceable(samples_out: tuple[Path, Summary]) -> None:
    out, _ = samples_out
    (kpi,) = _rows(out, "kpis", kpi_code="5012-0871")
    assert kpi["source"] == str(SAMPLES / "kpi_detail" / "b01_crlf_flood.txt")
    assert (kpi["target_value"], kpi["target_unit"], kpi["target_comparator"]) == (
        Decimal("80.0000"),
        "ร้อยละ",
        ">=",
    )
    assert (kpi["achieved_value"], kpi["agency_code"], kpi["fiscal_year_be"]) == (
        Decimal("85.5000"),
        "5012",
        2564,
    )
    assert dict(kpi["provenance"])["target"] == [7]
    quarters = sorted(
        _rows(out, "kpi_quarters", record_id=kpi["record_id"]), key=lambda r: r["quarter"]
    )
    assert [(q["quarter"], q["result"], q["lines"]) for q in quarters][:2] == [
        (1, Decimal("20.0000"), [28, 29, 30, 31, 47]),
        (2, Decimal("45.5000"), [32, 33, 34, 35, 51]),
    ]
    (project,) = _rows(out, "projects", project_code="50120000-0412")
    assert (project["budget_received"], project["budget_used"]) == (
        Decimal("1250000.00"),
        Decimal("1180500.50"),
    )
    assert (project["start_date"], project["fiscal_year_be"]) == (dt.date(2021, 11, 1), 2565)
    reports = sorted(
        _rows(out, "progress_reports", record_id=project["record_id"]), key=lambda r: r["no"]
    )
    assert [(r["no"], r["date"], r["budget_spent"]) for r in reports] == [
        (1, dt.date(2021, 11, 30), Decimal("0.00")),
        (2, dt.date(2022, 1, 28), Decimal("590250.00")),
        (3, dt.date(2022, 4, 25), Decimal("531225.50")),
        (4, dt.date(2022, 8, 31), Decimal("59025.00")),
    ]
    assert reports[2]["lines"] == [67, 74, 76, 78, 80, 82, 84]


def test_tables_are_partitioned_by_fiscal_year_with_the_schema_version(
    samples_out: tuple[Path, Summary],
) -> None:
    out, _ = samples_out
    years = sorted(p.name for p in (out / "kpis").iterdir())
    assert years == [f"fiscal_year_be={y}" for y in (2563, 2564, 2565, 2566, 2567)]
    assert not any(p.is_dir() for p in (out / "documents").iterdir())
    part = next((out / "kpis" / "fiscal_year_be=2564").glob("*.parquet"))
    metadata = pq.read_schema(part).metadata
    assert metadata[b"kpi_extract.schema_version"] == SCHEMA_VERSION.encode()
    assert metadata[b"kpi_extract.table"] == b"kpis"


def test_unknown_fiscal_year_has_its_own_partition(tmp_path: Path) -> None:
    seed = SEEDS / "000_f3e4975e7a738c19.txt"
    if not seed.exists():
        pytest.skip("seeds absent")
    out = tmp_path / "out"
    convert([seed], out, jobs=1)
    assert [p.name for p in (out / "kpis").iterdir()] == [
        "fiscal_year_be=__HIVE_DEFAULT_PARTITION__"
    ]
    (kpi,) = read_table(out, "kpis").to_pylist()
    assert kpi["fiscal_year_be"] is None


@pytest.mark.parametrize(
    "case",
    [
        (64, 4 << 20, 64 << 20, 1),  # the defaults: every batch's rows in one row group
        (64, 1, 64 << 20, 7),  # a row group as soon as a batch's rows are held
        (64, 4 << 20, 1, 7),  # the cap on held rows writes them at every batch
        (1, 1, 64 << 20, None),  # one file open, a row group per batch: parts finished early
    ],
)
def test_batches_of_a_run_share_one_part_per_table_and_year(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: tuple[int, int, int, int | None]
) -> None:
    max_open, group_bytes, max_held, documents_groups = case
    monkeypatch.setattr("kpi_extract.store.MAX_OPEN_PARTS", max_open)
    monkeypatch.setattr("kpi_extract.store.ROW_GROUP_BYTES", group_bytes)
    monkeypatch.setattr("kpi_extract.store.MAX_HELD_BYTES", max_held)
    out = tmp_path / "out"
    summary = convert([SAMPLES], out, jobs=0, batch_size=2)  # 13 files: 7 batches
    assert summary.parsed == 13
    kpi_parts = [p.name for p in (out / "kpis").rglob("*.parquet")]
    years = [p.name for p in (out / "kpis").iterdir()]
    if documents_groups is not None:
        assert len(kpi_parts) == len(years) == 5  # one part per year, not one per batch
        (documents,) = (out / "documents").glob("*.parquet")
        assert pq.ParquetFile(documents).num_row_groups == documents_groups
    else:
        assert len(kpi_parts) > len(years)  # parts finished early, reopened as new parts
    assert snapshot(out) == snapshot(_reference(tmp_path))


def _reference(tmp_path: Path) -> Path:
    reference = tmp_path / "reference"
    if not reference.exists():
        convert([SAMPLES], reference, jobs=0)
    return reference


def test_the_dataset_reads_back_with_pyarrow_pandas_and_duckdb(
    samples_out: tuple[Path, Summary],
) -> None:
    out, _ = samples_out
    table = ds.dataset(out / "kpis", format="parquet", partitioning="hive").to_table()
    assert table.num_rows == 11
    frame = pd.read_parquet(out / "kpis", partitioning=None)
    assert len(frame) == 11 and set(frame["layout"]) == {"kpi_result", "kpi_detail"}
    # The README's query: targets met per agency and fiscal year (target_met applies the
    # comparator and direction: kpi_extract.judge).
    query = f"""
        SELECT agency_code, fiscal_year_be, count(*) AS kpis, count_if(target_met) AS met
        FROM read_parquet('{out}/kpis/**/*.parquet', hive_partitioning = true)
        WHERE agency_code IS NOT NULL
        GROUP BY ALL ORDER BY ALL
    """
    relation = duckdb.sql(query)
    assert relation is not None
    assert relation.fetchall() == [
        ("1700", 2566, 1, 1),  # 88.20 against 85.00
        ("5012", 2564, 1, 1),  # 85.50 against at least 80
        ("5026", 2564, 1, 1),  # 92.50 against 90
        ("5038", 2565, 1, 1),  # 100 against 100
        ("5041", 2567, 1, 1),  # 1 fire against at most 2
    ]


def test_a_second_run_changes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "out"
    first = convert([SAMPLES], out, jobs=1)
    before = snapshot(out)
    generation = Store(out).manifest()["generation"]
    again = convert([SAMPLES], out, jobs=1)
    assert (again.seen, again.skipped, again.parsed, again.records) == (13, 13, 0, 0)
    assert snapshot(out) == before
    assert Store(out).manifest()["generation"] == generation == first.generation


def test_a_touched_file_only_updates_its_documents_row(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    shutil.copytree(SAMPLES, folder)
    out = tmp_path / "out"
    convert([folder], out, jobs=0, batch_size=4)
    before = snapshot(out)
    touched = sorted(folder.rglob("*.txt"))[2:7:2]  # three files, in different batches
    for number, path in enumerate(touched):
        os.utime(path, ns=(1_700_000_000_000_000_000 + number, 1_700_000_000_000_000_000 + number))
    summary = convert([folder], out, jobs=0, batch_size=4)
    assert (summary.parsed, summary.skipped) == (0, 13)
    documents = {r["path"]: r for r in read_table(out, "documents").to_pylist()}
    assert [documents[str(p)]["mtime_ns"] for p in touched] == [
        1_700_000_000_000_000_000 + n for n in range(3)
    ]
    after = snapshot(out)
    assert {t: rows for t, rows in after.items() if t != "documents"} == {
        t: rows for t, rows in before.items() if t != "documents"
    }
    assert len(after["documents"]) == 13


def test_force_reparses_and_yields_the_same_rows(tmp_path: Path) -> None:
    out = tmp_path / "out"
    convert([SAMPLES], out, jobs=1)
    before = snapshot(out)
    forced = convert([SAMPLES], out, jobs=2, force=True)
    assert (forced.parsed, forced.skipped) == (13, 0)
    assert snapshot(out) == before


def test_changed_and_added_files(tmp_path: Path) -> None:
    inputs = tmp_path / "in"
    shutil.copytree(SAMPLES, inputs)
    out = tmp_path / "out"
    convert([inputs], out, jobs=1)
    changed = inputs / "kpi_detail" / "b01_crlf_flood.txt"
    (old_id,) = {
        d["doc_id"] for d in read_table(out, "documents").to_pylist() if d["path"] == str(changed)
    }
    changed.write_bytes(changed.read_bytes().replace(b": 85.5000", b": 86.5000"))
    added = inputs / "kpi_result" / "a06_added.txt"
    added.write_bytes(
        (inputs / "kpi_result" / "a03_thai_digits_missing_section.txt").read_bytes() + b"\n"
    )
    summary = convert([inputs], out, jobs=1)
    assert (summary.seen, summary.parsed, summary.skipped) == (14, 2, 12)
    kpis = read_table(out, "kpis").to_pylist()
    assert [k["achieved_value"] for k in kpis if k["kpi_code"] == "5012-0871"] == [
        Decimal("86.5000")
    ]
    assert len(kpis) == 12
    assert len({k["record_id"] for k in kpis}) == 12
    documents = read_table(out, "documents").to_pylist()
    assert len(documents) == 14 and len({d["path"] for d in documents}) == 14
    # The changed file's old content has left every data table; nothing else is left over.
    live = {d["doc_id"] for d in documents}
    assert old_id not in live
    for name in ("kpis", "kpi_quarters", "sections", "date_mentions", "strategy_links", "warnings"):
        assert {r["doc_id"] for r in read_table(out, name).to_pylist()} <= live


def test_same_content_under_two_names_is_stored_once(tmp_path: Path) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    sample = SAMPLES / "project_progress" / "c02_table_only_thai_digits.txt"
    shutil.copy(sample, inputs / "a.txt")
    shutil.copy(sample, inputs / "b.txt")
    out = tmp_path / "out"
    summary = convert([inputs], out, jobs=1)
    assert (summary.parsed, summary.records) == (2, 1)
    statuses = sorted(
        (d["path"][-5:], d["status"], d["duplicate_of"])
        for d in read_table(out, "documents").to_pylist()
    )
    assert statuses == [("a.txt", "parsed", None), ("b.txt", "duplicate", str(inputs / "a.txt"))]
    assert read_table(out, "projects").num_rows == 1


def test_rows_of_shared_content_stay_until_no_input_holds_it(tmp_path: Path) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    sample = SAMPLES / "project_progress" / "c02_table_only_thai_digits.txt"
    other = SAMPLES / "kpi_result" / "a01_cp874_waste.txt"
    for name in ("a.txt", "b.txt", "c.txt"):
        shutil.copy(sample, inputs / name)
    out = tmp_path / "out"
    convert([inputs], out, jobs=0)
    # The input holding the rows changes: b.txt holds them now, under its own path.
    (inputs / "a.txt").write_bytes(other.read_bytes())
    summary = convert([inputs], out, jobs=0)
    assert (summary.seen, summary.parsed, summary.skipped) == (3, 3, 0)

    def documents() -> list[tuple[str, str, str | None]]:
        rows = read_table(out, "documents").to_pylist()
        named = [(d["path"], d["status"], d["duplicate_of"]) for d in rows]
        return sorted((Path(p).name, s, d and Path(d).name) for p, s, d in named)

    assert documents() == [
        ("a.txt", "parsed", None),
        ("b.txt", "parsed", None),
        ("c.txt", "duplicate", "b.txt"),
    ]
    projects = read_table(out, "projects").to_pylist()
    assert [Path(p["source"]).name for p in projects] == ["b.txt"]
    assert convert([inputs], out, jobs=0).skipped == 3  # and it stays so
    # Only c.txt is named this time: b.txt's content is orphaned by a run that did not see it.
    (inputs / "b.txt").write_bytes(other.read_bytes() + b"\n")
    summary = convert([inputs / "b.txt"], out, jobs=0)
    assert (summary.seen, summary.parsed, summary.skipped) == (2, 2, 0)
    assert documents()[1:] == [("b.txt", "parsed", None), ("c.txt", "parsed", None)]
    assert [Path(p["source"]).name for p in read_table(out, "projects").to_pylist()] == ["c.txt"]
    (inputs / "c.txt").write_bytes(other.read_bytes() + b"\n\n")  # the last copy: rows go
    convert([inputs], out, jobs=0)
    assert read_table(out, "projects").num_rows == 0
    assert read_table(out, "kpis").num_rows == 3


def test_an_input_named_twice_is_converted_once(tmp_path: Path) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    shutil.copy(SAMPLES / "kpi_result" / "a01_cp874_waste.txt", inputs / "a.txt")
    summary = convert([inputs, inputs / "a.txt", inputs], tmp_path / "out", jobs=0)
    assert (summary.seen, summary.parsed, summary.records) == (1, 1, 1)
    with pytest.raises(InputError, match=r"missing\.txt"):
        convert([inputs, inputs / "missing.txt"], tmp_path / "out2", jobs=0)
    assert not (tmp_path / "out2" / "documents").exists()  # refused before any work


def test_bad_inputs_are_quarantined_with_a_reason_and_the_batch_goes_on(tmp_path: Path) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "empty.txt").write_bytes(b"")
    (inputs / "binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    (inputs / "letter.txt").write_text("เรียน ผู้อำนวยการ\nขอแจ้งว่า\n", encoding="utf-8")
    shutil.copy(SAMPLES / "kpi_result" / "a05_empty_quarter_cancelled.txt", inputs / "good.txt")
    out = tmp_path / "out"
    summary = convert([inputs], out, jobs=2)
    assert (summary.seen, summary.parsed, summary.quarantined) == (4, 1, 3)
    reasons = sorted(
        (Path(r["path"]).name, r["stage"], r["reason_code"])
        for r in read_table(out, "quarantine").to_pylist()
    )
    assert reasons == [
        ("binary.txt", "decode", "binary"),
        ("empty.txt", "decode", "empty"),
        ("letter.txt", "detect", "unknown_layout"),
    ]
    documents = {Path(d["path"]).name: d for d in read_table(out, "documents").to_pylist()}
    assert documents["empty.txt"]["status"] == "quarantined"
    assert documents["empty.txt"]["reason_code"] == "empty"
    assert documents["good.txt"]["record_count"] == 1


def test_zip_archives_are_read_member_by_member(tmp_path: Path) -> None:
    archive = tmp_path / "archive.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.write(SAMPLES / "kpi_detail" / "b02_two_pages.txt", "2565/b02.txt")
        zf.write(SAMPLES / "project_progress" / "c04_truncated.txt", "2567/c04.txt")
        zf.writestr("2567/readme.md", "not a dump")
        zf.writestr("inner.zip", b"PK\x05\x06" + b"\x00" * 18)
        zf.writestr("bomb.txt", b"\x00" * 5_000_000)
    out = tmp_path / "out"
    summary = convert([archive], out, jobs=1)
    assert (summary.seen, summary.parsed, summary.quarantined, summary.records) == (4, 2, 2, 3)
    paths = sorted(d["path"] for d in read_table(out, "documents").to_pylist())
    assert paths == [
        f"{archive}!{name}" for name in ("2565/b02.txt", "2567/c04.txt", "bomb.txt", "inner.zip")
    ]
    reasons = sorted(
        (r["path"].split("!")[1], r["reason_code"])
        for r in read_table(out, "quarantine").to_pylist()
    )
    assert reasons == [("bomb.txt", "decompression_bomb"), ("inner.zip", "nested_archive")]
    # The members quarantined unread are looked at again (a read that failed may succeed
    # now): quarantined again, their rows replaced, not added.
    again = convert([archive], out, jobs=1)
    assert (again.skipped, again.quarantined, again.parsed) == (2, 2, 0)
    assert len(read_table(out, "quarantine")) == 2
    assert len(read_table(out, "documents")) == 4


def test_a_second_run_on_the_same_folder_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "out"
    store = Store(out)
    with store.locked(), pytest.raises(DatasetLockedError, match="another kpi-extract run"):
        convert([SAMPLES], out, jobs=1)
    result = _cli("convert", str(SAMPLES / "kpi_result"), "--out", str(out), "--jobs", "1")
    assert result.returncode == 0
    with store.locked():
        refused = _cli("convert", str(SAMPLES), "--out", str(out))
    assert refused.returncode == 3
    assert "another kpi-extract run is writing" in refused.stderr


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kpi_extract.cli", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        timeout=300,
        check=False,
    )


def _corpus(folder: Path, copies: int) -> Path:
    """Samples copied ``copies`` times, each copy with other bytes (extra blank lines)."""
    for n in range(copies):
        for sample in sorted(SAMPLES.glob("*/*.txt")):
            target = folder / f"copy{n:02d}" / sample.parent.name / sample.name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(sample.read_bytes() + b"\n" * (n + 1))
    return folder


@pytest.fixture(scope="module")
def corpus(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, dict[str, list[tuple[Any, ...]]]]:
    folder = _corpus(tmp_path_factory.mktemp("corpus"), 4)
    clean = tmp_path_factory.mktemp("clean") / "out"
    convert([folder], clean, jobs=2, batch_size=10, commit_every=20)
    return folder, snapshot(clean)


@pytest.mark.parametrize(
    "point",
    ["parsed:15", "staged:7", "linked:2", "renamed:2", "pointed:1", "parsed:45"],
)
def test_a_killed_run_leaves_a_readable_dataset_and_the_next_run_finishes(
    tmp_path: Path, corpus: tuple[Path, dict[str, list[tuple[Any, ...]]]], point: str
) -> None:
    folder, clean = corpus
    out = tmp_path / "out"
    args = ("convert", str(folder), "--out", str(out), "--jobs", "2", "--batch-size", "10")
    killed = _cli(*args, "--commit-every", "20", env={"KPI_EXTRACT_KILL_AT": point})
    assert killed.returncode == -9, killed.stderr
    # Whatever was committed before the kill reads back complete: no partial generation.
    if Store(out).current_dir() is not None:
        partial = snapshot(out)
        documents = {dict(r)["path"] for r in partial["documents"]}
        assert len(documents) == len(partial["documents"])
    finished = _cli(*args, "--commit-every", "20")
    assert finished.returncode == 0, finished.stderr
    assert snapshot(out) == clean
    leftovers = list((out / ".kpi_extract").glob("generations/tmp-*"))
    assert leftovers == []


def test_the_seeds_convert_with_their_counts_and_values(tmp_path: Path) -> None:
    if not (SEEDS / "004_951660a2e4ceb95e.txt").exists():
        pytest.skip("seeds absent")
    out = tmp_path / "out"
    summary = convert([SEEDS], out, jobs=2)
    assert (summary.seen, summary.parsed, summary.records, summary.quarantined) == (5, 5, 5, 0)
    counts = {name: read_table(out, name).num_rows for name in TABLES}
    # 4 KPIs (000-003) with 4 quarters each; 1 project with 12 reports; strategy levels
    # 3 (000) + 4 (001) + 4 (002) + 0 (003, routine work) + 3 (004).
    assert (counts["kpis"], counts["kpi_quarters"], counts["projects"]) == (4, 16, 1)
    assert (counts["progress_reports"], counts["strategy_links"]) == (12, 14)
    kpis = {
        k["kpi_code"] or k["kpi_name_prefix"] or "000": k
        for k in read_table(out, "kpis").to_pylist()
    }
    assert (kpis["2100-1040"]["target_value"], kpis["2100-1040"]["fiscal_year_be"]) == (
        Decimal("75.0000"),
        2563,
    )
    assert (kpis["อ.2/2"]["achieved_value"], kpis["อ.2/2"]["target_met"]) == (
        Decimal("3.0000"),
        False,
    )
    assert kpis["000"]["fiscal_year_be"] is None
    (project,) = read_table(out, "projects").to_pylist()
    assert (project["project_code"], project["start_date"], project["budget_received"]) == (
        "21000000-3215",
        dt.date(2020, 10, 1),
        Decimal("0.00"),
    )
    assert sorted(p.name for p in (out / "kpis").iterdir()) == [
        "fiscal_year_be=2563",
        "fiscal_year_be=2564",
        "fiscal_year_be=__HIVE_DEFAULT_PARTITION__",
    ]


@pytest.mark.parametrize(("jobs", "batch_size"), [(0, 500), (0, 1), (2, 1), (2, 2)])
def test_which_copy_comes_to_hold_orphaned_rows_does_not_depend_on_the_batches(
    tmp_path: Path, jobs: int, batch_size: int
) -> None:
    # The pool holds two batches at a time: b.txt's batch is submitted before a.txt's is
    # applied and orphans it. The copies are parsed again after the inputs, in path order.
    inputs = tmp_path / "in"
    inputs.mkdir()
    sample = SAMPLES / "project_progress" / "c02_table_only_thai_digits.txt"
    for name in ("a.txt", "b.txt", "c.txt", "d.txt"):
        shutil.copy(sample, inputs / name)
    out = tmp_path / "out"
    convert([inputs], out, jobs=jobs, batch_size=batch_size)
    (inputs / "a.txt").write_bytes((SAMPLES / "kpi_result" / "a01_cp874_waste.txt").read_bytes())
    summary = convert([inputs], out, jobs=jobs, batch_size=batch_size)
    assert (summary.seen, summary.parsed, summary.skipped, summary.quarantined) == (4, 4, 0, 0)
    rows = read_table(out, "documents").to_pylist()
    named = sorted((Path(d["path"]).name, d["status"], d["duplicate_of"]) for d in rows)
    holder = str(inputs / "b.txt")
    assert named == [
        ("a.txt", "parsed", None),
        ("b.txt", "parsed", None),
        ("c.txt", "duplicate", holder),
        ("d.txt", "duplicate", holder),
    ]
    assert [p["source"] for p in read_table(out, "projects").to_pylist()] == [holder]


@pytest.mark.parametrize(("jobs", "batch_size"), [(0, 500), (0, 1), (2, 1)])
def test_an_input_applied_before_its_content_lost_its_owner_keeps_one_documents_row(
    tmp_path: Path, jobs: int, batch_size: int
) -> None:
    # a.txt, new, is a duplicate of z.txt when it is applied; z.txt, listed after it,
    # changed: a.txt is parsed again after the inputs and holds the rows. Its first row
    # (a duplicate of z.txt, which no longer holds that content) stayed beside the new one.
    inputs = tmp_path / "in"
    inputs.mkdir()
    copy = (SAMPLES / "project_progress" / "c02_table_only_thai_digits.txt").read_bytes()
    (inputs / "z.txt").write_bytes(copy)
    out = tmp_path / "out"
    convert([inputs], out, jobs=jobs, batch_size=batch_size)
    (inputs / "a.txt").write_bytes(copy)
    (inputs / "z.txt").write_bytes((SAMPLES / "kpi_result" / "a01_cp874_waste.txt").read_bytes())
    summary = convert([inputs], out, jobs=jobs, batch_size=batch_size)
    assert (summary.seen, summary.parsed, summary.skipped, summary.quarantined) == (2, 2, 0, 0)
    rows = read_table(out, "documents").to_pylist()
    named = sorted((Path(d["path"]).name, d["status"], d["duplicate_of"]) for d in rows)
    assert named == [("a.txt", "parsed", None), ("z.txt", "parsed", None)]
    assert [p["source"] for p in read_table(out, "projects").to_pylist()] == [str(inputs / "a.txt")]


def test_a_refreshed_input_whose_content_lost_its_owner_keeps_one_documents_row(
    tmp_path: Path,
) -> None:
    # b.txt, a duplicate of a.txt, is touched (same bytes, new time: its row refreshed)
    # while a.txt changes: b.txt is parsed again and holds the rows, with one row.
    inputs = tmp_path / "in"
    inputs.mkdir()
    copy = (SAMPLES / "project_progress" / "c02_table_only_thai_digits.txt").read_bytes()
    for name in ("a.txt", "b.txt"):
        (inputs / name).write_bytes(copy)
    out = tmp_path / "out"
    convert([inputs], out, jobs=0)
    (inputs / "a.txt").write_bytes((SAMPLES / "kpi_result" / "a01_cp874_waste.txt").read_bytes())
    os.utime(inputs / "b.txt", ns=(1_700_000_000_000_000_000, 1_700_000_000_000_000_000))
    summary = convert([inputs], out, jobs=0)
    assert (summary.seen, summary.parsed, summary.skipped) == (2, 2, 0)
    rows = read_table(out, "documents").to_pylist()
    named = sorted((Path(d["path"]).name, d["status"], d["mtime_ns"]) for d in rows)
    assert named[1] == ("b.txt", "parsed", 1_700_000_000_000_000_000)
    assert [name for name, _, _ in named] == ["a.txt", "b.txt"]
    assert [p["source"] for p in read_table(out, "projects").to_pylist()] == [str(inputs / "b.txt")]


def test_refreshed_inputs_have_their_documents_rows_read_together(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every file touched (an archive copied elsewhere): one read of the documents table
    # for them all, not one per batch (each read scans the whole table).
    folder = tmp_path / "in"
    shutil.copytree(SAMPLES, folder)
    out = tmp_path / "out"
    convert([folder], out, jobs=0, batch_size=2)
    before = snapshot(out)
    for path in folder.rglob("*.txt"):
        os.utime(path, ns=(1_700_000_000_000_000_000, 1_700_000_000_000_000_000))
    reads: list[int] = []
    read_rows = Store.read_rows

    def counted(self: Store, name: str, key: str, values: list[str]) -> list[dict[str, Any]]:
        reads.append(len(values))
        return read_rows(self, name, key, values)

    monkeypatch.setattr(Store, "read_rows", counted)
    summary = convert([folder], out, jobs=0, batch_size=2)
    assert (summary.parsed, summary.skipped) == (0, 13)
    assert reads == [13]  # 7 batches: 7 reads before
    after = snapshot(out)
    assert len(after["documents"]) == 13
    assert {t: r for t, r in after.items() if t != "documents"} == {
        t: r for t, r in before.items() if t != "documents"
    }
    times = {r["mtime_ns"] for r in read_table(out, "documents").to_pylist()}
    assert times == {1_700_000_000_000_000_000}
