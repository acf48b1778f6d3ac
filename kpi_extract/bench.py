"""Benchmarks (``make bench``): throughput, memory, the floor, stages and start-up.

Run ``python -m kpi_extract.bench [--sizes 1000,10000,100000] [--jobs 1,2]``. For each
size a synthetic corpus (:mod:`kpi_extract.synth`, seeded) is generated once under
``build/bench/``; ``kpi-extract convert`` runs on it in a subprocess per ``--jobs`` value,
timed, its process tree's resident memory sampled every 0.1 s. The floor is reading the
same files, decoding them and one compiled regex pass over every line; our time is given
as a ratio to it. Results go to ``benchmarks.md`` (and ``build/bench/results.json``).
The package's bytecode is written first, as an installed package has it: where
``PYTHONDONTWRITEBYTECODE`` is set, every run would otherwise compile the sources again.
"""

from __future__ import annotations

import argparse
import compileall
import itertools
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Final

import pyarrow.parquet as pq
import regex

from kpi_extract import native, synth
from kpi_extract.assemble import Context, assemble
from kpi_extract.audit import audit_tables
from kpi_extract.decode import decode_bytes
from kpi_extract.detect import detect
from kpi_extract.extract import extract
from kpi_extract.grammar import load_grammars
from kpi_extract.models import KpiRecord, ProjectRecord
from kpi_extract.normalise import normalise
from kpi_extract.parse import document_id, parse_file
from kpi_extract.rows import Rows, record_rows
from kpi_extract.schema import TABLES
from kpi_extract.segment import Line, segment
from kpi_extract.store import arrow_table

ROOT: Final = Path(__file__).resolve().parent.parent
_LINE_RE: Final = regex.compile(r"^\s*(?:\d+\.|\(\d)")


@dataclass
class RunResult:
    """The timed ``convert`` runs of one corpus size and ``--jobs``: the median run's figures.

    ``seconds_range`` is the fastest and the slowest run; the peaks are the highest of all
    runs; ``pss_by_quarter`` is the median run's peak PSS in each quarter of its time (flat
    when memory does not grow as the run goes on).
    """

    docs: int
    megabytes: float
    jobs: int
    seconds: float
    cpu_seconds: float
    peak_rss_mb: float
    peak_pss_mb: float
    floor_seconds: float
    seconds_range: tuple[float, float] = (0.0, 0.0)
    pss_by_quarter: tuple[float, ...] = ()
    runs: int = 1
    probe_ms: float = 0.0  # speed_probe() just before these runs (0: not measured)

    @property
    def docs_per_s(self) -> float:
        """Documents per second."""
        return self.docs / self.seconds

    @property
    def ms_per_doc(self) -> float:
        """Wall milliseconds per document."""
        return 1000 * self.seconds / self.docs


def speed_probe(passes: int = 10, repeats: int = 3) -> float:
    """Milliseconds to parse one bundled sample in this process: how fast the machine parses.

    Best of ``repeats`` rounds of ``passes`` over ``samples/``. A shared machine's speed
    drifts: within one hour here one corpus was converted in 12.9 s, then in 17-20 s, while
    a plain Python loop (what this probe first timed) ran as fast as before: what slowed
    down was not the loop but the memory-heavy work of parsing. Each row of the report
    carries this probe, run just before it, so that rows measured while the machine was
    slower say so.
    """
    paths = sorted((ROOT / "samples").rglob("*.txt"))
    parse_file(paths[0])  # grammars loaded, first arrays made: not the machine's speed
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        for _ in range(passes):
            for path in paths:
                parse_file(path)
        best = min(best, time.perf_counter() - started)
    return 1000 * best / (passes * len(paths))


def _status_kb(text: str, key: str) -> int:
    return next((int(x.split()[1]) for x in text.splitlines() if x.startswith(key)), 0)


def _tree_memory_mb(pid: int, pss_too: bool = True) -> tuple[float, float]:
    """Resident memory of a process and its descendants in MB: RSS summed, and PSS.

    PSS (``pss_too``) is dear to read: ``smaps_rollup`` walks the page tables, 4-10 ms per
    process under load, a sixth of a core when three processes are read every 0.1 s.
    Forked workers share their parent's pages; the RSS sum counts those pages once per
    process, the proportional set size (PSS) divides them among the sharers. Linux /proc.
    """
    rss = pss = 0
    stack = [pid]
    while stack:
        current = stack.pop()
        try:
            rss += _status_kb(Path(f"/proc/{current}/status").read_text(), "VmRSS")
            if pss_too:
                pss += _status_kb(Path(f"/proc/{current}/smaps_rollup").read_text(), "Pss:")
            for task in Path(f"/proc/{current}/task").iterdir():
                stack += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, ValueError):
            continue
    return rss / 1024, pss / 1024


