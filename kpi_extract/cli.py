"""Command line: a thin layer over the library. Only this module exits the process."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

from kpi_extract import __version__
from kpi_extract.errors import KpiExtractError
from kpi_extract.parse import parse_file
from kpi_extract.textreport import report_file

EXIT_OK = 0
EXIT_INPUT_REFUSED = 1
EXIT_USAGE = 2


def _iter_files(inputs: Sequence[str]) -> Iterator[Path]:
    for name in inputs:
        path = Path(name)
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*") if p.is_file() and p.suffix == ".txt")
        else:
            yield path


def _cmd_report(args: argparse.Namespace) -> int:
    for path in _iter_files(args.inputs):
        print(report_file(path).render())
    return EXIT_OK


def _cmd_parse(args: argparse.Namespace) -> int:
    code = EXIT_OK
    indent = 2 if args.pretty else None
    for path in _iter_files(args.inputs):
        try:
            result = parse_file(path, fiscal_year=args.fiscal_year)
        except (KpiExtractError, OSError) as exc:
            reason = getattr(exc, "code", "unreadable")
            print(f"kpi-extract: {path}: refused [{reason}] {exc}", file=sys.stderr)
            code = EXIT_INPUT_REFUSED
            continue
        for item in [*result.records, *result.errors]:
            print(item.model_dump_json(indent=indent))
        if result.errors:
            code = EXIT_INPUT_REFUSED
    return code


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser of ``kpi-extract``."""
    parser = argparse.ArgumentParser(
        prog="kpi-extract",
        description="Thai KPI and project report dumps -> validated tables.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    report = commands.add_parser(
        "report", help="decoding and normalisation report of each dump (files or folders)"
    )
    report.add_argument("inputs", nargs="+", help="files, or folders searched for *.txt")
    report.set_defaults(run=_cmd_report)
    parse = commands.add_parser(
        "parse",
        help="parse dumps into records, printed as JSON Lines",
        description="Print one JSON object per record. Exit 0 when every file parsed, "
        "1 when a file was refused (reason on stderr) or a record failed validation "
        "(printed with record_type 'error'), 2 on a usage error.",
    )
    parse.add_argument("inputs", nargs="+", help="files, or folders searched for *.txt")
    parse.add_argument("--pretty", action="store_true", help="indented JSON, for people")
    parse.add_argument(
        "--fiscal-year", type=int, metavar="BE", help="fiscal year (BE) where a dump states none"
    )
    parse.set_defaults(run=_cmd_parse)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``kpi-extract``; return the exit code (the console script exits with it)."""
    args = build_parser().parse_args(argv)
    code: int = args.run(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
