"""Exceptions of kpi_extract, each with a stable machine-readable ``code``.

The ``code`` of an error is part of the public contract: it becomes the ``reason_code``
column of the quarantine table, so codes are never renamed, only added.

>>> err = DecodeError("binary", "NUL bytes found", source="a.txt")
>>> err.code, str(err)
('binary', 'a.txt: NUL bytes found')
"""

from __future__ import annotations


class KpiExtractError(Exception):
    """Base class of every error kpi_extract raises on purpose."""

    def __init__(self, code: str, message: str, *, source: str | None = None) -> None:
        self.code = code
        self.message = message
        self.source = source
        super().__init__(f"{source}: {message}" if source else message)


class DecodeError(KpiExtractError, ValueError):
    """Bytes that are not a text dump in a supported encoding.

    Codes: ``empty``, ``binary``, ``mixed_encoding``, ``undecodable``, ``not_thai``.
    """


class NumberParseError(KpiExtractError, ValueError):
    """Text that is not a number or a value-with-unit phrase.

    Codes: ``not_a_number``, ``bad_grouping``.
    """


class DateParseError(KpiExtractError, ValueError):
    """Text that is not a date, or a date that does not exist.

    Codes: ``not_a_date``, ``impossible_date``, ``unknown_month``.
    """


class GrammarError(KpiExtractError):
    """A grammar file that is malformed; names the file and the key. Code: ``grammar``."""


class LayoutError(KpiExtractError):
    """A text that is no known report layout, or holds no record.

    Codes: ``blank`` (whitespace only), ``unknown_layout``, ``no_records``.
    """


class DatasetLockedError(KpiExtractError):
    """Another run holds the output folder. Code: ``locked``."""


class OutputError(KpiExtractError):
    """The output folder cannot be written (read-only, full, not ours). Code: ``output``."""
