"""The benchmark harness: what it measures of a run, and how it reports it."""

from __future__ import annotations

import os
import subprocess
import zipfile
from pathlib import Path

import pytest

from kpi_extract import synth
from kpi_extract.bench import (
    ArchiveResult,
    AuditResult,
    IncrementResult,
    RunResult,
    _Measure,
    _timed_convert,
    _tree_memory_mb,
    code,
    commit,
    flatness,
    floor,
    measure_runs,
    render,
    speed_probe,
    stages,
    timed_archive,
    timed_audit,
    timed_increments,
)
from kpi_extract.store import read_table

ROOT = Path(__file__).resolve().parent.parent
needs_proc = pytest.mark.skipif(not Path("/proc/self/smaps_rollup").exists(), reason="no /proc")


@needs_proc
def test_memory_of_a_process_tree_counts_shared_pages_once_in_pss() -> None:
    rss, pss = _tree_memory_mb(os.getpid())
    assert rss > 20  # this interpreter with pyarrow and pydantic loaded
    assert 0 < pss <= rss + 1


@needs_proc
def test_a_timed_convert_reports_wall_cpu_and_memory(tmp_path: Path) -> None:
    measure = _timed_convert(ROOT / "samples", tmp_path / "out", jobs=1)
    assert (tmp_path / "out" / "current" / "_manifest.json").is_file()
    assert measure.seconds > 0 and measure.cpu_seconds > 0
    assert measure.peak_pss_mb <= measure.peak_rss_mb + 1
    assert measure.peak_rss_mb > 20


