"""Small parts of a partition merged into one, as a generation is committed.

Every run adds a part to each table and fiscal year it writes: a run a night for a year
leaves hundreds of small files in a partition, which every reader then opens one by one
(the conflict check that ends a run read 850 parts of the 1,000,000-document dataset after
two runs of 100 documents). Past :data:`MAX_SMALL_PARTS` small parts in one partition
folder, the commit writes them as one part of the new generation; the generation before
keeps its own files until it is collected.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Final

import pyarrow as pa
import pyarrow.parquet as pq

from kpi_extract.schema import TABLES

#: A part smaller than this is small: the part of a run's few documents of a year.
SMALL_PART_BYTES: Final = 1 << 20
#: Small parts a partition may hold; one more and they are merged.
MAX_SMALL_PARTS: Final = 16
#: Rows of merged parts written at a time, as one row group.
_GROUP_BYTES: Final = 4 << 20


def compact(
    name: str,
    parts: list[str],
    root: Path,
    new_part: Callable[[str], str],
    *,
    fresh: set[str],
    level: int,
) -> list[str]:
    """``parts`` of table ``name`` (relative to ``root``) with each crowded folder's merged.

    ``new_part(folder)`` names the merged part of a folder; the merged parts are removed
    from ``root`` (links into the generation being built). Parts in ``fresh`` (written by
    the run committing) are left alone: a later commit of the run filters carried parts by
    its removals, not those. zstd at ``level``.
    """
    folders: dict[str, list[str]] = {}
    for relative in parts:
        folders.setdefault(str(Path(relative).parent), []).append(relative)
    out: list[str] = []
    for folder, held in folders.items():
        small = [r for r in held if r not in fresh and (root / r).stat().st_size < SMALL_PART_BYTES]
        if len(small) <= MAX_SMALL_PARTS:
            out += held
            continue
        merged = new_part(folder)
        _merge(name, [root / r for r in sorted(small)], root / merged, level)
        for relative in small:
            (root / relative).unlink()
        out += [r for r in held if r not in small] + [merged]
    return sorted(out)


def _merge(name: str, sources: list[Path], target: Path, level: int) -> None:
    """Write the rows of ``sources``, in order, to ``target``, durably."""
    schema = TABLES[name].with_metadata()
    with target.open("wb") as handle:
        with pq.ParquetWriter(handle, schema, compression="zstd", compression_level=level) as out:
            held: list[pa.Table] = []
            for source in sources:
                with pq.ParquetFile(source) as part:
                    held.append(part.read(use_threads=False).cast(schema))
                if sum(table.nbytes for table in held) >= _GROUP_BYTES:
                    out.write_table(pa.concat_tables(held))
                    held = []
            if held:
                out.write_table(pa.concat_tables(held))
        handle.flush()
        os.fsync(handle.fileno())
