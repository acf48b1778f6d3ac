"""Fuzzing parse_bytes (decoder included) with mutated samples.

The suite runs a short fuzz (``KPI_EXTRACT_FUZZ_EXAMPLES``, 200 by default); ``make fuzz``
runs a long one. The only exceptions that may escape are the documented ones
(:class:`~kpi_extract.errors.DecodeError`, :class:`~kpi_extract.errors.LayoutError`), and
every record either validates or is reported as a ``RecordError``.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kpi_extract import parse_bytes
from kpi_extract.decode import decode_bytes
from kpi_extract.errors import DecodeError, LayoutError
from kpi_extract.models import KpiRecord, ProjectRecord, RecordError
from tests.conftest import SAMPLES

SEEDS = [p.read_bytes() for p in sorted(SAMPLES.glob("*/*.txt"))]
EXAMPLES = int(os.environ.get("KPI_EXTRACT_FUZZ_EXAMPLES", "200"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(0, 6))):
        op = draw(st.sampled_from(["flip", "insert", "delete", "cut", "lines", "splice"]))
        at = draw(st.integers(0, max(0, len(data) - 1)))
        if op == "flip" and data:
            data[at] = draw(st.integers(0, 255))
        elif op == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=40))
        elif op == "delete":
            del data[at : at + draw(st.integers(1, 200))]
        elif op == "cut":
            del data[at:]
        elif op == "lines":
            lines = bytes(data).split(b"\n")
            order = draw(st.permutations(range(len(lines))))
            keep = draw(st.integers(1, len(lines)))
            data = bytearray(b"\n".join(lines[i] for i in order[:keep]))
        else:
            other = draw(st.sampled_from(SEEDS))
            start = draw(st.integers(0, len(other)))
            data[at:at] = other[start : start + draw(st.integers(1, 2000))]
    return bytes(data)


@FUZZ
@given(mutated())
def test_parse_bytes_raises_only_documented_errors(data: bytes) -> None:
    try:
        result = parse_bytes(data, source="fuzz.txt")
    except (DecodeError, LayoutError) as exc:
        assert exc.code
        return
    for record in result.records:
        assert isinstance(record, KpiRecord | ProjectRecord)
        assert record.line_start <= record.line_end
    assert all(isinstance(error, RecordError) for error in result.errors)


@FUZZ
@given(st.binary(max_size=3000))
def test_decoder_on_any_bytes(data: bytes) -> None:
    try:
        decoded = decode_bytes(data)
    except DecodeError as exc:
        assert exc.code in {"empty", "binary", "mixed_encoding", "undecodable", "not_thai"}
        return
    assert "\r" not in decoded.text
