"""The pipeline of one document: decode -> normalise -> detect -> segment -> extract -> assemble.

>>> result = parse_text("1. ชื่อตัวชี้วัด : ร้อยละของถนนที่ได้รับการซ่อม\\n"
...                     "5. เป้าหมาย : ๘๐ (ร้อยละ)\\n: ผลงานที่ทำได้ = 82.00 (ร้อยละ)\\n",
...                     source="demo.txt")
>>> record = result.records[0]
>>> record.layout, record.kpi_name, record.target.value, record.achieved.value
('kpi_result', 'ร้อยละของถนนที่ได้รับการซ่อม', Decimal('80'), Decimal('82.00'))
>>> record.provenance["target"], record.provenance["achieved"]
([2], [3])
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from kpi_extract.assemble import Context, assemble
from kpi_extract.decode import decode_bytes
from kpi_extract.detect import detect
from kpi_extract.diagnostics import Diagnostic
from kpi_extract.errors import LayoutError
from kpi_extract.extract import extract
from kpi_extract.grammar import DEFAULT_GRAMMAR_DIR, GrammarSet, load_grammars
from kpi_extract.models import Record, RecordError
from kpi_extract.normalise import normalise
from kpi_extract.segment import Line, RecordBlock, segment


@dataclass(frozen=True, slots=True)
class ParseResult:
    """Records of one document, records that failed validation, and document facts."""

    source: str
    doc_id: str
    layout: str
    encoding: str | None
    records: list[Record] = field(default_factory=list)
    errors: list[RecordError] = field(default_factory=list)
    warnings: list[Diagnostic] = field(default_factory=list)
    noise: list[tuple[int, str]] = field(default_factory=list)


def document_id(data: bytes) -> str:
    """The document id: SHA-256 of the file's bytes, in hex."""
    return hashlib.sha256(data).hexdigest()


def parse_text(
    text: str,
    *,
    source: str = "<text>",
    fiscal_year: int | None = None,
    grammars: GrammarSet | None = None,
    doc_id: str | None = None,
    encoding: str | None = None,
    warnings: list[Diagnostic] | None = None,
) -> ParseResult:
    """Parse decoded text. Raise :class:`LayoutError` when it is no known layout.

    ``fiscal_year`` (BE) is used where the text does not state one; ``doc_id`` defaults to
    the SHA-256 of the UTF-8 text.
    """
    grammars = grammars or load_grammars(DEFAULT_GRAMMAR_DIR)
    doc_id = doc_id or document_id(text.encode("utf-8"))
    normalised = normalise(text)
    if not normalised.text.strip():
        raise LayoutError("blank", "only blank lines", source=source)
    raw_lines = normalised.text.split("\n")
    detection = detect(grammars, normalised.text, source=source)
    lines = [Line(number, line) for number, line in enumerate(raw_lines, start=1)]
    segmented = segment(detection.grammar, lines)
    if not segmented.records:
        raise LayoutError("no_records", "no record found", source=source)
    notes = [*(warnings or []), *normalised.warnings]
    context = Context(source, doc_id, detection.grammar, fiscal_year)
    result = ParseResult(source, doc_id, detection.grammar.spec.layout, encoding)
    for position, block in enumerate(segmented.records):
        record = assemble(block, extract(block), position, context, notes)
        if isinstance(record, RecordError):
            result.errors.append(record)
        else:
            result.records.append(record)
    result.warnings.extend(w for w in notes if not _in_any(w, segmented.records))
    result.noise.extend((line.number, kind) for line, kind in segmented.outer_noise)
    return result


def _in_any(warning: Diagnostic, records: list[RecordBlock]) -> bool:
    line = warning.line
    return line is not None and any(r.line_start <= line <= r.line_end for r in records)


def parse_bytes(
    data: bytes,
    *,
    source: str = "<bytes>",
    fiscal_year: int | None = None,
    doc_id: str | None = None,
) -> ParseResult:
    """Decode and parse one dump. Raise ``DecodeError`` or ``LayoutError`` for bad input.

    ``doc_id``, the :func:`document_id` of ``data``, when the caller has it already.
    """
    decoded = decode_bytes(data, source=source)
    return parse_text(
        decoded.text,
        source=source,
        fiscal_year=fiscal_year,
        doc_id=doc_id or document_id(data),
        encoding=decoded.encoding,
        warnings=list(decoded.warnings),
    )


def parse_file(path: str | Path, *, fiscal_year: int | None = None) -> ParseResult:
    """Read, decode and parse one file."""
    path = Path(path)
    return parse_bytes(path.read_bytes(), source=str(path), fiscal_year=fiscal_year)
