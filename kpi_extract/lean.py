"""Keep pandas out of a process that converts: it costs memory and converting never uses it.

pyarrow imports pandas, when it is installed, the first time it builds an array from a
Python list (to ask whether the list is a pandas object): a conversion never hands it one.
In the parent of a ``--jobs 2`` run, before the workers fork, that import cost 30 MB of
private memory and 14 MB of mapped files, and the workers held 43 MB (PSS) each instead
of 29: peak PSS of the process tree at 10,000 documents 301-305 -> 254-257 MB (two runs
each), the same speed, and the same output row for row. pyarrow treats a pandas it cannot
import as absent (and builds an array from a list in 3.9 µs instead of 5.5).

Only the command line calls :func:`without_pandas`, for ``convert``: a program that
calls the library keeps its own imports.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from importlib.abc import MetaPathFinder
from importlib.machinery import ModuleSpec
from types import ModuleType


class _NoPandas(MetaPathFinder):
    """Refuses to find pandas (and its submodules)."""

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: ModuleType | None = None,
    ) -> ModuleSpec | None:
        if fullname == "pandas" or fullname.startswith("pandas."):
            message = "pandas is not loaded while converting (kpi_extract.lean)"
            raise ModuleNotFoundError(message, name=fullname)
        return None


def without_pandas() -> bool:
    """Make pandas unimportable in this process, unless it is loaded already.

    Return whether it was made so (idempotent).
    """
    if "pandas" in sys.modules:
        return False
    if not any(isinstance(finder, _NoPandas) for finder in sys.meta_path):
        sys.meta_path.insert(0, _NoPandas())
    return True
