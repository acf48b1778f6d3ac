"""The audit at a glance: a ranked terminal summary and a self-contained HTML report.

Both quote each finding's source lines from the dataset's ``sections`` table (the lossless
layer), so they need nothing but the dataset. The HTML file has inline CSS and SVG charts:
it opens offline, with no script and no CDN.
"""

from __future__ import annotations

import html
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Final

import pyarrow as pa

from kpi_extract.audit import ALL_RULES
from kpi_extract.audit.summary import AuditSummary
from kpi_extract.audit.views import Row
from kpi_extract.store import Store, scan_parts

_RULES: Final = {rule.id: rule for rule in ALL_RULES}
_COLOURS: Final = {"high": "#c0392b", "medium": "#d68910", "low": "#7f8c8d"}


@dataclass(frozen=True, slots=True)
class Quoter:
    """Source lines of the documents findings point to, read from ``sections``."""

    lines: dict[tuple[str, int], str]

    @classmethod
    def for_findings(cls, store: Store, findings: Iterable[Row]) -> Quoter:
        """Load the lines of the documents of ``findings``, a row group at a time."""
        doc_ids = pa.array(sorted({f["doc_id"] for f in findings}), pa.string())
        lines: dict[tuple[str, int], str] = {}
        if len(doc_ids) == 0:
            return cls(lines)
        columns = ["doc_id", "heading", "line_start", "text", "lines"]
        for table in scan_parts(store.parts("sections"), "sections", columns, ("doc_id", doc_ids)):
            for row in table.to_pylist():
                for number, text in zip(row["lines"], row["text"].split("\n"), strict=False):
                    lines[(row["doc_id"], number)] = text
                if row["heading"] is not None:  # the heading line as printed, value included
                    lines[(row["doc_id"], row["line_start"])] = row["heading"]
        return cls(lines)

    def quote(self, finding: Row, limit: int = 8) -> list[tuple[int, str]]:
        """Up to ``limit`` (line, text) pairs of a finding."""
        return [
            (n, self.lines.get((finding["doc_id"], n), ""))
            for n in (finding["lines"] or [])[:limit]
        ]


def summary_text(summary: AuditSummary, quoter: Quoter, top: int = 10) -> str:
    """The ranked terminal summary: counts per rule and agency, the worst findings quoted."""
    out = [f"Audit: {summary.findings} findings in {summary.records} records"]
    out.append("By rule:")
    per_rule = summary.per_rule
    for rule_id, count in sorted(per_rule.items(), key=lambda i: (_rank(i[0]), -i[1], i[0])):
        rule = _RULES[rule_id]
        out.append(f"  {rule.severity:<6} {rule_id:<30} {count:>5}  {rule.title_en}")
    out.append("By agency:")
    for agency, count in summary.agencies():
        out.append(f"  {agency:<10} {count:>5}  (high {summary.high_per_agency[agency]})")
    worst = summary.worst[:top]
    out.append(f"Most serious findings (top {len(worst)}):")
    for f in worst:
        code = f["kpi_code"] or f["project_code"] or "-"
        out.append(f"  [{f['severity']}] {f['rule_id']}  {f['source']}  {code}")
        out.append(f"    {f['message']}")
        out += [f"    {n:>5} | {text}" for n, text in quoter.quote(f)]
    return "\n".join(out)


def _rank(rule_id: str) -> int:
    return {"high": 0, "medium": 1, "low": 2}[_RULES[rule_id].severity]


# -- HTML --------------------------------------------------------------------------------------

_STYLE: Final = """
body{font-family:'Noto Sans Thai','Tahoma',sans-serif;margin:2em;color:#222;max-width:72em}
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em}
table{border-collapse:collapse}td,th{padding:.2em .6em;border-bottom:1px solid #ddd;text-align:left}
.finding{border-left:4px solid #888;padding:.3em .8em;margin:.8em 0;background:#fafafa}
.high{border-color:#c0392b}.medium{border-color:#d68910}.low{border-color:#7f8c8d}
pre{background:#fff;border:1px solid #eee;padding:.4em;white-space:pre-wrap;font-size:.9em}
.meta{color:#555;font-size:.9em}
"""


def _bars(title: str, items: list[tuple[str, float, str]], unit: str = "") -> str:
    """A horizontal bar chart as inline SVG: (label, value, colour) per bar."""
    if not items:
        return f"<p>{html.escape(title)}: nothing to show.</p>"
    top = max(value for _, value, _ in items) or 1.0
    row, label_w, bar_w = 22, 260, 380
    parts = [
        f'<svg role="img" aria-label="{html.escape(title)}" width="{label_w + bar_w + 90}" '
        f'height="{row * len(items) + 10}" xmlns="http://www.w3.org/2000/svg">'
    ]
    for i, (label, value, colour) in enumerate(items):
        y = i * row + 5
        width = max(1.0, bar_w * value / top)
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 15}" text-anchor="end" font-size="12">'
            f"{html.escape(label[:40])}</text>"
            f'<rect x="{label_w}" y="{y + 3}" width="{width:.1f}" height="{row - 8}" '
            f'fill="{colour}"/>'
            f'<text x="{label_w + width + 4:.1f}" y="{y + 15}" font-size="12">'
            f"{value:g}{html.escape(unit)}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


#: KPIs drawn a bar each; a dataset with more gets a histogram of the shares instead.
KPI_BARS: Final = 60
#: The histogram's bands of achieved as % of target: (lower bound, label).
_BANDS: Final = (
    (0.0, "under 50 %"),
    (50.0, "50 to 80 %"),
    (80.0, "80 to 100 %"),
    (100.0, "100 to 120 %"),
    (120.0, "120 to 150 %"),
    (150.0, "150 % and over"),
)
_KPI_COLUMNS: Final = ["kpi_code", "kpi_name", "target_value", "achieved_value", "target_met"]