@needs_proc
def test_a_corpus_is_converted_as_one_archive_beside_its_folder(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus-30-seed4"
    synth.write_corpus(30, corpus, seed=4)
    result = timed_archive(tmp_path, corpus, 30, 2, folder_seconds=2.0)
    with zipfile.ZipFile(tmp_path / "corpus-30-seed4.zip") as zf:
        members = sorted(zf.namelist())
    files = [p.relative_to(corpus).as_posix() for p in synth.corpus_files(corpus)]
    assert members == files and len(files) == 30  # the dumps, not their truth files
    assert (result.docs, result.jobs, result.folder_seconds) == (30, 2, 2.0)
    assert result.seconds > 0 and result.cpu_seconds > 0 and result.peak_rss_mb > 20
    assert not (tmp_path / "out-30-zip").exists()
    text = render(
        [], {"decode": 0.25}, 0.42, archive=ArchiveResult(10_000, 2, 12.5, 25.0, 390, 10.0)
    )
    line = (
        "The 10,000-document corpus as one `.zip` archive, `--jobs 2`, one run: 12.5 s (800 "
        "docs/s, 2.50 ms of CPU per document, peak RSS 390 MB); as a folder: 10.0 s (+25%)."
    )
    assert line in text.splitlines()


@needs_proc
def test_a_timed_audit_reports_its_time_memory_and_report(tmp_path: Path) -> None:
    _timed_convert(ROOT / "samples", tmp_path / "out", jobs=1)
    audit = timed_audit(tmp_path / "out", 12)
    page = (tmp_path / "out" / "audit.html").read_text(encoding="utf-8")
    assert audit.docs == 12 and audit.seconds > 0
    assert audit.html_mb == pytest.approx(len(page.encode()) / 1e6)
    assert page.startswith("<!DOCTYPE html>")
    assert audit.peak_rss_mb > 20 and audit.peak_pss_mb <= audit.peak_rss_mb + 1


def test_the_report_lists_the_audits() -> None:
    audit = AuditResult(100_000, 36.0, 240.4, 230.2, 1.64)
    text = render([_run(100_000, 2, 95.0)], {"decode": 0.25}, 0.42, audits=(audit,))
    assert "| 100,000 | 36.0 | 0.36 | 230 | 240 | 1.6 |" in text.splitlines()
    short = AuditResult(1000, 0.8, 180.2, 0.4, 0.02)  # PSS: one sample, taken at the start
    text = render([_run(1000, 2, 1.4)], {"decode": 0.25}, 0.42, audits=(short,))
    assert "| 1,000 | 0.8 | 0.80 | - | 180 | 0.0 |" in text.splitlines()
    assert "| 100,000 | 36.0 |" not in render([_run(100_000, 2, 95.0)], {"decode": 0.25}, 0.42)


@needs_proc
def test_increments_convert_new_documents_into_the_dataset_one_run_after_the_other(
    tmp_path: Path,
) -> None:
    _timed_convert(ROOT / "samples", tmp_path / "out", jobs=1)
    before = read_table(tmp_path / "out", "documents", ["path"]).num_rows
    result = timed_increments(tmp_path, tmp_path / "out", 12, 1, seed=1, runs=2, new=3)
    assert (result.docs, result.new, result.jobs, len(result.seconds)) == (12, 3, 1, 2)
    assert all(s > 0 for s in result.seconds) and result.peak_rss_mb > 20
    paths = read_table(tmp_path / "out", "documents", ["path"]).column(0).to_pylist()
    assert len(paths) == before + 6
    assert sum("corpus-3-seed2" in str(p) for p in paths) == 3
    assert sum("corpus-3-seed3" in str(p) for p in paths) == 3


def test_the_report_lists_the_increments() -> None:
    increment = IncrementResult(100_000, 100, 2, [2.114, 2.561], 193.6)
    text = render([_run(100_000, 2, 95.0)], {"decode": 0.25}, 0.42, increments=(increment,))
    assert "| 100,000 | 100 | 2 | 2.11 / 2.56 | 194 |" in text.splitlines()
    assert "| 100,000 | 100 |" not in render([_run(100_000, 2, 95.0)], {"decode": 0.25}, 0.42)


def test_a_failed_convert_raises_with_its_error_output(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="missing: no such file or folder"):
        _timed_convert(tmp_path / "missing", tmp_path / "out", jobs=1)


def test_the_report_derives_rates_from_the_measures() -> None:
    result = RunResult(
        1000, 10.0, 2, 5.0, 8.0, 400.0, 250.0, 0.5, (4.0, 6.25), (200, 250), 3, 0.1234
    )
    text = render([result], {"decode": 0.25, "write": 0.5}, 0.42, (0.11, 0.15))
    row = (
        "| 1,000 | 10.0 | 2 | 3 | 5.0 | 200 | 160-250 | 2.00 | 5.00 | 8.00 | 250 | 200 / 250 "
        "| 400 | 0.5 | 10.0 | 0.12 |"
    )
    assert row in text.splitlines()
    assert "0.11 ms at the start of the benchmark, 0.15 ms at its end" in text
    assert "| 0.25 | 0.50 | 0.75 |" in text.splitlines()
    assert "imports included: 0.42 s" in text


def _run(docs: int, jobs: int, seconds: float, cpu: float = 0.0) -> RunResult:
    return RunResult(docs, docs / 100, jobs, seconds, cpu or 2 * seconds, 300.0, 250.0, 0.1)


def test_flatness_separates_the_marginal_cost_from_the_fixed_cost() -> None:
    results = [
        _run(1_000, 2, 1.6, cpu=2.3),
        _run(10_000, 2, 9.7, cpu=19.0),
        _run(100_000, 2, 90.7, cpu=195.0),
        _run(1_000, 1, 3.0),  # no 10,000 or 100,000 run with --jobs 1: no row
    ]
    table = flatness(results)
    assert table[0] == (
        "| jobs | 1,000 | 10,000 | 100,000 | 1,000 against 100,000 "
        "| marginal 1,000 -> 10,000 | marginal 10,000 -> 100,000 | fixed cost s (1,000 -> 10,000) "
        "| CPU ms/doc 1,000 / 100,000 | CPU 1,000 against 100,000 |"
    )
    # CPU: 2.3 s for 1,000 documents, 195 s for 100,000: 2.30 against 1.95 ms, +18 %.
    row = "| 2 | 1.60 | 0.97 | 0.91 | +76 % | 0.90 | 0.90 | 0.70 | 2.30 / 1.95 | +18 % |"
    assert table[2:] == [row]
    assert flatness([_run(1_000, 2, 1.6)]) == []
    text = render(results, {"decode": 0.25}, 0.42)
    assert row in text.splitlines()


def test_peak_memory_by_quarter_of_a_run() -> None:
    samples = [(0.5, 100.0), (2.0, 180.0), (2.4, 150.0), (6.0, 170.0), (7.9, 175.0), (8.0, 90.0)]
    measure = _Measure(8.0, 9.0, 300.0, 180.0, samples)
    assert measure.pss_by_quarter() == (100.0, 180.0, 0.0, 175.0)


@needs_proc
def test_repeated_runs_report_the_median_and_the_range(tmp_path: Path) -> None:
    result = measure_runs(
        ROOT / "samples", tmp_path / "out", 1, repeats=3, docs=13, megabytes=0.1, floor_s=0.01
    )
    low, high = result.seconds_range
    assert result.runs == 3 and low <= result.seconds <= high
    assert len(result.pss_by_quarter) == 4 and result.peak_pss_mb >= max(result.pss_by_quarter)


def test_the_stage_breakdown_times_every_stage_after_an_untimed_warm_up() -> None:
    spent = stages(ROOT / "samples", limit=6, warm_up=2)
    names = ["decode", "normalise", "detect", "segment", "extract", "validate", "audit", "write"]
    assert list(spent) == names
    assert all(ms > 0 for ms in spent.values())


def test_the_speed_probe_is_the_time_to_parse_a_sample() -> None:
    probe = speed_probe(passes=1, repeats=2)
    assert 0.1 < probe < 1000  # milliseconds per sample: parsing happened, and ended


def test_the_floor_reads_every_file_once_untimed_then_once_timed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("a", "b", "c"):
        (tmp_path / f"{name}.txt").write_text("1. ชื่อตัวชี้วัด : x\nplain line\n")
    reads: list[str] = []
    read_bytes = Path.read_bytes

    def counted(path: Path) -> bytes:
        reads.append(path.name)
        return read_bytes(path)

    monkeypatch.setattr(Path, "read_bytes", counted)
    assert floor(tmp_path) > 0
    assert sorted(reads) == ["a.txt", "a.txt", "b.txt", "b.txt", "c.txt", "c.txt"]
    assert reads[:3] == reads[3:]  # all warmed before the timed pass


def test_the_report_names_the_commit_it_measured() -> None:
    head = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],
        check=False,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if head.returncode != 0:
        pytest.skip("not a git checkout")
    assert commit().startswith(f"commit {head.stdout.strip()}")
    assert code().startswith("commit ")
