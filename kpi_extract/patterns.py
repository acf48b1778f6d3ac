"""Patterns compiled by the engine that runs them fastest and reads them the same.

Grammars are written in the syntax of the ``regex`` module and mean what it reads; so are
the parser's own patterns (numbers, units, converters) compiled here. Most patterns use
nothing the standard library's ``re`` lacks, and ``re`` runs a search in
fewer instructions: a search that fails on a short line in 1,300 instead of 2,300, one
over a 90-character Thai line in 8,300 instead of 13,200 (valgrind). A pattern goes to
``re`` only where ``re`` reads it as ``regex`` does:

- ``\\d``, ``\\s`` and ``\\p{Thai}`` are written out as the sets ``regex`` reads
  (:data:`DIGITS`, :data:`SPACES`, :data:`THAI`): ``regex`` knows a newer Unicode, with 110
  more decimal digits, ``re``'s ``\\s`` also takes U+001C to U+001F, which a dump
  may keep (see :mod:`kpi_extract.decode`), and ``re`` has no Unicode properties;
- a pattern with anything else whose meaning differs, or that ``re`` does not have, stays
  with ``regex``: ``\\w`` and ``\\b`` (Thai vowel and tone marks are word characters to
  ``regex`` only), fuzzy matching (``{e<=1}``, which ``re`` reads as text), inline flags,
  flags, sets in sets and set operations, other Unicode properties and every escape outside
  :data:`_SAME_ESCAPES`, group forms outside :data:`_SAME_GROUPS`;
- what is left must compile in ``re`` without a warning.

``tests/test_patterns.py`` checks the written-out sets against ``regex`` over every code
point, and both engines against each other on every line of the samples (and of the real
dumps, when present) for every pattern of the shipped grammars, and on generated lines.
"""

from __future__ import annotations

import re
import warnings
from typing import Final

import regex

#: A compiled grammar pattern, of either engine (both have the methods the parser calls).
Pattern = re.Pattern[str] | regex.Pattern[str]
#: A match of a :data:`Pattern`.
Match = re.Match[str] | regex.Match[str]


def _set_body(ranges: tuple[tuple[int, int], ...]) -> str:
    # The characters themselves, not escapes, which re parses 10 times slower (no range
    # includes a character a set reads otherwise: ``\\``, ``]``, ``^``, ``-``).
    return "".join(chr(a) if a == b else f"{chr(a)}-{chr(b)}" for a, b in ranges)


#: The decimal digits ``regex`` reads as ``\d`` and ``re`` (Python 3.11's Unicode) does not,
#: as ranges of code points: ``\d`` is written out as ``re``'s ``\d`` and these, which
#: compiles in 0.2 ms (every digit listed took 1 ms, for each ``\d`` of every grammar).
DIGITS_BEYOND_RE: Final = (
    (0x10D40, 0x10D49), (0x116D0, 0x116E3), (0x11BF0, 0x11BF9), (0x11DE0, 0x11DE9),
    (0x11F50, 0x11F59), (0x16130, 0x16139), (0x16D70, 0x16D79), (0x1CCF0, 0x1CCF9),
    (0x1E4F0, 0x1E4F9), (0x1E5F1, 0x1E5FA),
)  # fmt: skip
#: What ``\s`` matches in ``regex`` (Unicode's White_Space), as ranges of code points.
SPACE_RANGES: Final = (
    (0x9, 0xD), (0x20, 0x20), (0x85, 0x85), (0xA0, 0xA0), (0x1680, 0x1680), (0x2000, 0x200A),
    (0x2028, 0x2029), (0x202F, 0x202F), (0x205F, 0x205F), (0x3000, 0x3000),
)  # fmt: skip
#: What ``\p{Thai}`` matches in ``regex`` (the Thai script), as ranges of code points.
THAI_RANGES: Final = ((0xE01, 0xE3A), (0xE40, 0xE5B))
DIGITS: Final = "\\d" + _set_body(DIGITS_BEYOND_RE)
SPACES: Final = _set_body(SPACE_RANGES)
THAI: Final = _set_body(THAI_RANGES)
#: The sets written out, by the escape ``regex`` reads as each.
_SETS: Final = {"\\d": DIGITS, "\\s": SPACES, "\\p{Thai}": THAI}
_NEGATED: Final = {"\\D": DIGITS, "\\S": SPACES, "\\P{Thai}": THAI}

