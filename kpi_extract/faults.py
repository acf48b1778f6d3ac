"""Fault injection for crash tests: kill this process at a named point of a run.

Set ``KPI_EXTRACT_KILL_AT=<point>:<n>`` to send SIGKILL to the process the ``n``-th time it
reaches ``<point>`` (``parsed``, ``staged``, ``linked``, ``renamed``, ``pointed``). Unset,
:func:`checkpoint` costs one dictionary lookup. Set ``KPI_EXTRACT_CRASH_ON=<text>`` to have
a process that starts afterwards die (SIGKILL, as the kernel's OOM killer would have it) on
reading a document that holds ``<text>`` (:func:`crash_on`): how the tests crash a Dask
worker, a process they cannot patch. Only the crash tests set them.
"""

from __future__ import annotations

import os
import signal
from collections import Counter
from typing import Final

_reached: Counter[str] = Counter()
#: Read once, as the process imports this module: a test process that sets it later is spared.
_CRASH_ON: Final = os.environ.get("KPI_EXTRACT_CRASH_ON", "").encode("utf-8")


def crash_on(data: bytes) -> None:
    """Die here if ``data`` holds the text of ``KPI_EXTRACT_CRASH_ON`` (see above)."""
    if _CRASH_ON and _CRASH_ON in data:
        os.kill(os.getpid(), signal.SIGKILL)


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
