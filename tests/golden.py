"""Golden outputs of the samples: ``samples/<layout>/<case>.expected.json``.

``make golden`` rewrites them from the current parser (``python -m tests.golden``); review
the diff line by line against the sample text before committing it.
"""

from __future__ import annotations

import json
from pathlib import Path

from kpi_extract import parse_bytes
from tests.conftest import ROOT, SAMPLES


def sample_files() -> list[Path]:
    """Every sample dump, in a stable order."""
    return sorted(SAMPLES.glob("*/*.txt"))


def expected_path(sample: Path) -> Path:
    """Where the golden output of ``sample`` lives."""
    return sample.with_suffix(".expected.json")


def render(sample: Path) -> str:
    """The parser's output for ``sample`` as stable, readable JSON."""
    source = sample.relative_to(ROOT).as_posix()
    result = parse_bytes(sample.read_bytes(), source=source)
    document = {
        "layout": result.layout,
        "encoding": result.encoding,
        "noise": [{"line": line, "kind": kind} for line, kind in result.noise],
        "warnings": [
            {"code": w.code, "message": w.message, "line": w.line} for w in result.warnings
        ],
        "records": [r.model_dump(mode="json") for r in [*result.records, *result.errors]],
    }
    return json.dumps(document, ensure_ascii=False, indent=1) + "\n"


def unaccounted_lines(path: Path) -> list[int]:
    """Non-blank lines of ``path`` that are in no section, no noise, or unclassified."""
    result = parse_bytes(path.read_bytes(), source=path.name)
    text = path.read_bytes().decode(result.encoding or "utf-8").replace("\r\n", "\n")
    non_blank = {n for n, line in enumerate(text.split("\n"), start=1) if line.strip()}
    seen = {line for line, _ in result.noise}
    unclassified: set[int] = set()
    for record in result.records:
        seen |= {n.line for n in record.noise}
        for section in record.sections:
            seen |= set(section.lines) | {section.line_start}
        unclassified |= {w.line or 0 for w in record.warnings if w.code == "unclassified_line"}
    return sorted((non_blank - seen) | unclassified)


def main() -> None:
    """Rewrite every golden file."""
    for sample in sample_files():
        expected_path(sample).write_text(render(sample), encoding="utf-8")
        print(f"wrote {expected_path(sample).relative_to(ROOT)}")


if __name__ == "__main__":
    main()
