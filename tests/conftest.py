"""Shared fixtures: the project's samples, and the real seed dumps when present."""

from __future__ import annotations

import os
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest

from kpi_extract import native, runindex, synth
from kpi_extract.batch import convert
from kpi_extract.decode import decode_bytes
from kpi_extract.errors import DecodeError
from kpi_extract.normalise import normalise
from kpi_extract.schema import TABLES
from kpi_extract.store import Store

# Every run of the suite, in this process or a child, checks the run index it leaves
# against one built from the dataset (kpi_extract.runindex).
os.environ[runindex.CHECK_ENV] = "1"

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
SEEDS = ROOT.parent / "shared" / "seeds"


def seed_path(prefix: str) -> Path:
    """Path of the real seed dump whose name starts with ``prefix``; skip when absent."""
    matches = sorted(SEEDS.glob(f"{prefix}_*.txt")) if SEEDS.is_dir() else []
    if not matches:
        pytest.skip(f"seed {prefix} not available (../shared/seeds is absent)")
    return matches[0]


@cache
def corpus_lines() -> tuple[str, ...]:
    """Every normalised line of the samples, the seeds (when present) and 60 synthetic dumps."""
    seeds = sorted(SEEDS.glob("*.txt")) if SEEDS.is_dir() else []
    dumps = [path.read_bytes() for path in [*sorted(SAMPLES.glob("*/*.txt")), *seeds]]
    out: list[str] = []
    for data in dumps + [doc.data for doc in synth.generate(60, seed=3)]:
        try:
            out += normalise(decode_bytes(data).text).text.split("\n")
        except DecodeError:
            continue  # the samples of refused input
    return tuple(out)


def run_fresh(code: str, *args: str, pure: bool) -> str:
    """Run ``code`` in a fresh interpreter with ``args``; return what it printed.

    The compiled modules, when built, or (``pure``) the sources: a process chooses once.
    """
    env = {k: v for k, v in os.environ.items() if k != native.PURE_ENV}
    if pure:
        env[native.PURE_ENV] = "1"
    done = subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        check=True,
        env=env,
        cwd=ROOT,
    )
    return done.stdout.strip()


@pytest.fixture(scope="module")
def audited(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A converted dataset with 10 findings in 6 records, two of them conflicting (b02)."""
    out = tmp_path_factory.mktemp("audit") / "out"
    inputs = tmp_path_factory.mktemp("inputs")
    for sample in (
        "kpi_detail/b02_two_pages.txt",
        "project_progress/c04_truncated.txt",
        "kpi_result/a05_empty_quarter_cancelled.txt",
    ):
        (inputs / Path(sample).name).write_bytes((SAMPLES / sample).read_bytes())
    # The same KPI page again with another achieved value: a conflict between files.
    page = (SAMPLES / "kpi_detail" / "b02_two_pages.txt").read_text(encoding="utf-8")
    (inputs / "b02_again.txt").write_text(page.replace(":88.2000", ":80.0000"), encoding="utf-8")
    convert([inputs], out, jobs=1)
    return out


def store_stale_finding(store: Store, scope: str, rule_id: str, year: int) -> int:
    """Commit an ``audit_findings`` row with id ``stale`` no rule finds; return the generation."""
    stale = dict.fromkeys(TABLES["audit_findings"].schema.names) | {
        "scope": scope,
        "finding_id": "stale",
        "rule_id": rule_id,
        "fiscal_year_be": year,
        "values": [],
        "lines": [],
    }
    with store.locked():
        tx = store.begin()
        tx.write("audit_findings", [stale])
        return tx.commit()
