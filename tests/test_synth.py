"""The synthetic corpus (kpi_extract.synth): reproducible, mixed, and read back exactly."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from kpi_extract import parse_bytes
from kpi_extract.synth import SynthDoc, generate, write_corpus


def _same(expected: Any, actual: Any) -> bool:
    """A truth value (JSON-ready: numbers and dates as strings) against a parsed one."""
    if isinstance(actual, Decimal):
        return isinstance(expected, str) and bool(Decimal(expected) == actual)
    if isinstance(actual, date):
        return bool(expected == actual.isoformat())
    return bool(expected == actual)


def _diff(path: str, expected: Any, actual: Any) -> list[tuple[str, str]]:
    """(field, message) for every truth key whose parsed value differs."""
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [(path, f"expected {expected!r}, got {actual!r}")]
        out = []
        for key, value in expected.items():
            out += _diff(f"{path}.{key}", value, actual.get(key))
        return out
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(expected) != len(actual):
            return [(path, f"expected {expected!r}, got {actual!r}")]
        out = []
        for i, (want, got) in enumerate(zip(expected, actual, strict=True)):
            out += _diff(f"{path}[{i}]", want, got)
        return out
    return [] if _same(expected, actual) else [(path, f"expected {expected!r}, got {actual!r}")]


def mismatches(doc: SynthDoc) -> list[tuple[str, str]]:
    """Every truth key of ``doc`` the parser reads differently: (field, message)."""
    result = parse_bytes(doc.data, source=doc.name)
    out = [("errors", f"{e.errors}") for e in result.errors]
    if len(result.records) != len(doc.truth):
        return [*out, ("records", f"{len(result.records)} parsed, {len(doc.truth)} in truth")]
    for position, (truth, record) in enumerate(zip(doc.truth, result.records, strict=True)):
        data = record.model_dump()
        for key, expected in truth.items():
            if key == "truncated":
                continue
            actual = data.get(key)
            if key == "quarters":  # by quarter number
                by_number = {q["quarter"]: q for q in actual or []}
                actual = [by_number.get(q["quarter"]) for q in expected]
            field = key.split("[")[0]
            out += [
                (f"{field}", f"{doc.name} #{position} {path}: {message}")
                for path, message in _diff(key, expected, actual)
            ]
    return out


def _decode(data: bytes) -> tuple[str, str]:
    """Text and encoding of a dump (a UTF-8 file may be cut inside its last character)."""
    for cut, encoding in ((0, "utf-8"), (1, "utf-8, cut"), (2, "utf-8, cut")):
        try:
            return data[: len(data) - cut].decode("utf-8"), encoding
        except UnicodeDecodeError:
            pass
    return data.decode("cp874"), "cp874"


def test_reproducible() -> None:
    first = [(d.name, d.data, d.truth, d.layout) for d in generate(30, seed=5)]
    again = [(d.name, d.data, d.truth, d.layout) for d in generate(30, seed=5)]
    other = [(d.name, d.data, d.truth, d.layout) for d in generate(30, seed=6)]
    assert first == again
    assert [d[1] for d in first] != [d[1] for d in other]


def test_mix_of_layouts_and_quirks() -> None:
    docs = list(generate(200, seed=11))
    layouts = Counter(d.layout for d in docs)
    assert set(layouts) == {"kpi_result", "kpi_detail", "project_progress"}
    assert 50 <= layouts["kpi_result"] <= 110 and 50 <= layouts["kpi_detail"] <= 110
    decoded = [_decode(doc.data) for doc in docs]
    texts = [text for text, _ in decoded]
    counts = {
        "multi_record": sum(len(d.truth) > 1 for d in docs),
        "cp874": sum(encoding == "cp874" for _, encoding in decoded),
        "cut_in_character": sum(encoding == "utf-8, cut" for _, encoding in decoded),
        "crlf": sum(b"\r\n" in d.data for d in docs),
        "truncated": sum(any(r.get("truncated") for r in d.truth) for d in docs),
        "thai_digits_in_narratives": sum(
            any(ch in "๐๑๒๓๔๕๖๗๘๙" for line in t.split("\n") if "มื่อวันที่" in line for ch in line)
            for t in texts
        ),
        "misspelt_heading": sum("3. คำนียาม :" in t or "3. คำนยาม :" in t for t in texts),
        "page_header_in_narrative": sum(t.count("ผลการดำเนินงานส่วนที่ 2") > 2 for t in texts),
        "c_table_then_lines": sum("รายงานครั้งที่ " in t and "| รายงานครั้งที่" in t for t in texts),
        "b_assessment": sum("*** สยป. ตรวจประเมินตัวชี้วัด" in t for t in texts),
    }
    assert all(count > 0 for count in counts.values()), counts
    sizes = sorted(len(d.data) for d in docs)
    assert 5_000 <= sizes[len(sizes) // 2] <= 20_000


def _report(docs: list[SynthDoc]) -> tuple[Counter[str], list[str]]:
    per_field: Counter[str] = Counter()
    examples: list[str] = []
    for doc in docs:
        for field, message in mismatches(doc):
            per_field[field] += 1
            if len(examples) < 10:
                examples.append(message)
    return per_field, examples


def test_round_trip_300() -> None:
    per_field, examples = _report(list(generate(300, seed=7)))
    if per_field:
        print("mismatches per field:", dict(per_field))
        print("\n".join(examples))
    assert not per_field, dict(per_field)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10**6))
def test_round_trip_property(seed: int) -> None:
    per_field, examples = _report(list(generate(3, seed=seed)))
    assert not per_field, (dict(per_field), examples)


def test_write_corpus(tmp_path: Path) -> None:
    written = write_corpus(12, tmp_path, seed=3)
    dumps = sorted(p for p in tmp_path.rglob("*.txt"))
    truths = sorted(tmp_path.rglob("*.txt.truth.json"))
    assert len(dumps) == 12 and len(truths) == 12
    assert written == sum(p.stat().st_size for p in dumps)
    docs = list(generate(12, seed=3))
    for doc in docs:
        assert (tmp_path / doc.name).read_bytes() == doc.data
        saved = json.loads((tmp_path / f"{doc.name}.truth.json").read_text(encoding="utf-8"))
        assert saved == doc.truth
