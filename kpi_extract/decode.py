"""Stage 1: bytes -> text, with the encoding used and warnings.

Accepted: UTF-8 (with or without BOM), UTF-16/UTF-32 with BOM, UTF-16 without BOM when the
bytes leave no doubt (Thai code units ``xx 0E``), and legacy Windows-874 / TIS-620, decoded as
Python's ``cp874`` (a superset of TIS-620; Python's ``tis-620`` codec maps 0x80-0x9F to
invisible controls). Line ends CRLF and lone CR become LF. A *line* is what ends in LF: the
number of lines never changes here, so line numbers stay valid for provenance.

Anything else raises :class:`~kpi_extract.errors.DecodeError` with a stable code:

========================  ==========================================================
code                      meaning
========================  ==========================================================
``empty``                 zero bytes
``binary``                NUL bytes or control characters: not a text dump
``mixed_encoding``        lines in UTF-8 and lines in cp874 in one file
``undecodable``           neither UTF-8 nor cp874 (bytes cp874 does not define)
``not_thai``              decodes as cp874, but the result is not Thai text
========================  ==========================================================

>>> decode_bytes("ไตรมาสที่ 1\\r\\n".encode("cp874")).encoding
'cp874'
>>> decode_bytes(b"\\xef\\xbb\\xbfA\\rB").text
'A\\nB'
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Final

from kpi_extract.diagnostics import Diagnostic
from kpi_extract.errors import DecodeError

_BOMS: Final = (
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)
# C0 controls that never occur in a text dump (TAB, LF, VT, FF, CR are allowed).
_CONTROL_RE: Final = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
# The same characters as bytes (each is one byte in UTF-8 and cp874).
_CONTROL_BYTES: Final = bytes(b for b in range(0x80) if _CONTROL_RE.match(chr(b)))
# Thai combining marks (vowels above/below, tone marks, signs) and the Thai consonants.
_THAI_MARK_RE: Final = re.compile(r"[\u0e31\u0e34-\u0e3a\u0e47-\u0e4e]+")
_THAI_CONSONANT_RE: Final = re.compile(r"[\u0e01-\u0e2e]")
_THAI_RE: Final = re.compile(r"[\u0e01-\u0e5b]+")
_NEWLINE_RE: Final = re.compile(r"\r\n?")
_BYTE_LINE_RE: Final = re.compile(rb"\r\n|\r|\n")
# A Thai character in UTF-8 (U+0E00-U+0E7F). A dump without one has no UTF-8 Thai line, and
# its lines need not be classified one by one (decoding a cp874 dump 530 -> 250 µs).
_UTF8_THAI_RE: Final = re.compile(rb"\xe0[\xb8\xb9][\x80-\xbf]")
# A control character is tolerated as damage below this share of all characters.
_MAX_CONTROL_SHARE: Final = 0.001
# cp874 text is taken as Thai when at most this share of its Thai marks follow no consonant.
_MAX_ORPHAN_MARK_SHARE: Final = 0.05
# A non-UTF-8 line with this many Thai characters in cp874 is a cp874 line, not damage.
_MIN_THAI_IN_LEGACY_LINE: Final = 3


@dataclass(frozen=True, slots=True)
class Decoded:
    """Decoded text, the encoding it was read with, and what was noticed on the way."""

    text: str
    encoding: str
    warnings: tuple[Diagnostic, ...] = field(default=())

    @property
    def line_count(self) -> int:
        """Number of lines: LF-terminated ones plus an unterminated last line."""
        return count_lines(self.text)


def count_lines(text: str) -> int:
    """Count lines the way every stage does: split on LF only.

    >>> count_lines(""), count_lines("a"), count_lines("a\\n"), count_lines("a\\n\\nb")
    (0, 1, 1, 3)
    """
    if not text:
        return 0
    return text.count("\n") + (0 if text.endswith("\n") else 1)


def decode_bytes(data: bytes, *, source: str | None = None) -> Decoded:
    """Decode one dump; raise :class:`DecodeError` when it is not a supported text.

    >>> d = decode_bytes("ผลงาน\\n".encode("utf-8"))
    >>> d.text, d.encoding
    ('ผลงาน\\n', 'utf-8')
    >>> decode_bytes(b"")
    Traceback (most recent call last):
    kpi_extract.errors.DecodeError: empty input (0 bytes)
    """
    if not data:
        raise DecodeError("empty", "empty input (0 bytes)", source=source)
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return _finish(_strict(data, encoding, source), encoding, [], source)
    # Thai in UTF-16 has 0x0E high bytes; text in UTF-8 or cp874 has no 0x0E byte (a control
    # character): one search in C spares slicing every dump twice (7 µs for 11 KB).
    pairs = (("utf-16-le", data[1::2]), ("utf-16-be", data[0::2])) if 0x0E in data else ()
    for encoding, thai_high in pairs:
        if _looks_utf16(data, thai_high):
            note = Diagnostic("utf16_without_bom", f"decoded as {encoding} without a BOM")
            return _finish(_strict(data, encoding, source), encoding, [note], source)
    try:
        return _finish(data.decode("utf-8"), "utf-8", [], source, data)
    except UnicodeDecodeError as exc:
        # Where and why, not the exception: kept past this block, it would hold this frame
        # through its traceback and the frame would hold it, a cycle only the collector frees.
        start, reason = exc.start, exc.reason
    if start >= len(data) - 3 and reason == "unexpected end of data":
        note = Diagnostic(
            "truncated_character",
            f"input ends inside a UTF-8 character ({len(data) - start} byte(s) dropped)",
            data.count(b"\n", 0, start) + 1,
        )
        kept = data[:start]
        return _finish(kept.decode("utf-8"), "utf-8", [note], source, kept)
    if not _UTF8_THAI_RE.search(data):  # no line is UTF-8 Thai: cp874 or refused
        return _cp874(data, source)
    utf8_lines, cp874_lines, damaged_lines = _classify_lines(data)
    if utf8_lines and cp874_lines:
        raise DecodeError(
            "mixed_encoding",
            f"lines {_show(utf8_lines)} are UTF-8 Thai but lines {_show(cp874_lines)} are "
            "cp874 Thai",
            source=source,
        )
    if utf8_lines:
        notes = [
            Diagnostic("invalid_utf8", "bytes not valid in UTF-8 replaced by U+FFFD", n)
            for n in damaged_lines
        ]
        return _finish(data.decode("utf-8", "replace"), "utf-8", notes, source, data)
    return _cp874(data, source)


def _cp874(data: bytes, source: str | None) -> Decoded:
    text = _strict(data, "cp874", source)
    _refuse_not_thai(data, source)
    return _finish(text, "cp874", [], source, data)


def _show(numbers: list[int]) -> str:
    shown = ", ".join(map(str, numbers[:5]))
    return shown + (f" (+{len(numbers) - 5} more)" if len(numbers) > 5 else "")


def _strict(data: bytes, encoding: str, source: str | None) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        code = "binary" if b"\x00" in data else "undecodable"
        raise DecodeError(
            code,
            f"not valid {encoding}: byte 0x{data[exc.start]:02x} at offset {exc.start}",
            source=source,
        ) from None


def _looks_utf16(data: bytes, high: bytes) -> bool:
    """Thai or ASCII UTF-16 text: every high byte is 0x00 or 0x0E, some are 0x0E."""
    if len(data) < 4 or len(data) % 2:
        return False
    thai = high.count(0x0E)
    return thai > 0 and thai + high.count(0) == len(high) and data.count(0) == high.count(0)


def _count(runs: re.Pattern[str], text: str) -> int:
    """Characters of ``text`` in the runs ``runs`` (a character class, repeated) matches.

    Counting runs, not characters one by one, is 6 times faster on a Thai dump: each
    character matched alone was a string object.
    """
    return sum(map(len, runs.findall(text)))


def _classify_lines(data: bytes) -> tuple[list[int], list[int], list[int]]:
    """Line numbers of UTF-8 Thai lines, of cp874 Thai lines, and of other non-UTF-8 lines."""
    utf8_thai: list[int] = []
    cp874_thai: list[int] = []
    damaged: list[int] = []
    for number, raw in enumerate(_BYTE_LINE_RE.split(data), start=1):
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError:
            damaged_utf8 = raw.decode("utf-8", "replace")
            utf8_thai_chars = _count(_THAI_RE, damaged_utf8)
            legacy_thai_chars = _count(_THAI_RE, raw.decode("cp874", "replace"))
            if utf8_thai_chars < damaged_utf8.count("\ufffd") and (
                legacy_thai_chars >= _MIN_THAI_IN_LEGACY_LINE
            ):
                cp874_thai.append(number)
            else:
                damaged.append(number)
            continue
        if _THAI_RE.search(line):
            utf8_thai.append(number)
    return utf8_thai, cp874_thai, damaged


def _byte_classes() -> tuple[bytes, bytes, bytes]:
    """Each byte's class in cp874, the bytes of the Thai marks and of the Thai characters.

    Classes: ``M`` a Thai mark, ``C`` a consonant, ``O`` any other (as the patterns read).
    """
    classes, marks, thai = bytearray(b"O" * 256), bytearray(), bytearray()
    for byte in range(256):
        char = bytes([byte]).decode("cp874", "ignore")
        if char and _THAI_MARK_RE.fullmatch(char):
            classes[byte] = ord("M")
            marks.append(byte)
        elif char and _THAI_CONSONANT_RE.fullmatch(char):
            classes[byte] = ord("C")
        if char and _THAI_RE.fullmatch(char):
            thai.append(byte)
    return bytes(classes), bytes(marks), bytes(thai)


_CP874_CLASSES, _CP874_MARKS, _CP874_THAI = _byte_classes()
_HIGH_BYTES: Final = bytes(range(0x80, 0x100))


def _refuse_not_thai(data: bytes, source: str | None) -> None:
    """Refuse a dump that decodes as cp874 but is not Thai text.

    Counted on the bytes, one to one with the characters in a single-byte encoding:
    ``bytes.translate`` and ``bytes.count`` run in C over the whole dump, where patterns
    over the text made a string of every run of marks (a cp874 dump: 200 -> 9 µs).
    A mark follows no consonant where a byte of class ``M`` follows one of class ``O``.
    """
    marks = len(data) - len(data.translate(None, _CP874_MARKS))
    classes = data.translate(_CP874_CLASSES)
    orphans = classes.count(b"OM") + classes.startswith(b"M")
    thai = len(data) - len(data.translate(None, _CP874_THAI))
    non_ascii = len(data) - len(data.translate(None, _HIGH_BYTES))
    if thai < non_ascii / 2 or (marks and orphans / marks > _MAX_ORPHAN_MARK_SHARE):
        raise DecodeError(
            "not_thai",
            f"decodes as cp874 but is not Thai text ({thai} Thai characters, "
            f"{orphans} of {marks} Thai marks follow no consonant)",
            source=source,
        )


def _finish(
    text: str,
    encoding: str,
    notes: list[Diagnostic],
    source: str | None,
    single: bytes | None = None,
) -> Decoded:
    """Refuse binary text, note control characters, drop a BOM, make every line end LF.

    ``single``: the bytes ``text`` was decoded from, when each control character in it is
    one byte of them (UTF-8, where no byte below 0x80 is part of another character, and
    cp874): they are counted there, 11 KB in 1 µs instead of 11 with a pattern.
    """
    if single is not None:
        controls = len(single) - len(single.translate(None, _CONTROL_BYTES))
    else:
        controls = len(_CONTROL_RE.findall(text))
    if "\x00" in text or controls > max(1, len(text) * _MAX_CONTROL_SHARE):
        raise DecodeError(
            "binary",
            f"{controls} control or NUL characters: not a text dump ({encoding})",
            source=source,
        )
    if controls:
        notes.append(Diagnostic("control_characters", f"{controls} control character(s) kept"))
    if text.startswith("\ufeff"):
        text = text[1:]
    return Decoded(_NEWLINE_RE.sub("\n", text), encoding, tuple(notes))
