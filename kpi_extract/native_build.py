"""Build the compiled modules of :mod:`kpi_extract.native` (``make native`` runs it).

``KPI_EXTRACT_PURE=1 python -m kpi_extract.native_build [--force] [--status]`` compiles
:data:`~kpi_extract.native.MODULES` with mypyc into ``build/native``, unless the build there
matches the sources (then it does nothing, in a fraction of a second). ``KPI_EXTRACT_PURE``
keeps the build it replaces out of the process that replaces it.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from typing import Final

from kpi_extract import native
from kpi_extract.native import GROUP, MODULES, ROOT, source

#: The compiler's and mypyc's output, kept for when a build fails.
LOG: Final = ROOT / "build" / "native-build.log"


def build(*, force: bool = False) -> int:
    """Compile :data:`MODULES` into ``build/native`` unless the build there matches them.

    The compilation runs in a child process whose output goes to :data:`LOG`. One that
    cannot run (no mypyc, no C compiler) or fails leaves no manifest: the modules then run
    from source, and the end of the log is printed. Return 0 either way.
    """
    expected = native.expected()
    if not force and native.stale() is None:
        print("kpi_extract.native: compiled modules up to date")
        return 0
    shutil.rmtree(native.BUILD, ignore_errors=True)
    native.BUILD.mkdir(parents=True)
    started = time.monotonic()
    with LOG.open("w", encoding="utf-8") as log:
        done = subprocess.run(
            [sys.executable, "-m", "kpi_extract.native_build", "--compile"],
            cwd=ROOT,  # mypy reads the project's configuration and names modules from here
            env={**os.environ, native.PURE_ENV: "1"},
            stdout=log,
            stderr=subprocess.STDOUT,
            check=False,
        )
    if done.returncode != 0:
        shutil.rmtree(native.BUILD, ignore_errors=True)
        tail = LOG.read_text("utf-8", errors="replace").splitlines()[-5:]
        print(
            f"kpi_extract.native: build failed, modules run from source ({LOG}):", file=sys.stderr
        )
        print("\n".join(tail), file=sys.stderr)
        return 0
    if native.expected() != expected:
        print("kpi_extract.native: sources changed during the build: not used", file=sys.stderr)
        return 0
    native.manifest().write_text(json.dumps(expected, indent=1, sort_keys=True), "utf-8")
    seconds = time.monotonic() - started
    print(f"kpi_extract.native: compiled {len(MODULES)} modules in {seconds:.0f} s")
    return 0


def _compile() -> None:
    """Generate C with mypyc and compile it into ``build/native/lib`` (run from ``ROOT``)."""
    from mypyc.build import mypycify  # noqa: PLC0415 (a development tool, needed here only)
    from setuptools.dist import Distribution  # type: ignore[import-untyped]  # noqa: PLC0415

    paths = [str(source(name).relative_to(ROOT)) for name in MODULES]
    # multi_file: one C file per module, not one file of all of them, for gcc to compile.
    extensions = mypycify(
        paths, group_name=GROUP, target_dir=str(native.BUILD / "c"), multi_file=True
    )
    # Not setuptools.setup(), which would read pyproject.toml as this package's own build.
    dist = Distribution({"name": GROUP, "ext_modules": extensions})
    dist.script_args = ["build_ext", "--build-lib", str(native.BUILD / "lib")]
    # --parallel builds the modules' stubs side by side; the shared library of their code,
    # most of the build, is one extension and compiles its files one after the other.
    dist.script_args += [
        "--build-temp",
        str(native.BUILD / "tmp"),
        "--parallel",
        str(os.cpu_count() or 1),
    ]
    dist.parse_command_line()
    dist.run_commands()


def main(argv: list[str] | None = None) -> int:
    """Build the compiled modules (``--force``: even if up to date) or print their state."""
    parser = argparse.ArgumentParser(prog="python -m kpi_extract.native_build")
    parser.add_argument("--force", action="store_true", help="build even if up to date")
    parser.add_argument("--status", action="store_true", help="print what kpi_extract loads")
    parser.add_argument("--compile", action="store_true", help=argparse.SUPPRESS)  # the child
    args = parser.parse_args(argv)
    if args.compile:
        _compile()
        return 0
    if args.status:
        print(f"kpi_extract.native: {native.stale() or 'compiled modules up to date'}")
        return 0
    return build(force=args.force)


if __name__ == "__main__":
    sys.exit(main())
