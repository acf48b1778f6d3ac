"""The instruction counter (``make count``): its workload and how it reads valgrind."""

from __future__ import annotations

from pathlib import Path

import pytest

from kpi_extract import count
from tests.conftest import SAMPLES

CACHEGRIND_SUMMARY = """==123== Cachegrind, a cache and branch-prediction profiler
==123== Command: python -m kpi_extract.count --run 20
==123==
==123== I   refs:      3,015,366,240
"""


def test_the_workload_parses_the_first_documents_of_a_corpus() -> None:
    files = sorted(SAMPLES.rglob("*.txt"))
    assert count.parse_first(SAMPLES, 3) == 3
    assert count.parse_first(SAMPLES, 10_000) == len(files)


def test_the_total_is_read_from_cachegrinds_summary() -> None:
    assert count.instruction_refs(CACHEGRIND_SUMMARY) == 3_015_366_240
    with pytest.raises(ValueError, match="I refs"):
        count.instruction_refs("==1== ERROR SUMMARY: 0 errors")


def test_per_document_is_the_difference_of_two_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    runs: list[int] = []

    def fake(corpus: Path, n: int) -> int:
        runs.append(n)
        return 1_000_000 + 7_000 * n  # 7,000 instructions a document, a fixed start-up

    monkeypatch.setattr(count, "count_run", fake)
    assert count.per_document(SAMPLES, docs=50, base=5) == 7_000
    assert runs == [55, 5]


def test_without_valgrind_it_says_so(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("shutil.which", lambda name: None)
    assert count.main(["--corpus", str(SAMPLES)]) == 2
    assert "valgrind is not installed" in capsys.readouterr().err


def test_a_corpus_too_small_is_refused(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("shutil.which", lambda name: "/usr/bin/valgrind")
    assert count.main(["--corpus", str(SAMPLES), "--docs", "200"]) == 2
    assert "fewer than 220 documents" in capsys.readouterr().err
    assert count.main(["--corpus", str(SAMPLES / "none")]) == 2
    assert "no such folder" in capsys.readouterr().err


def test_the_first_documents_are_of_every_layout_as_the_corpus_was_generated(
    tmp_path: Path,
) -> None:
    from kpi_extract import synth  # noqa: PLC0415

    synth.write_corpus(30, tmp_path, seed=1)
    ordered = count.in_generated_order(tmp_path)
    assert [p.name for p in ordered] == sorted(p.name for p in ordered)
    assert {p.parent.name for p in ordered[:12]} == {"kpi_result", "kpi_detail", "project_progress"}
    assert sorted(ordered) == synth.corpus_files(tmp_path)
