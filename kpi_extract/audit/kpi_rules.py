"""Audit rules of KPI records (layouts A and B)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Final

from kpi_extract.audit.registry import Finding
from kpi_extract.audit.views import Row, View
from kpi_extract.judge import better, is_percent, met, same_unit

#: Words of a quarter narrative saying the work did not happen (cancelled, postponed,
#: slowed, still in progress, not started). Plain words: the standard library's ``re``
#: finds them in half the time ``regex`` takes.
NOT_DONE_RE: Final = re.compile(r"งดจัด|งดดำเนิน|เลื่อน|ยกเลิก|ชะลอ|อยู่ระหว่าง|ยังไม่(?:ได้)?ดำเนิน")
#: Units counted per quarter (a headline may be the sum of the quarters).
COUNT_UNITS: Final = ("แห่ง", "เล่ม", "ฉบับ", "ครั้ง", "คน", "เรื่อง", "โครงการ", "ราย", "เครือข่าย")
LEVEL_SCALE: Final = Decimal(5)
PERCENT_MAX: Final = Decimal(100)


def _kpi_met(view: View, achieved: Decimal | None) -> bool | None:
    k = view.record
    if not same_unit(k["target_unit"], k["achieved_unit"]):
        return None
    return met(
        achieved, k["target_value"], k["target_direction"], k["target_comparator"], k["kpi_name"]
    )


def _show(value: Decimal | None, unit: str | None = None) -> str:
    text = "none" if value is None else format(value.normalize(), "f")
    return f"{text} {unit}" if unit and value is not None else text


def _score_scale(quarters: list[Row]) -> Decimal:
    """Full score: 100 when the table scores on a 100 scale, else 5 (levels)."""
    values = [
        q[k] for q in quarters for k in ("score", "score_2_1", "score_2_2") if q[k] is not None
    ]
    return PERCENT_MAX if any(v > LEVEL_SCALE for v in values) else LEVEL_SCALE


def _blank(q: Row) -> bool:
    return q["result"] == 0 and all(q[k] in (None, 0) for k in ("score", "score_2_1", "score_2_2"))


def _reported(quarters: list[Row]) -> list[Row]:
    """Quarters with a result, less the trailing all-zero rows after a non-zero result.

    The system prints ``0.00 / 0.0000 / 0 / 0`` for quarters not reported yet; after a
    non-zero result (results are mostly cumulative) such a row is no data, not a zero.
    """
    rows = [q for q in quarters if q["result"] is not None]
    if any(q["result"] != 0 for q in rows):
        while rows and _blank(rows[-1]):
            rows.pop()
    return rows


def target_not_met(view: View) -> Iterator[Finding]:
    """The achieved value does not meet the target (comparator and direction applied)."""
    k = view.record
    if _kpi_met(view, k["achieved_value"]) is False:
        way = better(k["target_direction"], k["target_comparator"], k["kpi_name"])
        yield Finding(
            f"achieved {_show(k['achieved_value'], k['achieved_unit'])} does not meet the target "
            f"{_show(k['target_value'], k['target_unit'])} ({way} is better)",
            {"target": k["target_value"], "achieved": k["achieved_value"], "better": way},
            view.lines("target", "achieved"),
        )


def headline_vs_table(view: View) -> Iterator[Finding]:
    """The headline achieved value is neither the latest, the largest nor (counts) the sum."""
    k, reported = view.record, _reported(view.children)
    achieved = k["achieved_value"]
    if achieved is None or not reported:
        return
    results = [q["result"] for q in reported]
    nonzero = [r for r in results if r != 0]
    candidates = {results[-1], max(results), nonzero[-1] if nonzero else Decimal(0)}
    unit = k["quarter_table_unit"] or k["achieved_unit"] or ""
    if any(unit.startswith(u) for u in COUNT_UNITS):
        candidates.add(sum(results, Decimal(0)))
    if achieved not in candidates:
        yield Finding(
            f"achieved {_show(achieved, k['achieved_unit'])} is not what the quarterly table "
            f"shows ({', '.join(_show(r) for r in results)})",
            {"achieved": achieved, "quarter_results": results},
            view.lines("achieved") + [n for q in reported for n in q["lines"]],
        )


def full_score_below_target(view: View) -> Iterator[Finding]:
    """The last reported quarter scores full while its result is below the target."""
    reported = _reported(view.children)
    if not reported:
        return
    last, full = reported[-1], _score_scale(view.children)
    if last["score"] == full and _kpi_met(view, last["result"]) is False:
        yield Finding(
            f"quarter {last['quarter']} scores {_show(full)} (full) but its result "
            f"{_show(last['result'])} is below the target {_show(view.record['target_value'])}",
            {"quarter": last["quarter"], "score": last["score"], "result": last["result"]},
            last["lines"],
            last["quarter"],
        )


def zero_score_target_met(view: View) -> Iterator[Finding]:
    """A quarter scores zero while its result already meets the target."""
    for q in _reported(view.children):
        if q["score"] == 0 and _kpi_met(view, q["result"]):
            yield Finding(
                f"quarter {q['quarter']} scores 0 while its result {_show(q['result'])} meets "
                f"the target {_show(view.record['target_value'])}",
                {"quarter": q["quarter"], "score": q["score"], "result": q["result"]},
                q["lines"],
                q["quarter"],
            )


def score_pair_contradicts(view: View) -> Iterator[Finding]:
    """Criteria 2.1 / 2.2 both full while the score is zero, or both zero with a full score."""
    full = _score_scale(view.children)
    for q in view.children:
        first, second, score = q["score_2_1"], q["score_2_2"], q["score"]
        if first is None or second is None or score is None:
            continue
        pair = (first, second)
        if (pair == (full, full) and score == 0) or (pair == (0, 0) and score == full):
            yield Finding(
                f"quarter {q['quarter']}: criteria 2.1 / 2.2 = {_show(first)} / "
                f"{_show(second)} but the score is {_show(score)}",
                {
                    "quarter": q["quarter"],
                    "score": score,
                    "score_2_1": pair[0],
                    "score_2_2": pair[1],
                },
                q["lines"],
                q["quarter"],
            )


def assessment_vs_table(view: View) -> Iterator[Finding]:
    """The สยป. assessment line gives a quarter's score that differs from the table's."""
    k = view.record
    quarter, score = k["assessment_quarter"], k["assessment_score"]
    rows = [q for q in view.children if q["quarter"] == quarter and q["score"] is not None]
    if quarter is None or score is None or not rows or rows[0]["score"] == score:
        return
    yield Finding(
        f"the assessment gives quarter {quarter} a score of {_show(score)}, the table "
        f"{_show(rows[0]['score'])}",
        {"quarter": quarter, "assessment_score": score, "table_score": rows[0]["score"]},
        view.lines("assessment.score") + rows[0]["lines"],
        quarter,
    )


def unit_mismatch(view: View) -> Iterator[Finding]:
    """Target, achieved and quarterly table are printed in different units."""
    k = view.record
    units = {
        "target": k["target_unit"],
        "achieved": k["achieved_unit"],
        "table": k["quarter_table_unit"],
    }
    printed = {name: unit for name, unit in units.items() if unit}
    names = list(printed)
    if any(not same_unit(printed[a], printed[b]) for a in names for b in names):
        yield Finding(
            "units disagree: " + ", ".join(f"{n} {u}" for n, u in printed.items()),
            dict(printed),
            view.lines("target", "achieved", "quarter_table_unit"),
        )


def _values_with_units(view: View) -> Iterator[tuple[str, Decimal, str | None, list[int]]]:
    k = view.record
    if k["target_direction"] is None:
        yield "target", k["target_value"], k["target_unit"], view.lines("target")
    if k["achieved_value"] is not None and k["target_direction"] is None:
        yield "achieved", k["achieved_value"], k["achieved_unit"], view.lines("achieved")
    for q in _reported(view.children):
        yield f"quarter {q['quarter']} result", q["result"], k["quarter_table_unit"], q["lines"]


def value_out_of_range(view: View) -> Iterator[Finding]:
    """A percentage outside 0..100 (not a change), or a level above its 1..5 scale."""
    for name, value, unit, lines in _values_with_units(view):
        if value is None:
            continue
        if is_percent(unit) and not Decimal(0) <= value <= PERCENT_MAX:
            yield Finding(f"{name} {_show(value)} % is outside 0..100", {name: value}, lines)
        elif unit == "ระดับ" and not Decimal(0) <= value <= LEVEL_SCALE:
            yield Finding(
                f"{name} level {_show(value)} is outside the 1..5 scale", {name: value}, lines
            )


def narrative_contradicts_result(view: View) -> Iterator[Finding]:
    """A quarter said cancelled, postponed or not started, while its result or score is full."""
    k, full = view.record, _score_scale(view.children)
    for q in view.children:
        words = NOT_DONE_RE.findall(q["narrative"] or "")
        if not words:
            continue
        if q["result"] is not None or q["score"] is not None:
            full_now = q["score"] == full or _kpi_met(view, q["result"]) is True
        else:
            # Layout A has no quarterly values: the final quarter answers for the year.
            full_now = q["quarter"] == 4 and _kpi_met(view, k["achieved_value"]) is True
        if full_now:
            yield Finding(
                f"quarter {q['quarter']} is reported as '{words[0]}' but its result or score "
                "is full",
                {
                    "quarter": q["quarter"],
                    "words": words,
                    "result": q["result"],
                    "score": q["score"],
                },
                q["lines"],
                q["quarter"],
            )
