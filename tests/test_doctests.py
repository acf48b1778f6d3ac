"""The examples in the package's docstrings, run against the modules as Python loads them.

A compiled module (:mod:`kpi_extract.native`) keeps no docstrings, and pytest's
``--doctest-modules`` imports a module by the path of its source, which a compiled one does
not have: the examples are read from the sources and run with each module's globals, so
that they test the compiled code where it is loaded and the source elsewhere.
"""

from __future__ import annotations

import ast
import doctest
import importlib
from collections.abc import Iterator
from pathlib import Path

import pytest

import kpi_extract

PACKAGE = Path(kpi_extract.__file__).parent


def _module(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _docstrings(body: list[ast.stmt], prefix: str) -> Iterator[tuple[str, str, int]]:
    """(qualified name, docstring, line) of each function and class in ``body``, nested."""
    for node in body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            name = f"{prefix}.{node.name}"
            doc = ast.get_docstring(node, clean=False)
            if doc is not None:
                yield name, doc, node.body[0].lineno
            yield from _docstrings(node.body, name)


def _examples() -> Iterator[tuple[str, str, str, Path, int]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        module = _module(path)
        tree = ast.parse(path.read_text("utf-8"))
        found = list(_docstrings(tree.body, module))
        doc = ast.get_docstring(tree, clean=False)
        if doc is not None:
            found.insert(0, (module, doc, 1))
        for name, text, line in found:
            if ">>>" in text:
                yield module, name, text, path, line


EXAMPLES = list(_examples())


def test_the_examples_are_found() -> None:
    # The docstrings with examples, as --doctest-modules found them (50 in the sources).
    names = [name for _, name, *_ in EXAMPLES]
    assert len(names) == len(set(names)) == 50
    assert "kpi_extract.dates.find_dates_in_lines" in names
    assert "kpi_extract.values.parse_quantity" in names
    assert "kpi_extract.remote.nanoseconds" in names


@pytest.mark.parametrize(
    ("module", "name", "text", "path", "line"),
    [pytest.param(*example, id=example[1]) for example in EXAMPLES],
)
def test_docstring_examples(module: str, name: str, text: str, path: Path, line: int) -> None:
    globs = dict(vars(importlib.import_module(module)))
    test = doctest.DocTestParser().get_doctest(text, globs, name, str(path), line)
    report: list[str] = []
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    result = runner.run(test, out=report.append)
    assert result.failed == 0, "".join(report)
    assert result.attempted > 0
