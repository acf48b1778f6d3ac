"""A fiscal year's record tables, split by record into buckets that fit in memory.

The record rules look at a record with its child rows, so the audit reads a fiscal year's
record tables together; a year grows with the archive (147 MB of Arrow for a year of
12,500 generated documents). Past :data:`BYTES_AT_A_TIME`, the year is read once, a row
group at a time, and its rows written by the first two characters of their ``record_id`` to
the Arrow IPC files of as many buckets as needed; the buckets are then mapped back one at a
time. Every row of a record falls in the record's bucket.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, Final

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from kpi_extract.errors import OutputError
from kpi_extract.schema import TABLES
from kpi_extract.store import read_parts, scan_parts

#: Arrow bytes of a year's record tables held at once, estimated from the Parquet files.
BYTES_AT_A_TIME: Final = 16 << 20
#: Arrow bytes per byte of the Parquet row groups' uncompressed size: maps and strings
#: expand (1.65 on the 100,000-document bench dataset: 147 MB against 89 MB).
_EXPANSION: Final = 2
#: The bucket keys: ``record_id`` starts with the hex of the document's content hash.
_PREFIXES: Final = pa.array([f"{n:02x}" for n in range(256)], pa.string())


def bucket_count(paths: Iterable[Path]) -> int:
    """The buckets (a power of two, at most 256) that bring ``paths`` under the budget."""
    size = 0
    for path in paths:
        metadata = pq.read_metadata(path)
        size += sum(metadata.row_group(i).total_byte_size for i in range(metadata.num_row_groups))
    count = 1
    while count < len(_PREFIXES) and size * _EXPANSION > count * BYTES_AT_A_TIME:
        count *= 2
    return count


def bucket_of(record_ids: pa.Array[Any], count: int) -> pa.Array[Any]:
    """The bucket, 0 to ``count - 1``, of each ``record_id`` (a power of two ``count``).

    By its first two characters as a hex byte; ids that do not start with one (and nulls)
    go to the last bucket.
    """
    index = pc.index_in(pc.utf8_slice_codeunits(record_ids, 0, 2), value_set=_PREFIXES)
    last = pa.array([len(_PREFIXES) - 1] * len(index), pa.int32())
    shift = pa.scalar(8 - (count.bit_length() - 1), pa.int32())
    bucket: pa.Array[Any] = pc.shift_right(pc.fill_null(index, last), shift)
    return bucket


def year_tables(
    parts: dict[str, list[Path]], spill: Path, columns: Mapping[str, list[str] | None]
) -> Iterator[dict[str, pa.Table]]:
    """A year's record tables, ``parts`` the files of each: whole, or a bucket at a time.

    ``spill``: a folder to create for the buckets' files (on the dataset's disk: a year
    can be larger than memory), removed when the iteration ends; ``columns``: those to read
    of each table (None: all; ``record_id`` among them).
    """
    count = bucket_count(path for paths in parts.values() for path in paths)
    if count == 1:
        yield {name: read_parts(paths, name, columns[name]) for name, paths in parts.items()}
        return
    try:
        spill.mkdir(parents=True)
        for name, paths in parts.items():
            _split(paths, name, columns[name], count, spill)
    except OSError as exc:
        shutil.rmtree(spill, ignore_errors=True)
        raise OutputError("output", f"cannot split a fiscal year into {spill}: {exc}") from None
    try:
        for bucket in range(count):
            yield {name: _mapped(spill / f"{name}-{bucket}.arrow") for name in parts}
    finally:
        shutil.rmtree(spill, ignore_errors=True)


def _split(
    paths: list[Path], name: str, columns: list[str] | None, count: int, spill: Path
) -> None:
    """Write ``columns`` of the rows of ``paths`` to the ``count`` buckets' files of ``name``."""
    schema = TABLES[name].with_metadata()
    if columns is not None:
        schema = pa.schema([schema.field(c) for c in columns]).with_metadata(schema.metadata)
    writers = [pa.ipc.new_file(str(spill / f"{name}-{b}.arrow"), schema) for b in range(count)]
    try:
        for table in scan_parts(paths, name, columns):
            rows = table if table.schema.equals(schema) else table.cast(schema)
            buckets = bucket_of(rows["record_id"].combine_chunks(), count)
            for bucket, writer in enumerate(writers):
                writer.write_table(rows.filter(pc.equal(buckets, pa.scalar(bucket, pa.int32()))))
    finally:
        for writer in writers:
            writer.close()


def _mapped(path: Path) -> pa.Table:
    """The table of an IPC file, memory-mapped (pages the kernel can drop, not the heap)."""
    return pa.ipc.open_file(pa.memory_map(str(path))).read_all()