@dataclass
class _Measure:
    seconds: float
    cpu_seconds: float
    peak_rss_mb: float
    peak_pss_mb: float
    pss_samples: list[tuple[float, float]] = field(default_factory=list)  # (seconds, MB)

    def pss_by_quarter(self) -> tuple[float, ...]:
        """The highest PSS sampled in each quarter of the run's time (0: none sampled)."""
        peaks = [0.0] * 4
        for at, pss in self.pss_samples:
            quarter = min(3, int(4 * at / self.seconds)) if self.seconds > 0 else 0
            peaks[quarter] = max(peaks[quarter], pss)
        return tuple(peaks)


class _Sampler(threading.Thread):
    """Samples a process tree's memory until :meth:`stop`: RSS every 0.1 s, PSS every second.

    A thread, so that the run's end is seen when the process exits (the caller waits for
    it), not at the next sample: a loop of samples and 0.1 s sleeps saw it up to 0.1 s
    late, 5 % of a 1,000-document run.
    """

    def __init__(self, pid: int, started: float) -> None:
        super().__init__(name="kpi-bench-sampler", daemon=True)
        self.pid, self.started = pid, started
        self.peak_rss = self.peak_pss = 0.0
        self.pss_samples: list[tuple[float, float]] = []
        self._done = threading.Event()

    def run(self) -> None:
        samples = 0
        while not self._done.is_set():
            # Sampling must not slow what it measures: PSS is dear to read (see above).
            pss_too = samples % 10 == 0
            rss, pss = _tree_memory_mb(self.pid, pss_too=pss_too)
            if pss_too and not self._done.is_set():
                self.pss_samples.append((time.perf_counter() - self.started, pss))
            self.peak_rss, self.peak_pss = max(self.peak_rss, rss), max(self.peak_pss, pss)
            samples += 1
            self._done.wait(0.1)

    def stop(self) -> None:
        """End the sampling and wait for the thread."""
        self._done.set()
        self.join()


def _timed_convert(corpus: Path, out: Path, jobs: int) -> _Measure:
    shutil.rmtree(out, ignore_errors=True)
    return _timed_cli("convert", str(corpus), "--out", str(out), "--jobs", str(jobs))


@dataclass
class AuditResult:
    """``kpi-extract audit DIR --html`` on the dataset of one corpus size, one run."""

    docs: int
    seconds: float
    peak_rss_mb: float
    peak_pss_mb: float
    html_mb: float


def timed_audit(dataset: Path, docs: int) -> AuditResult:
    """Audit ``dataset`` (written by convert) with an HTML report, timed and sampled."""
    report = dataset / "audit.html"
    measure = _timed_cli("audit", str(dataset), "--html", str(report))
    return AuditResult(
        docs, measure.seconds, measure.peak_rss_mb, measure.peak_pss_mb, report.stat().st_size / 1e6
    )


@dataclass
class IncrementResult:
    """Runs of ``new`` documents each into the dataset of a corpus of ``docs``, one by one.

    What a nightly run costs as the archive grows: the index of the dataset's inputs, the
    conflict check of what the run changed, the commit.
    """

    docs: int
    new: int
    jobs: int
    seconds: list[float]
    peak_rss_mb: float


def timed_increments(
    work: Path, dataset: Path, docs: int, jobs: int, *, seed: int, runs: int = 2, new: int = 100
) -> IncrementResult:
    """``runs`` conversions of ``new`` synthetic documents each into ``dataset``, timed.

    Each run's documents are a corpus of their own (seeds after ``seed``), kept in
    ``work`` like the others: the same new documents go into every size's dataset.
    """
    seconds, peak = [], 0.0
    for run in range(runs):
        corpus, _ = _corpus(work, new, seed + 1 + run)
        measure = _timed_cli("convert", str(corpus), "--out", str(dataset), "--jobs", str(jobs))
        seconds.append(measure.seconds)
        peak = max(peak, measure.peak_rss_mb)
    return IncrementResult(docs, new, jobs, seconds, peak)


