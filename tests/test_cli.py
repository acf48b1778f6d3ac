from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kpi_extract.batch import convert
from kpi_extract.cli import main
from kpi_extract.lean import without_numpy_or_pandas
from kpi_extract.store import read_table
from tests.conftest import SAMPLES
from tests.test_convert import snapshot


def test_report_prints_encoding_lines_and_repairs(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", str(SAMPLES / "kpi_result" / "a01_cp874_waste.txt")]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].endswith("a01_cp874_waste.txt: cp874, 1575 bytes, 56 lines")
    assert out[1] == "  repairs: thai_digits_to_arabic=17"


def test_report_goes_on_after_a_refused_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "a.txt").write_bytes(b"\x00\x01\x02binary")
    (tmp_path / "b.txt").write_text("ตัวชี้วัด ๑\n", encoding="utf-8")
    assert main(["report", str(tmp_path)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"{tmp_path / 'a.txt'}: REFUSED [binary] 3 control or NUL characters: " + (
        "not a text dump (utf-8)"
    )
    assert out[1] == f"{tmp_path / 'b.txt'}: utf-8, 32 bytes, 1 lines"
    assert out[2] == "  repairs: thai_digits_to_arabic=1"


def test_report_says_an_input_cannot_be_read_and_goes_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    gone = tmp_path / "gone.txt"
    sample = SAMPLES / "kpi_result" / "a01_cp874_waste.txt"
    assert main(["report", str(gone), str(sample)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"{gone}: REFUSED [unreadable] [Errno 2] No such file or directory: '{gone}'"
    assert out[1].endswith("a01_cp874_waste.txt: cp874, 1575 bytes, 56 lines")


def test_parse_prints_one_json_object_per_record(capsys: pytest.CaptureFixture[str]) -> None:
    sample = SAMPLES / "kpi_result" / "a02_two_records_page_headers.txt"
    assert main(["parse", str(sample)]) == 0
    lines = capsys.readouterr().out.splitlines()
    records = [json.loads(line) for line in lines]
    assert [(r["layout"], r["line_start"], r["target"]["value"]) for r in records] == [
        ("kpi_result", 7, 5.0),
        ("kpi_result", 89, 80.0),
    ]
    # Every key of the contract is present, missing values as null and lists as [].
    assert records[0]["kpi_code"] is None and records[0]["supporting_projects"] == []


def test_parse_pretty_and_given_fiscal_year(capsys: pytest.CaptureFixture[str]) -> None:
    sample = SAMPLES / "kpi_result" / "a04_truncated.txt"
    assert main(["parse", "--pretty", "--fiscal-year", "2563", str(sample)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("{\n  ")
    record = json.loads(out)
    assert (record["fiscal_year_be"], record["fiscal_year_source"]) == (2563, "given")


def test_parse_refuses_bad_files_on_stderr_and_goes_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "a_empty.txt").write_bytes(b"")
    (tmp_path / "b_letter.txt").write_text("สวัสดีครับ\n", encoding="utf-8")
    good = SAMPLES / "kpi_detail" / "b01_crlf_flood.txt"
    (tmp_path / "c_good.txt").write_bytes(good.read_bytes())
    assert main(["parse", str(tmp_path)]) == 1
    captured = capsys.readouterr()
    assert [json.loads(line)["kpi_code"] for line in captured.out.splitlines()] == ["5012-0871"]
    errors = captured.err.splitlines()
    assert errors[0].startswith(f"kpi-extract: {tmp_path / 'a_empty.txt'}: refused [empty]")
    assert errors[1].startswith(
        f"kpi-extract: {tmp_path / 'b_letter.txt'}: refused [unknown_layout]"
    )


def test_synth_writes_a_reproducible_corpus_with_its_truth(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["synth", "--n", "6", "--out", str(tmp_path / "a"), "--seed", "3"]) == 0
    assert main(["synth", "--n", "6", "--out", str(tmp_path / "b"), "--seed", "3"]) == 0
    dumps = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*.txt"))
    assert len(dumps) == 6
    for dump in dumps:
        assert (tmp_path / "a" / dump).read_bytes() == (tmp_path / "b" / dump).read_bytes()
        truth = json.loads((tmp_path / "a" / f"{dump}.truth.json").read_text(encoding="utf-8"))
        assert truth and all("layout" in record for record in truth)
    assert capsys.readouterr().out.startswith("wrote 6 documents")


def _arrow_backend(env: dict[str, str]) -> str:
    probe = "import kpi_extract.cli, pyarrow; print(pyarrow.default_memory_pool().backend_name)"
    done = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


@pytest.mark.skipif(sys.platform == "win32", reason="no jemalloc in Windows wheels")
def test_the_command_line_has_arrow_allocate_from_jemalloc_unless_told_otherwise() -> None:
    env = {k: v for k, v in os.environ.items() if k != "ARROW_DEFAULT_MEMORY_POOL"}
    assert _arrow_backend(env) == "jemalloc"
    assert _arrow_backend({**env, "ARROW_DEFAULT_MEMORY_POOL": "system"}) == "system"


def test_convert_runs_without_numpy_or_pandas_and_writes_what_the_library_writes(
    tmp_path: Path,
) -> None:
    cli_out, lib_out = tmp_path / "cli", tmp_path / "lib"
    argv = ["convert", str(SAMPLES), "--out", str(cli_out), "--jobs", "2"]
    # Twice: the second run, forced, reads the dataset back and rewrites its parts.
    probe = "import sys; from kpi_extract.cli import main\n"
    probe += f"codes = main({argv!r}), main({[*argv, '--force']!r})\n"
    probe += "print(*codes, 'pandas' in sys.modules, 'numpy' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.split()[-4:] == ["0", "0", "False", "False"]
    count = len(list(SAMPLES.rglob("*.txt")))
    assert f"files seen {count}, parsed {count}," in done.stdout.splitlines()[1]
    import pandas  # noqa: F401, PLC0415 (the library run below has pandas loaded)

    convert([SAMPLES], lib_out, jobs=1)
    assert snapshot(cli_out) == snapshot(lib_out)
    assert read_table(cli_out, "kpis").num_rows > 0


def test_lean_refuses_numpy_and_pandas_unless_either_is_loaded_already() -> None:
    probe = (
        "from kpi_extract.lean import without_numpy_or_pandas as lean\n"
        "print(lean(), lean())\n"
        "for name in ('pandas', 'numpy'):\n"
        "    try:\n        __import__(name)\n"
        "    except ModuleNotFoundError as exc:\n        print(exc.name, exc)\n"
        "import pyarrow as pa\n"
        "print(pa.array([1, None]).to_pylist())\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.splitlines() == [
        "True True",
        "pandas pandas is not loaded while converting (kpi_extract.lean)",
        "numpy numpy is not loaded while converting (kpi_extract.lean)",
        "[1, None]",
    ]
    import pandas  # noqa: F401, PLC0415

    before = list(sys.meta_path)
    assert without_numpy_or_pandas() is False and sys.meta_path == before


def _exit_probe(body: str) -> subprocess.CompletedProcess[str]:
    """Run ``body`` then ``exit_now(3)`` in a fresh interpreter, its stdout piped."""
    probe = "import atexit, sys, threading, time\nfrom kpi_extract.cli import exit_now\n"
    probe += body + "\nexit_now(3)\nprint('after exit_now')\n"
    return subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=False
    )


def test_exit_now_runs_the_exit_handlers_flushes_and_keeps_the_code() -> None:
    done = _exit_probe(
        "atexit.register(print, 'handler ran')\n"
        "sys.stdout.write('x' * 100_000)  # more than a pipe's buffer: flushed, not lost\n"
        "print(file=sys.stderr, end='err')"
    )
    assert done.returncode == 3
    assert done.stdout == "x" * 100_000 + "handler ran\n"
    assert done.stderr == "err"


def test_exit_now_waits_for_a_running_thread_as_the_usual_exit_does() -> None:
    done = _exit_probe(
        "threading.Thread(target=lambda: (time.sleep(0.3), print('thread done'))).start()"
    )
    assert (done.returncode, done.stdout) == (3, "thread done\n")


def test_the_console_command_prints_its_output_whole_and_exits_with_its_code(
    tmp_path: Path,
) -> None:
    sample = next(SAMPLES.rglob("*.txt"))
    command = [sys.executable, "-m", "kpi_extract.cli"]
    done = subprocess.run(
        [*command, "parse", str(sample)], capture_output=True, text=True, check=False
    )
    records = [json.loads(line) for line in done.stdout.splitlines()]
    assert done.returncode == 0 and records and all(r["source"] == str(sample) for r in records)
    missing = subprocess.run(
        [*command, "convert", str(tmp_path / "none"), "--out", str(tmp_path / "out")],
        capture_output=True,
        check=False,
        text=True,
    )
    assert missing.returncode == 5
    assert "no such file or folder" in missing.stderr


def test_show_prints_the_count_and_the_first_rows(
    audited: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["show", str(audited), "--table", "kpis", "--columns", "kpi_code,target_value"]
    assert main([*argv, "--limit", "2"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "kpis: 5 rows"  # a05, b02's two pages twice
    assert lines[1].split() == ["kpi_code", "target_value"]
    first = read_table(audited, "kpis", ["kpi_code", "target_value"]).slice(0, 2).to_pylist()
    assert [line.split()[1:] for line in lines[2:]] == [
        [str(row["kpi_code"] or "NaN"), str(row["target_value"])] for row in first
    ]
    assert main([*argv[:-2], "--columns", "kpi_code,nope"]) == 2
    error = capsys.readouterr().err
    assert error.startswith("kpi-extract: kpis has no column 'nope' (columns: record_id, ")


def test_what_names_no_dataset_or_cannot_be_written_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A mistyped dataset folder used to print an empty table and exit 0.
    assert main(["show", str(tmp_path / "nothing"), "--table", "kpis"]) == 5
    assert capsys.readouterr().err == (
        f"kpi-extract: {tmp_path / 'nothing'} is not a dataset written by convert\n"
    )
    blocked = tmp_path / "file"
    blocked.write_text("x", encoding="utf-8")
    assert main(["synth", "--n", "2", "--out", str(blocked / "corpus")]) == 4
    assert capsys.readouterr().err.startswith(
        f"kpi-extract: cannot write the corpus to {blocked / 'corpus'}: [Errno 20] Not a directory"
    )


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["convert", "samples", "--out", "o", "--jobs", "-1"], "argument --jobs: -1: at least 0"),
        (["convert", "samples", "--out", "o", "--batch-size", "0"], "--batch-size: 0: at least 1"),
        (
            ["convert", "samples", "--out", "o", "--commit-every", "0"],
            "--commit-every: 0: at least 1",
        ),
        (
            ["convert", "samples", "--out", "o", "--doc-timeout", "0"],
            "0: a number of seconds above 0",
        ),
        (["synth", "--n", "-5", "--out", "o"], "argument --n: -5: at least 0"),
        (["show", "o", "--table", "kpis", "--limit", "-1"], "argument --limit: -1: at least 0"),
    ],
)
def test_counts_and_times_out_of_range_are_usage_errors(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    assert message in capsys.readouterr().err