#: Escapes that mean the same in both engines, kept as written (digits: back-references and
#: octal escapes). Any other letter, ``\w`` and ``\b`` among them, leaves a pattern to regex.
_SAME_ESCAPES: Final = frozenset("AZafnrtvxuU0123456789")
#: Group openings that mean the same in both engines (after the ``(``).
_SAME_GROUPS: Final = ("?:", "?=", "?!", "?<=", "?<!", "?P<", "?P=", "?>", "?#")
#: A counted repetition ``re`` reads as ``regex`` does; any other ``{`` (fuzzy matching,
#: a literal brace) leaves a pattern to regex.
_REPEAT_RE: Final = re.compile(r"\{(?:[0-9]+(?:,[0-9]*)?|,[0-9]+)\}")


def _escape(pattern: str, i: int, in_set: bool) -> tuple[str, int] | None:
    """The escape at ``pattern[i]`` (a backslash) as ``re`` reads it, and its length.

    None if ``re`` may read it otherwise (a negated class in a set is left to ``regex``).
    """
    for escape, body in _SETS.items():
        if pattern.startswith(escape, i):
            return (body if in_set else f"[{body}]"), len(escape)
    for escape, body in _NEGATED.items():
        if pattern.startswith(escape, i):
            return None if in_set else (f"[^{body}]", len(escape))
    if i + 1 >= len(pattern):
        return None
    char = pattern[i + 1]
    if char.isascii() and char.isalnum() and char not in _SAME_ESCAPES:
        return None  # \w \b \X \N, other properties ...
    return pattern[i : i + 2], 2


def standard_form(pattern: str) -> str | None:
    """``pattern`` written for ``re`` to read as ``regex`` (VERSION0) does, or None if unsure.

    >>> standard_form(r"^ผล\\s*(?P<v>[0-9.]+)$") == f"^ผล[{SPACES}]*(?P<v>[0-9.]+)$"
    True
    >>> standard_form(r"[^\\d:]{2,}") == f"[^{DIGITS}:]{{2,}}"
    True
    >>> [standard_form(p) for p in (r"\\bคำ", r"(?:คำนิยาม){e<=1}", r"(?i)kpi", r"[[:alpha:]]")]
    [None, None, None, None]
    """
    out: list[str] = []
    i, n = 0, len(pattern)
    in_set = False
    while i < n:
        char = pattern[i]
        if char == "\\":
            escaped = _escape(pattern, i, in_set)
            if escaped is None:
                return None
            out.append(escaped[0])
            i += escaped[1]
            continue
        if in_set:
            if char == "[":
                return None  # a set in a set, a POSIX class
            in_set = char != "]"
            out.append(char)
            i += 1
            continue
        if char == "[":
            start = i + 1 + (pattern.startswith("^", i + 1))
            if pattern.startswith("]", start):  # a ``]`` first is itself
                start += 1
            out.append(pattern[i:start])
            in_set, i = True, start
            continue
        if char == "(" and pattern.startswith("?", i + 1):
            if not pattern.startswith(_SAME_GROUPS, i + 1):
                return None  # inline flags, (?<name>, (?|, (?R), conditions...
        elif char == "{":
            repeat = _REPEAT_RE.match(pattern, i)
            if repeat is None:
                return None
            out.append(repeat[0])
            i = repeat.end()
            continue
        out.append(char)
        i += 1
    return None if in_set else "".join(out)


def regex_compiled(pattern: str, flags: int = 0) -> regex.Pattern[str]:
    """``pattern`` compiled by ``regex``: under ``VERSION1`` if it is fuzzy, else ``VERSION0``.

    Raises ``regex.error`` for a pattern ``regex`` refuses (what validating a grammar asks).
    """
    version = regex.VERSION1 if "{e<=" in pattern else regex.VERSION0
    return regex.compile(pattern, flags | version)


def compile_pattern(pattern: str, flags: int = 0) -> Pattern:
    """``pattern`` (``regex`` syntax) compiled by ``re`` if it reads it the same, else ``regex``.

    Raises ``regex.error`` for a pattern ``regex`` refuses, whichever engine runs it.
    A pattern with fuzzy matching is compiled under ``regex.VERSION1``, others ``VERSION0``.
    """
    compiled = regex_compiled(pattern, flags)
    form = None if flags else standard_form(pattern)
    if form is None:
        return compiled
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            return re.compile(form)
    except (re.error, Warning):  # a nested set re warns about, a form re lacks
        return compiled
