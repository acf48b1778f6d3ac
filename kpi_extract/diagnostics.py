"""Warnings that stages attach to their output: a stable code, a message and a line.

A diagnostic never stops processing; errors that do are exceptions in
:mod:`kpi_extract.errors`. Codes are part of the public contract (a column of the
``warnings`` table): add codes, never rename them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """Something a stage noticed and kept going: ``code`` is stable, ``line`` is 1-based."""

    code: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"line {self.line}: " if self.line is not None else ""
        return f"{where}{self.code}: {self.message}"
