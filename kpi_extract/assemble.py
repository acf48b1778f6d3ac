"""Stage 6: assemble extracted fields into validated records, with provenance.

Adds what every record carries besides its fields: the record id, the sections as printed,
the dates mentioned in its text, its fiscal year and where that came from, warnings for
missing fields, and ``provenance`` (each field's lines). Validation failures become a
:class:`~kpi_extract.models.RecordError` naming the fields and their lines.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from pydantic import ValidationError

from kpi_extract.dates import find_dates_in_lines, fiscal_year_be
from kpi_extract.diagnostics import Diagnostic
from kpi_extract.extract import Extraction, Fields
from kpi_extract.grammar import Grammar
from kpi_extract.models import (
    FieldError,
    KpiRecord,
    Layout,
    ProjectRecord,
    Record,
    RecordError,
)
from kpi_extract.segment import MAX_LINE_CHARS, RecordBlock

#: A date mention as the record's validation takes it (see models.DateMention).
Mention = dict[str, object]

#: Dates in these kinds of mention say which fiscal year a report is about.
_DATED_KINDS = ("date", "month")


@dataclass(frozen=True, slots=True)
class Context:
    """What the assembler knows of the document a record comes from."""

    source: str
    doc_id: str
    grammar: Grammar
    given_fiscal_year: int | None = None


def record_id(doc_id: str, position: int) -> str:
    """Stable id of the ``position``-th record (from 0) of the document ``doc_id``.

    >>> record_id("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", 2)
    '9f86d081884c7d65-002'
    """
    return f"{doc_id[:16]}-{position:03d}"


def _nest(fields: Fields, provenance: dict[str, list[int]], prefix: str = "") -> dict[str, object]:
    """Turn ``{"a.b": Value}`` into ``{"a": {"b": value}}`` and note each field's lines."""
    out: dict[str, object] = {}
    for name, extracted in fields.items():
        lines = extracted.lines
        # Most fields come from one line: no set to make and sort.
        provenance[prefix + name] = [lines[0]] if len(lines) == 1 else sorted(set(lines))
        if extracted.item_lines:
            for position, item in enumerate(extracted.item_lines):
                provenance[f"{prefix}{name}[{position}]"] = item
        if "." in name:
            head, _, tail = name.partition(".")
            inner = out.setdefault(head, {})
            assert isinstance(inner, dict)
            inner[tail] = extracted.value
        else:
            out[name] = extracted.value
    return out


def _collections(extraction: Extraction, provenance: dict[str, list[int]]) -> dict[str, object]:
    out: dict[str, object] = {}
    for name, items in extraction.collections.items():
        keys = sorted(items, key=_sort_key)
        out[name] = [
            _nest(items[key], provenance, f"{name}[{position}].")
            for position, key in enumerate(keys)
        ]
    return out


def _sort_key(key: object) -> tuple[int, str]:
    return (key, "") if isinstance(key, int) else (0, str(key))


# Sections and date mentions go to the record's validation as dicts: its validator builds
# them faster than one model construction each (a record has about 12 and 8).


def _sections(block: RecordBlock) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    for section in block.sections:
        numbers = [line.number for line in section.lines]
        first = section.heading_line or (numbers[0] if numbers else block.line_start)
        out.append(
            {
                "key": section.key,
                "heading": section.heading,
                "index": section.index,
                "text": "\n".join(line.text for line in section.lines),
                "line_start": first,
                "line_end": max([first, *numbers]),
                "lines": numbers,
            }
        )
    return out


def _mentions(block: RecordBlock) -> list[Mention]:
    # Lines too long for patterns are reported as long_line and not searched.
    lines = [
        line
        for section in block.sections
        for line in section.lines
        if len(line.text) <= MAX_LINE_CHARS
    ]
    return [
        {
            "kind": mention.kind,
            "date": mention.start,
            "end": mention.end,
            "precision": mention.precision,
            "era": mention.era,
            "line": lines[index].number,
            "text": mention.printed,
            "error": mention.error,
        }
        for index, mention in find_dates_in_lines([line.text for line in lines])
    ]


def _narrative_lines(block: RecordBlock) -> set[int]:
    """Lines of the sections that report on the year (quarters, progress reports)."""
    return {
        line.number
        for section in block.sections
        if section.section.spec.collection or section.section.spec.items
        for line in section.lines
    }


