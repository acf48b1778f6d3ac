"""The decoding and normalisation report of one dump: what ``kpi-extract report`` prints."""

from __future__ import annotations

from dataclasses import dataclass

from kpi_extract.decode import count_lines, decode_bytes
from kpi_extract.diagnostics import Diagnostic
from kpi_extract.errors import DecodeError
from kpi_extract.normalise import normalise


@dataclass(frozen=True, slots=True)
class TextReport:
    """What decoding and normalising one file found."""

    path: str
    size: int
    encoding: str | None
    lines: int
    changes: dict[str, int]
    warnings: tuple[Diagnostic, ...]
    error: DecodeError | None = None

    def render(self) -> str:
        """Render as a few plain lines for a terminal or a log."""
        if self.error is not None:
            return f"{self.path}: REFUSED [{self.error.code}] {self.error.message}"
        changes = ", ".join(f"{k}={v}" for k, v in self.changes.items()) or "none"
        out = [
            f"{self.path}: {self.encoding}, {self.size} bytes, {self.lines} lines",
            f"  repairs: {changes}",
        ]
        out += [f"  warning: {w}" for w in self.warnings]
        return "\n".join(out)


def report_bytes(data: bytes, source: str) -> TextReport:
    """Decode and normalise one dump and report what was found; never raises on bad input."""
    try:
        decoded = decode_bytes(data, source=source)
    except DecodeError as exc:
        return TextReport(source, len(data), None, 0, {}, (), exc)
    result = normalise(decoded.text)
    return TextReport(
        path=source,
        size=len(data),
        encoding=decoded.encoding,
        lines=count_lines(result.text),
        changes=result.changes,
        warnings=decoded.warnings + result.warnings,
    )
