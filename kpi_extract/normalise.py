"""Stage 2: normalise decoded Thai text, line by line, without ever joining or splitting lines.

The steps run in this order (each is a small named function with its own doctest):

1. :func:`remove_zero_width`      ZWSP, ZWNJ, ZWJ, word joiner, soft hyphen, stray BOM removed
2. :func:`normalise_spaces`       NBSP and other space characters -> space; line-breaking
                                  characters other than LF (U+2028, NEL, VT, FF) -> space
3. :func:`thai_digits_to_arabic`  ๐-๙ -> 0-9
4. :func:`compose_sara_am`        nikhahit + sara aa (U+0E4D U+0E32) -> sara am (U+0E33)
5. :func:`drop_stray_sara_aa`     sara am + sara aa (``ทำางาน``) -> sara am (``ทำงาน``)
6. :func:`merge_double_sara_e`    sara e + sara e (U+0E40 U+0E40) -> sara ae (U+0E41)
7. :func:`collapse_repeated_marks`  a vowel or tone mark typed twice in a row -> once
8. :func:`strip_trailing_spaces`  spaces and tabs at line ends removed

Unicode NFKC is never applied: it decomposes sara am. Damage that cannot be repaired is not
changed but reported as a :class:`~kpi_extract.diagnostics.Diagnostic` with its line:
``lost_character`` (a ``?`` where the exporter lost a character) and ``truncated_field``
(a field cut off and marked with ``%``), ``replacement_character`` (U+FFFD left by decoding).

Where pythainlp is used and why not elsewhere: :func:`thai_digits_to_arabic` keeps
pythainlp's mapping but uses ``str.replace`` (speed; a test compares the two).
``pythainlp.util.normalize`` is not used: it collapses spaces and newlines (line numbers would
move) and rewrites follow vowels; its ``remove_zw`` misses ZWJ, word joiner and soft hyphen.

>>> normalise("ทำางาน\\u00a0๒๕๖๔ \\n").text
'ทำงาน 2564\\n'
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final

import regex

from kpi_extract.diagnostics import Diagnostic
from kpi_extract.patterns import compile_pattern

_ZERO_WIDTH: Final = "\u200b\u200c\u200d\u2060\u00ad\ufeff"
_ZERO_WIDTH_RE: Final = re.compile(f"[{_ZERO_WIDTH}]")
# Every space separator but the ASCII one, and the line breakers that are not LF: what
# ``\s`` matches but LF, TAB, space and \x1c-\x1f (controls, counted by decode), listed
# (5 times faster than a negated ``\S``; a test compares the two over every code point).
_SPACES_RE: Final = re.compile(
    "[\r\x0b\x0c\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
)
_THAI_DIGIT_PAIRS: Final = tuple((chr(0x0E50 + d), str(d)) for d in range(10))
# Nikhahit, any tone marks, sara aa: the decomposed spelling of sara am.
_DECOMPOSED_SARA_AM_RE: Final = re.compile("\u0e4d([\u0e48-\u0e4b]*)\u0e32")
_STRAY_SARA_AA_RE: Final = re.compile("\u0e33\u0e32+")
_DOUBLE_SARA_E_RE: Final = re.compile("\u0e40\u0e40")
# Above and below vowels, tone marks and signs (mai han-akat .. yamakkan), repeated.
_REPEATED_MARK_RE: Final = re.compile("([\u0e31\u0e34-\u0e3a\u0e47-\u0e4e])\\1+")


def has_any(text: str, characters: str) -> bool:
    """Whether any of ``characters`` occurs in ``text``.

    Steps that run on every document but rarely change anything test for their characters
    first: a search per character (``in``, in C) is cheaper than the step's pattern going
    through the text character by character (3,400 characters of Thai: the zero-width step
    12 -> 1 µs, sara am 2.9 -> 0.3 µs). Only where the searches are cheap: in Thai text (two
    bytes a character) a search for two characters, or for one whose low byte is common
    (U+2000, the C0 controls), takes about 4 µs, more than some patterns.
    """
    return any(character in text for character in characters)


# A ``?`` touching Thai text or standing alone between words: a character the exporter lost.
_LOST_CHARACTER_RE: Final = compile_pattern(r"(?<=\p{Thai})\?|\?(?=\p{Thai})|(?<=\s)\?(?=\s)")
# A field cut off by the exporter ends in ``%`` right after Thai text: ``ระบบง%``.
_TRUNCATED_FIELD_RE: Final = regex.compile(r"\p{Thai}%[ \t]*$", regex.MULTILINE)


def remove_zero_width(text: str) -> tuple[str, int]:
    """Remove zero-width and invisible formatting characters.

    >>> remove_zero_width("ตัว\\u200bชี้วัด\\u00ad")
    ('ตัวชี้วัด', 2)
    """
    return _ZERO_WIDTH_RE.subn("", text) if has_any(text, _ZERO_WIDTH) else (text, 0)


def normalise_spaces(text: str) -> tuple[str, int]:
    """Turn NBSP and other space characters into a plain space, keeping LF and TAB.

    >>> normalise_spaces("ร้อยละ\\u00a0:\\u200a20")
    ('ร้อยละ : 20', 2)
    """
    return _SPACES_RE.subn(" ", text)


def thai_digits_to_arabic(text: str) -> tuple[str, int]:
    """Convert Thai digits to Arabic ones, even inside one number.

    Same mapping as pythainlp's ``thai_digit_to_arabic_digit`` (a test holds them equal),
    done with ``str.count`` and ``str.replace`` per digit: much faster on a 10 KB dump
    (pythainlp, and ``str.translate``, go character by character; counting with a pattern
    took 19 µs of 3,400 characters, ten counts 4), and this step runs on every document.

    >>> thai_digits_to_arabic("๕.๒.๑ เวลา 08.๓0")
    ('5.2.1 เวลา 08.30', 4)
    """
    total = 0
    for thai, arabic in _THAI_DIGIT_PAIRS:
        count = text.count(thai)
        if count:
            text = text.replace(thai, arabic)
            total += count
    return text, total


def compose_sara_am(text: str) -> tuple[str, int]:
    """Compose a decomposed sara am, moving a tone mark typed in between before it.

    >>> compose_sara_am("ทํางาน น\\u0e4d\\u0e49\\u0e32")
    ('ทำงาน น้ำ', 2)
    """
    return _DECOMPOSED_SARA_AM_RE.subn("\\1\u0e33", text) if has_any(text, "\u0e4d") else (text, 0)


def drop_stray_sara_aa(text: str) -> tuple[str, int]:
    """Drop the sara aa typed after a sara am, which never occurs in correct Thai.

    >>> drop_stray_sara_aa("การทำางานของกรุงเทพมหานคร")
    ('การทำงานของกรุงเทพมหานคร', 1)
    """
    return _STRAY_SARA_AA_RE.subn("\u0e33", text)


def merge_double_sara_e(text: str) -> tuple[str, int]:
    """Merge two sara e typed for one sara ae.

    >>> merge_double_sara_e("เเผนพัฒนา")
    ('แผนพัฒนา', 1)
    """
    return _DOUBLE_SARA_E_RE.subn("\u0e41", text)


def collapse_repeated_marks(text: str) -> tuple[str, int]:
    """Keep one of a vowel or tone mark typed several times in a row.

    >>> collapse_repeated_marks("ที่่ ดีี")
    ('ที่ ดี', 2)
    """
    return _REPEATED_MARK_RE.subn("\\1", text)


def strip_trailing_spaces(text: str) -> tuple[str, int]:
    """Remove spaces and tabs at the end of every line.

    >>> strip_trailing_spaces("ตำแหน่ง  \\n.....\\t")
    ('ตำแหน่ง\\n.....', 2)
    """
    lines = text.split("\n")
    count = 0
    for number, line in enumerate(lines):
        stripped = line.rstrip(" \t")
        if stripped is not line:  # rstrip returns the same object when nothing went
            lines[number] = stripped
            count += 1
    return "\n".join(lines), count


Step = Callable[[str], tuple[str, int]]

#: The normalisation steps, in the order they run. The order matters: zero-width characters
#: go first so that a ZWSP between nikhahit and sara aa does not hide a decomposed sara am.
STEPS: Final[tuple[tuple[str, Step], ...]] = (
    ("remove_zero_width", remove_zero_width),
    ("normalise_spaces", normalise_spaces),
    ("thai_digits_to_arabic", thai_digits_to_arabic),
    ("compose_sara_am", compose_sara_am),
    ("drop_stray_sara_aa", drop_stray_sara_aa),
    ("merge_double_sara_e", merge_double_sara_e),
    ("collapse_repeated_marks", collapse_repeated_marks),
    ("strip_trailing_spaces", strip_trailing_spaces),
)


@dataclass(frozen=True, slots=True)
class Normalised:
    """Normalised text, how many changes each step made, and unrepairable damage found."""

    text: str
    changes: dict[str, int] = field(default_factory=dict)
    warnings: tuple[Diagnostic, ...] = ()


def normalise_text(text: str) -> str:
    """Apply every step in order and return the text only.

    >>> normalise_text("เป้าหมายที่ ๕.๒.๑")
    'เป้าหมายที่ 5.2.1'
    """
    for _name, step in STEPS:
        text, _count = step(text)
    return text


def normalise(text: str) -> Normalised:
    """Apply every step in order; count the changes; report damage that stays.

    >>> result = normalise("โควิด ? 19\\nโดยการใช้ระบบง%\\n")
    >>> [(w.code, w.line) for w in result.warnings]
    [('lost_character', 1), ('truncated_field', 2)]
    """
    changes: dict[str, int] = {}
    for name, step in STEPS:
        text, count = step(text)
        if count:
            changes[name] = count
    return Normalised(text, changes, tuple(find_damage(text)))


def find_damage(text: str) -> list[Diagnostic]:
    """Report damage that normalisation cannot repair, one diagnostic per line and kind.

    >>> find_damage("ในหัวข้อ ?บทบาทหน้าที่?\\n")
    [Diagnostic(code='lost_character', message="2 '?' standing for lost characters", line=1)]
    """
    found: list[Diagnostic] = []
    if "?" not in text and "%" not in text and "\ufffd" not in text:
        return found
    for number, line in enumerate(text.split("\n"), start=1):
        if "?" not in line and "%" not in line and "\ufffd" not in line:
            continue
        lost = len(_LOST_CHARACTER_RE.findall(line))
        if lost:
            message = f"{lost} '?' standing for lost characters"
            found.append(Diagnostic("lost_character", message, number))
        if _TRUNCATED_FIELD_RE.search(line):
            message = "field truncated by the exporter (ends in '%')"
            found.append(Diagnostic("truncated_field", message, number))
        if "\ufffd" in line:
            message = "U+FFFD: bytes that could not be decoded"
            found.append(Diagnostic("replacement_character", message, number))
    return found