def infer_fiscal_year(mentions: Iterable[Mention], lines: set[int]) -> int | None:
    """The fiscal year most dates in the narratives fall in; ties go to the later year.

    ``mentions`` are the record's date mentions (``kind``, ``date``, ``line``) as dicts.
    """
    years = Counter(
        fiscal_year_be(m["date"])
        for m in mentions
        if m["kind"] in _DATED_KINDS and isinstance(m["date"], date) and m["line"] in lines
    )
    if not years:
        return None
    return max(years, key=lambda year: (years[year], year))


def _fiscal_year(
    values: dict[str, object], block: RecordBlock, mentions: list[Mention], context: Context
) -> tuple[int | None, str | None]:
    stated = values.get("fiscal_year_be")
    if isinstance(stated, int):
        return stated, "stated"
    if context.given_fiscal_year is not None:
        return context.given_fiscal_year, "given"
    inferred = infer_fiscal_year(mentions, _narrative_lines(block))
    return (inferred, "inferred") if inferred is not None else (None, None)


def assemble(
    block: RecordBlock,
    extraction: Extraction,
    position: int,
    context: Context,
    document_warnings: Iterable[Diagnostic] = (),
) -> Record | RecordError:
    """Build and validate the record of one :class:`RecordBlock`."""
    provenance: dict[str, list[int]] = {}
    values = _nest(extraction.fields, provenance)
    values.update(_collections(extraction, provenance))
    mentions = _mentions(block)
    fiscal_year, fiscal_source = _fiscal_year(values, block, mentions, context)
    warnings = [*extraction.warnings, *_missing(context.grammar, values, block)]
    warnings += [w for w in document_warnings if _inside(w, block)]
    warnings.sort(key=lambda w: (w.line or 0, w.code))
    layout = context.grammar.spec.layout
    values.update(
        record_id=record_id(context.doc_id, position),
        source=context.source,
        layout=layout,
        line_start=block.line_start,
        line_end=block.line_end,
        fiscal_year_be=fiscal_year,
        fiscal_year_source=fiscal_source,
        date_mentions=mentions,
        sections=_sections(block),
        warnings=[{"code": w.code, "message": w.message, "line": w.line} for w in warnings],
        provenance=provenance,
        noise=[
            {"line": line.number, "kind": kind}
            for line, kind in sorted(extraction.noise, key=lambda item: item[0].number)
        ],
    )
    model = KpiRecord if context.grammar.spec.record_kind == "kpi" else ProjectRecord
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        return _error(exc, values, provenance, block, layout)


def _missing(grammar: Grammar, values: dict[str, object], block: RecordBlock) -> list[Diagnostic]:
    found = {section.key for section in block.sections}
    out = [
        Diagnostic("missing_field", f"{name} not found", block.line_start)
        for name in grammar.spec.record.required
        if values.get(name) in (None, [], {})
    ]
    out += [
        Diagnostic("missing_section", f"section {s.spec.key!r} not found", block.line_start)
        for s in grammar.sections
        if s.spec.required and s.spec.key not in found
    ]
    # A required section whose lines are there but whose heading was lost (a page that
    # lost its title line): its data is read, the loss is reported.
    out += [
        Diagnostic("missing_heading", f"heading of section {b.key!r} not found", block.line_start)
        for b in block.sections
        if b.heading is None and b.section.spec.required
    ]
    return out


def _inside(warning: Diagnostic, block: RecordBlock) -> bool:
    return warning.line is not None and block.line_start <= warning.line <= block.line_end


def _path(loc: list[str]) -> str:
    """A validation error location as a provenance key: ``quarters[1].quarter``."""
    out = ""
    for part in loc:
        out += f"[{part}]" if part.isdigit() else f".{part}" if out else part
    return out


def _error(
    exc: ValidationError,
    values: dict[str, object],
    provenance: dict[str, list[int]],
    block: RecordBlock,
    block_layout: Layout,
) -> RecordError:
    errors = []
    for error in exc.errors():
        loc = [str(part) for part in error["loc"]]
        lines = next(
            (
                provenance[_path(loc[:n])]
                for n in range(len(loc), 0, -1)
                if _path(loc[:n]) in provenance
            ),
            [block.line_start],
        )
        errors.append(FieldError(field=".".join(loc), message=error["msg"], lines=lines))
    return RecordError(
        record_id=str(values["record_id"]),
        source=str(values["source"]),
        layout=block_layout,
        line_start=block.line_start,
        line_end=block.line_end,
        errors=errors,
    )
