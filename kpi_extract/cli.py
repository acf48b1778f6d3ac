"""Command line: a thin layer over the library. Only this module exits the process."""

from __future__ import annotations

import argparse
import atexit
import os
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from functools import partial
from pathlib import Path
from typing import NoReturn

from kpi_extract import __version__
from kpi_extract.errors import DatasetLockedError, KpiExtractError, OutputError
from kpi_extract.inputs import InputError, archives_kept_open, iter_inputs, read_item
from kpi_extract.remote import is_url

# Each command imports what it needs when it runs (hence the PLC0415 exemptions below):
# ``parse`` of one file must start in well under a second, without pandas, pyarrow or Dask.

# Arrow allocates from jemalloc, unless the user chose: with its default, mimalloc, freed
# pages stayed mapped. 10,000 documents with --jobs 2: peak PSS of the process tree 340-350
# -> 295-310 MB at the same speed; the scan of the dataset-wide conflict check added 163 MB
# to the parent, 93 now. Read by Arrow when first loaded: here, before any command loads
# it. (Windows wheels have no jemalloc.)
if sys.platform != "win32":
    os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "jemalloc")

EXIT_OK = 0
EXIT_INPUT_REFUSED = 1
EXIT_USAGE = 2
EXIT_LOCKED = 3
EXIT_OUTPUT = 4
EXIT_NO_INPUT = 5


def _iter_files(inputs: Sequence[str]) -> Iterator[Path]:
    for name in inputs:
        path = Path(name)
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*") if p.is_file() and p.suffix == ".txt")
        else:
            yield path


def _dumps(name: str) -> list[tuple[str, Callable[[], bytes]]]:
    """The dumps ``name`` holds, each with how to read it.

    A file, a folder's ``*.txt``, or a URL's objects (:mod:`kpi_extract.remote`; OSError
    when it names none).
    """
    if not is_url(name):
        return [(str(path), path.read_bytes) for path in _iter_files([name])]
    return [(item.path, partial(read_item, item)) for item in iter_inputs([name])]


def _read_all(inputs: Sequence[str]) -> Iterator[tuple[str, bytes | OSError]]:
    """Each dump of ``inputs``, named, with its bytes or why they could not be read."""
    for name in inputs:
        try:
            dumps = _dumps(name)
        except OSError as exc:  # a bucket or prefix that cannot be looked at
            yield name, exc
            continue
        with archives_kept_open():  # a .zip object's directory read once, not once a member
            for source, read in dumps:
                try:
                    yield source, read()
                except OSError as exc:  # a file gone, a folder named as a file...
                    yield source, exc


def _cmd_report(args: argparse.Namespace) -> int:
    from kpi_extract.textreport import report_bytes  # noqa: PLC0415

    code = EXIT_OK
    for source, data in _read_all(args.inputs):
        if isinstance(data, OSError):
            print(f"{source}: REFUSED [unreadable] {data}")
            code = EXIT_INPUT_REFUSED
            continue
        print(report_bytes(data, source).render())
    return code


def _cmd_parse(args: argparse.Namespace) -> int:
    from kpi_extract.parse import parse_bytes  # noqa: PLC0415

    code = EXIT_OK
    indent = 2 if args.pretty else None
    for source, data in _read_all(args.inputs):
        try:
            if isinstance(data, OSError):
                raise data
            result = parse_bytes(data, source=source, fiscal_year=args.fiscal_year)
        except (KpiExtractError, OSError) as exc:
            reason = getattr(exc, "code", "unreadable")
            print(f"kpi-extract: {source}: refused [{reason}] {exc}", file=sys.stderr)
            code = EXIT_INPUT_REFUSED
            continue
        for item in [*result.records, *result.errors]:
            print(item.model_dump_json(indent=indent))
        if result.errors:
            code = EXIT_INPUT_REFUSED
    return code


def _refused(exc: Exception) -> int:
    """Report a run that could not go on; return its exit code."""
    if isinstance(exc, DatasetLockedError):
        print(f"kpi-extract: {exc}", file=sys.stderr)
        return EXIT_LOCKED
    if isinstance(exc, OutputError):
        print(f"kpi-extract: {exc} (the previous dataset is unchanged)", file=sys.stderr)
        return EXIT_OUTPUT
    print(f"kpi-extract: {exc}", file=sys.stderr)
    return EXIT_NO_INPUT


