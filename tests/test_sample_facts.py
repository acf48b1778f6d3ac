"""Samples against their hand-written facts (``<case>.facts.json`` beside each sample).

The facts were written by hand from the sample text, independently of the parser: the values
the author meant, a subset of the record keys. Every key present is compared.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from kpi_extract import parse_file
from kpi_extract.models import KpiRecord, ProjectRecord
from tests.conftest import SAMPLES

FACTS = sorted(SAMPLES.glob("*/*.facts.json"))
_NUMBERS = {"value", "result", "score", "score_2_1", "score_2_2", "progress_pct", "budget_spent"}
_NUMBERS |= {"budget_received", "budget_used"}


def _plain(value: object) -> object:
    """Record values as the facts write them: numbers and dates as strings."""
    if isinstance(value, Decimal | date):
        return str(value)
    return value


def _strategy(record: KpiRecord | ProjectRecord) -> list[dict[str, object]]:
    return [
        {
            "level": s.level,
            "code": s.code,
            "title": f"{s.title} : {s.title_en}" if s.title_en else s.title,
        }
        for s in record.strategy
    ]


def _narrative_dates(record: KpiRecord) -> list[str]:
    lines = {n for key, ls in record.provenance.items() if key.endswith(".narrative") for n in ls}
    return [str(m.date) for m in record.date_mentions if m.kind == "date" and m.line in lines]


_LOSS_CODES = {"missing_section", "missing_heading", "incomplete_item"}


def _losses(record: KpiRecord | ProjectRecord) -> list[str]:
    return [w.code for w in record.warnings if w.code in _LOSS_CODES]


def _compare(record: KpiRecord | ProjectRecord, facts: dict[str, Any]) -> list[str]:
    problems = []
    data = record.model_dump()
    for key, expected in facts.items():
        if key == "strategy":
            actual: object = _strategy(record) or (None if expected is None else [])
        elif key == "dates_in_text" and isinstance(record, KpiRecord):
            actual = _narrative_dates(record)
        elif key == "missing":
            continue  # section names in the facts are prose; checked through warnings below
        elif key == "quarters":
            actual = [
                {
                    **{k: _plain(v) for k, v in q.items() if k != "narrative"},
                    "narrative_starts_with": q["narrative"][:15] if q["narrative"] else None,
                }
                for q in data["quarters"]
            ]
        elif key == "progress_reports":
            actual = [
                {k: _plain(v) for k, v in p.items() if k in expected[0]}
                for p in data["progress_reports"]
            ]
        elif expected is None and isinstance(data[key], list):
            actual = data[key] or None  # the facts write an absent list as null
        elif isinstance(expected, dict):
            actual = {k: _plain(v) for k, v in data[key].items() if k in expected}
        else:
            actual = _plain(data[key])
        if actual != expected:
            problems.append(f"{key}: parsed {actual!r}, facts say {expected!r}")
    return problems


@pytest.mark.parametrize("facts_path", FACTS, ids=[p.stem.removesuffix(".facts") for p in FACTS])
def test_sample_matches_its_facts(facts_path: Path) -> None:
    facts = json.loads(facts_path.read_text(encoding="utf-8"))
    sample = facts_path.with_name(facts_path.name.removesuffix(".facts.json") + ".txt")
    result = parse_file(sample)
    assert result.errors == []
    assert len(result.records) == len(facts["records"])
    problems = []
    for record, expected in zip(result.records, facts["records"], strict=True):
        problems += _compare(record, expected)
        # A sample that lacks parts must say so in its warnings; a complete one must not.
        assert bool(_losses(record)) == bool(expected.get("missing")), _losses(record)
    assert problems == []
