"""Parsing makes no reference cycles, so the workers can run without the automatic collector.

The workers disable it and collect once after each chunk (``batch.parse_in_worker``); these
tests hold the premise (nothing for the collector to find after parsing every kind of input,
compiled or from source) and the fallback (a cycle made by a chunk is freed after it).
"""

from __future__ import annotations

import gc
import json
import weakref
from pathlib import Path

import pytest

from kpi_extract import batch, inputs
from kpi_extract.document import Chunk, Reader, Task
from kpi_extract.workers import Pool

from .conftest import SAMPLES, run_fresh

# Run in a fresh interpreter: the compiled modules or the sources are chosen once a process.
_CHECK = r"""
import collections, gc, json, sys
from pathlib import Path
from kpi_extract import native, synth
from kpi_extract.document import Task, process_chunk
from kpi_extract.inputs import item_at

out = Path(sys.argv[1])
synth.write_corpus(40, out / "synthetic", seed=5)
files = sorted(p for p in out.rglob("*.txt") if p.is_file())
files += sorted(Path(sys.argv[2]).glob("*/*.txt"))
tasks = [Task(item_at(str(p)), None, None, None) for p in files]
process_chunk(tasks[:3])  # what a first call creates once (caches) is not garbage
gc.collect()
gc.disable()
gc.set_debug(gc.DEBUG_SAVEALL)
statuses = collections.Counter()
for start in range(0, len(tasks), 8):
    for outcome in process_chunk(tasks[start : start + 8]).outcomes:
        statuses[outcome.document["status"]] += 1
found = gc.collect()
kinds = collections.Counter(type(o).__qualname__ for o in gc.garbage).most_common(5)
print(json.dumps({"state": native.state, "files": len(files), "found": found,
                  "kinds": kinds, "statuses": statuses}))
"""


def _hostile(folder: Path) -> None:
    """Inputs that take the decoder's and the parser's error paths."""
    sample = sorted((SAMPLES / "kpi_detail").glob("*.txt"))[0].read_bytes()
    text = sample.decode("utf-8")
    thai = "ทดสอบ".encode()
    inputs = {
        "empty": b"",
        "binary": bytes(range(256)) * 20,
        "truncated_character": sample + thai[:2],
        "cut_in_half": sample[: len(sample) // 2],
        "damaged_utf8": sample[:400] + b"\xff\xfe\x80" + sample[400:],
        "cp874": text.encode("cp874", "replace"),
        "mixed_encodings": sample + "\nทดสอบภาษาไทย\n".encode("cp874"),
        "utf16_without_bom": text.encode("utf-16-le"),
        "not_thai": b"hello world\n" * 50,
        "nul_bytes": sample.replace(b"\n", b"\x00\n", 3),
    }
    folder.mkdir()
    for name, data in inputs.items():
        (folder / f"{name}.txt").write_bytes(data)


@pytest.mark.parametrize("pure", [True, False], ids=["from-source", "as-loaded"])
def test_parsing_leaves_nothing_for_the_collector(tmp_path: Path, pure: bool) -> None:
    _hostile(tmp_path / "hostile")
    printed = run_fresh(_CHECK, str(tmp_path), str(SAMPLES), pure=pure)
    report = json.loads(printed.splitlines()[-1])
    if pure:
        assert report["state"].startswith("source")
    assert report["files"] >= 40 + 10 + 9  # synthetic, hostile, samples
    statuses = report["statuses"]
    assert statuses["parsed"] >= 40
    assert statuses["quarantined"] >= 4  # empty, binary, mixed encodings, not Thai
    assert (report["found"], report["kinds"]) == (0, [])


class _Node:
    def __init__(self) -> None:
        self.me = self


def test_a_worker_frees_the_cycles_of_a_chunk_after_it(monkeypatch: pytest.MonkeyPatch) -> None:
    left: list[weakref.ref[_Node]] = []

    def cyclic(tasks: list[Task], reader: Reader | None = None) -> Chunk:
        left.append(weakref.ref(_Node()))  # only the collector can free it
        return Chunk()

    monkeypatch.setattr(batch, "process_chunk", cyclic)
    was_enabled = gc.isenabled()
    gc.disable()  # as in a worker
    try:
        assert batch.parse_in_worker([]) == Chunk()
        assert left[0]() is None
    finally:
        if was_enabled:
            gc.enable()


def test_workers_start_with_the_collector_off() -> None:
    pool = batch._pool(batch.Options(jobs=1))
    assert isinstance(pool, Pool)
    try:
        assert pool.initializer is batch._start_worker
        assert pool.fn is batch.parse_in_worker
    finally:
        pool.close()
    was_enabled = gc.isenabled()
    try:
        batch._start_worker()
        # And with the archive of the members it reads kept open (tests/test_inputs.py).
        assert not gc.isenabled() and inputs._KEPT.archive is not None
    finally:
        inputs._KEPT.archive = None
        if was_enabled:
            gc.enable()
