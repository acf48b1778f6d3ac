"""Stage 5: extract typed fields from a record's sections, by the grammar's rules.

For every section block of a record, in this order:

1. items (``[sections.items]``): the section is a list of repeated items (progress reports);
   ``|``-table rows are split into cells first, so a table that turns into plain lines after
   a page break reads the same; rules fill the current item, other lines are its text;
2. rules with ``where = "text"`` on the section's lines joined by spaces, then
   ``where = "first"`` on its first line, then ``where = "lines"`` on each remaining line
   (the first rule that matches a line wins);
3. a cell table (``[sections.table]``): from the first line that matches its first column,
   each run of ``len(columns)`` lines is one row;
4. the section's ``field``: the lines no rule took, converted as a whole.

Every non-blank line ends up in a field, in a section's text, or as noise; anything else is an
``unclassified_line`` warning. Converters that cannot read a value leave the field empty and
add a ``bad_value`` warning with the line.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from kpi_extract.convert import CONVERTERS
from kpi_extract.diagnostics import Diagnostic
from kpi_extract.grammar import Rule, Section, group_fields
from kpi_extract.patterns import Match, compile_pattern
from kpi_extract.segment import MAX_LINE_CHARS, Line, RecordBlock, SectionBlock

_PIPE_RULE_RE: Final = compile_pattern(r"^[\s|:\-]*$")


@dataclass(slots=True)
class Value:
    """An extracted value and the lines it came from (per item, for a list of matches)."""

    value: Any  # not ``object``: mypyc's dataclasses cannot look up builtins (KeyError)
    lines: list[int]
    item_lines: list[list[int]] | None = None


Fields = dict[str, Value]


@dataclass(slots=True)
class Extraction:
    """What the rules found in one record (field names as in the record models)."""

    fields: Fields = field(default_factory=dict)
    collections: dict[str, dict[object, Fields]] = field(default_factory=dict)
    noise: list[tuple[Line, str]] = field(default_factory=list)
    warnings: list[Diagnostic] = field(default_factory=list)


class _Extractor:
    def __init__(self, record: RecordBlock) -> None:
        self.record = record
        self.out = Extraction(noise=list(record.noise))

    # -- filling fields ------------------------------------------------------------------

    def put(self, target: Fields, name: str, value: object, lines: list[int]) -> None:
        if value is None or value == []:
            return
        existing = target.get(name)
        if existing is None:
            target[name] = Value(value, lines)
        elif existing.value != value:
            self.out.warnings.append(
                Diagnostic(
                    "duplicate_field",
                    f"{name} printed again with another value (kept line {existing.lines[0]})",
                    lines[0],
                )
            )

    def append(self, target: Fields, name: str, value: object, lines: list[int]) -> None:
        if value is None:
            return
        existing = target.setdefault(name, Value([], [], []))
        assert isinstance(existing.value, list) and existing.item_lines is not None
        existing.value.append(value)
        existing.lines.extend(lines)
        existing.item_lines.append(lines)

    def convert(self, name: str, groups: Mapping[str, str | None], line: int) -> object:
        try:
            return CONVERTERS[name](groups)
        except ValueError as exc:
            self.out.warnings.append(Diagnostic("bad_value", str(exc), line))
            return None

    def apply(self, rule: Rule, match: Match, target: Fields, lines: list[int]) -> None:
        spec = rule.spec
        groups = group_fields(match.groupdict())
        if spec.field is None:
            for name, text in groups.items():
                if text is None:
                    continue
                conv = spec.convert.get(name, "text") if isinstance(spec.convert, dict) else "text"
                value = self.convert(conv, {"value": text}, lines[0])
                self.store(target, name.replace("__", "."), value, lines, spec.multiple)
            return
        conv = spec.convert if isinstance(spec.convert, str) else "text"
        value = self.convert(conv, groups, lines[0])
        names = [spec.field] if isinstance(spec.field, str) else spec.field
        free = [n for n in names if n not in target] or names[-1:]
        self.store(target, free[0], value, lines, spec.multiple)

    def store(self, target: Fields, name: str, value: object, lines: list[int], many: bool) -> None:
        (self.append if many else self.put)(target, name, value, lines)

    # -- sections ------------------------------------------------------------------------

    def section(self, block: SectionBlock) -> None:
        section = block.section
        if section.spec.items is not None:
            self.items(block)
            return
        remaining = list(block.lines)
        remaining = self.rules(section, remaining, self.out.fields)
        if section.spec.table is not None:
            remaining = self.table(section, remaining)
        if section.spec.field is not None:
            self.section_field(block, remaining)
        else:
            self.unclassified(remaining)

    def rules(self, section: Section, lines: list[Line], target: Fields) -> list[Line]:
        by_where = section.by_where
        long_lines = [line for line in lines if len(line.text) > MAX_LINE_CHARS]
        for line in long_lines:
            message = f"line of {len(line.text)} characters kept as text, not read by rules"
            self.out.warnings.append(Diagnostic("long_line", message, line.number))
        if long_lines:
            keep = {id(line) for line in long_lines}
            lines = [line for line in lines if id(line) not in keep]
        for rule in by_where["text"]:
            joined = " ".join(line.text.strip() for line in lines)
            match = rule.pattern.search(joined) if lines else None
            if match:
                self.apply(rule, match, target, [line.number for line in lines])
                return []
        if lines:
            for rule in by_where["first"]:
                match = rule.pattern.search(lines[0].text)
                if match:
                    self.apply(rule, match, target, [lines[0].number])
                    lines = lines[1:]
                    break
        remaining = []
        for line in lines:
            for rule in by_where["lines"]:
                match = rule.pattern.search(line.text)
                if match:
                    self.apply(rule, match, target, [line.number])
                    break
            else:
                remaining.append(line)
        return remaining + long_lines

    def section_field(self, block: SectionBlock, lines: list[Line]) -> None:
        spec = block.section.spec
        assert spec.field is not None
        text = "\n".join(line.text for line in lines)
        numbers = [line.number for line in lines] or [block.heading_line or 0]
        value = self.convert(spec.convert, {"value": text}, numbers[0])
        if spec.collection is not None and block.index is not None:
            item = self.item(spec.collection, spec.key_field or "index", block.index, numbers)
            self.put(item, spec.field, value, numbers)
        else:
            self.put(self.out.fields, spec.field, value, numbers)

    def item(self, collection: str, key_field: str, key: object, lines: list[int]) -> Fields:
        items = self.out.collections.setdefault(collection, {})
        if key not in items:
            items[key] = {key_field: Value(key, lines)}
        return items[key]

    def table(self, section: Section, lines: list[Line]) -> list[Line]:
        spec = section.spec.table
        assert spec is not None
        columns = section.columns
        start = next((i for i, ln in enumerate(lines) if columns[0].search(ln.text)), len(lines))
        before, cells = lines[:start], lines[start:]
        rows: list[list[Line]] = []
        for cell in cells:
            row_full = not rows or len(rows[-1]) == len(columns)
            if row_full or (
                columns[0].search(cell.text) and not columns[len(rows[-1])].search(cell.text)
            ):
                rows.append([cell])
            else:
                rows[-1].append(cell)
        for row in rows:
            self.table_row(section, row)
        return before

    def table_row(self, section: Section, row: list[Line]) -> None:
        spec = section.spec.table
        assert spec is not None
        numbers = [cell.number for cell in row]
        values: Fields = {}
        if len(row) < len(section.columns):
            message = f"table row has {len(row)} of {len(section.columns)} cells"
            self.out.warnings.append(Diagnostic("table_short_row", message, row[0].number))
        for cell, pattern in zip(row, section.columns, strict=False):
            match = pattern.search(cell.text)
            if match is None:
                message = f"table cell {cell.text!r} does not fit its column"
                self.out.warnings.append(Diagnostic("table_cell_mismatch", message, cell.number))
                continue
            for name, text in group_fields(match.groupdict()).items():
                if text is not None:
                    value = self.convert(
                        spec.convert.get(name, "text"), {"value": text}, cell.number
                    )
                    self.put(values, name, value, [cell.number])
        key = values.get(spec.key)
        if key is None:
            message = f"table row without its key column {spec.key!r}"
            self.out.warnings.append(Diagnostic("table_row_without_key", message, row[0].number))
            return
        item = self.item(spec.collection, spec.key, key.value, numbers)
        for name, value in values.items():
            self.put(item, name, value.value, value.lines)

    def items(self, block: SectionBlock) -> None:
        spec = block.section.spec.items
        start = block.section.item_start
        assert spec is not None and start is not None
        items = self.out.collections.setdefault(spec.collection, {})
        current: Fields | None = None
        text_lines: dict[int, list[Line]] = {}
        lines = _pipe_cells(block.lines, self.out.noise) if spec.pipe_cells else block.lines
        for line in lines:
            match = None if len(line.text) > MAX_LINE_CHARS else start.search(line.text)
            if match:
                current = {}
                items[len(items)] = current
                text_lines[id(current)] = []
                for name, text in group_fields(match.groupdict()).items():
                    value = self.convert(
                        spec.convert.get(name, "text"), {"value": text}, line.number
                    )
                    self.put(current, name, value, [line.number])
                continue
            if current is None:
                self.unclassified([line])
                continue
            rule = (
                None
                if len(line.text) > MAX_LINE_CHARS
                else self.item_rule(block.section, current, line)
            )
            if rule is None:
                text_lines[id(current)].append(line)
        for item in items.values():
            self.item_text(item, spec.text_field, text_lines.get(id(item), []))
            missing = [name for name in spec.required if name not in item]
            if missing:
                first = min(line for value in item.values() for line in value.lines)
                message = f"{spec.collection} item lacks {', '.join(missing)}"
                self.out.warnings.append(Diagnostic("incomplete_item", message, first))

    def item_rule(self, section: Section, item: Fields, line: Line) -> Rule | None:
        for rule in section.rules:
            if rule.spec.after is not None and rule.spec.after not in item:
                continue
            match = rule.pattern.search(line.text)
            if match:
                self.apply(rule, match, item, [line.number])
                return rule
        return None

    def item_text(self, item: Fields, name: str, lines: list[Line]) -> None:
        first = item.pop(name, None)
        parts = [str(first.value)] if first and first.value else []
        numbers = list(first.lines) if first else []
        parts += [line.text for line in lines]
        numbers += [line.number for line in lines]
        value = CONVERTERS["paragraphs"]({"value": "\n".join(parts)})
        if value is not None:
            item[name] = Value(value, numbers)

    def unclassified(self, lines: list[Line]) -> None:
        for line in lines:
            message = f"line not recognised by the grammar: {line.text[:80]!r}"
            self.out.warnings.append(Diagnostic("unclassified_line", message, line.number))


def _pipe_cells(lines: list[Line], noise: list[tuple[Line, str]]) -> list[Line]:
    """Split ``|`` table rows into one line per non-empty cell; rule rows become noise."""
    out: list[Line] = []
    for line in lines:
        if not line.text.lstrip().startswith("|"):
            out.append(line)
            continue
        cells = [cell.strip() for cell in line.text.strip().strip("|").split("|")]
        kept = [cell for cell in cells if cell and not _PIPE_RULE_RE.fullmatch(cell)]
        if not kept:
            noise.append((line, "table_rule"))
        out.extend(Line(line.number, cell) for cell in kept)
    return out


def extract(record: RecordBlock) -> Extraction:
    """Apply the grammar's rules to every section of ``record``."""
    extractor = _Extractor(record)
    for block in record.sections:
        extractor.section(block)
    return extractor.out
