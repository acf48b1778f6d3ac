"""A chunk of documents as a worker returns it: its tables survive the trip to the parent."""

from __future__ import annotations

import pickle

import pyarrow as pa
import pytest

from kpi_extract.batch import _chunks
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


def test_chunks_hold_at_most_64_documents_and_a_mebibyte_of_input() -> None:
    sizes = [700_000, 700_000, 2_000_000, *[1000] * 128]
    tasks = [
        Task(InputItem(f"{n:03d}.txt", size, 0), None, None, None) for n, size in enumerate(sizes)
    ]
    chunks = list(_chunks(tasks))
    # 131 tasks: three chunks of at most 44, and the large ones cut by their bytes.
    assert [(c[0].item.size, len(c)) for c in chunks] == [
        (700_000, 1),
        (700_000, 1),
        (2_000_000, 1),  # larger than the bound: alone
        (1000, 44),
        (1000, 44),
        (1000, 40),
    ]
    assert [t for c in chunks for t in c] == tasks


@pytest.mark.parametrize(
    ("tasks", "workers", "sizes"),
    [
        (100, 2, [50, 50]),  # not 64 and 36: one worker idle while the other ends
        (500, 2, [63] * 7 + [59]),
        (150, 2, [38, 38, 38, 36]),
        (3, 2, [2, 1]),
        (1, 2, [1]),
        (200, 1, [50] * 4),
        (130, 0, [44, 44, 42]),  # jobs 0: parsed in the converter itself
        (0, 2, []),
    ],
)
def test_a_batch_is_cut_into_chunks_every_worker_gets_as_many_of(
    tasks: int, workers: int, sizes: list[int]
) -> None:
    batch = [Task(InputItem(f"{n:03d}.txt", 1000, 0), None, None, None) for n in range(tasks)]
    chunks = list(_chunks(batch, workers))
    assert [len(c) for c in chunks] == sizes
    assert [t for c in chunks for t in c] == batch
