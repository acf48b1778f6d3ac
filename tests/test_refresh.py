"""The conflict check at the end of a run: only the codes the run changed, crash-safe."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kpi_extract.audit import DATASET_SCOPE
from kpi_extract.audit import conflicts as conflicts_module
from kpi_extract.audit.conflicts import conflicts_by_year
from kpi_extract.audit.refresh import PENDING_NOTE, Pending, refresh_conflicts
from kpi_extract.batch import convert
from kpi_extract.store import Store, read_table
from tests.conftest import ROOT, SAMPLES, store_stale_finding

#: The KPI codes of the sample's two pages, and their fiscal years.
CANAL, FEEDER = "5038-1126", "1700-284"


def _page(achieved: str) -> str:
    """The two-page sample with the second KPI's achieved value (88.2000 in the sample)."""
    page = (SAMPLES / "kpi_detail" / "b02_two_pages.txt").read_text(encoding="utf-8")
    assert page.count(":88.2000") == 1
    return page.replace(":88.2000", f":{achieved}")


def _inputs(tmp_path: Path, **achieved: str) -> tuple[Path, Path]:
    """An inputs folder with a report per ``name=achieved value``, and the output folder."""
    inputs = tmp_path / "in"
    inputs.mkdir(exist_ok=True)
    for name, value in achieved.items():
        (inputs / f"{name}.txt").write_text(_page(value), encoding="utf-8")
    return inputs, tmp_path / "out"


def _other_code(inputs: Path) -> None:
    """Two reports of another KPI code in the feeder's year, with different values."""
    other = _page("88.2000").replace(FEEDER, "9999-0001")
    (inputs / "other.txt").write_text(other, encoding="utf-8")
    (inputs / "other2.txt").write_text(other.replace(":88.2000", ":10.0000"), encoding="utf-8")


def _stored_conflicts(out: Path) -> list[dict[str, Any]]:
    rows = read_table(out, "audit_findings").to_pylist()
    return sorted((r for r in rows if r["scope"] == DATASET_SCOPE), key=_by_id)


def _recomputed(out: Path) -> list[dict[str, Any]]:
    """Every year's conflicts computed again from ``kpis``, whole."""
    found = [f for _, findings in conflicts_by_year(Store(out)) for f in findings]
    return sorted(found, key=_by_id)


def _by_id(finding: dict[str, Any]) -> str:
    return str(finding["finding_id"])


def _sources(findings: list[dict[str, Any]]) -> list[tuple[str | None, str]]:
    return sorted((f["kpi_code"], Path(f["source"]).name) for f in findings)


@pytest.fixture
def checked(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[int, Any]]]:
    """The (fiscal year, codes) each conversion's conflict check reads (None: the whole year)."""
    calls: list[tuple[int, Any]] = []
    real = conflicts_module.year_conflicts

    def spy(kpis: Any, year: int, codes: Any = None) -> Any:
        calls.append((year, None if codes is None else sorted(codes)))
        return real(kpis, year, codes)

    monkeypatch.setattr(conflicts_module, "year_conflicts", spy)
    yield calls


def test_each_run_checks_the_codes_it_changed_and_stores_what_a_whole_check_finds(
    tmp_path: Path, checked: list[tuple[int, Any]]
) -> None:
    inputs, out = _inputs(tmp_path, first="88.2000", again="80.0000")
    convert([inputs], out, jobs=0)
    # A first conversion: every code of both years is new.
    assert checked == [(2565, [CANAL]), (2566, [FEEDER])]
    assert _sources(_stored_conflicts(out)) == [(FEEDER, "again.txt"), (FEEDER, "first.txt")]
    assert _stored_conflicts(out) == _recomputed(out)
    first = {f["finding_id"] for f in _stored_conflicts(out)}

    # A third report of the same KPIs: the feeder's conflicts now name three files.
    checked.clear()
    (inputs / "third.txt").write_text(_page("70.0000"), encoding="utf-8")
    convert([inputs], out, jobs=0)
    assert checked == [(2565, [CANAL]), (2566, [FEEDER])]
    stored = _stored_conflicts(out)
    assert _sources(stored) == [(FEEDER, name) for name in ("again.txt", "first.txt", "third.txt")]
    message = stored[0]["message"]  # the sources in order of path
    assert "again.txt: target 85, achieved 80; " in message
    assert "first.txt: target 85, achieved 88.2; " in message
    assert message.endswith("third.txt: target 85, achieved 70")
    assert not first & {f["finding_id"] for f in stored}  # every message changed
    assert stored == _recomputed(out)

    # third.txt becomes a copy of first.txt: its rows are removed (a duplicate has none),
    # and nothing is added: the codes come from the rows the commit removed.
    checked.clear()
    (inputs / "third.txt").write_text(_page("88.2000"), encoding="utf-8")
    convert([inputs], out, jobs=0)
    assert checked == [(2565, [CANAL]), (2566, [FEEDER])]
    assert _sources(_stored_conflicts(out)) == [(FEEDER, "again.txt"), (FEEDER, "first.txt")]
    assert {f["finding_id"] for f in _stored_conflicts(out)} == first
    assert _stored_conflicts(out) == _recomputed(out)

    # again.txt agrees with first.txt: no conflict is left.
    checked.clear()
    (inputs / "again.txt").write_text(_page("88.2000") + "\n", encoding="utf-8")
    generation = Store(out).manifest()["generation"]
    convert([inputs], out, jobs=0)
    assert _stored_conflicts(out) == [] == _recomputed(out)
    assert Store(out).manifest()["generation"] == generation + 2  # the rows, the conflicts

    # Nothing changed: nothing is checked, no generation is made.
    checked.clear()
    convert([inputs], out, jobs=0)
    assert checked == []
    assert Store(out).manifest()["generation"] == generation + 2
    assert not (out / ".kpi_extract" / PENDING_NOTE).exists()


