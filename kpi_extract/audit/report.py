"""The audit at a glance: a ranked terminal summary and a self-contained HTML report.

Both quote each finding's source lines from the dataset's ``sections`` table (the lossless
layer), so they need nothing but the dataset. The HTML file has inline CSS and SVG charts:
it opens offline, with no script and no CDN.
"""

from __future__ import annotations

import html
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

import pyarrow as pa
import pyarrow.compute as pc

from kpi_extract.audit import ALL_RULES, rank
from kpi_extract.audit.views import Row
from kpi_extract.store import Store

_RULES: Final = {rule.id: rule for rule in ALL_RULES}
_COLOURS: Final = {"high": "#c0392b", "medium": "#d68910", "low": "#7f8c8d"}


@dataclass(frozen=True, slots=True)
class Quoter:
    """Source lines of the documents findings point to, read from ``sections``."""

    lines: dict[tuple[str, int], str]

    @classmethod
    def for_findings(cls, store: Store, findings: Iterable[Row]) -> Quoter:
        """Load the lines of the documents of ``findings``."""
        doc_ids = sorted({f["doc_id"] for f in findings})
        sections = store.read("sections", ["doc_id", "heading", "line_start", "text", "lines"])
        if doc_ids:
            mask = pc.is_in(sections.column("doc_id"), value_set=pa.array(doc_ids, pa.string()))
            sections = sections.filter(mask)
        lines: dict[tuple[str, int], str] = {}
        for row in sections.to_pylist():
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


def _agency(finding: Row) -> str:
    return str(finding.get("agency_code") or "(no code)")


def summary_text(findings: list[Row], quoter: Quoter, top: int = 10) -> str:
    """The ranked terminal summary: counts per rule and agency, the worst findings quoted."""
    ranked = rank(findings)
    records = len({f["record_id"] for f in findings})
    out = [f"Audit: {len(findings)} findings in {records} records"]
    out.append("By rule:")
    per_rule = Counter(f["rule_id"] for f in findings)
    for rule_id, count in sorted(per_rule.items(), key=lambda i: (_rank(i[0]), -i[1], i[0])):
        rule = _RULES[rule_id]
        out.append(f"  {rule.severity:<6} {rule_id:<30} {count:>5}  {rule.title_en}")
    out.append("By agency:")
    per_agency = Counter(_agency(f) for f in findings)
    high = Counter(_agency(f) for f in findings if f["severity"] == "high")
    for agency, count in per_agency.most_common():
        out.append(f"  {agency:<10} {count:>5}  (high {high[agency]})")
    out.append(f"Most serious findings (top {min(top, len(ranked))}):")
    for f in ranked[:top]:
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


def _kpi_chart(kpis: list[Row]) -> str:
    """Target vs achieved per KPI: achieved as a share of its target (100 = target)."""
    items = []
    for k in sorted(kpis, key=lambda k: (str(k["kpi_code"] or ""), str(k["kpi_name"] or ""))):
        target, achieved = k["target_value"], k["achieved_value"]
        if not isinstance(target, Decimal) or not isinstance(achieved, Decimal) or target == 0:
            continue
        share = float(achieved / target * 100)
        colour = {True: "#27ae60", False: "#c0392b"}.get(k["target_met"], "#7f8c8d")
        label = f"{k['kpi_code'] or ''} {k['kpi_name'] or ''}".strip()
        items.append((label, round(share, 1), colour))
    return _bars("achieved as % of target", items, " %")


def html_report(findings: list[Row], kpis: list[Row], quoter: Quoter, title: str) -> str:
    """The whole report as one self-contained HTML document."""
    ranked = rank(findings)
    per_rule = Counter(f["rule_id"] for f in findings)
    per_agency = Counter(_agency(f) for f in findings)
    rule_items = [
        (rule_id, float(count), _COLOURS[_RULES[rule_id].severity])
        for rule_id, count in sorted(per_rule.items(), key=lambda i: (_rank(i[0]), -i[1]))
    ]
    agency_items = [(agency, float(n), "#2c3e50") for agency, n in per_agency.most_common()]
    body = [
        f"<h1>{html.escape(title)}</h1>",
        f"<p class='meta'>{len(findings)} findings in "
        f"{len({f['record_id'] for f in findings})} records; {len(kpis)} KPIs.</p>",
        "<h2>Target vs achieved per KPI (achieved as % of target; green: met)</h2>",
        _kpi_chart(kpis),
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
    for f in ranked:
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
