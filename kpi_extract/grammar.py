"""Grammars are data: one TOML file per layout in ``grammars/``, validated and compiled here.

A grammar file is validated by one Pydantic model, :class:`GrammarSpec`, when it is loaded:
a broken grammar fails at load time with :class:`~kpi_extract.errors.GrammarError` naming the
file and the key. Patterns are in the syntax of the ``regex`` module (Thai-aware ``\\w``,
``\\p{Thai}``, fuzzy matching such as ``(?:คำนิยาม){e<=1}``) and mean what it reads; each is
compiled once, by the standard library's ``re`` where it reads it the same, which is faster
(see :mod:`kpi_extract.patterns`); compiled grammars are immutable.
Converters are named in the grammar and implemented in :mod:`kpi_extract.convert`, so a
grammar file holds no executable code.

The ordered detection index is ``grammars/index.toml``: the order in which layouts are tried
and which one wins a tie (see :mod:`kpi_extract.detect`).
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Final, Literal

import regex
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from kpi_extract.convert import CONVERTERS
from kpi_extract.errors import GrammarError
from kpi_extract.models import Layout
from kpi_extract.patterns import Pattern, compile_pattern, regex_compiled

#: The folder of the grammars shipped with kpi_extract.
DEFAULT_GRAMMAR_DIR = Path(__file__).resolve().parent.parent / "grammars"

#: Where a rule applies in its section (see :class:`RuleSpec`).
Where = Literal["lines", "first", "text"]
_WHERE: Final[tuple[Where, ...]] = ("text", "first", "lines")


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_pattern(value: str) -> str:
    try:
        regex_compiled(value)  # the syntax is regex's; which engine runs it is decided later
    except regex.error as exc:
        raise ValueError(f"bad regular expression {value!r}: {exc}") from None
    return value


def _check_converter(name: str) -> str:
    if name not in CONVERTERS:
        raise ValueError(f"unknown converter {name!r} (known: {', '.join(sorted(CONVERTERS))})")
    return name


RegexText = Annotated[str, AfterValidator(_check_pattern)]
ConverterName = Annotated[str, AfterValidator(_check_converter)]


class DetectSpec(_Spec):
    """How to recognise the layout: each pattern that matches some line scores one point."""

    patterns: list[RegexText] = Field(min_length=1)
    min_score: int = Field(default=2, ge=1)


class NoiseSpec(_Spec):
    """Lines that carry no data: page headers, footers, navigation, stray marks.

    ``sections``: only inside these sections (a stray ``0`` is noise in a header, not in a
    table); empty means anywhere. ``attach``: noise found between two records belongs to the
    record before it (a footer) or to the one after it (navigation at the top of a page).
    """

    kind: str
    patterns: list[RegexText] = Field(min_length=1)
    sections: list[str] = Field(default_factory=list)
    attach: Literal["previous", "next"] = "previous"


class RecordSpec(_Spec):
    """Where a record starts: patterns in the order they appear in a record.

    A start line opens a new record when the current one already had a start line of that
    pattern or of a later one (see :mod:`kpi_extract.segment`).
    """

    start: list[RegexText] = Field(min_length=1)
    required: list[str] = Field(default_factory=list)


class RuleSpec(_Spec):
    """A field rule: a pattern whose named groups are read by a converter into fields.

    ``field`` unset: each named group fills the field of its name (``a__b`` fills ``a.b``),
    converted by ``convert[group]`` (default ``text``). ``field`` set: the converter named by
    ``convert`` reads all groups into that one field. A list of fields is filled in turn by
    successive matches. ``where``: ``lines`` (each content line), ``first`` (the first), or
    ``text`` (the section's lines joined by spaces). ``after``: in an item, applies only once
    the item has that field. ``multiple``: matches are appended to a list.
    """

    section: str | list[str]
    pattern: RegexText
    field: str | list[str] | None = None
    convert: ConverterName | dict[str, ConverterName] = "text"
    where: Where = "lines"
    multiple: bool = False
    after: str | None = None


class TableSpec(_Spec):
    """A table flattened one cell per line: each row is ``len(columns)`` lines.

    Each column is a pattern whose named groups are fields of the row (``convert`` names
    their converters). A row starts at a line matching the first column.
    """

    collection: str
    key: str
    columns: list[RegexText] = Field(min_length=1)
    convert: dict[str, ConverterName] = Field(default_factory=dict)


class ItemsSpec(_Spec):
    """Repeated items inside a section (progress reports): each starts at ``start``.

    Named groups of ``start`` are fields of the item; rules of the section fill the current
    item; other lines are appended to the item's ``text_field``. An item lacking a
    ``required`` field is reported (``incomplete_item``): a report cut by truncation.
    """

    collection: str
    start: RegexText
    convert: dict[str, ConverterName] = Field(default_factory=dict)
    text_field: str
    pipe_cells: bool = False
    required: list[str] = Field(default_factory=list)


class SectionSpec(_Spec):
    """A section: its headings (aliases, fuzzy where safe) and what its text fills.

    A heading's named group ``inline`` is the value printed on the heading line; ``index``
    numbers a repeated section (quarter 1..4), which then fills ``field`` of the item of
    ``collection`` whose ``key`` is that number.
    """

    key: str
    headings: list[RegexText] = Field(min_length=1)
    field: str | None = None
    convert: ConverterName = "text"
    collection: str | None = None
    key_field: str | None = None
    required: bool = False
    table: TableSpec | None = None
    items: ItemsSpec | None = None


class GrammarSpec(_Spec):
    """One grammar file."""

    name: str
    layout: Layout
    record_kind: Literal["kpi", "project"]
    version: str
    detect: DetectSpec
    record: RecordSpec
    noise: list[NoiseSpec] = Field(default_factory=list)
    sections: list[SectionSpec] = Field(min_length=1)
    rules: list[RuleSpec] = Field(default_factory=list)


class IndexSpec(_Spec):
    """``grammars/index.toml``: grammar files in detection order."""

    order: list[str] = Field(min_length=1)


# ---------------------------------------------------------------------------------------
# Compiled, immutable forms.


@dataclass(frozen=True, slots=True)
class Noise:
    """A compiled noise pattern, its kind and the sections it is limited to (empty: any)."""

    kind: str
    pattern: Pattern
    sections: frozenset[str]
    attach: str


@dataclass(frozen=True, slots=True)
class Rule:
    """A compiled :class:`RuleSpec`."""

    spec: RuleSpec
    pattern: Pattern


@dataclass(frozen=True, slots=True)
class Section:
    """A compiled :class:`SectionSpec`."""

    spec: SectionSpec
    headings: tuple[Pattern, ...]
    rules: tuple[Rule, ...]
    columns: tuple[Pattern, ...]
    item_start: Pattern | None
    #: ``rules`` by their ``where``, in file order: grouped once, not for every block.
    by_where: dict[str, tuple[Rule, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        groups = {w: tuple(r for r in self.rules if r.spec.where == w) for w in _WHERE}
        object.__setattr__(self, "by_where", groups)


@dataclass(frozen=True, slots=True)
class Headings:
    """Every heading pattern of a grammar as one alternation, in file order.

    Each alternative ends in an empty marker group that names it (``lastgroup``); its own
    groups are renamed apart (``inline`` of the third alternative is ``inline_2``). Made only
    when every heading is anchored at the start of its line (``^``): the first alternative
    that matches there is then the first heading, in file order, that matches the line,
    which is what trying them one by one finds (given what :data:`_SET_OPERATIONS` and
    :data:`_INLINE_FLAGS_RE` leave out). A heading line was tried against 6 headings
    on average, one search now (the workers' instructions per document -1.8 %). Noise
    patterns, tried the same way, saved 0.2 % (3.4 searches a line): still one by one.
    """

    pattern: Pattern
    #: The marker group of each alternative: its section and its renamed inline and index.
    by_marker: dict[str, tuple[Section, str | None, str | None]]


_NAMED_GROUP_RE: Final = regex.compile(r"\(\?P?<(\w+)>")  # (?P<name> and (?<name>
#: How a pattern can refer to one of its groups by name: renaming would break it.
_GROUP_REFERENCES: Final = ("(?P=", "(?P>", "(?&", "\\g<", "\\k<")
#: What the regex module reads otherwise in one alternation than in a pattern alone: inline
#: flags (global in VERSION0, wherever they are), and under VERSION1, which the alternation
#: takes where one heading is fuzzy, nested sets and set operations.
_INLINE_FLAGS_RE: Final = regex.compile(r"\(\?[a-zA-Z-]+[:)]")
_SET_OPERATIONS: Final = ("[[", "--", "&&", "||", "~~")


def _headings(sections: tuple[Section, ...]) -> Headings | None:
    """The one alternation of every heading (:class:`Headings`), or ``None`` if unsafe."""
    parts: list[str] = []
    names: list[str] = []  # every group name the alternation must have, once each
    by_marker: dict[str, tuple[Section, str | None, str | None]] = {}
    for section in sections:
        # The source as written: a pattern compiled by re holds its written-out sets.
        for source, pattern in zip(section.spec.headings, section.headings, strict=True):
            if not source.startswith("^") or any(r in source for r in _GROUP_REFERENCES):
                return None  # unanchored, or a reference to a group that is renamed
            n = len(parts)
            marker = f"heading_{n}"
            renamed = _NAMED_GROUP_RE.sub(f"(?P<\\g<1>_{n}>", source)
            parts.append(f"(?:{renamed})(?P<{marker}>)")
            names += [*(f"{name}_{n}" for name in pattern.groupindex), marker]
            by_marker[marker] = (
                section,
                f"inline_{n}" if "inline" in pattern.groupindex else None,
                f"index_{n}" if "index" in pattern.groupindex else None,
            )
    if not parts:
        return None
    joined = "|".join(parts)
    if _INLINE_FLAGS_RE.search(joined) or (
        "{e<=" in joined and any(o in joined for o in _SET_OPERATIONS)
    ):
        return None
    combined = compile_pattern(joined)
    # Every group renamed as intended, none left over, no two the same: else one by one.
    if set(combined.groupindex) != set(names) or len(set(names)) != len(names):
        return None
    return Headings(combined, by_marker)


@dataclass(frozen=True, slots=True)
class Grammar:
    """A compiled grammar: patterns compiled once, sections in file order."""

    spec: GrammarSpec
    path: Path
    detect: tuple[Pattern, ...]
    record_start: tuple[Pattern, ...]
    noise: tuple[Noise, ...]
    sections: tuple[Section, ...]
    #: Every noise, record-start and heading pattern in one alternation: a line it does not
    #: match is plain content, and the segmenter skips trying them one by one.
    special: Pattern
    #: The headings in one alternation, where that finds what trying them in order finds.
    headings: Headings | None = None

    @property
    def name(self) -> str:
        """The grammar's name (also its file stem)."""
        return self.spec.name

    def section(self, key: str) -> Section:
        """The section of that key."""
        for section in self.sections:
            if section.spec.key == key:
                return section
        raise KeyError(key)


@dataclass(frozen=True, slots=True)
class GrammarSet:
    """All grammars of a folder, in the detection order of its ``index.toml``."""

    directory: Path
    grammars: tuple[Grammar, ...]

    def __iter__(self) -> Iterator[Grammar]:
        return iter(self.grammars)

    def __getitem__(self, name: str) -> Grammar:
        for grammar in self.grammars:
            if grammar.name == name:
                return grammar
        raise KeyError(name)

    @property
    def version(self) -> str:
        """One version string for the whole set: ``name=version`` pairs."""
        return ",".join(f"{g.name}={g.spec.version}" for g in self.grammars)


def _sections_of(rule: RuleSpec) -> list[str]:
    return [rule.section] if isinstance(rule.section, str) else rule.section


def special_source(spec: GrammarSpec) -> str:
    """One alternation of every noise, record-start and heading pattern (``Grammar.special``)."""
    patterns = [p for n in spec.noise for p in n.patterns] + list(spec.record.start)
    patterns += [h for section in spec.sections for h in section.headings]
    return "|".join(f"(?:{p})" for p in patterns)


def compile_grammar(spec: GrammarSpec, path: Path) -> Grammar:
    """Compile a validated spec; cross-references (rule -> section) are checked here."""
    keys = [s.key for s in spec.sections]
    if len(set(keys)) != len(keys):
        raise GrammarError("grammar", f"{path}: sections: duplicate keys in {keys}")
    sections = []
    for number, rule in enumerate(spec.rules):
        for name in _sections_of(rule):
            if name not in keys:
                raise GrammarError(
                    "grammar", f"{path}: rules[{number}].section: no section {name!r}"
                )
    for section in spec.sections:
        rules = tuple(
            Rule(rule, compile_pattern(rule.pattern))
            for rule in spec.rules
            if section.key in _sections_of(rule)
        )
        sections.append(
            Section(
                spec=section,
                headings=tuple(compile_pattern(p) for p in section.headings),
                rules=rules,
                columns=tuple(compile_pattern(p) for p in section.table.columns)
                if section.table
                else (),
                item_start=compile_pattern(section.items.start) if section.items else None,
            )
        )
    noise = tuple(
        Noise(n.kind, compile_pattern(p), frozenset(n.sections), n.attach)
        for n in spec.noise
        for p in n.patterns
    )
    special = compile_pattern(special_source(spec))
    compiled = tuple(sections)
    return Grammar(
        spec=spec,
        path=path,
        # Detect patterns run once over the whole text: ^ and $ are line anchors there.
        detect=tuple(compile_pattern(p, regex.MULTILINE) for p in spec.detect.patterns),
        record_start=tuple(compile_pattern(p) for p in spec.record.start),
        noise=noise,
        sections=compiled,
        special=special,
        headings=_headings(compiled),
    )


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise GrammarError("grammar", f"{path}: {exc}") from None


def _validation_message(path: Path, exc: ValidationError) -> str:
    problems = []
    for error in exc.errors():
        key = ".".join(str(part) for part in error["loc"])
        problems.append(f"{key}: {error['msg']}")
    return f"{path}: " + "; ".join(problems)


def load_grammar(path: Path) -> Grammar:
    """Load, validate and compile one grammar file.

    >>> load_grammar(DEFAULT_GRAMMAR_DIR / "kpi_detail.toml").spec.layout
    'kpi_detail'
    """
    data = _read_toml(path)
    try:
        spec = GrammarSpec.model_validate(data)
    except ValidationError as exc:
        raise GrammarError("grammar", _validation_message(path, exc)) from None
    return compile_grammar(spec, path)


def load_grammars(directory: Path = DEFAULT_GRAMMAR_DIR) -> GrammarSet:
    """Load every grammar of ``directory`` in the order of its ``index.toml`` (cached).

    Cached by the directory, however it is passed. Keyed by the function's own arguments,
    ``load_grammars()`` (the converter's, before its workers fork) and
    ``load_grammars(DEFAULT_GRAMMAR_DIR)`` (the parser's) were two entries, and each worker
    compiled the grammars again on its first document (60 ms of its first chunk).

    >>> load_grammars() is load_grammars(DEFAULT_GRAMMAR_DIR)
    True
    """
    return _load_grammars(directory)


@cache
def _load_grammars(directory: Path) -> GrammarSet:
    index_path = directory / "index.toml"
    try:
        index = IndexSpec.model_validate(_read_toml(index_path))
    except ValidationError as exc:
        raise GrammarError("grammar", _validation_message(index_path, exc)) from None
    grammars = tuple(load_grammar(directory / f"{name}.toml") for name in index.order)
    return GrammarSet(directory, grammars)


def group_fields(groups: Mapping[str, str | None]) -> dict[str, str | None]:
    """Named groups of a match, without the engine's own (``inline``, ``index``).

    A dict without either (a ``groupdict()``, as a rule) is returned as it is, not copied.

    >>> group_fields({"inline": "x", "index": "2", "value": "80"})
    {'value': '80'}
    >>> groups = {"value": "80", "unit": None}
    >>> group_fields(groups) is groups
    True
    """
    if isinstance(groups, dict) and "inline" not in groups and "index" not in groups:
        return groups
    return {k: v for k, v in groups.items() if k not in ("inline", "index")}
