"""Fault injection for crash tests: kill this process at a named point of a run.

Set ``KPI_EXTRACT_KILL_AT=<point>:<n>`` to send SIGKILL to the process the ``n``-th time it
reaches ``<point>`` (``parsed``, ``staged``, ``linked``, ``renamed``, ``pointed``). Unset,
:func:`checkpoint` costs one dictionary lookup. Only the crash tests set it.
"""

from __future__ import annotations

import os
import signal
from collections import Counter

_reached: Counter[str] = Counter()


def checkpoint(point: str) -> None:
    """Die here if the environment asks for it (see the module docstring)."""
    wanted = os.environ.get("KPI_EXTRACT_KILL_AT")
    if not wanted:
        return
    name, _, count = wanted.partition(":")
    if name != point:
        return
    _reached[point] += 1
    if _reached[point] >= int(count or 1):
        os.kill(os.getpid(), signal.SIGKILL)
