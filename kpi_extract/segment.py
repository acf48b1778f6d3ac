"""Stage 4: split a document's lines into records, and each record into sections.

Driven entirely by a compiled :class:`~kpi_extract.grammar.Grammar`:

- blank lines are skipped; a line matching a noise pattern (page header, footer,
  navigation) is classified as noise wherever it occurs, also in the middle of a section;
- a line matching a record-start pattern opens a new record, unless the previous
  non-noise line was a start line too (a banner, then ``1. ชื่อตัวชี้วัด``, open one record);
- a line matching a section heading opens that section; the text printed after the heading
  (its ``inline`` group) is the section's first content line;
- any other line is content of the open section (or of the grammar's first section when
  none is open yet: a dump that lost its header keeps its data).

Line numbers are 1-based and refer to the normalised text, which has the same lines as the
file (see :mod:`kpi_extract.decode`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kpi_extract.grammar import Grammar, Section


@dataclass(frozen=True, slots=True)
class Line:
    """One input line: its 1-based number and its normalised text."""

    number: int
    text: str


@dataclass(slots=True)
class SectionBlock:
    """The lines of one section as found in a record."""

    section: Section
    heading: str | None
    heading_line: int | None
    index: int | None
    lines: list[Line] = field(default_factory=list)

    @property
    def key(self) -> str:
        """The section's canonical key in the grammar."""
        return self.section.spec.key


@dataclass(slots=True)
class RecordBlock:
    """The lines of one record: its sections and the noise found inside it."""

    line_start: int
    line_end: int
    sections: list[SectionBlock] = field(default_factory=list)
    noise: list[tuple[Line, str]] = field(default_factory=list)


@dataclass(slots=True)
class Segmented:
    """A document split into records; noise found outside every record."""

    records: list[RecordBlock]
    outer_noise: list[tuple[Line, str]]


def noise_kind(grammar: Grammar, text: str, section_key: str | None) -> str | None:
    """The kind of noise ``text`` is (``page_header``, ``navigation``...), or ``None``."""
    for noise in grammar.noise:
        if noise.sections and section_key not in noise.sections:
            continue
        if noise.pattern.search(text):
            return noise.kind
    return None


def match_heading(grammar: Grammar, text: str) -> tuple[Section, str, int | None] | None:
    """The section whose heading ``text`` is, with the inline value and the index."""
    for section in grammar.sections:
        for pattern in section.headings:
            match = pattern.search(text)
            if match is None:
                continue
            groups = match.groupdict()
            inline = (groups.get("inline") or "").strip()
            index = groups.get("index")
            return section, inline, int(index) if index else None
    return None


def segment(grammar: Grammar, lines: list[Line]) -> Segmented:
    """Split ``lines`` into records and sections by ``grammar``."""
    records: list[RecordBlock] = []
    outer_noise: list[tuple[Line, str]] = []
    current: RecordBlock | None = None
    block: SectionBlock | None = None
    previous_was_start = False
    for line in lines:
        if not line.text.strip():
            continue
        kind = noise_kind(grammar, line.text, block.key if block else None)
        if kind is not None:
            (current.noise if current else outer_noise).append((line, kind))
            continue
        is_start = any(p.search(line.text) for p in grammar.record_start)
        if current is None or (is_start and not previous_was_start):
            current = RecordBlock(line.number, line.number)
            records.append(current)
            block = None
        previous_was_start = is_start
        current.line_end = line.number
        heading = match_heading(grammar, line.text)
        if heading is not None:
            section, inline, index = heading
            block = SectionBlock(section, line.text.strip(), line.number, index)
            current.sections.append(block)
            if inline:
                block.lines.append(Line(line.number, inline))
            continue
        if block is None:
            block = SectionBlock(grammar.sections[0], None, None, None)
            current.sections.append(block)
        block.lines.append(line)
    for record in records:
        # Noise after the last content line (a closing banner, the footer) stays with it.
        record.line_end = max([record.line_end, *(n.number for n, _ in record.noise)])
    return Segmented(records, outer_noise)
