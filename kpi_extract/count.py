"""Instructions per document through the workers' code, counted by valgrind (``make count``).

Wall and CPU time on a shared machine drift by tens of per cent within an hour; a change of
a few per cent cannot be seen in them. Instructions can: ``valgrind --tool=cachegrind``
counts them, and with the hash seed fixed and Arrow on one thread the count repeats to the
instruction (with Arrow's threads the same code gave 14.12-14.35 M per document). The cost
of a document is the difference between a run over ``base + docs`` documents and one over
``base``, divided by ``docs``: start-up and imports cancel out.

Run ``python -m kpi_extract.count [--corpus DIR] [--docs 200] [--base 20]``; the corpus is
``make bench``'s 1,000-document one by default (generated if missing). About a minute: valgrind
runs the interpreter 30-50 times slower.
"""

from __future__ import annotations

import argparse
import gc
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Final

from kpi_extract.lean import without_numpy_or_pandas
from kpi_extract.synth import corpus_files

ROOT: Final = Path(__file__).resolve().parent.parent
#: ``make bench``'s 1,000-document corpus (seed 1), generated here when missing.
DEFAULT_CORPUS: Final = ROOT / "build" / "bench" / "corpus-1000-seed1"
#: Documents per task, as the converter's workers take them (a multiple of this is parsed).
CHUNK: Final = 25
#: What makes a count repeat: one hash seed, and Arrow's thread pools of one thread each.
ENVIRONMENT: Final = {"PYTHONHASHSEED": "0", "OMP_NUM_THREADS": "1", "ARROW_IO_THREADS": "1"}
_REFS_RE: Final = re.compile(r"I\s+refs:\s+([\d,]+)")


def in_generated_order(corpus: Path) -> list[Path]:
    """The dumps of ``corpus`` by file name: the order :mod:`kpi_extract.synth` made them in.

    Not grouped by folder: the first documents are of every layout, in the corpus's mix
    (sorted by path, the first 220 were all of layout B).
    """
    return sorted(corpus_files(corpus), key=lambda path: (path.name, str(path)))


def parse_first(corpus: Path, n: int) -> int:
    """Run the first ``n`` documents of ``corpus`` through the workers' code; how many ran.

    As a worker of ``convert`` runs them: the grammars compiled and the heap frozen before,
    the automatic collector off, one collection after each chunk
    (:func:`kpi_extract.batch.parse_in_worker`); the counted child also keeps numpy and
    pandas out, as ``convert`` does (:mod:`kpi_extract.lean`). Before, pandas was loaded
    by the first chunk and its 27,000 objects were neither frozen nor ever collected in a
    worker. The collector's state is restored after.
    """
    from kpi_extract.batch import parse_in_worker  # noqa: PLC0415 (after lean, in the child)
    from kpi_extract.document import Task  # noqa: PLC0415
    from kpi_extract.grammar import load_grammars  # noqa: PLC0415
    from kpi_extract.inputs import item_at  # noqa: PLC0415

    paths = in_generated_order(corpus)[:n]
    tasks = [Task(item_at(str(path)), None, None, None) for path in paths]
    load_grammars()
    enabled = gc.isenabled()
    gc.freeze()
    gc.disable()
    try:
        for start in range(0, len(tasks), CHUNK):
            parse_in_worker(tasks[start : start + CHUNK])
    finally:
        gc.unfreeze()
        if enabled:
            gc.enable()
    return len(tasks)


def instruction_refs(valgrind_output: str) -> int:
    """The ``I refs`` total of a cachegrind run's summary."""
    found = _REFS_RE.search(valgrind_output)
    if found is None:
        raise ValueError("no 'I refs' line in valgrind's output")
    return int(found[1].replace(",", ""))


def count_run(corpus: Path, n: int) -> int:
    """Instructions of one interpreter parsing the first ``n`` documents of ``corpus``."""
    command = ["valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null"]
    command += [sys.executable, "-m", "kpi_extract.count", "--run", str(n), "--corpus", str(corpus)]
    done = subprocess.run(
        command, capture_output=True, text=True, check=True, env={**os.environ, **ENVIRONMENT}
    )
    return instruction_refs(done.stderr)


def per_document(corpus: Path, docs: int = 200, base: int = 20) -> float:
    """Instructions per document: (count of ``base + docs`` documents - count of ``base``)."""
    return (count_run(corpus, base + docs) - count_run(corpus, base)) / docs


def main(argv: list[str] | None = None) -> int:
    """Print the instructions per document (or, with ``--run N``, only parse N documents)."""
    parser = argparse.ArgumentParser(prog="python -m kpi_extract.count")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--docs", type=int, default=200, help="documents counted (200)")
    parser.add_argument("--base", type=int, default=20, help="documents of the baseline (20)")
    parser.add_argument("--run", type=int, help=argparse.SUPPRESS)  # the counted child
    args = parser.parse_args(argv)
    if args.run is not None:
        without_numpy_or_pandas()  # as convert's workers: before pyarrow is imported
        parse_first(args.corpus, args.run)
        return 0
    if shutil.which("valgrind") is None:
        print("kpi_extract.count: valgrind is not installed", file=sys.stderr)
        return 2
    if args.corpus == DEFAULT_CORPUS and not args.corpus.is_dir():
        from kpi_extract.bench import _corpus  # noqa: PLC0415 (generated on first use)

        _corpus(DEFAULT_CORPUS.parent, 1000, 1)
    if not args.corpus.is_dir():
        print(f"kpi_extract.count: {args.corpus}: no such folder", file=sys.stderr)
        return 2
    if len(corpus_files(args.corpus)) < args.base + args.docs:
        print(
            f"kpi_extract.count: {args.corpus} has fewer than {args.base + args.docs} documents",
            file=sys.stderr,
        )
        return 2
    value = per_document(args.corpus, args.docs, args.base)
    print(f"{value / 1e6:.3f} M instructions per document ({args.docs} documents, {args.corpus})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