def test_the_conflicts_of_codes_a_run_did_not_change_are_kept_as_stored(
    tmp_path: Path, checked: list[tuple[int, Any]]
) -> None:
    inputs, out = _inputs(tmp_path, first="88.2000", again="80.0000")
    convert([inputs], out, jobs=0)
    kept = _stored_conflicts(out)
    # A report of another KPI code, in the feeder's year: the feeder's findings are not
    # computed again, yet staged again with the year's new findings, unchanged.
    _other_code(inputs)
    checked.clear()
    convert([inputs], out, jobs=0)
    assert checked == [(2565, [CANAL]), (2566, ["9999-0001"])]
    stored = _stored_conflicts(out)
    assert [f for f in stored if f["kpi_code"] == FEEDER] == kept
    assert _sources(stored) == [
        (FEEDER, "again.txt"),
        (FEEDER, "first.txt"),
        ("9999-0001", "other.txt"),
        ("9999-0001", "other2.txt"),
    ]
    assert stored == _recomputed(out)


def test_a_year_with_more_changed_codes_than_a_slice_is_checked_whole(
    tmp_path: Path, checked: list[tuple[int, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(conflicts_module, "CODES_AT_A_TIME", 1)
    inputs, out = _inputs(tmp_path, first="88.2000", again="80.0000")
    _other_code(inputs)
    convert([inputs], out, jobs=0)
    # 2566 has two codes changed, one more than a slice: the whole year, a code at a time.
    assert checked == [(2565, [CANAL]), (2566, None)]
    assert len(_stored_conflicts(out)) == 4
    assert _stored_conflicts(out) == _recomputed(out)


def test_a_run_killed_before_its_conflict_check_has_the_next_run_check_its_years(
    tmp_path: Path,
) -> None:
    inputs, out = _inputs(tmp_path, first="88.2000", again="80.0000")
    convert([inputs], out, jobs=0)
    before = _stored_conflicts(out)
    (inputs / "third.txt").write_text(_page("70.0000"), encoding="utf-8")
    args = [sys.executable, "-m", "kpi_extract.cli", "convert", str(inputs), "--out", str(out)]
    # Killed once its rows are visible (the first commit's `current` link renamed), before
    # the conflict check commits.
    env = {**os.environ, "KPI_EXTRACT_KILL_AT": "pointed:1"}
    killed = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    assert killed.returncode == -9, killed.stderr
    assert "third.txt" in str(read_table(out, "kpis", ["source"]).column("source").to_pylist())
    assert _stored_conflicts(out) == before != _recomputed(out)  # stale
    assert Pending(Store(out)).left == {2565, 2566}
    # Nothing changed since: without the note, this run would check nothing.
    summary = convert([inputs], out, jobs=0)
    assert (summary.parsed, summary.skipped) == (0, 3)
    assert len(_stored_conflicts(out)) == 3
    assert _stored_conflicts(out) == _recomputed(out)
    assert not (out / ".kpi_extract" / PENDING_NOTE).exists()


def test_an_unreadable_note_has_every_year_checked(tmp_path: Path) -> None:
    inputs, out = _inputs(tmp_path, first="88.2000")
    convert([inputs], out, jobs=0)
    store = Store(out)
    generation = store_stale_finding(store, DATASET_SCOPE, "kpi_conflict", 2550)
    (out / ".kpi_extract" / PENDING_NOTE).write_text("{not json", encoding="utf-8")
    pending = Pending(store)
    assert pending.left is None
    pending.note([2566])  # left unreadable: it still says every year
    assert Pending(store).left is None
    summary = convert([inputs], out, jobs=0)
    assert summary.generation == generation + 1  # the stale finding of 2550 removed
    assert _stored_conflicts(out) == []
    assert not (out / ".kpi_extract" / PENDING_NOTE).exists()


def test_the_note_grows_by_years_and_is_written_only_when_it_grows(tmp_path: Path) -> None:
    store = Store(tmp_path / "out")
    store.state.mkdir(parents=True)
    pending = Pending(store)
    assert pending.left == set()
    pending.note([None])  # rows without a fiscal year have no conflicts
    assert not (store.state / PENDING_NOTE).exists()
    pending.note([2566, 2565])
    pending.note([2565])
    assert (store.state / PENDING_NOTE).read_text(encoding="utf-8") == '{"years": [2565, 2566]}'
    assert Pending(store).left == {2565, 2566}
    pending.clear()
    assert Pending(store).left == set()


def test_refreshing_every_year_removes_the_stored_conflicts_of_a_year_without_kpis(
    tmp_path: Path,
) -> None:
    inputs, out = _inputs(tmp_path, first="88.2000")
    convert([inputs], out, jobs=0)
    store = Store(out)
    generation = store_stale_finding(store, DATASET_SCOPE, "kpi_conflict", 2550)
    with store.locked():
        assert refresh_conflicts(store, {2566: {FEEDER}}) == generation  # 2550 not asked
        assert refresh_conflicts(store, {}, whole_years=[2550]) == generation + 1
    assert _stored_conflicts(out) == []
