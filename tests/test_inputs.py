"""Listing the inputs: order, pattern, and what a large folder costs to list."""

from __future__ import annotations

import os
import tracemalloc
import zipfile
from pathlib import Path
from typing import Any

import pytest

from kpi_extract import inputs
from kpi_extract.batch import convert
from kpi_extract.inputs import InputItem, archives_kept_open, item_at, iter_inputs, read_item
from tests.conftest import SAMPLES


def _names(root: Path, pattern: str = "*.txt") -> list[str]:
    items = iter_inputs([root], pattern=pattern)
    return [Path(item.path).relative_to(root).as_posix() for item in items]


def test_a_folders_files_come_in_name_order_before_its_subfolders(tmp_path: Path) -> None:
    for name in ["b/2.txt", "b/1.txt", "a/z/9.txt", "a/8.txt", "c.txt", "a.txt", "skip.json"]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x", encoding="utf-8")
    with zipfile.ZipFile(tmp_path / "b" / "pack.zip", "w") as zf:
        zf.writestr("m.txt", "x")
    assert _names(tmp_path) == [
        "a.txt",
        "c.txt",
        "a/8.txt",
        "a/z/9.txt",
        "b/1.txt",
        "b/2.txt",
        "b/pack.zip!m.txt",
    ]
    assert _names(tmp_path, "[ab].txt") == ["a.txt"]


def test_a_pattern_matches_as_fnmatch_does_with_case_kept(tmp_path: Path) -> None:
    for name in ["a1.txt", "b2.TXT", "c3.txt", "a1.txt.bak", "ab.TXT", "[x].TXT"]:
        (tmp_path / name).write_text("x", encoding="utf-8")
    assert _names(tmp_path, "[ab]?.TXT") == ["ab.TXT", "b2.TXT"]
    assert _names(tmp_path, "*.txt") == ["a1.txt", "c3.txt"]
    assert _names(tmp_path, "[[]x].TXT") == ["[x].TXT"]
    assert _names(tmp_path, "*") == sorted(
        ["a1.txt", "b2.TXT", "c3.txt", "a1.txt.bak", "ab.TXT", "[x].TXT"]
    )


