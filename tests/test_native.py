"""The compiled modules: loaded only when built from the sources on disk, same results."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kpi_extract import native, synth
from tests.conftest import ROOT, SAMPLES, run_fresh
from tests.test_convert import snapshot


def _built() -> None:
    why = native.stale()
    if why is not None:
        pytest.skip(f"compiled modules not in use: {why}")
    if os.environ.get(native.PURE_ENV):
        pytest.skip(f"{native.PURE_ENV} is set")


def test_the_compiled_modules_are_what_python_loads_when_built() -> None:
    _built()
    assert native.state == "compiled"
    for name in native.MODULES:
        module = sys.modules.get(name) or __import__(name, fromlist=["_"])
        assert module.__file__ is not None
        assert module.__file__.endswith(native.EXTENSION_SUFFIX), name
    # An interpreted module of a compiled package is found beside its source.
    from kpi_extract.audit import dataset  # noqa: PLC0415

    assert dataset.__file__ == str(ROOT / "kpi_extract" / "audit" / "dataset.py")


@pytest.fixture
def build_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fake build in ``tmp_path`` that matches the sources; native's paths point at it."""
    build = tmp_path / "native"
    monkeypatch.setattr(native, "BUILD", build)
    for name in (*native.MODULES, f"{native.GROUP}__mypyc"):
        binary = native.binary(name)
        binary.parent.mkdir(parents=True, exist_ok=True)
        binary.write_bytes(b"")
    (build / "manifest.json").write_text(json.dumps(native.expected()), "utf-8")
    return build


def test_a_build_matching_every_source_is_fresh(build_copy: Path) -> None:
    assert native.stale() is None


def test_the_build_depends_on_what_the_compiled_modules_import() -> None:
    # Interpreted modules they import: their types and constants went into the build.
    assert {"kpi_extract.models", "kpi_extract.grammar", "kpi_extract.errors"} <= set(
        native.sources()
    )
    assert set(native.MODULES) <= set(native.sources())
    assert "kpi_extract.batch" not in native.sources()  # imports them; they do not import it


@pytest.mark.parametrize("name", ["kpi_extract.dates", "kpi_extract.models"])
def test_one_changed_source_sends_every_module_back_to_source(build_copy: Path, name: str) -> None:
    manifest = json.loads((build_copy / "manifest.json").read_text("utf-8"))
    manifest["sources"][name] = "0" * 64  # as if the file was edited since the build
    (build_copy / "manifest.json").write_text(json.dumps(manifest), "utf-8")
    assert native.stale() == f"{native.source(name).relative_to(ROOT)} changed since the build"


def test_a_build_of_another_list_of_modules_is_not_used(build_copy: Path) -> None:
    manifest = json.loads((build_copy / "manifest.json").read_text("utf-8"))
    manifest["compiled"] = manifest["compiled"][1:]
    (build_copy / "manifest.json").write_text(json.dumps(manifest), "utf-8")
    assert native.stale() == "built with another list of modules"


def test_what_was_loaded_is_decided_once_per_process() -> None:
    assert native.install() == native.state == native.install()


def test_a_build_for_another_interpreter_or_incomplete_is_not_used(build_copy: Path) -> None:
    manifest = json.loads((build_copy / "manifest.json").read_text("utf-8"))
    (build_copy / "manifest.json").write_text(json.dumps({**manifest, "suffix": ".x.so"}), "utf-8")
    assert native.stale() == "built for another interpreter (.x.so)"
    (build_copy / "manifest.json").write_text(json.dumps(manifest), "utf-8")
    native.binary("kpi_extract.segment").unlink()
    assert native.stale() == "a compiled file is missing"
    shutil.rmtree(build_copy)
    assert native.stale() == "not built (make native builds them)"


def _convert(inputs: Path, out: Path, *, pure: bool) -> str:
    """Convert in a fresh interpreter (compiled or from source); return what it loaded."""
    code = (
        "import sys; from kpi_extract import native; from kpi_extract.batch import convert; "
        "convert([sys.argv[1]], sys.argv[2], jobs=2); print(native.state)"
    )
    return run_fresh(code, str(inputs), str(out), pure=pure)


def test_compiled_and_source_modules_write_the_same_dataset(tmp_path: Path) -> None:
    _built()
    corpus = tmp_path / "corpus"
    shutil.copytree(SAMPLES, corpus / "samples")
    synth.write_corpus(150, corpus / "synthetic", seed=5)  # every layout and quirk, truncation
    assert _convert(corpus, tmp_path / "compiled", pure=False) == "compiled"
    assert _convert(corpus, tmp_path / "source", pure=True) == "source: KPI_EXTRACT_PURE is set"
    compiled, source = snapshot(tmp_path / "compiled"), snapshot(tmp_path / "source")
    assert sum(map(len, compiled.values())) > 1000  # rows in every table of a real run
    assert compiled == source


def test_a_failed_build_leaves_no_manifest_and_says_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from kpi_extract import native_build  # noqa: PLC0415

    build = tmp_path / "native"
    monkeypatch.setattr(native, "BUILD", build)
    monkeypatch.setattr(native_build, "LOG", tmp_path / "native-build.log")

    def fails(*args: object, **kwargs: object) -> subprocess.CompletedProcess[bytes]:
        (tmp_path / "native-build.log").write_text("gcc: error: no such compiler\n", "utf-8")
        return subprocess.CompletedProcess(["cc"], 1)

    monkeypatch.setattr(subprocess, "run", fails)
    assert native_build.build() == 0  # make goes on: the modules run from source
    assert not build.exists()
    assert native.stale() == "not built (make native builds them)"
    err = capsys.readouterr().err
    assert "build failed, modules run from source" in err
    assert "gcc: error: no such compiler" in err


def test_an_up_to_date_build_is_not_redone(
    build_copy: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from kpi_extract import native_build  # noqa: PLC0415

    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("compiled again")

    monkeypatch.setattr(subprocess, "run", never)
    assert native_build.build() == 0
    assert capsys.readouterr().out == "kpi_extract.native: compiled modules up to date\n"
