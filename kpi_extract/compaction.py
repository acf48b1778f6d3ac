"""Small parts of a partition merged into one, as a generation is committed.

Every run adds a part to each table and fiscal year it writes: a run a night for a year
leaves hundreds of small files in a partition, which every reader then opens one by one
(the conflict check that ends a run read 850 parts of the 1,000,000-document dataset after
two runs of 100 documents). Past :data:`MAX_SMALL_PARTS` small parts in one partition
folder, the commit writes them as merged parts of the new generation, each of at most
:data:`MERGED_PART_BYTES` and of neighbouring spans (:mod:`kpi_extract.spans`: a later
commit that replaces some inputs' rows rewrites only the parts around them); the
generation before keeps its own files until it is collected.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Final

import pyarrow as pa
import pyarrow.parquet as pq

from kpi_extract.schema import TABLES
from kpi_extract.spans import Span, union

#: A part smaller than this is small: the part of a run's few documents of a year.
SMALL_PART_BYTES: Final = 1 << 20
#: Small parts a partition may hold; one more and they are merged.
MAX_SMALL_PARTS: Final = 16
#: Rows of merged parts written at a time, as one row group.
_GROUP_BYTES: Final = 4 << 20
#: Bytes of small parts merged into one part at most: a folder's small parts make several
#: merged ones, each of neighbouring spans (see :func:`_groups`).
MERGED_PART_BYTES: Final = 4 << 20
#: Small parts merged into one part at most: the 17 of a crowded folder make one, the
#: hundred a long run leaves (one per commit) several, each spanning fewer inputs.
MAX_MERGED_PARTS: Final = 2 * MAX_SMALL_PARTS
#: Folders merged at once.
MERGE_THREADS: Final = 2


def compact(
    name: str,
    parts: list[str],
    root: Path,
    new_part: Callable[[str], str],
    *,
    fresh: set[str],
    level: int,
    spans: dict[str, Span] | None = None,
) -> list[str]:
    """``parts`` of table ``name`` (relative to ``root``) with each crowded folder's merged.

    ``new_part(folder)`` names the merged part of a folder; the merged parts are removed
    from ``root`` (links into the generation being built). Parts in ``fresh`` (written by
    the run committing) are left alone: a later commit of the run filters carried parts by
    its removals, not those. zstd at ``level``. Folders are merged :data:`MERGE_THREADS`
    at a time (reading and encoding Parquet release the GIL): the 5,708 small parts a
    100,000-document conversion committing every 1,000 documents left, 11.4 -> 6.4-6.7 s.
    ``spans`` (relative path -> span, :mod:`kpi_extract.spans`) gets the merged parts':
    what their sources spanned, none if one of them had none.
    """
    folders = _by_folder(parts)
    out: list[str] = []
    merges: list[tuple[list[Path], Path]] = []
    known = spans if spans is not None else {}
    for folder, held in folders.items():
        sizes = {r: (root / r).stat().st_size for r in held if r not in fresh}
        small = _small(sizes)
        if len(small) <= MAX_SMALL_PARTS:
            out += held
            continue
        groups = _groups(small, sizes, known)
        alone = {group[0] for group in groups if len(group) == 1}  # nothing to merge it with
        gone = set(small) - alone
        out += [r for r in held if r not in gone]
        for group in groups:
            if len(group) == 1:
                continue
            merged = new_part(folder)
            merges.append(([root / r for r in group], root / merged))
            span = union(known.get(r) for r in group)
            if spans is not None and span is not None:
                spans[merged] = span
            out.append(merged)
    with ThreadPoolExecutor(MERGE_THREADS, thread_name_prefix="kpi-merge") as pool:
        for _ in pool.map(lambda merge: _merge(name, merge[0], merge[1], level), merges):
            pass  # raises the first error
    for sources, _ in merges:
        for source in sources:
            source.unlink()
    return sorted(out)


def crowded(parts: list[str], root: Path) -> bool:
    """Whether a folder of ``parts`` (relative to ``root``) holds more small parts than it may.

    What a commit would merge if none of them were the committing run's own.
    """
    return any(
        len(_small({r: (root / r).stat().st_size for r in held})) > MAX_SMALL_PARTS
        for held in _by_folder(parts).values()
    )


def _by_folder(parts: list[str]) -> dict[str, list[str]]:
    """``parts`` (relative paths) by the folder they are in."""
    folders: dict[str, list[str]] = {}
    for relative in parts:
        folders.setdefault(str(Path(relative).parent), []).append(relative)
    return folders


def _small(sizes: dict[str, int]) -> list[str]:
    """The small parts among ``sizes`` (relative path -> bytes)."""
    return [relative for relative, size in sizes.items() if size < SMALL_PART_BYTES]


def _groups(small: list[str], sizes: dict[str, int], spans: dict[str, Span]) -> list[list[str]]:
    """``small`` cut into the sources of merged parts, in the order of their spans.

    Each group holds neighbouring spans, at most :data:`MERGED_PART_BYTES` and at most
    :data:`MAX_MERGED_PARTS` parts (parts with no span make groups of their own, by name).

    One merged part per folder spanned every input of the archive: a commit that replaced
    the rows of some inputs rewrote every such part, at each commit of a run parsing the
    archive again (``--force`` over 1,000,000 documents: 57 parts, 1.0-1.1 GB, 58 s per
    commit, and the disk full after 5 commits with the generations the run keeps).
    """
    ordered = sorted(small, key=lambda r: (r not in spans, spans.get(r, ("", "")), r))
    groups: list[list[str]] = []
    held = 0
    for relative in ordered:
        same_kind = bool(groups) and (groups[-1][0] in spans) == (relative in spans)
        if not (
            same_kind
            and held + sizes[relative] <= MERGED_PART_BYTES
            and len(groups[-1]) < MAX_MERGED_PARTS
        ):
            groups.append([])
            held = 0
        groups[-1].append(relative)
        held += sizes[relative]
    return groups


def _merge(name: str, sources: list[Path], target: Path, level: int) -> None:
    """Write the rows of ``sources``, in order, to ``target``, durably."""
    schema = TABLES[name].with_metadata()

    def tables() -> Iterator[pa.Table]:
        for source in sources:
            with pq.ParquetFile(source) as part:
                yield part.read(use_threads=False).cast(schema)

    write_groups(target, schema, tables(), level)


def write_groups(target: Path, schema: pa.Schema, tables: Iterable[pa.Table], level: int) -> None:
    """Write ``tables`` (of ``schema``), in order, to ``target``, durably.

    In row groups of about :data:`_GROUP_BYTES`: the tables held at once are those of one
    row group, however many rows the file gets.
    """
    with target.open("wb") as handle:
        with pq.ParquetWriter(handle, schema, compression="zstd", compression_level=level) as out:
            held: list[pa.Table] = []
            held_bytes = 0
            for table in tables:
                held.append(table)
                held_bytes += table.nbytes  # summed anew for each part: 2.2 of 13.6 s
                if held_bytes >= _GROUP_BYTES:
                    out.write_table(pa.concat_tables(held))
                    held, held_bytes = [], 0
            if held:
                out.write_table(pa.concat_tables(held))
        handle.flush()
        os.fsync(handle.fileno())
