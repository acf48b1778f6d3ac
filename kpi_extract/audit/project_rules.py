"""Audit rules of project progress reports (layout C), and the era rule of every layout."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from decimal import Decimal
from typing import Final

from kpi_extract.audit.registry import Finding
from kpi_extract.audit.views import View
from kpi_extract.dates import fiscal_year_range
from kpi_extract.patterns import compile_pattern

#: Plan statuses that say the project is behind.
BEHIND_RE: Final = compile_pattern(r"ล่าช้า|ช้ากว่า|ไม่เป็นไปตามแผน|ไม่ทัน")
_ISO_RE: Final = compile_pattern(r"^\d{4}-\d{1,2}-\d{1,2}")
_EXPLICIT_CE_RE: Final = compile_pattern(r"ค\.\s*ศ")
HUNDRED: Final = Decimal(100)


def _dated(view: View) -> list[tuple[int, object, list[int]]]:
    return [(r["no"], r["date"], r["lines"]) for r in view.children if r["date"] is not None]


def progress_backwards(view: View) -> Iterator[Finding]:
    """Progress goes down from one report to the next."""
    reports = [r for r in view.children if r["progress_pct"] is not None]
    for before, after in itertools.pairwise(reports):
        if after["progress_pct"] < before["progress_pct"]:
            yield Finding(
                f"progress falls from {before['progress_pct'].normalize():f} % "
                f"(report {before['no']}) to {after['progress_pct'].normalize():f} % "
                f"(report {after['no']})",
                {
                    "report": after["no"],
                    "before": before["progress_pct"],
                    "after": after["progress_pct"],
                },
                before["lines"] + after["lines"],
            )


def report_dates_out_of_order(view: View) -> Iterator[Finding]:
    """A report is dated before the report it follows."""
    dated = _dated(view)
    for (no_a, day_a, lines_a), (no_b, day_b, lines_b) in itertools.pairwise(dated):
        if day_b < day_a:  # type: ignore[operator]
            yield Finding(
                f"report {no_b} ({day_b}) is dated before report {no_a} ({day_a})",
                {"report": no_b, "date": day_b, "previous_date": day_a},
                lines_a + lines_b,
            )


def report_date_outside_window(view: View) -> Iterator[Finding]:
    """A report dated outside the project's fiscal year or its start..end window."""
    p = view.record
    windows = []
    if p["fiscal_year_be"] is not None:
        windows.append(("fiscal year", *fiscal_year_range(p["fiscal_year_be"])))
    if p["start_date"] is not None and p["end_date"] is not None:
        windows.append(("project window", p["start_date"], p["end_date"]))
    for no, day, lines in _dated(view):
        for name, first, last in windows:
            if not first <= day <= last:  # type: ignore[operator]
                yield Finding(
                    f"report {no} is dated {day}, outside the {name} {first} .. {last}",
                    {"report": no, "date": day, "window": name, "from": first, "to": last},
                    lines,
                )
                break


def complete_but_behind_plan(view: View) -> Iterator[Finding]:
    """A report at 100 % progress with a behind-plan status."""
    for r in view.children:
        status = r["plan_status"] or ""
        if (
            r["progress_pct"] is not None
            and r["progress_pct"] >= HUNDRED
            and BEHIND_RE.search(status)
        ):
            yield Finding(
                f"report {r['no']} is at {r['progress_pct'].normalize():f} % but says '{status}'",
                {"report": r["no"], "progress_pct": r["progress_pct"], "plan_status": status},
                r["lines"],
            )


def budget_overspent(view: View) -> Iterator[Finding]:
    """More is spent (reported or used) than the budget received."""
    p = view.record
    received = p["budget_received"]
    spent = sum(
        (r["budget_spent"] for r in view.children if r["budget_spent"] is not None), Decimal(0)
    )
    used = p["budget_used"]
    if received is None:
        return
    worst = max(spent, used or Decimal(0))
    if worst > received:
        yield Finding(
            f"spent {worst:,.2f} baht of a budget of {received:,.2f} baht",
            {"budget_received": received, "budget_used": used, "reports_spent": spent},
            view.lines("budget_received", "budget_used"),
        )


def budget_used_differs(view: View) -> Iterator[Finding]:
    """The budget used differs from the sum spent in the progress reports."""
    p = view.record
    amounts = [r["budget_spent"] for r in view.children if r["budget_spent"] is not None]
    if p["budget_used"] is None or not amounts:
        return
    spent = sum(amounts, Decimal(0))
    if spent != p["budget_used"]:
        yield Finding(
            f"budget used {p['budget_used']:,.2f} baht, reports add up to {spent:,.2f} baht",
            {"budget_used": p["budget_used"], "reports_spent": spent},
            view.lines("budget_used") + [n for r in view.children for n in r["lines"]],
        )


def progress_out_of_range(view: View) -> Iterator[Finding]:
    """A progress percentage outside 0..100."""
    for r in view.children:
        pct = r["progress_pct"]
        if pct is not None and not Decimal(0) <= pct <= HUNDRED:
            yield Finding(
                f"report {r['no']} progress {pct.normalize():f} % is outside 0..100",
                {"report": r["no"], "progress_pct": pct},
                r["lines"],
            )


def era_suspect(view: View) -> Iterator[Finding]:
    """A Gregorian year printed where the reports use Buddhist years, or the reverse."""
    for m in view.mentions:
        if m["kind"] == "invalid":
            continue
        iso = bool(_ISO_RE.match(m["text"]))
        if iso and m["era"] == "BE":
            problem = "a Buddhist-era year in a Gregorian (ISO) date"
        elif not iso and m["era"] == "CE" and not _EXPLICIT_CE_RE.search(m["text"]):
            problem = "a Gregorian year where the report uses Buddhist-era years"
        else:
            continue
        yield Finding(
            f"'{m['text']}' (line {m['line']}): {problem}",
            {"text": m["text"], "era": m["era"], "date": m["date"]},
            [m["line"]],
        )