def _redact_key(args: argparse.Namespace) -> bytes | None:
    if not args.redact_persons:
        return None
    if args.redact_key_file is not None:
        key: bytes = Path(args.redact_key_file).read_bytes().strip()
    else:
        key = os.environ.get("KPI_EXTRACT_REDACT_KEY", "").encode()
    if not key:
        raise ValueError(
            "--redact-persons needs a key: --redact-key-file FILE or KPI_EXTRACT_REDACT_KEY"
        )
    return key


def _cmd_convert(args: argparse.Namespace) -> int:
    from kpi_extract.lean import without_numpy_or_pandas  # noqa: PLC0415

    if args.dask is None:  # Dask's own workers may want pandas; they are not ours to trim
        without_numpy_or_pandas()
    from kpi_extract.batch import convert  # noqa: PLC0415

    try:
        redact_key = _redact_key(args)
    except (ValueError, OSError) as exc:
        print(f"kpi-extract: {exc}", file=sys.stderr)
        return EXIT_USAGE
    bar = None
    if sys.stderr.isatty():
        from tqdm import tqdm  # noqa: PLC0415  (0.02 s to import, for a terminal only)

        bar = tqdm(unit="doc", desc="convert", file=sys.stderr)
    try:
        summary = convert(
            args.inputs,
            args.out,
            jobs=args.jobs,
            fiscal_year=args.fiscal_year,
            force=args.force,
            pattern=args.pattern,
            batch_size=args.batch_size,
            commit_every=args.commit_every,
            timeout=args.doc_timeout,
            redact_key=redact_key,
            dask=args.dask,
            progress=bar.update if bar is not None else None,
        )
    except (DatasetLockedError, OutputError, InputError) as exc:
        return _refused(exc)
    finally:
        if bar is not None:
            bar.close()
    print(summary.line())
    return EXIT_INPUT_REFUSED if args.strict and summary.quarantined else EXIT_OK


def _cmd_show(args: argparse.Namespace) -> int:
    import pandas as pd  # noqa: PLC0415

    from kpi_extract.schema import TABLES  # noqa: PLC0415
    from kpi_extract.store import Store  # noqa: PLC0415

    if args.table not in TABLES:
        print(
            f"kpi-extract: no table {args.table!r} (tables: {', '.join(TABLES)})", file=sys.stderr
        )
        return EXIT_USAGE
    names = TABLES[args.table].schema.names
    columns = args.columns.split(",") if args.columns else None
    unknown = [c for c in columns or [] if c not in names]
    if unknown:
        print(
            f"kpi-extract: {args.table} has no column {', '.join(map(repr, unknown))} "
            f"(columns: {', '.join(names)})",
            file=sys.stderr,
        )
        return EXIT_USAGE
    store = Store(args.dataset)
    if store.current_dir() is None:
        print(f"kpi-extract: {args.dataset} is not a dataset written by convert", file=sys.stderr)
        return EXIT_NO_INPUT
    table, count = store.head(args.table, columns, args.limit)
    with pd.option_context("display.max_columns", None, "display.width", 200):
        print(f"{args.table}: {count} rows")
        print(table.to_pandas().to_string(max_colwidth=40))
    return EXIT_OK


