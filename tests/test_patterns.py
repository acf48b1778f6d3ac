"""Grammar patterns run by ``re`` where it reads them as ``regex`` does, and find the same."""

from __future__ import annotations

import re
from functools import cache

import pytest
import regex
from hypothesis import given, settings
from hypothesis import strategies as st

from kpi_extract.grammar import load_grammars, special_source
from kpi_extract.patterns import (
    DIGITS,
    SPACES,
    THAI,
    Match,
    Pattern,
    compile_pattern,
    standard_form,
)
from tests.conftest import corpus_lines

#: Every code point but the surrogates, which no str of a decoded dump holds.
ALL_CODE_POINTS = "".join(chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF)


@pytest.mark.parametrize(
    ("escape", "written_out"),
    [
        (r"\d", f"[{DIGITS}]"),
        (r"\s", f"[{SPACES}]"),
        (r"\D", f"[^{DIGITS}]"),
        (r"\S", f"[^{SPACES}]"),
        (r"\p{Thai}", f"[{THAI}]"),
        (r"\P{Thai}", f"[^{THAI}]"),
    ],
)
def test_written_out_sets_are_what_regex_reads(escape: str, written_out: str) -> None:
    # Fails when a new release of regex knows more of Unicode: write the sets out again.
    expected = [m.span() for m in regex.finditer(escape + "+", ALL_CODE_POINTS)]
    assert [m.span() for m in re.finditer(written_out + "+", ALL_CODE_POINTS)] == expected


def test_the_engines_differ_on_what_the_sets_are_written_out_for() -> None:
    # Why they are written out: re alone takes U+001C as a space; regex alone knows Garay
    # digits (Unicode 16) as digits.
    assert re.match(r"\s", "\x1c") and not regex.match(r"\s", "\x1c")
    assert regex.match(r"\d", "\U00010d40") and not re.match(r"\d", "\U00010d40")
    assert not compile_pattern(r"\s").match("\x1c")
    assert compile_pattern(r"\d").match("\U00010d40")


@pytest.mark.parametrize(
    "pattern",
    [
        r"^5\.?\s*เป้าหมาย\s*:(?P<inline>.*)$",
        r"^(?:ผลงาน|ผล)\s*[:=]\s*(?P<v>[0-9.,]+)\s*(?P<unit>\S+)?$",
        r"[^\d\s:]{2,}x{,3}",
        r"(?P<a>ก)(?P=a)(?=ข)(?<!ค)(?>ง+)",
        r"(\u0e01)\x41\U00000e02[\]\-]\.\*\1?(?#note)",
        r"(?<=\p{Thai})\?|[^\p{Thai}:]+\P{Thai}",
    ],
)
def test_patterns_re_reads_the_same_go_to_re(pattern: str) -> None:
    assert isinstance(compile_pattern(pattern), re.Pattern)


@pytest.mark.parametrize(
    "pattern",
    [
        r"\bคำ",  # Thai marks are word characters to regex only
        r"\wะ",
        r"(?:คำนิยาม){e<=1}",  # fuzzy: re would read the braces as text
        r"x{e}",
        r"(?i)kpi",  # inline flags: VERSION0 makes them global
        r"(?i:kpi)",
        r"[[:alpha:]]",  # a POSIX class, a set in a set
        r"[a&&b]",  # re warns of set operations
        r"\p{Han}+",  # escapes re does not have
        r"\p{thai}",  # property names regex reads in any case
        r"[\P{Thai}]",
        r"\X",
        r"\N{THAI CHARACTER KO KAI}",
        r"[\S:]",  # a negated class in a set
        r"(?<name>x)",  # forms of groups re lacks
        r"(?|(a)|(b))",
        r"(?<=\d+)x",  # a lookbehind of no fixed width
        r"(?P<a>x)|(?P<a>y)",  # a name used twice
    ],
)
def test_patterns_re_may_read_otherwise_stay_with_regex(pattern: str) -> None:
    assert isinstance(compile_pattern(pattern), regex.Pattern)


def test_flags_and_refused_patterns() -> None:
    assert isinstance(compile_pattern("^x", regex.MULTILINE), regex.Pattern)
    assert standard_form(r"a\\d") == r"a\\d"  # an escaped backslash, then a d
    with pytest.raises(regex.error):
        compile_pattern("(x")
    with pytest.raises(regex.error):
        compile_pattern("[ab")
    with pytest.raises(regex.error):
        compile_pattern(r"\p{NoSuchProperty}")