@dataclass
class ArchiveResult:
    """A corpus of ``docs`` documents converted from one ``.zip`` archive, one run.

    Beside the same corpus converted as a folder (``folder_seconds``, the median of its
    runs in this bench): an archive must cost what its members would as files (a member
    read by opening the archive again made it quadratic in its members).
    """

    docs: int
    jobs: int
    seconds: float
    cpu_seconds: float
    peak_rss_mb: float
    folder_seconds: float


def _archive_of(work: Path, corpus: Path) -> Path:
    """``corpus``'s dumps as one deflated ``.zip`` in ``work``, made once and kept."""
    archive = work / f"{corpus.name}.zip"
    if not archive.exists():
        partial = archive.with_name(archive.name + ".partial")
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as zf:
            for path in synth.corpus_files(corpus):
                zf.write(path, path.relative_to(corpus).as_posix())
        partial.rename(archive)
    return archive


def timed_archive(
    work: Path, corpus: Path, docs: int, jobs: int, folder_seconds: float
) -> ArchiveResult:
    """Convert ``corpus`` made one archive, timed and sampled (see :class:`ArchiveResult`)."""
    out = work / f"out-{docs}-zip"
    measure = _timed_convert(_archive_of(work, corpus), out, jobs)
    shutil.rmtree(out, ignore_errors=True)
    return ArchiveResult(
        docs, jobs, measure.seconds, measure.cpu_seconds, measure.peak_rss_mb, folder_seconds
    )


def _timed_cli(*args: str) -> _Measure:
    """One ``kpi-extract`` command in a new process: wall and CPU time, peak memory."""
    command = [sys.executable, "-m", "kpi_extract.cli", *args]
    started = time.perf_counter()
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=errors)
        sampler = _Sampler(process.pid, started)
        sampler.start()
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        sampler.stop()
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode != 0:
            errors.seek(0)
            raise RuntimeError(errors.read().decode(errors="replace"))
    cpu = usage.ru_utime + usage.ru_stime  # the converter and the workers it waited for
    return _Measure(seconds, cpu, sampler.peak_rss, sampler.peak_pss, sampler.pss_samples)


