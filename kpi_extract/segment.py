"""Stage 4: split a document's lines into records, and each record into sections.

Driven entirely by a compiled :class:`~kpi_extract.grammar.Grammar`:

- blank lines are skipped; a line matching a noise pattern (page header, footer,
  navigation) is classified as noise wherever it occurs, also in the middle of a section;
- record-start patterns are listed in the order they appear in a record; a line matching
  one opens a new record when the current record already had a start line of that
  pattern or of one listed after it (``รายละเอียดตัวชี้วัด`` then ``name : code`` open one
  record; a page that lost its title line still starts at its ``name : code`` line);
- a line matching a section heading opens that section; the text printed after the heading
  (its ``inline`` group) is the section's first content line;
- any other line is content of the open section (or of the grammar's first section when
  none is open yet: a dump that lost its header keeps its data).

Line numbers are 1-based and refer to the normalised text, which has the same lines as the
file (see :mod:`kpi_extract.decode`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kpi_extract.grammar import Grammar, Noise, Section


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


def match_noise(grammar: Grammar, text: str, section_key: str | None) -> Noise | None:
    """The noise pattern ``text`` matches (page header, navigation...), or ``None``."""
    for noise in grammar.noise:
        if noise.sections and section_key not in noise.sections:
            continue
        if noise.pattern.search(text):
            return noise
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
    # Noise seen since the last content line that belongs to the next record, if one comes.
    leading: list[tuple[Line, str]] = []
    current: RecordBlock | None = None
    block: SectionBlock | None = None
    starts_seen: set[int] = set()
    for line in lines:
        if not line.text.strip():
            continue
        plain = current is not None and block is not None and not leading
        if plain and not grammar.special.search(line.text):
            assert current is not None and block is not None
            block.lines.append(line)  # plain content: no noise, start or heading can match
            current.line_end = line.number
            continue
        noise = match_noise(grammar, line.text, block.key if block else None)
        if noise is not None:
            if noise.attach == "next":
                leading.append((line, noise.kind))
            else:
                (current.noise if current else outer_noise).extend([*leading, (line, noise.kind)])
                leading = []
            continue
        start = next((i for i, p in enumerate(grammar.record_start) if p.search(line.text)), None)
        if current is None or (start is not None and max(starts_seen, default=-1) >= start):
            first = leading[0][0].number if leading else line.number
            current = RecordBlock(first, line.number, noise=leading)
            records.append(current)
            block = None
            starts_seen = set()
        else:
            current.noise.extend(leading)
        leading = []
        if start is not None:
            starts_seen.add(start)
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
    (current.noise if current else outer_noise).extend(leading)
    for record in records:
        # Noise after the last content line (a closing banner, the footer) stays with it.
        record.line_end = max([record.line_end, *(n.number for n, _ in record.noise)])
    return Segmented(records, outer_noise)
