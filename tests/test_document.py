"""A chunk of documents as a worker returns it: its tables survive the trip to the parent."""

from __future__ import annotations

import pickle

import pyarrow as pa

from kpi_extract.document import Chunk, Task, process_chunk
from kpi_extract.inputs import InputItem
from kpi_extract.schema import TABLES
from tests.conftest import SAMPLES


def _tasks() -> list[Task]:
    paths = sorted(SAMPLES.rglob("*.txt"))
    return [Task(InputItem(str(p), p.stat().st_size, 0), None, None, None) for p in paths]


def test_a_pickled_chunk_has_the_same_outcomes_rows_and_schemas() -> None:
    chunk = process_chunk(_tasks())
    back = pickle.loads(pickle.dumps(chunk))
    assert isinstance(back, Chunk)
    assert back.outcomes == chunk.outcomes and back.counts == chunk.counts
    assert sorted(back.tables) == sorted(chunk.tables)
    for name, table in chunk.tables.items():
        assert back.tables[name].schema.equals(TABLES[name].schema)
        assert back.tables[name].to_pylist() == table.to_pylist()
    assert back.tables["kpis"].num_rows == 11  # 6 result forms + 5 detail pages
    assert sum(back.counts["kpis"]) == 11


def test_kept_takes_only_the_marked_documents_rows() -> None:
    chunk = process_chunk(_tasks())
    counts = chunk.counts["kpis"]
    keep = [n % 2 == 0 for n in range(len(counts))]
    kept = chunk.kept(keep)["kpis"]
    assert kept.num_rows == sum(c for c, k in zip(counts, keep, strict=True) if k)
    wanted = {o.sha256 for o, k in zip(chunk.outcomes, keep, strict=True) if k}
    assert set(kept.column("doc_id").to_pylist()) <= wanted
    assert isinstance(kept, pa.Table)