def measure_runs(
    corpus: Path, out: Path, jobs: int, *, repeats: int, docs: int, megabytes: float, floor_s: float
) -> RunResult:
    """``repeats`` timed runs; the median one's figures, the range and the highest peaks.

    Runs on this machine vary by 10% (the same 10,000 documents: 10.6 to 11.9 s), so one
    run of a configuration says little; the median of three says more.
    """
    runs = sorted((_timed_convert(corpus, out, jobs) for _ in range(repeats)), key=_seconds)
    median = runs[len(runs) // 2]
    return RunResult(
        docs,
        megabytes,
        jobs,
        median.seconds,
        median.cpu_seconds,
        max(r.peak_rss_mb for r in runs),
        max(r.peak_pss_mb for r in runs),
        floor_s,
        (runs[0].seconds, runs[-1].seconds),
        median.pss_by_quarter(),
        len(runs),
    )


def _seconds(measure: _Measure) -> float:
    return measure.seconds


def floor(corpus: Path) -> float:
    """Seconds to read, decode and run one compiled regex over every line of the corpus.

    Every file is read once untimed first: the floor is taken on the page cache the runs
    after it find, not on a cold one (a 10,000-document floor measured cold took 41.8 s,
    its runs 18.5 s).
    """
    for path in synth.corpus_files(corpus):
        path.read_bytes()
    started = time.perf_counter()
    for path in synth.corpus_files(corpus):
        text = decode_bytes(path.read_bytes()).text
        for line in text.split("\n"):
            _LINE_RE.search(line)
    return time.perf_counter() - started


class _Clock:
    """Seconds spent per stage: ``with clock("decode"): ...``."""

    def __init__(self, names: tuple[str, ...]) -> None:
        self.spent = dict.fromkeys(names, 0.0)
        self.name = ""
        self.started = 0.0

    def __call__(self, name: str) -> _Clock:
        self.name = name
        return self

    def __enter__(self) -> None:
        self.started = time.perf_counter()

    def __exit__(self, *exc: object) -> None:
        self.spent[self.name] += time.perf_counter() - self.started


_STAGES: Final = ("decode", "normalise", "detect", "segment", "extract", "validate", "audit")


def _stage_rows(path: Path, clock: _Clock) -> Rows | None:
    """Run one document through every stage, timing each; its rows (None if refused)."""
    data = path.read_bytes()
    try:
        with clock("decode"):
            decoded = decode_bytes(data)
        with clock("normalise"):
            text = normalise(decoded.text).text
        with clock("detect"):
            grammar = detect(load_grammars(), text).grammar
    except ValueError:
        return None
    lines = [Line(n, t) for n, t in enumerate(text.split("\n"), start=1)]
    with clock("segment"):
        blocks = segment(grammar, lines).records
    with clock("extract"):
        extractions = [extract(block) for block in blocks]
    context = Context(str(path), document_id(data), grammar)
    with clock("validate"):
        pairs = enumerate(zip(blocks, extractions, strict=True))
        records = [assemble(block, found, n, context) for n, (block, found) in pairs]
    valid = [r for r in records if isinstance(r, KpiRecord | ProjectRecord)]
    rows = record_rows(valid, context.doc_id, str(path))
    with clock("audit"):
        audit_tables(rows.tables)
    return rows


def _run_stages(paths: list[Path], clock: _Clock) -> int:
    """Every stage over ``paths``, Parquet written at the end; the documents parsed."""
    collected = Rows()
    count = 0
    for path in paths:
        rows = _stage_rows(path, clock)
        if rows is not None:
            count += 1
            collected.extend(rows)
    with tempfile.TemporaryDirectory() as folder, clock("write"):
        for table, table_rows in collected.tables.items():
            arrow = arrow_table(table_rows, TABLES[table].schema)
            pq.write_table(arrow, Path(folder) / f"{table}.parquet", compression="zstd")
    return count


def stages(corpus: Path, limit: int = 1000, warm_up: int = 20) -> dict[str, float]:
    """Milliseconds per document in each stage, in this process, over ``limit`` documents.

    The first ``warm_up`` documents go through every stage untimed first: what is paid
    once per process (loading the grammars, pyarrow importing pandas on its first array,
    here 0.2 s and 0.4-0.9 s) is start-up, not a cost per document.
    """
    paths = synth.corpus_files(corpus)
    _run_stages(paths[:warm_up], _Clock((*_STAGES, "write")))
    clock = _Clock((*_STAGES, "write"))
    count = _run_stages(paths[:limit], clock)
    return {name: 1000 * seconds / max(1, count) for name, seconds in clock.spent.items()}


def startup(sample: Path, repeats: int = 5) -> float:
    """Best wall seconds of ``kpi-extract parse`` on one file, imports included."""
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "kpi_extract.cli", "parse", str(sample)],
            check=True,
            capture_output=True,
        )
        best = min(best, time.perf_counter() - started)
    return best


def machine() -> str:
    """A line describing this machine."""
    model = "unknown CPU"
    try:
        info = Path("/proc/cpuinfo").read_text()
        model = next(
            x.split(":", 1)[1].strip() for x in info.splitlines() if x.startswith("model name")
        )
    except (OSError, StopIteration):
        pass
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    # The interpreter is part of the machine: its build (optimisations, a shared libpython)
    # can change the figures as a CPU does.
    interpreter = Path(sys.executable).resolve()  # through the virtualenv's links
    return (
        f"{os.cpu_count()} cores ({model}), {memory:.0f} GiB, Python {platform.python_version()} "
        f"({interpreter}), {platform.system()} {platform.release()}"
    )


def code() -> str:
    """Which code ran: the commit, and the parsing stages compiled or from source."""
    if native.state == "compiled":
        how = f"the parsing stages compiled by mypyc ({len(native.MODULES)} modules)"
    else:
        how = f"every module run from source ({native.state.removeprefix('source: ')})"
    return f"{commit()}, {how}"


def commit() -> str:
    """The checkout's commit, and whether tracked files differ from it (``unknown``: no git)."""
    head = _git("rev-parse", "--short", "HEAD")
    if head is None:
        return "commit unknown"
    changed = _git("status", "--porcelain", "--untracked-files=no")
    return f"commit {head}" + (" with uncommitted changes" if changed else "")