def _cmd_audit(args: argparse.Namespace) -> int:
    from kpi_extract.audit.dataset import audit_dataset  # noqa: PLC0415
    from kpi_extract.audit.report import (  # noqa: PLC0415
        KpiShares,
        Quoter,
        html_report,
        summary_text,
    )
    from kpi_extract.audit.summary import AuditSummary  # noqa: PLC0415
    from kpi_extract.store import Store  # noqa: PLC0415

    store = Store(args.dataset)
    if store.current_dir() is None:
        print(f"kpi-extract: {args.dataset} is not a dataset written by convert", file=sys.stderr)
        return EXIT_NO_INPUT
    if args.html is not None and not args.html.parent.is_dir():
        print(f"kpi-extract: no folder {args.html.parent} for the HTML report", file=sys.stderr)
        return EXIT_USAGE
    summary = AuditSummary(keep=max(args.top, args.html_limit if args.html else 0))
    try:
        changed = audit_dataset(store, summary)
    except (DatasetLockedError, OutputError) as exc:
        return _refused(exc)
    quoter = Quoter.for_findings(store, summary.worst)
    print(summary_text(summary, quoter, top=args.top))
    if not changed:
        print("(audit_findings unchanged)")
    if args.html is not None:
        title = f"kpi_extract audit of {args.dataset}"
        page = html_report(summary, KpiShares.read(store), quoter, title)
        try:
            args.html.write_text(page, encoding="utf-8")
        except OSError as exc:
            print(f"kpi-extract: cannot write the HTML report: {exc}", file=sys.stderr)
            return EXIT_OUTPUT
        print(f"wrote {args.html}")
    return EXIT_OK


def _cmd_synth(args: argparse.Namespace) -> int:
    from kpi_extract.synth import write_corpus  # noqa: PLC0415

    try:
        written = write_corpus(args.n, args.out, seed=args.seed)
    except OSError as exc:
        print(f"kpi-extract: cannot write the corpus to {args.out}: {exc}", file=sys.stderr)
        return EXIT_OUTPUT
    print(f"wrote {args.n} documents ({written / 1e6:.1f} MB) and their truth to {args.out}")
    return EXIT_OK


def _at_least(minimum: int) -> Callable[[str], int]:
    """An argparse type: an integer of at least ``minimum`` (a usage error otherwise)."""

    def integer(text: str) -> int:
        value = int(text)
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{value}: at least {minimum}")
        return value

    return integer


def _seconds(text: str) -> float:
    value = float(text)
    if not value > 0:  # NaN too
        raise argparse.ArgumentTypeError(f"{text}: a number of seconds above 0")
    return value


