"""What the audit reports say about a stream of findings, in memory bounded by the stream.

An archive's audit has findings by the hundred thousand (115,286 for 100,000 generated
documents): the reports count them per rule and agency and quote only the most serious, so
they are fed a slice of findings at a time and keep the counts and the worst few.
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from kpi_extract.audit.registry import SEVERITY_RANK
from kpi_extract.audit.views import Row


def rank_key(finding: Row) -> tuple[Any, ...]:
    """Severity, then source and first line, rule and id: one order whatever the input's."""
    return (
        SEVERITY_RANK[finding["severity"]],
        finding["source"],
        (finding["lines"] or [0])[0],
        finding["rule_id"],
        finding["finding_id"],
    )


def rank(findings: Iterable[Row]) -> list[Row]:
    """Findings ordered by :func:`rank_key`."""
    return sorted(findings, key=rank_key)


def agency(finding: Row) -> str:
    """The agency a finding is counted under."""
    return str(finding.get("agency_code") or "(no code)")


@dataclass(slots=True)
class AuditSummary:
    """Counts of the findings added, and the ``keep`` most serious of them, ranked.

    Findings must come a fiscal year after the other (a record's findings all share its
    year): the records with findings are told apart within the year being added only.
    """

    keep: int
    findings: int = 0
    records: int = 0
    per_rule: Counter[str] = field(default_factory=Counter)
    per_agency: Counter[str] = field(default_factory=Counter)
    high_per_agency: Counter[str] = field(default_factory=Counter)
    worst: list[Row] = field(default_factory=list)
    _year: object = None
    _year_records: set[str] = field(default_factory=set)

    @classmethod
    def of(cls, findings: Iterable[Row], keep: int) -> AuditSummary:
        """The summary of ``findings`` (in fiscal-year order), keeping the ``keep`` worst."""
        summary = cls(keep)
        summary.add(list(findings))
        return summary

    def add(self, findings: list[Row]) -> None:
        """Count ``findings`` and keep the worst of them with the worst so far."""
        for finding in findings:
            year = finding["fiscal_year_be"]
            if year != self._year:
                self._year, self._year_records = year, set()
            if finding["record_id"] not in self._year_records:
                self._year_records.add(finding["record_id"])
                self.records += 1
            self.per_rule[finding["rule_id"]] += 1
            self.per_agency[agency(finding)] += 1
            if finding["severity"] == "high":
                self.high_per_agency[agency(finding)] += 1
        self.findings += len(findings)
        # nsmallest is sorted()[:n], stable: the worst so far first, then the new ones.
        self.worst = heapq.nsmallest(self.keep, [*self.worst, *findings], key=rank_key)

    def agencies(self) -> list[tuple[str, int]]:
        """``(agency, findings)``, the most findings first, then by code."""
        return sorted(self.per_agency.items(), key=lambda item: (-item[1], item[0]))