def _git(*args: str) -> str | None:
    """What ``git args`` prints in the project's folder, stripped; None if it fails."""
    try:
        done = subprocess.run(["git", *args], check=False, cwd=ROOT, capture_output=True, text=True)
    except OSError:  # no git
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def _corpus(work: Path, size: int, seed: int) -> tuple[Path, int]:
    corpus = work / f"corpus-{size}-seed{seed}"
    marker = corpus / ".complete"
    if not marker.exists():
        shutil.rmtree(corpus, ignore_errors=True)
        written = synth.write_corpus(size, corpus, seed=seed)
        marker.write_text(str(written))
    return corpus, int(marker.read_text())


#: The corpus also converted as one ``.zip`` archive (:func:`timed_archive`).
ARCHIVE_DOCS: Final = 10_000


def flatness(results: list[RunResult]) -> list[str]:
    """How the cost per document moves with the corpus's size, one row per ``--jobs``.

    The wall milliseconds per document of each corpus, the smallest against the largest,
    and the marginal cost between consecutive corpora, ``(seconds_b - seconds_a) /
    (docs_b - docs_a)``: what one more document costs, with the run's fixed cost (start-up,
    the last commit) cancelled out. The fixed cost is what is left of the smallest run at
    that marginal cost: ``seconds_a - docs_a * marginal``. Last, the CPU milliseconds per
    document (the converter and its workers) of the smallest corpus against the largest:
    what a document costs in processor time, which the serial start-up of a run weighs on
    less than on the wall time (one core busy while the other waits).
    """
    by_jobs: dict[int, list[RunResult]] = {}
    for r in sorted(results, key=lambda r: (r.jobs, r.docs)):
        by_jobs.setdefault(r.jobs, []).append(r)
    sizes = sorted({r.docs for r in results})
    if len(sizes) < 2:
        return []
    pairs = list(itertools.pairwise(sizes))
    header = (
        "| jobs | "
        + " | ".join(f"{n:,}" for n in sizes)
        + f" | {sizes[0]:,} against {sizes[-1]:,} | "
        + " | ".join(f"marginal {a:,} -> {b:,}" for a, b in pairs)
        + f" | fixed cost s ({sizes[0]:,} -> {sizes[1]:,})"
        + f" | CPU ms/doc {sizes[0]:,} / {sizes[-1]:,} | CPU {sizes[0]:,} against {sizes[-1]:,} |"
    )
    out = [header, "|" + " ---: |" * (len(sizes) + len(pairs) + 5)]
    for jobs, rows in by_jobs.items():
        by_size = {r.docs: r for r in rows}
        if set(by_size) != set(sizes):
            continue
        cells = [f"{by_size[n].ms_per_doc:.2f}" for n in sizes]
        smallest, largest = by_size[sizes[0]].ms_per_doc, by_size[sizes[-1]].ms_per_doc
        cells.append(f"{100 * (smallest / largest - 1):+.0f} %")
        marginal = [1000 * (by_size[b].seconds - by_size[a].seconds) / (b - a) for a, b in pairs]
        cells += [f"{m:.2f}" for m in marginal]
        first = by_size[sizes[0]]
        cells.append(f"{first.seconds - first.docs * marginal[0] / 1000:.2f}")
        cpu = [1000 * by_size[n].cpu_seconds / n for n in (sizes[0], sizes[-1])]
        cells += [f"{cpu[0]:.2f} / {cpu[1]:.2f}", f"{100 * (cpu[0] / cpu[1] - 1):+.0f} %"]
        out.append(f"| {jobs} | " + " | ".join(cells) + " |")
    return out