@dataclass(slots=True)
class KpiShares:
    """Achieved as a share of the target (100 = target) of a dataset's KPIs, for a chart.

    Read a row group at a time: one bar per KPI up to :data:`KPI_BARS` KPIs with both
    values, then counts per band of :data:`_BANDS` only.
    """

    kpis: int = 0  # every KPI row, with values or not
    bars: list[tuple[tuple[str, str], str, float, str]] = field(default_factory=list)
    bands: Counter[str] = field(default_factory=Counter)

    @classmethod
    def read(cls, store: Store) -> KpiShares:
        """The shares of every KPI of ``store``."""
        shares = cls()
        for table in scan_parts(store.parts("kpis"), "kpis", _KPI_COLUMNS):
            shares.add(table.to_pylist())
        return shares

    def add(self, kpis: list[Row]) -> None:
        """Count ``kpis`` (rows with the columns of :data:`_KPI_COLUMNS`)."""
        self.kpis += len(kpis)
        for k in kpis:
            target, achieved = k["target_value"], k["achieved_value"]
            if not isinstance(target, Decimal) or not isinstance(achieved, Decimal) or target == 0:
                continue
            share = round(float(achieved / target * 100), 1)
            band = next((label for low, label in reversed(_BANDS) if share >= low), None)
            self.bands[band or _BANDS[0][1]] += 1  # below 0 (a fall, a negative target): under 50
            if len(self.bars) <= KPI_BARS:  # one more than drawn: the dataset has too many
                colour = {True: "#27ae60", False: "#c0392b"}.get(k["target_met"], "#7f8c8d")
                label = f"{k['kpi_code'] or ''} {k['kpi_name'] or ''}".strip()
                key = (str(k["kpi_code"] or ""), str(k["kpi_name"] or ""))
                self.bars.append((key, label, share, colour))

    def chart(self) -> tuple[str, str]:
        """The chart's heading and SVG: a bar per KPI, or KPIs per band if too many."""
        if len(self.bars) <= KPI_BARS:
            items = [(label, share, colour) for _, label, share, colour in sorted(self.bars)]
            heading = "Target vs achieved per KPI (achieved as % of target; green: met)"
            return heading, _bars("achieved as % of target", items, " %")
        with_values = sum(self.bands.values())
        items = [(label, float(self.bands[label]), "#2c3e50") for _, label in _BANDS]
        heading = f"Target vs achieved: the {with_values} KPIs with both values, per band of "
        heading += "achieved as % of target"
        return heading, _bars("KPIs per band of achieved as % of target", items)


def html_report(summary: AuditSummary, shares: KpiShares, quoter: Quoter, title: str) -> str:
    """The whole report as one self-contained HTML document.

    The findings quoted are those ``summary`` kept, the most serious; the others are
    counted, and stored in the dataset's ``audit_findings`` table.
    """
    per_rule = summary.per_rule
    rule_items = [
        (rule_id, float(count), _COLOURS[_RULES[rule_id].severity])
        for rule_id, count in sorted(per_rule.items(), key=lambda i: (_rank(i[0]), -i[1]))
    ]
    agency_items = [(a, float(n), "#2c3e50") for a, n in summary.agencies()]
    kpi_heading, kpi_chart = shares.chart()
    body = [
        f"<h1>{html.escape(title)}</h1>",
        f"<p class='meta'>{summary.findings} findings in {summary.records} records; "
        f"{shares.kpis} KPIs.</p>",
        f"<h2>{html.escape(kpi_heading)}</h2>",
        kpi_chart,
        "<h2>Findings per rule</h2>",
        _bars("findings per rule", rule_items),
        "<h2>Findings per agency</h2>",
        _bars("findings per agency", agency_items),
        "<h2>Rules</h2><table><tr><th>rule</th><th>severity</th><th>English</th>"
        "<th>ไทย</th><th>findings</th></tr>",
    ]
    for rule in ALL_RULES:
        body.append(
            f"<tr><td>{rule.id}</td><td>{rule.severity}</td><td>{html.escape(rule.title_en)}"
            f"</td><td>{html.escape(rule.title_th)}</td><td>{per_rule.get(rule.id, 0)}</td></tr>"
        )
    body.append("</table><h2>Findings</h2>")
    if summary.findings > len(summary.worst):
        body.append(
            f"<p class='meta'>The {len(summary.worst)} most serious of {summary.findings} "
            "findings; every one is in the dataset's audit_findings table.</p>"
        )
    for f in summary.worst:
        code = f["kpi_code"] or f["project_code"] or "-"
        quoted = "\n".join(f"{n:>5} | {text}" for n, text in quoter.quote(f, limit=12))
        values = ", ".join(f"{k} = {v}" for k, v in (f["values"] or []))
        body.append(
            f"<div class='finding {f['severity']}'><b>[{f['severity']}] {f['rule_id']}</b> "
            f"<span class='meta'>{html.escape(str(f['source']))} · {html.escape(str(code))}"
            f" · FY {f['fiscal_year_be'] or '?'}</span><br>{html.escape(f['message'])}"
            f"<br><span class='meta'>{html.escape(values)}</span>"
            f"<pre>{html.escape(quoted)}</pre></div>"
        )
    return (
        "<!DOCTYPE html><html lang='th'><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head><body>"
        + "\n".join(body)
        + "</body></html>\n"
    )
