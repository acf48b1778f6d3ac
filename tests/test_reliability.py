"""Hostile and damaged input, time bounds, output failures, personal data (issue 7)."""

from __future__ import annotations

import errno
import os
import random
import time
import zipfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from kpi_extract import document, parse_bytes
from kpi_extract import store as store_module
from kpi_extract.batch import convert
from kpi_extract.cli import main
from kpi_extract.errors import DecodeError, LayoutError, OutputError
from kpi_extract.models import KpiRecord, RecordError
from kpi_extract.redact import token
from kpi_extract.store import Store, read_table
from tests.conftest import SAMPLES
from tests.test_convert import snapshot

B01 = SAMPLES / "kpi_detail" / "b01_crlf_flood.txt"
A01 = SAMPLES / "kpi_result" / "a01_cp874_waste.txt"
C01 = SAMPLES / "project_progress" / "c01_table_then_lines.txt"
ALL_SAMPLES = sorted(SAMPLES.glob("*/*.txt"))


def _text(path: Path) -> str:
    data = path.read_bytes()
    return data.decode("cp874" if "cp874" in path.name else "utf-8").replace("\r\n", "\n")


def _outcome(result: Any) -> list[tuple[str, str]]:
    return [(Path(r["path"]).name, r["reason_code"]) for r in result]


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder of bad inputs, converted once."""
    folder = tmp_path_factory.mktemp("hostile")
    thai = _text(B01)
    (folder / "empty.txt").write_bytes(b"")
    (folder / "blank.txt").write_bytes(b"  \n\t\n\r\n   ")
    (folder / "binary.txt").write_bytes(bytes(range(256)) * 40)
    (folder / "nul.txt").write_bytes(thai.encode() + b"\x00" * 64)
    (folder / "utf16.txt").write_bytes(thai.encode("utf-16-le"))
    mixed = thai.encode() + "\nรายงานผลฯ ไตรมาสที่ 1\nข้อความภาษาไทยในรหัสเก่า\n".encode("cp874")
    (folder / "mixed.txt").write_bytes(mixed)
    lines = thai.split("\n")
    lines.insert(50, "ก" * 5_000_000)
    (folder / "one_long_line.txt").write_text("\n".join(lines), encoding="utf-8")
    with (folder / "huge.txt").open("wb") as handle:
        handle.truncate(50 * 1024 * 1024)  # 50 MB (sparse)
    (folder / "letter.txt").write_text("เรียนผู้อำนวยการ\nขอส่งรายงาน\n", encoding="utf-8")
    out = tmp_path_factory.mktemp("hostile_out") / "out"
    convert([folder], out, jobs=2)
    return out


def test_every_bad_input_is_quarantined_with_its_reason(hostile: Path) -> None:
    quarantined = sorted(_outcome(read_table(hostile, "quarantine").to_pylist()))
    assert quarantined == [
        ("binary.txt", "binary"),
        ("blank.txt", "blank"),
        ("empty.txt", "empty"),
        ("huge.txt", "too_large"),
        ("letter.txt", "unknown_layout"),
        ("mixed.txt", "mixed_encoding"),
        ("nul.txt", "binary"),
    ]
    documents = {Path(d["path"]).name: d for d in read_table(hostile, "documents").to_pylist()}
    assert len(documents) == 9
    assert documents["utf16.txt"]["status"] == "parsed"
    assert documents["utf16.txt"]["encoding"] == "utf-16-le"
    assert documents["one_long_line.txt"]["status"] == "parsed"


def test_damage_that_can_be_read_is_read_with_warnings(hostile: Path) -> None:
    warnings = {
        (Path(w["path"]).name, w["code"], w["line"])
        for w in read_table(hostile, "warnings").to_pylist()
    }
    assert ("utf16.txt", "utf16_without_bom", None) in warnings
    assert ("one_long_line.txt", "long_line", 51) in warnings
    kpis = read_table(hostile, "kpis").to_pylist()
    assert sorted(Path(k["source"]).name for k in kpis) == ["one_long_line.txt", "utf16.txt"]
    assert {k["target_value"] for k in kpis} == {Decimal("80.0000")}


def _safe_parse(data: bytes) -> list[KpiRecord | Any]:
    """Parse; only the documented errors may escape; every record validated or reported."""
    try:
        result = parse_bytes(data, source="x.txt")
    except (DecodeError, LayoutError):
        return []
    assert all(isinstance(e, RecordError) for e in result.errors)
    return list(result.records)


@pytest.mark.parametrize("sample", ALL_SAMPLES, ids=[p.stem for p in ALL_SAMPLES])
def test_a_dump_truncated_at_every_tenth_of_its_length(sample: Path) -> None:
    data = sample.read_bytes()
    kept = []
    for tenth in range(1, 10):
        records = _safe_parse(data[: len(data) * tenth // 10])
        kept.append(len(records))
    # Past the first lines, a truncated dump still yields its first record.
    assert kept[-1] >= 1
    assert kept == sorted(kept)  # more text never gives fewer records


@pytest.mark.parametrize("seed", range(10))
def test_lines_shuffled_duplicated_or_deleted_never_crash(seed: int) -> None:
    rng = random.Random(seed)
    for sample in ALL_SAMPLES:
        lines = _text(sample).split("\n")
        shuffled = lines[:]
        rng.shuffle(shuffled)
        duplicated = [line for line in lines for _ in range(rng.choice((1, 1, 2)))]
        deleted = [line for line in lines if rng.random() > 0.2]
        for variant in (shuffled, duplicated, deleted):
            _safe_parse("\n".join(variant).encode())


def _b01_with(old: str, new: str) -> KpiRecord:
    text = _text(B01)
    assert old in text
    (record,) = _safe_parse(text.replace(old, new).encode())
    assert isinstance(record, KpiRecord)
    return record


def test_a_heading_repeated_with_another_value_keeps_the_first() -> None:
    text = _text(A01)
    repeated = text.replace(
        ": ผลงานที่ทำได้ = ๖.๒๐ (ร้อยละ)\n",
        ": ผลงานที่ทำได้ = ๖.๒๐ (ร้อยละ)\n5. เป้าหมาย : 9 (ร้อยละ)\n",
    )
    (record,) = _safe_parse(repeated.encode())
    assert isinstance(record, KpiRecord)
    assert record.target.value == Decimal("5")
    assert ("duplicate_field", 23) in [(w.code, w.line) for w in record.warnings]


def test_numbers_replaced_by_text_are_warnings_not_crashes() -> None:
    record = _b01_with("ค่าเป้าหมาย ไม่น้อยกว่า (ร้อยละ) : 80.0000", "ค่าเป้าหมาย ไม่น้อยกว่า (ร้อยละ) : แปดสิบ")
    assert record.target.value is None
    codes = [(w.code, w.line) for w in record.warnings]
    assert ("bad_value", 7) in codes and ("missing_field", 1) in codes
    table = _b01_with("\n45.50\n", "\nสี่สิบห้า\n")
    assert [q.result for q in table.quarters][:2] == [Decimal("20.00"), None]
    assert ("table_cell_mismatch", 33) in [(w.code, w.line) for w in table.warnings]


def test_a_deleted_line_is_reported_missing() -> None:
    record = _b01_with("ผลงานที่ทำได้ ร้อยละ : 85.5000\n", "")
    assert record.achieved.value is None
    assert "achieved not found" in [w.message for w in record.warnings if w.code == "missing_field"]


@pytest.mark.parametrize(
    "line",
    [
        "ค่าเป้าหมาย " + " :" * 2400,
        "x" * 4000 + " : 5001-0001" + " " * 900,
        ":" * 4999,
        "(6." + "(" * 4990,
        "1" + ".1" * 2490 + " ก",
        "วันที่ " + "1 " * 2490,
    ],
    ids=["colons", "name-code", "only-colons", "parens", "dotted", "numbers"],
)
def test_pathological_lines_are_parsed_within_the_time_bound(tmp_path: Path, line: str) -> None:
    text = _text(B01).split("\n")
    text.insert(10, line)
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "doc.txt").write_text("\n".join(text * 5), encoding="utf-8")
    summary = convert([tmp_path / "in"], tmp_path / "out", jobs=1, timeout=20)
    assert (summary.parsed, summary.quarantined) == (1, 0)


def _hang_or_crash(data: bytes, **kwargs: Any) -> Any:
    if b"HANG" in data:
        time.sleep(3600)
    if b"CRASH" in data:
        os._exit(3)
    return parse_bytes(data, **kwargs)


def test_a_document_that_hangs_or_crashes_is_quarantined_and_the_batch_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(document, "parse_bytes", _hang_or_crash)
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a_hang.txt").write_bytes(B01.read_bytes() + b"HANG")
    (folder / "b_crash.txt").write_bytes(B01.read_bytes() + b"CRASH")
    # Workers parse chunks of documents: the good ones of a chunk that failed as a whole
    # are parsed again, alone, and kept; so are those of the chunks after it.
    for n in range(40):
        (folder / f"c_good_{n:02d}.txt").write_bytes(C01.read_bytes() + b"\n" * n)
    summary = convert([folder], tmp_path / "out", jobs=2, timeout=2)
    assert (summary.seen, summary.parsed, summary.quarantined) == (42, 40, 2)
    reasons = sorted(_outcome(read_table(tmp_path / "out", "quarantine").to_pylist()))
    assert reasons == [("a_hang.txt", "timeout"), ("b_crash.txt", "crashed")]
    projects = read_table(tmp_path / "out", "projects", ["source"]).column("source")
    assert sorted(Path(str(p)).name for p in projects.to_pylist()) == [
        f"c_good_{n:02d}.txt" for n in range(40)
    ]


def test_zip_member_paths_cannot_escape_and_links_out_of_the_tree_are_not_followed(
    tmp_path: Path,
) -> None:
    archive = tmp_path / "in" / "evil.zip"
    archive.parent.mkdir()
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("../../escaped.txt", B01.read_bytes())
        zf.writestr("/abs/rooted.txt", C01.read_bytes())
    outside = tmp_path / "outside.txt"
    outside.write_bytes(A01.read_bytes())
    (tmp_path / "in" / "link.txt").symlink_to(outside)
    (tmp_path / "in" / "inner.txt").write_bytes(B01.read_bytes())
    (tmp_path / "in" / "inner_link.txt").symlink_to(tmp_path / "in" / "inner.txt")
    out = tmp_path / "out"
    summary = convert([tmp_path / "in"], out, jobs=1)
    prefix = f"{tmp_path / 'in'}/"
    paths = sorted(d["path"].removeprefix(prefix) for d in read_table(out, "documents").to_pylist())
    assert paths == [
        "evil.zip!../../escaped.txt",
        "evil.zip!/abs/rooted.txt",
        "inner.txt",
        "inner_link.txt",
    ]
    assert summary.parsed == 4
    assert not (tmp_path / "escaped.txt").exists() and not Path("/abs/rooted.txt").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in", "out", "outside.txt"]


def test_a_dangling_link_or_a_link_to_a_folder_does_not_stop_the_listing(tmp_path: Path) -> None:
    # A dangling link used to raise FileNotFoundError from the listing: the batch stopped.
    folder = tmp_path / "in"
    (folder / "sub").mkdir(parents=True)
    (folder / "sub" / "b.txt").write_bytes(B01.read_bytes())
    (folder / "a.txt").write_bytes(A01.read_bytes())
    (folder / "gone.txt").symlink_to(folder / "deleted.txt")
    (folder / "again").symlink_to(folder / "sub")  # a link to a folder is not entered
    out = tmp_path / "out"
    summary = convert([folder], out, jobs=1)
    assert (summary.seen, summary.parsed, summary.quarantined) == (3, 2, 1)
    documents = {
        Path(d["path"]).relative_to(folder).as_posix(): d["status"]
        for d in read_table(out, "documents").to_pylist()
    }
    assert documents == {"a.txt": "parsed", "gone.txt": "quarantined", "sub/b.txt": "parsed"}
    assert _outcome(read_table(out, "quarantine").to_pylist()) == [("gone.txt", "not_found")]


@pytest.mark.parametrize(
    ("target", "code"),
    [("_write_parquet", errno.ENOSPC), ("_write_parquet", errno.EROFS), ("link", errno.ENOSPC)],
    ids=["full-while-writing", "read-only", "full-while-linking"],
)
def test_an_output_that_cannot_be_written_leaves_the_previous_dataset_intact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, target: str, code: int
) -> None:
    out = tmp_path / "out"
    convert([SAMPLES / "kpi_result"], out, jobs=1)
    before = snapshot(out)

    def fail(*args: Any, **kwargs: Any) -> None:
        raise OSError(code, os.strerror(code))

    if target == "link":
        monkeypatch.setattr(os, "link", fail)
    else:
        monkeypatch.setattr(store_module, target, fail)
    with pytest.raises(OutputError, match=os.strerror(code)):
        convert([SAMPLES], out, jobs=1)
    assert main(["convert", str(SAMPLES), "--out", str(out), "--jobs", "1"]) == 4
    monkeypatch.undo()
    assert snapshot(out) == before
    assert not list((out / ".kpi_extract").glob("generations/tmp-*"))
    again = convert([SAMPLES], out, jobs=1)
    assert again.parsed == 13 - 5  # the five A samples were already there


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes through read-only permissions")
def test_a_read_only_output_folder_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "out"
    convert([SAMPLES / "kpi_result"], out, jobs=1)
    out.chmod(0o555)
    try:
        assert main(["convert", str(SAMPLES), "--out", str(out)]) == 4
    finally:
        out.chmod(0o755)


def test_redact_persons_replaces_names_and_phones_everywhere(tmp_path: Path) -> None:
    key = b"a secret of the department"
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "c01.txt").write_bytes(C01.read_bytes())
    (folder / "c01_again.txt").write_bytes(C01.read_bytes() + b"\n")
    out = tmp_path / "out"
    convert([folder], out, jobs=1, redact_key=key)
    projects = read_table(out, "projects").to_pylist()
    assert {
        (p["responsible_person"], p["responsible_phone"], p["coordinator"]) for p in projects
    } == {
        (
            token(key, "person", "สมชาย ใจดี"),
            token(key, "phone", "2231"),
            token(key, "person", "วิไลวรรณ ทองคำ"),
        )
    }
    for name in (
        "documents",
        "projects",
        "sections",
        "warnings",
        "progress_reports",
        "audit_findings",
    ):
        for row in read_table(out, name).to_pylist():
            assert "สมชาย" not in repr(row) and "วิไลวรรณ" not in repr(row), name
    (agency,) = [s for s in read_table(out, "sections").to_pylist() if s["key"] == "agency"][:1]
    assert f"{token(key, 'person', 'สมชาย ใจดี')} {token(key, 'phone', '2231')}" in agency["text"]
    assert {d["redaction"] for d in read_table(out, "documents").to_pylist()} != {None}


def test_without_the_option_names_are_stored_and_turning_it_on_reparses(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "c01.txt").write_bytes(C01.read_bytes())
    out = tmp_path / "out"
    convert([folder], out, jobs=1)
    assert read_table(out, "projects").to_pylist()[0]["responsible_person"] == "สมชาย ใจดี"
    summary = convert([folder], out, jobs=1, redact_key=b"k")
    assert (summary.parsed, summary.skipped) == (1, 0)
    assert read_table(out, "projects").to_pylist()[0]["responsible_person"] == token(
        b"k", "person", "สมชาย ใจดี"
    )
    assert convert([folder], out, jobs=1, redact_key=b"k").skipped == 1
    assert Store(out).manifest()["generation"] >= 2
