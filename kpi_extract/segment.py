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
file (see :mod:`kpi_extract.decode`). A line longer than :data:`MAX_LINE_CHARS` is never
tried against a pattern (no input can make a pattern run long): it is content, reported.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

from kpi_extract.grammar import Grammar, Noise, Section

#: Lines longer than this (real ones stay under 2,000) are kept as text, never matched. Tested
#: as ``len(text) > MAX_LINE_CHARS`` where it is used: a function call per line cost 0.6 % of
#: the workers' instructions.
MAX_LINE_CHARS: Final = 5000


@dataclass(slots=True)
class Line:
    """One input line: its 1-based number and its normalised text. Never changed once made.

    Not a frozen dataclass, whose fields are set through ``object.__setattr__``: every line
    of every document is one, and making a document's 109 lines took 52 µs frozen, 20 µs
    not (the workers' instructions per document -1.6 %).
    """

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
    headings = grammar.headings
    if headings is not None:
        found = headings.pattern.match(text)
        if found is None:
            return None
        section, inline_group, index_group = headings.by_marker[found.lastgroup or ""]
        inline = (found[inline_group] or "").strip() if inline_group else ""
        index = found[index_group] if index_group else None
        return section, inline, int(index) if index else None
    return match_heading_one_by_one(grammar, text)


def match_heading_one_by_one(grammar: Grammar, text: str) -> tuple[Section, str, int | None] | None:
    """:func:`match_heading` trying each heading pattern in file order."""
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


class _Segmenter:
    """The state of one pass over a document's lines."""

    def __init__(self, grammar: Grammar) -> None:
        self.grammar = grammar
        self.records: list[RecordBlock] = []
        self.outer_noise: list[tuple[Line, str]] = []
        # Noise since the last content line that belongs to the next record, if one comes.
        self.leading: list[tuple[Line, str]] = []
        self.current: RecordBlock | None = None
        self.block: SectionBlock | None = None
        self.starts_seen: set[int] = set()

    def feed(self, line: Line) -> None:
        text = line.text
        if not text.strip():
            return
        current, block = self.current, self.block
        open_section = current is not None and block is not None and not self.leading
        if open_section and (len(text) > MAX_LINE_CHARS or not self.grammar.special.search(text)):
            assert current is not None and block is not None
            block.lines.append(line)  # plain content: no noise, start or heading matches
            current.line_end = line.number
            return
        if len(text) > MAX_LINE_CHARS:
            self.content(line, None)
            return
        noise = match_noise(self.grammar, text, block.key if block else None)
        if noise is not None:
            self.noise(line, noise)
            return
        starts = self.grammar.record_start
        self.content(line, next((i for i, p in enumerate(starts) if p.search(text)), None))

    def noise(self, line: Line, noise: Noise) -> None:
        if noise.attach == "next":
            self.leading.append((line, noise.kind))
            return
        target = self.current.noise if self.current else self.outer_noise
        target.extend([*self.leading, (line, noise.kind)])
        self.leading = []

    def content(self, line: Line, start: int | None) -> None:
        current = self.current
        if current is None or (start is not None and max(self.starts_seen, default=-1) >= start):
            first = self.leading[0][0].number if self.leading else line.number
            current = self.current = RecordBlock(first, line.number, noise=self.leading)
            self.records.append(current)
            self.block = None
            self.starts_seen = set()
        else:
            current.noise.extend(self.leading)
        self.leading = []
        if start is not None:
            self.starts_seen.add(start)
        current.line_end = line.number
        heading = (
            None if len(line.text) > MAX_LINE_CHARS else match_heading(self.grammar, line.text)
        )
        if heading is not None:
            section, inline, index = heading
            self.block = SectionBlock(section, line.text.strip(), line.number, index)
            current.sections.append(self.block)
            if inline:
                self.block.lines.append(Line(line.number, inline))
            return
        if self.block is None:
            self.block = SectionBlock(self.grammar.sections[0], None, None, None)
            current.sections.append(self.block)
        self.block.lines.append(line)

    def finish(self) -> Segmented:
        (self.current.noise if self.current else self.outer_noise).extend(self.leading)
        for record in self.records:
            # Noise after the last content line (a closing banner, the footer) stays with it.
            record.line_end = max([record.line_end, *(n.number for n, _ in record.noise)])
        return Segmented(self.records, self.outer_noise)


def segment(grammar: Grammar, lines: list[Line]) -> Segmented:
    """Split ``lines`` into records and sections by ``grammar``."""
    segmenter = _Segmenter(grammar)
    for line in lines:
        segmenter.feed(line)
    return segmenter.finish()