def render(
    results: list[RunResult],
    stage_ms: dict[str, float],
    start_s: float,
    probes: tuple[float, float] = (0.0, 0.0),
    audits: tuple[AuditResult, ...] = (),
    *,
    increments: tuple[IncrementResult, ...] = (),
    archive: ArchiveResult | None = None,
) -> str:
    """The results as the Markdown of ``benchmarks.md``; ``probes``: at the start, the end."""
    out = [
        "# Benchmarks",
        "",
        f"Measured {time.strftime('%Y-%m-%d')} by `make bench` on: {machine()}.",
        "Corpora: `kpi_extract.synth` (seed 1), documents of the seeds' size.",
        f"Code: {code()}.",
        "",
        "Each row is the median of its runs; docs/s range: the slowest and the fastest run; "
        "peak memory: the highest of the runs, PSS sampled every second and RSS every 0.1 s, "
        "over the converter and its workers; PSS by quarter: the median run's peak in each "
        "quarter of its time (-: not sampled, a run of a few seconds); probe: milliseconds to "
        "parse one of the bundled samples in one process, measured just before the row's runs "
        f"(the machine's speed at the time; {probes[0]:.2f} ms at the start of the benchmark, "
        f"{probes[1]:.2f} ms at its end).",
        "",
        "| documents | MB | jobs | runs | seconds | docs/s | docs/s range | MB/s | ms/doc "
        "| CPU ms/doc | peak PSS MB | PSS by quarter MB | peak RSS-sum MB | floor s "
        "| ratio to floor | probe ms |",
        "| ---: " * 16 + "|",
    ]
    for r in results:
        fastest, slowest = r.seconds_range
        spread = f"{r.docs / slowest:.0f}-{r.docs / fastest:.0f}" if fastest > 0 else "-"
        quarters = " / ".join(f"{q:.0f}" if q else "-" for q in r.pss_by_quarter) or "-"
        out.append(
            f"| {r.docs:,} | {r.megabytes:.1f} | {r.jobs} | {r.runs} | {r.seconds:.1f} | "
            f"{r.docs_per_s:.0f} | {spread} | {r.megabytes / r.seconds:.2f} | "
            f"{r.ms_per_doc:.2f} | {1000 * r.cpu_seconds / r.docs:.2f} | {r.peak_pss_mb:.0f} | "
            f"{quarters} | {r.peak_rss_mb:.0f} | {r.floor_seconds:.1f} | "
            f"{r.seconds / r.floor_seconds:.1f} | {r.probe_ms:.2f} |"
        )
    table = flatness(results)
    if table:
        out += [
            "",
            "Cost per document by corpus size (wall ms per document; marginal: between two "
            "corpora, what one more document costs, the fixed cost of a run cancelled out; "
            "fixed cost: what the smallest run spent beyond its documents at that marginal "
            "cost; CPU: the processor time of the converter and its workers per document):",
            "",
            *table,
        ]
    if audits:
        out += [
            "",
            "Auditing the dataset of each size's last run (`kpi-extract audit DIR --html`: every "
            "finding recomputed and compared with the stored ones, the summary, the HTML "
            "report), one run each (PSS -: a run under a second, whose only PSS sample is the "
            "one taken as it starts):",
            "",
            "| documents | seconds | ms/doc | peak PSS MB | peak RSS MB | HTML MB |",
            "| ---: " * 6 + "|",
        ]
        out += [
            f"| {a.docs:,} | {a.seconds:.1f} | {1000 * a.seconds / a.docs:.2f} | "
            f"{f'{a.peak_pss_mb:.0f}' if a.seconds >= 1 else '-'} | {a.peak_rss_mb:.0f} | "
            f"{a.html_mb:.1f} |"
            for a in audits
        ]
    if increments:
        out += [
            "",
            "New documents into the dataset of each size's last run, after its audit, one run "
            "after the other (what a nightly run costs as the archive grows: the index of the "
            "dataset's inputs, the conflict check of what the run changed, the commit):",
            "",
            "| dataset documents | new documents per run | jobs | seconds, each run | "
            "peak RSS MB |",
            "| ---: " * 5 + "|",
        ]
        out += [
            f"| {i.docs:,} | {i.new:,} | {i.jobs} | "
            f"{' / '.join(f'{s:.2f}' for s in i.seconds)} | {i.peak_rss_mb:.0f} |"
            for i in increments
        ]
    if archive is not None:
        out += [
            "",
            f"The {archive.docs:,}-document corpus as one `.zip` archive, `--jobs "
            f"{archive.jobs}`, one run: {archive.seconds:.1f} s "
            f"({archive.docs / archive.seconds:.0f} docs/s, "
            f"{1000 * archive.cpu_seconds / archive.docs:.2f} ms of CPU per document, peak "
            f"RSS {archive.peak_rss_mb:.0f} MB); as a folder: {archive.folder_seconds:.1f} s "
            f"({archive.seconds / archive.folder_seconds - 1:+.0%}).",
        ]
    out += ["", "Per stage, one process, milliseconds per document:", ""]
    out.append("| " + " | ".join(stage_ms) + " | total |")
    out.append("|" + " ---: |" * (len(stage_ms) + 1))
    out.append(
        "| "
        + " | ".join(f"{v:.2f}" for v in stage_ms.values())
        + f" | {sum(stage_ms.values()):.2f} |"
    )
    out += [
        "",
        f"Start-up: `kpi-extract parse` of one file, imports included: {start_s:.2f} s"
        + " (best of 5).",
        "",
    ]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks and write ``benchmarks.md``."""
    parser = argparse.ArgumentParser(prog="python -m kpi_extract.bench")
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--jobs", default="1,2")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3, help="runs per configuration")
    parser.add_argument(
        "--repeat-up-to", type=int, default=10_000, help="larger corpora are run once"
    )
    parser.add_argument("--work", type=Path, default=ROOT / "build" / "bench")
    parser.add_argument("--results", type=Path, default=ROOT / "benchmarks.md")
    args = parser.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    compileall.compile_dir(ROOT / "kpi_extract", quiet=1)
    results, audits, increments = [], [], []
    jobs_list = [int(j) for j in args.jobs.split(",")]
    first_probe = speed_probe()
    for size in (int(s) for s in args.sizes.split(",")):
        corpus, written = _corpus(args.work, size, args.seed)
        floor_s = floor(corpus)
        repeats = args.repeat if size <= args.repeat_up_to else 1
        for jobs in jobs_list:
            out = args.work / f"out-{size}-{jobs}"
            probe = speed_probe()
            r = measure_runs(
                corpus,
                out,
                jobs,
                repeats=repeats,
                docs=size,
                megabytes=written / 1e6,
                floor_s=floor_s,
            )
            r.probe_ms = probe
            results.append(r)
            print(
                f"{size} docs, jobs {jobs}, median of {r.runs}: {r.seconds:.1f} s "
                f"({r.seconds_range[0]:.1f}-{r.seconds_range[1]:.1f}), "
                f"{r.docs_per_s:.0f} docs/s, CPU {r.cpu_seconds:.1f} s, "
                f"peak PSS {r.peak_pss_mb:.0f} MB (RSS sum {r.peak_rss_mb:.0f}), "
                f"floor {floor_s:.1f} s, probe {probe:.2f} ms",
                flush=True,
            )
        audits.append(timed_audit(out, size))
        print(
            f"{size} docs, audit --html: {audits[-1].seconds:.1f} s, "
            f"peak PSS {audits[-1].peak_pss_mb:.0f} MB",
            flush=True,
        )
        increments.append(timed_increments(args.work, out, size, jobs, seed=args.seed))
        print(
            f"{size} docs, {increments[-1].new} new documents a run: "
            + " / ".join(f"{s:.2f} s" for s in increments[-1].seconds),
            flush=True,
        )
        shutil.rmtree(args.work / f"out-{size}-1", ignore_errors=True)
    archive = None
    zipped = [r for r in results if r.docs == ARCHIVE_DOCS and r.jobs == max(jobs_list)]
    if zipped:
        corpus = _corpus(args.work, ARCHIVE_DOCS, args.seed)[0]
        archive = timed_archive(args.work, corpus, ARCHIVE_DOCS, zipped[0].jobs, zipped[0].seconds)
        print(f"{ARCHIVE_DOCS} docs as one .zip: {archive.seconds:.1f} s", flush=True)
    first_corpus = _corpus(args.work, int(args.sizes.split(",")[0]), args.seed)[0]
    stage_ms = stages(first_corpus)
    start_s = startup(synth.corpus_files(first_corpus)[0])
    probes = (first_probe, speed_probe())
    page = render(
        results,
        stage_ms,
        start_s,
        probes,
        tuple(audits),
        increments=tuple(increments),
        archive=archive,
    )
    args.results.write_text(page, encoding="utf-8")
    data = {
        "results": [asdict(r) for r in results],
        "audits": [asdict(a) for a in audits],
        "increments": [asdict(i) for i in increments],
        "archive": None if archive is None else asdict(archive),
        "stages_ms": stage_ms,
        "startup_s": start_s,
        "probes_ms": probes,
    }
    (args.work / "results.json").write_text(json.dumps(data, indent=1))
    print(args.results.read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
