"""Which inputs a part's rows came from, as a range of their paths: parts a commit can skip.

A commit that removes rows (an input changed, or parsed again with ``--force``) has to look
for them in the parts the dataset holds. It read the key column of every part for that: a
whole scan of the dataset at each commit, 1.26 s at 100,000 documents and 4.0-4.6 s at
1,000,000 (737 and 650 parts, read alone). A run that parses every input again commits
every 10,000 documents, so these scans grew with the square of the archive: ``--force``
over the 100,000 documents of a dataset of 590 parts took 121.7 s, 24.1 s of it in its
commits (22.5 s reading parts), though each commit found rows to remove in 57 parts.

Each part the converter writes now carries its *span*: the first and the last path, in
code-point order, of the inputs whose rows it holds. A data row belongs to the input that
owns its content (``documents.duplicate_of`` names that input for the others), and a
removal names that input too: a part whose span does not hold any of them holds none of
the rows, and is kept without being read. A folder's inputs are parsed in path order,
so a run that parses the archive again removes, at each commit, rows that sit in the few
parts written around the same paths. A merged part spans its sources; a rewritten one
keeps its span (a part that loses rows still spans the rest). The same ``--force`` run:
99.2 s, 5.3 s in its commits, 0.45-0.67 s each (4.87 falling to 0.82 before), the dataset
the same row for row; a part whose every row goes is dropped once its key column is read.

A part without a span (written before spans existed, or by a write that gave none, such
as the conflict check's findings) is read whenever its table has removals, as before.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Mapping
from typing import Final

#: The first and last path of the inputs a part's rows came from.
Span = tuple[str, str]

#: The manifest's key for the spans of a generation's parts (relative path -> [lo, hi]).
MANIFEST_KEY: Final = "spans"


def widen(span: Span | None, first: str, last: str) -> Span:
    """``span`` grown to hold ``first`` .. ``last`` (``span`` None: just those)."""
    if span is None:
        return (first, last)
    return (min(span[0], first), max(span[1], last))


def span_of(paths: Iterable[str]) -> Span | None:
    """The span of ``paths`` (None if there are none)."""
    ordered = sorted(paths)
    return (ordered[0], ordered[-1]) if ordered else None


def union(spans: Iterable[Span | None]) -> Span | None:
    """The span holding every one of ``spans``; None if one of them is unknown (or none)."""
    out: Span | None = None
    for span in spans:
        if span is None:
            return None
        out = widen(out, *span)
    return out


def from_manifest(manifest: Mapping[str, object]) -> dict[str, Span]:
    """The spans a manifest records (none for a manifest written before spans existed)."""
    raw = manifest.get(MANIFEST_KEY)
    if not isinstance(raw, dict):
        return {}
    out: dict[str, Span] = {}
    for relative, pair in raw.items():
        if isinstance(pair, list) and len(pair) == 2 and all(isinstance(p, str) for p in pair):
            out[str(relative)] = (pair[0], pair[1])
    return out


class Positions:
    """The inputs whose rows a commit removes, searched by span."""

    def __init__(self, paths: Iterable[str]) -> None:
        self.paths = sorted(set(paths))

    def any_within(self, span: Span) -> bool:
        """Whether one of the paths lies in ``span`` (both ends included)."""
        at = bisect_left(self.paths, span[0])
        return at < len(self.paths) and self.paths[at] <= span[1]