def test_sizes_and_times_are_the_files(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_bytes(b"12345")
    (item,) = iter_inputs([tmp_path])
    stat = (tmp_path / "a.txt").stat()
    assert (item.size, item.mtime_ns) == (5, stat.st_mtime_ns)


def test_listing_a_large_folder_holds_its_input_names_not_its_entries(tmp_path: Path) -> None:
    # A folder's DirEntry objects, all held to sort them, cost 539 bytes per input here (an
    # input and its truth file; tracemalloc), 64 MB to list the 100,000-document bench
    # corpus. The names of the inputs alone: 67 bytes per input.
    count = 4000
    for n in range(count):
        (tmp_path / f"{n:05d}.txt").touch()
        (tmp_path / f"{n:05d}.txt.truth.json").touch()
    listed = iter_inputs([tmp_path])
    tracemalloc.start()
    try:
        first = next(listed)  # the folder is listed and sorted here
        held, _ = tracemalloc.get_traced_memory()
        rest = sum(1 for _ in listed)
    finally:
        tracemalloc.stop()
    assert Path(first.path).name == "00000.txt" and rest == count - 1
    assert held / count < 150, f"{held / count:.0f} bytes held per input listed"


def test_a_file_is_read_to_its_end_whatever_size_it_was_listed_with(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_bytes(b"x" * 70_000)
    item = item_at(str(path))
    assert item.size == 70_000
    path.write_bytes(b"y" * 200_000)  # grown since it was listed
    assert read_item(item) == b"y" * 200_000
    path.write_bytes(b"z")  # shrunk
    assert read_item(item) == b"z"
    path.write_bytes(b"")
    assert read_item(item_at(str(path))) == b""


def test_reading_a_folder_or_a_file_gone_raises_oserror(tmp_path: Path) -> None:
    folder = tmp_path / "d"
    folder.mkdir()
    gone = tmp_path / "gone.txt"
    gone.write_bytes(b"x")
    item = item_at(str(gone))
    gone.unlink()
    for target in (item, InputItem(str(folder), 0, 0)):
        with pytest.raises(OSError):
            read_item(target)


def _encrypted(archive: Path, member: str) -> None:
    """Mark ``member`` of ``archive`` encrypted (flag bit 0 in both of its headers)."""
    data = bytearray(archive.read_bytes())
    with zipfile.ZipFile(archive) as zf:
        data[zf.getinfo(member).header_offset + 6] |= 0x01  # the local header's flags
    central = data.find(b"PK\x01\x02")
    while central != -1:
        length = int.from_bytes(data[central + 28 : central + 30], "little")
        if data[central + 46 : central + 46 + length] == member.encode():
            data[central + 8] |= 0x01  # the central directory header's flags
        central = data.find(b"PK\x01\x02", central + 4)
    archive.write_bytes(bytes(data))


def test_a_member_that_cannot_be_read_raises_oserror_whatever_the_reason(tmp_path: Path) -> None:
    archive = tmp_path / "pack.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("a.txt", "first")
        zf.writestr("locked.txt", "second")
    _encrypted(archive, "locked.txt")
    first, locked = iter_inputs([archive])
    assert read_item(first) == b"first"
    # zipfile raises RuntimeError for an encrypted member: a worker used to die of it.
    with pytest.raises(OSError, match=r"pack\.zip!locked\.txt: RuntimeError: .*encrypted"):
        read_item(locked)
    archive.write_bytes(archive.read_bytes()[:40])  # damaged since it was listed
    with pytest.raises(OSError, match=r"pack\.zip!a\.txt: BadZipFile"):
        read_item(first)


def test_an_archive_stays_open_from_one_member_to_the_next_while_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("a", "b"):
        with zipfile.ZipFile(tmp_path / f"{name}.zip", "w", zipfile.ZIP_DEFLATED) as zf:
            for n in range(3):
                zf.writestr(f"{n}.txt", f"{name}{n}")
    items = list(iter_inputs([tmp_path]))
    opened: list[str] = []
    open_archive = inputs._open_archive

    def counted(archive: str) -> Any:
        opened.append(Path(archive).name)
        return open_archive(archive)

    monkeypatch.setattr(inputs, "_open_archive", counted)
    assert [read_item(item) for item in items[:2]] == [b"a0", b"a1"]
    assert opened == ["a.zip", "a.zip"]  # outside the block: opened for each member
    opened.clear()
    with archives_kept_open():
        # Opening an archive reads its whole directory: once per member, converting an
        # archive took time growing with the square of its members.
        assert [read_item(item) for item in items] == [b"a0", b"a1", b"a2", b"b0", b"b1", b"b2"]
        assert opened == ["a.zip", "b.zip"]
        kept: Any = inputs._KEPT.archive.zf
        with archives_kept_open():  # within another block: the outer one keeps
            assert read_item(items[3]) == b"b0"
        assert opened == ["a.zip", "b.zip"] and kept.fp is not None
        # Rewritten since it was opened (another size): opened again, the new bytes read.
        with zipfile.ZipFile(tmp_path / "b.zip", "w") as zf:
            zf.writestr("0.txt", "rewritten")
        assert read_item(InputItem(items[3].path, 9, 0, str(tmp_path / "b.zip"), "0.txt")) == (
            b"rewritten"
        )
        assert opened == ["a.zip", "b.zip", "b.zip"]
        # A member that fails closes what it was read from: the next member opens it anew.
        with pytest.raises(OSError, match=r"b\.zip!1\.txt: KeyError"):
            read_item(items[4])
        assert inputs._KEPT.archive.zf is None
        assert read_item(items[0]) == b"a0"
        assert opened == ["a.zip", "b.zip", "b.zip", "a.zip"]
        kept = inputs._KEPT.archive.zf
    assert kept.fp is None  # closed with the block
    assert getattr(inputs._KEPT, "archive", None) is None


def test_converting_an_archive_reads_its_directory_once_per_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 200 members, 4 chunks, two workers: the listing opens the archive once, and each
    # worker once for all the members it reads (the log is appended to by each process).
    sample = sorted(SAMPLES.rglob("*.txt"))[0].read_bytes()
    archive = tmp_path / "year.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for n in range(200):
            zf.writestr(f"dumps/{n:03d}.txt", sample + f"\n{n}\n".encode())
    log = tmp_path / "opened"
    open_archive = inputs._open_archive

    def noted(path: str) -> Any:
        with log.open("a", encoding="utf-8") as out:
            out.write(f"{os.getpid()}\n")
        return open_archive(path)

    monkeypatch.setattr(inputs, "_open_archive", noted)
    summary = convert([archive], tmp_path / "out", jobs=2)
    assert (summary.seen, summary.parsed, summary.quarantined) == (200, 200, 0)
    opened = log.read_text(encoding="utf-8").split()
    assert opened.count(str(os.getpid())) == 1  # the listing
    assert len(opened) == 3 and len(set(opened)) == 3  # and each worker once
