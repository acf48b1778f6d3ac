"""The audit rule registry: every rule with its id, severity, descriptions and layouts."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from kpi_extract.audit.views import View

Severity = Literal["high", "medium", "low"]
SEVERITY_RANK: dict[str, int] = {"high": 0, "medium": 1, "low": 2}


@dataclass(frozen=True, slots=True)
class Finding:
    """One inconsistency: what is wrong, the values involved and the lines they came from."""

    message: str
    values: dict[str, Any]
    lines: list[int]
    quarter: int | None = None


@dataclass(frozen=True, slots=True)
class Rule:
    """An audit rule. ``check`` yields findings for one record view."""

    id: str
    severity: Severity
    title_th: str
    title_en: str
    layouts: tuple[str, ...]
    check: Callable[[View], Iterable[Finding]] = field(repr=False)

    def applies_to(self, view: View) -> bool:
        """Whether the rule reads records of this view's layout."""
        return view.layout in self.layouts
