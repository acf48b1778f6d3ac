"""The parsing stages compiled to C by mypyc, used only while they match their sources.

The stages are plain, fully typed Python (``mypy --strict``): mypyc compiles them as they
are, and the compiled modules run the same code without the interpreter's overhead.
``make native``, which every target that runs the code depends on, builds them into
``build/native`` (:mod:`kpi_extract.native_build`; it does nothing when the build there
matches the sources, and takes about 35 s when it does not). :func:`install`, called when
``kpi_extract`` is imported, makes Python load the compiled modules only if every one of
them, and every module of the package they import, was built from the very bytes now on
disk, for this interpreter (:func:`sources`): edit one, and all of them run from source
until the next build (a compiled module calls the compiled code of the others directly,
so a mix could run old code). Without a C
compiler, mypyc, or with ``KPI_EXTRACT_PURE=1`` in the environment, everything runs from
source, with the same results (``tests/test_native.py`` converts a corpus both ways).

Compiled functions keep no docstrings, and profilers that sample Python frames (py-spy)
do not see inside them: set ``KPI_EXTRACT_PURE=1`` to read ``help()`` or to profile.
Modules whose classes are pickled to and from the workers, hold Pydantic models, or start
processes and threads stay interpreted (:data:`MODULES` lists the compiled ones).
"""

from __future__ import annotations

import ast
import hashlib
import importlib.machinery
import importlib.util
import json
import os
import sys
from collections.abc import Sequence
from importlib.abc import MetaPathFinder
from importlib.machinery import ModuleSpec
from pathlib import Path
from types import ModuleType
from typing import Any, Final

ROOT: Final = Path(__file__).resolve().parent.parent
BUILD: Final = ROOT / "build" / "native"
#: Set (to anything but an empty string) to run every module from source.
PURE_ENV: Final = "KPI_EXTRACT_PURE"
#: The shared library holding the compiled code; each module is a small stub that imports it.
GROUP: Final = "kpi_extract_native"
#: The compiled modules: the workers' code from bytes to rows, and the audit rules.
MODULES: Final = (
    "kpi_extract.assemble",
    "kpi_extract.audit",
    "kpi_extract.audit.kpi_rules",
    "kpi_extract.audit.project_rules",
    "kpi_extract.audit.registry",
    "kpi_extract.audit.views",
    "kpi_extract.convert",
    "kpi_extract.dates",
    "kpi_extract.decode",
    "kpi_extract.detect",
    "kpi_extract.diagnostics",
    "kpi_extract.extract",
    "kpi_extract.normalise",
    "kpi_extract.parse",
    "kpi_extract.patterns",
    "kpi_extract.redact",
    "kpi_extract.rows",
    "kpi_extract.segment",
    "kpi_extract.values",
)

#: This interpreter's suffix of extension modules (``.cpython-311-x86_64-linux-gnu.so``).
EXTENSION_SUFFIX: Final = importlib.machinery.EXTENSION_SUFFIXES[0]
#: What :func:`install` found: ``"compiled"``, or ``"source: <why>"``.
_NOT_INSTALLED: Final = "source: not installed"
state = _NOT_INSTALLED


def source(name: str) -> Path:
    """The source file of module ``name`` (a package's ``__init__.py``)."""
    path = ROOT.joinpath(*name.split("."))
    return path / "__init__.py" if path.is_dir() else path.with_suffix(".py")


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def binary(name: str) -> Path:
    """Where the build puts module ``name`` (a package's as its ``__init__``)."""
    stem = source(name).relative_to(ROOT).with_suffix("") if name in MODULES else Path(name)
    return BUILD / "lib" / stem.with_name(stem.name + EXTENSION_SUFFIX)


def _imported(name: str) -> set[str]:
    """The modules of this package that module ``name`` imports (at any depth of its code)."""
    found = set()
    for node in ast.walk(ast.parse(source(name).read_bytes())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return {m for m in found if m.startswith("kpi_extract.") and _is_module(m)}


def _is_module(name: str) -> bool:
    path = ROOT.joinpath(*name.split("."))
    return path.is_dir() or path.with_suffix(".py").is_file()


def sources() -> list[str]:
    """The compiled modules and every module of this package they import, at any remove.

    A build depends on them all: mypyc compiles against their types and may inline their
    constants (``Final``), so a change to any of them makes the build stale.
    """
    seen: set[str] = set()
    todo = list(MODULES)
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo += sorted(_imported(name) - seen)
    return sorted(seen)


def expected() -> dict[str, Any]:
    """The manifest a build of the sources now on disk, for this interpreter, writes."""
    return {
        "suffix": EXTENSION_SUFFIX,
        "compiled": list(MODULES),
        "sources": {name: _digest(source(name)) for name in sources()},
    }


def manifest() -> Path:
    """The build's manifest: what it was built from (:func:`expected` at the time)."""
    return BUILD / "manifest.json"


def _read_manifest() -> dict[str, Any] | None:
    try:
        data: dict[str, Any] = json.loads(manifest().read_text("utf-8"))
    except (OSError, ValueError):
        return None
    return data


def stale() -> str | None:
    """Why the build in ``build/native`` does not match the sources, or ``None`` if it does."""
    manifest = _read_manifest()
    if manifest is None:
        return "not built (make native builds them)"
    if manifest.get("suffix") != EXTENSION_SUFFIX:
        return f"built for another interpreter ({manifest.get('suffix')})"
    if manifest.get("compiled") != list(MODULES):
        return "built with another list of modules"
    built: dict[str, str] = manifest.get("sources", {})
    for name, digest in sorted(built.items()):
        if not _is_module(name) or digest != _digest(source(name)):
            return f"{source(name).relative_to(ROOT)} changed since the build"
    if not all(binary(name).is_file() for name in (*MODULES, f"{GROUP}__mypyc")):
        return "a compiled file is missing"
    return None


class _Loader(importlib.machinery.ExtensionFileLoader):
    """Loads a compiled module; a package keeps its source folder as ``__path__``."""

    def create_module(self, spec: ModuleSpec) -> ModuleType:
        module: ModuleType = super().create_module(spec)  # runs the module's body
        if spec.submodule_search_locations is not None:
            # Its stub points __path__ at build/native: its interpreted submodules are here.
            module.__path__ = list(spec.submodule_search_locations)
        return module


class _Compiled(MetaPathFinder):
    """Finds the compiled modules (and their shared library) in ``build/native``."""

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: ModuleType | None = None,
    ) -> ModuleSpec | None:
        if fullname not in MODULES and fullname != f"{GROUP}__mypyc":
            return None
        file = binary(fullname)
        package = fullname in MODULES and source(fullname).name == "__init__.py"
        return importlib.util.spec_from_file_location(
            fullname,
            file,
            loader=_Loader(fullname, str(file)),
            submodule_search_locations=[str(source(fullname).parent)] if package else None,
        )


def install() -> str:
    """Load the compiled modules from now on, if they match their sources; return :data:`state`.

    Idempotent. Must run before any of :data:`MODULES` is imported (``kpi_extract`` calls it
    first thing).
    """
    global state  # noqa: PLW0603 (one process-wide fact, read by status and tests)
    if state != _NOT_INSTALLED:
        return state  # decided once: a build finished since must not mix into this process
    why = f"{PURE_ENV} is set" if os.environ.get(PURE_ENV) else stale()
    if why is None:
        sys.meta_path.insert(0, _Compiled())
        state = "compiled"
    else:
        state = f"source: {why}"
    return state