@cache
def _grammar_patterns() -> tuple[str, ...]:
    """The source of every pattern of the shipped grammars compiled by :func:`compile_pattern`."""
    out: list[str] = []
    for grammar in load_grammars():
        spec = grammar.spec
        out += spec.record.start
        out += [p for noise in spec.noise for p in noise.patterns]
        for section in spec.sections:
            out += section.headings
            out += section.table.columns if section.table else []
            out += [section.items.start] if section.items else []
        out += [rule.pattern for rule in spec.rules]
        out.append(special_source(spec))
    return tuple(dict.fromkeys(out))


def _outcome(match: Match | None) -> object:
    return None if match is None else (match.span(), match.groupdict(), match.lastgroup)


def _same_everywhere(compiled: Pattern, reference: regex.Pattern[str], lines: list[str]) -> None:
    for line in lines:
        for method in ("search", "match", "fullmatch"):
            got = _outcome(getattr(compiled, method)(line))
            assert got == _outcome(getattr(reference, method)(line)), (method, line)


def _reference(pattern: str) -> regex.Pattern[str]:
    return regex.compile(pattern, regex.VERSION1 if "{e<=" in pattern else regex.VERSION0)


def test_most_grammar_patterns_run_in_re() -> None:
    engines = [type(compile_pattern(p)) for p in _grammar_patterns()]
    assert len(engines) > 80
    assert engines.count(re.Pattern) / len(engines) > 0.9


def _run_by_re() -> list[str]:
    return [p for p in _grammar_patterns() if isinstance(compile_pattern(p), re.Pattern)]


@pytest.mark.parametrize("pattern", _run_by_re())
def test_grammar_patterns_find_what_regex_finds_on_every_line(pattern: str) -> None:
    lines = list(dict.fromkeys(corpus_lines()))
    _same_everywhere(compile_pattern(pattern), _reference(pattern), lines)


#: Characters the engines read otherwise in a bare ``\\s`` or ``\\d`` (and a few they agree on).
_ODD_SPACES = "\x1c\x1d\x1e\x1f\x85\xa0\u2003\u3000\u200b\t"
_ODD_DIGITS = "\u0e50\u0660\U00010d40\U0001e5f1\uff11"
_DIGIT_RE = re.compile("[0-9]")


@given(
    st.sampled_from(sorted({line for line in corpus_lines() if " " in line or "." in line})),
    st.sampled_from(_ODD_SPACES),
    st.sampled_from(_ODD_DIGITS),
    st.text(max_size=3),
)
@settings(max_examples=300, deadline=None)
def test_grammar_patterns_find_what_regex_finds_on_altered_lines(
    line: str, space: str, digit: str, inserted: str
) -> None:
    # A line of the corpus with its spaces, then its digits, swapped for characters the
    # engines may read otherwise, and with made-up text in front.
    spaced = line.replace(" ", space)
    altered = [spaced, _DIGIT_RE.sub(digit, line), _DIGIT_RE.sub(digit, spaced), inserted + line]
    for pattern in _run_by_re():
        _same_everywhere(compile_pattern(pattern), _reference(pattern), altered)


def _module_patterns() -> list[tuple[str, re.Pattern[str]]]:
    """The parser's own patterns that run in ``re`` (module constants ending in ``_RE``)."""
    from kpi_extract import convert, extract, normalise, values  # noqa: PLC0415
    from kpi_extract.audit import project_rules  # noqa: PLC0415

    return [
        (f"{module.__name__}.{name}", value)
        for module in (values, convert, extract, normalise, project_rules)
        for name, value in vars(module).items()
        if name.endswith("_RE") and isinstance(value, re.Pattern)
    ]


def test_the_parsers_own_patterns_run_in_re() -> None:
    names = {name.rsplit(".", 1)[1] for name, _ in _module_patterns()}
    assert {"_NUMBER_RE", "_STRATEGY_RE", "_TRAILING_UNIT_RE", "BEHIND_RE"} <= names


@pytest.mark.parametrize(
    "compiled", [p for _, p in _module_patterns()], ids=[n for n, _ in _module_patterns()]
)
def test_the_parsers_own_patterns_find_what_regex_finds(compiled: re.Pattern[str]) -> None:
    # Their written-out form, read by regex: the sets are checked above, the rest here.
    reference = regex.compile(compiled.pattern)
    lines = list(dict.fromkeys(corpus_lines()))
    lines += [line.replace(" ", odd) for line in lines[:300] for odd in _ODD_SPACES[:3]]
    _same_everywhere(compiled, reference, lines)