CONVERT_HELP = """exit codes:
  0  done (quarantined inputs are listed in the quarantine table)
  1  done, but --strict and some input was quarantined
  2  usage error
  3  another run is writing the output folder
  4  the output folder cannot be written (the previous dataset is left intact)
  5  an input does not exist or cannot be listed
"""


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser of ``kpi-extract``."""
    parser = argparse.ArgumentParser(
        prog="kpi-extract",
        description="Thai KPI and project report dumps -> validated tables.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    report = commands.add_parser(
        "report",
        help="decoding and normalisation report of each dump (files, folders or URLs)",
        description="One report per dump; a dump refused by decoding says why. Exit 0, "
        "or 1 when an input could not be read.",
    )
    report.add_argument(
        "inputs", nargs="+", help="files, folders searched for *.txt, or URLs (s3://...)"
    )
    report.set_defaults(run=_cmd_report)
    parse = commands.add_parser(
        "parse",
        help="parse dumps into records, printed as JSON Lines",
        description="Print one JSON object per record. Exit 0 when every file parsed, "
        "1 when a file was refused (reason on stderr) or a record failed validation "
        "(printed with record_type 'error'), 2 on a usage error.",
    )
    parse.add_argument(
        "inputs", nargs="+", help="files, folders searched for *.txt, or URLs (s3://...)"
    )
    parse.add_argument("--pretty", action="store_true", help="indented JSON, for people")
    parse.add_argument(
        "--fiscal-year", type=int, metavar="BE", help="fiscal year (BE) where a dump states none"
    )
    parse.set_defaults(run=_cmd_parse)
    conv = commands.add_parser(
        "convert",
        help="convert files, folders and .zip archives into a Parquet dataset",
        description="Convert report dumps into one Parquet dataset per table under --out. "
        "Safe to re-run: unchanged inputs are skipped, changed ones replace their rows.",
        epilog=CONVERT_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    conv.add_argument(
        "inputs", nargs="+", help="files, folders (recursive), .zip archives or URLs (s3://...)"
    )
    conv.add_argument("--out", required=True, type=Path, help="output folder of the dataset")
    conv.add_argument(
        "--jobs",
        type=_at_least(0),
        default=None,
        help="worker processes (default: cores, twice as many when an input is a URL; "
        "0: parse in this process, no time bound)",
    )
    conv.add_argument(
        "--fiscal-year", type=int, metavar="BE", help="fiscal year (BE) where a dump states none"
    )
    conv.add_argument("--force", action="store_true", help="re-parse every input")
    conv.add_argument(
        "--pattern", default="*.txt", help="file names read in folders and archives (*.txt)"
    )
    conv.add_argument("--strict", action="store_true", help="exit 1 when an input is quarantined")
    conv.add_argument(
        "--batch-size",
        type=_at_least(1),
        default=500,
        help="documents parsed per batch (memory bound)",
    )
    conv.add_argument(
        "--commit-every",
        type=_at_least(1),
        default=10_000,
        help="documents between two commits of the dataset (a kill loses at most these)",
    )
    conv.add_argument(
        "--doc-timeout",
        type=_seconds,
        default=60.0,
        metavar="SECONDS",
        help="time one document may take; past it the document is quarantined (60)",
    )
    conv.add_argument(
        "--redact-persons",
        action="store_true",
        help="replace names and phone extensions by keyed hashes (key: --redact-key-file "
        "or the KPI_EXTRACT_REDACT_KEY environment variable)",
    )
    conv.add_argument("--redact-key-file", type=Path, help="file holding the redaction key")
    conv.add_argument(
        "--dask",
        metavar="ADDRESS",
        help="parse on a Dask cluster: a scheduler address (tcp://host:8786) or local:N "
        "(needs the dask extra)",
    )
    conv.set_defaults(run=_cmd_convert)
    audit = commands.add_parser(
        "audit",
        help="audit a dataset: store audit_findings, print a ranked summary",
        description="Recompute the audit findings of a dataset written by convert, store "
        "them in its audit_findings table and print counts per rule and agency and the most "
        "serious findings with their source lines.",
    )
    audit.add_argument("dataset", type=Path, help="a folder written by convert")
    audit.add_argument("--html", type=Path, help="also write a self-contained HTML report")
    audit.add_argument("--top", type=_at_least(0), default=10, help="findings quoted in full (10)")
    audit.add_argument(
        "--html-limit",
        type=_at_least(0),
        default=1000,
        metavar="N",
        help="findings quoted in the HTML report, the most serious (1000); "
        "audit_findings holds them all",
    )
    audit.set_defaults(run=_cmd_audit)
    synth = commands.add_parser(
        "synth",
        help="write a synthetic corpus in the three layouts, with the truth beside each file",
    )
    synth.add_argument("--n", type=_at_least(0), required=True, help="number of documents")
    synth.add_argument("--out", type=Path, required=True, help="output folder")
    synth.add_argument("--seed", type=int, default=0, help="random seed (0): reproducible")
    synth.set_defaults(run=_cmd_synth)
    show = commands.add_parser("show", help="print the first rows of a table of a dataset")
    show.add_argument("dataset", type=Path, help="a folder written by convert")
    show.add_argument("--table", default="kpis", help="table name (kpis)")
    show.add_argument("--columns", help="comma-separated columns (all)")
    show.add_argument("--limit", type=_at_least(0), default=10, help="rows to print (10)")
    show.set_defaults(run=_cmd_show)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``kpi-extract``; return the exit code (the console script exits with it)."""
    args = build_parser().parse_args(argv)
    code: int = args.run(args)
    return code


def run() -> NoReturn:
    """The console script: :func:`main`, then :func:`exit_now` with its code."""
    exit_now(main())


def exit_now(code: int) -> NoReturn:
    """Exit with ``code`` without tearing the interpreter down, when nothing is left to do.

    Tearing down is freeing every object one by one, which after a ``convert`` took
    0.1-0.15 s of one core (its cycle collections, mostly): 5 % of a 1,000-document run.
    The exit handlers still run (the pool's, logging's, temporary files'), then the
    standard streams are flushed and the process exits. When a thread other than daemons
    still runs, or a stream cannot be flushed, the usual exit does it all as it would.
    """
    main_thread = threading.main_thread()
    if any(t is not main_thread and not t.daemon for t in threading.enumerate()):
        sys.exit(code)
    atexit._run_exitfuncs()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):
        sys.exit(code)  # a closed pipe, say: reported as Python reports it
    os._exit(code)


if __name__ == "__main__":
    run()
