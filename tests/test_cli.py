from __future__ import annotations

from pathlib import Path

import pytest

from kpi_extract.cli import main
from tests.conftest import SAMPLES


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
