"""Keep pandas and numpy out of a process that converts: converting uses neither.

pyarrow imports pandas, when it is installed, the first time it builds an array from a
Python list (to ask whether the list is a pandas object): a conversion never hands it one.
In the parent of a ``--jobs 2`` run, before the workers fork, that import cost 30 MB of
private memory and 14 MB of mapped files, and the workers held 43 MB (PSS) each instead
of 29: peak PSS of the process tree at 10,000 documents 301-305 -> 254-257 MB (two runs
each), the same speed, and the same output row for row. pyarrow treats a pandas it cannot
import as absent (and builds an array from a list in 3.9 µs instead of 5.5).

numpy is optional to pyarrow too, which imports it when it is installed: 0.12 s of the
0.29 s that importing the converter took, paid before the workers can fork. Without it,
1,000 documents with ``--jobs 2`` took 2.65 s instead of 2.87 (median of 7 runs each,
AMD EPYC), peak PSS 169 MB instead of 178, and the same output.

Only the command line calls :func:`without_numpy_or_pandas`, for ``convert``: a program
that calls the library keeps its own imports.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from importlib.abc import MetaPathFinder
from importlib.machinery import ModuleSpec
from types import ModuleType
from typing import Final

#: Top-level packages a converting process never loads.
REFUSED: Final = ("numpy", "pandas")


class _Refuse(MetaPathFinder):
    """Refuses to find :data:`REFUSED` packages (and their submodules)."""

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: ModuleType | None = None,
    ) -> ModuleSpec | None:
        if fullname.partition(".")[0] in REFUSED:
            message = f"{fullname} is not loaded while converting (kpi_extract.lean)"
            raise ModuleNotFoundError(message, name=fullname)
        return None


def without_numpy_or_pandas() -> bool:
    """Make numpy and pandas unimportable in this process, unless either is loaded already.

    Return whether they were made so (idempotent).
    """
    if any(name in sys.modules for name in REFUSED):
        return False
    if not any(isinstance(finder, _Refuse) for finder in sys.meta_path):
        sys.meta_path.insert(0, _Refuse())
    return True
