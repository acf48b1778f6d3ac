"""Inputs of a batch: files, folders (recursive) and ``.zip`` archives of dumps.

Each input is an :class:`InputItem` named by a stable ``path``: the file's path as given, or
``archive.zip!member/name.txt`` for a member of an archive. Folders and archives yield the
files matching ``pattern`` (``*.txt`` by default); a file named on the command line is always
an input. Symbolic links are followed only when they stay inside the folder given.
Archive members are read in memory, never extracted, so no member path can escape anything;
members larger than ``max_member_bytes`` (or compressed more than ``max_ratio`` times: a
decompression bomb) and archives inside archives are not read but reported. An input given
as a URL (``s3://bucket/dumps``) is listed and read through :mod:`kpi_extract.remote`, in the
same order and with the same rules, its items named by their URL.
"""

from __future__ import annotations

import fnmatch
import os
import re
import threading
import zipfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from kpi_extract import remote

#: Larger members are refused (``too_large``); a dump is about 10 KB.
MAX_MEMBER_BYTES: Final = 64 * 1024 * 1024
#: Members compressed more than this are refused (``decompression_bomb``).
MAX_RATIO: Final = 200


@dataclass(frozen=True, slots=True)
class InputItem:
    """One input document: where it is, its size and modification time (for skipping)."""

    path: str
    size: int
    mtime_ns: int
    archive: str | None = None
    member: str | None = None
    refused: str | None = None  # a reason code when the item must not be read


class InputError(OSError):
    """An input that does not exist or cannot be listed."""


def _archive_items(
    archive: str, pattern: str, max_member_bytes: int, max_ratio: int
) -> Iterator[InputItem]:
    with _open_archive(archive) as zf:
        for info in sorted(zf.infolist(), key=lambda i: i.filename):
            if info.is_dir():
                continue
            name = info.filename
            path = f"{archive}!{name}"
            mtime = info.CRC  # a member's "modification time": its CRC-32, with its size
            refused = None
            if name.lower().endswith(".zip"):
                refused = "nested_archive"
            elif not fnmatch.fnmatch(Path(name).name, pattern):
                continue
            elif info.file_size > max_member_bytes:
                refused = "too_large"
            elif info.compress_size and info.file_size / info.compress_size > max_ratio:
                refused = "decompression_bomb"
            yield InputItem(path, info.file_size, mtime, archive, name, refused)


@contextmanager
def _open_archive(archive: str) -> Iterator[zipfile.ZipFile]:
    """The zip archive at a local path or a URL (read by ranges, never downloaded whole)."""
    if not remote.is_url(archive):
        with zipfile.ZipFile(archive) as zf:
            yield zf
        return
    with remote.opened(archive) as handle:
        try:
            zf = zipfile.ZipFile(handle)
        except (ValueError, EOFError) as exc:  # a remote file refuses a seek before its start
            raise zipfile.BadZipFile(f"{archive}: {exc}") from exc
        with zf:
            yield zf


def _walk(root: Path, pattern: str) -> Iterator[tuple[str, os.stat_result | None]]:
    """The files under ``root`` matching ``pattern``, and archives, with their ``stat``.

    In the order of ``os.walk`` with sorted names: a folder's files, then each subfolder.
    Links to folders are not entered; a link to a file is an input when its target is under
    ``root``. Unreadable folders are skipped, as ``os.walk`` does; a file that cannot be
    stat'ed (a dangling link) comes with ``None``: it used to stop the listing. One
    ``scandir`` per folder and one ``stat`` per file: 5.5 µs per file listed, 13 with
    ``os.walk`` and ``pathlib``. Only the names of a folder's inputs are held while it is
    listed, not its ``DirEntry`` objects: listing the 100,000-document bench corpus (folders
    of up to 80,000 entries) peaked at 64.5 MB with them, 5.5 MB now (tracemalloc).
    """
    real_root = root.resolve()
    folders = [str(root)]
    matches = _matcher(pattern)
    while folders:
        folder = folders.pop()
        try:
            names, links, subfolders = _listing(folder, matches)
        except OSError:
            continue
        prefix = str(Path(folder) / "_")[:-1]  # the folder as pathlib names it, and "/"
        for name in names:
            path = prefix + name
            if name in links and not Path(path).resolve().is_relative_to(real_root):
                continue  # a link out of the input tree is not followed
            try:
                yield path, os.stat(path)
            except OSError:
                yield path, None
        folders.extend(prefix + name for name in reversed(subfolders))


def _matcher(pattern: str) -> Callable[[str], object]:
    """``fnmatch.fnmatch(name, pattern)`` as one compiled match, where names keep their case.

    ``fnmatch.fnmatch`` normalises the case of both names first, a no-op on POSIX. A run
    listing the 1,000,000-document bench corpus (2,000,000 entries) into its own dataset,
    every input skipped: 13.0-13.7 -> 12.7 s.
    """
    if os.path.normcase("A") != "A":  # Windows: names compared without case
        return lambda name: fnmatch.fnmatch(name, pattern)
    return re.compile(fnmatch.translate(pattern)).match


def _listing(
    folder: str, matches: Callable[[str], object]
) -> tuple[list[str], set[str], list[str]]:
    """A folder's inputs and subfolders, by name, sorted; which of the inputs are links.

    Inputs are the files whose name ``matches``, and archives. Links to folders are left out.
    """
    names: list[str] = []
    subfolders: list[str] = []
    links: set[str] = set()
    with os.scandir(folder) as listing:
        for entry in listing:
            name = entry.name
            if _is_dir(entry):
                if not entry.is_symlink():
                    subfolders.append(name)
            elif matches(name) or name.lower().endswith(".zip"):
                names.append(name)
                if entry.is_symlink():
                    links.add(name)
    names.sort()
    subfolders.sort()
    return names, links, subfolders


def _is_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False


def iter_inputs(
    inputs: Sequence[str | Path],
    *,
    pattern: str = "*.txt",
    max_member_bytes: int = MAX_MEMBER_BYTES,
    max_ratio: int = MAX_RATIO,
) -> Iterator[InputItem]:
    """Every input document, in a stable order, streamed.

    An input is a local path or a URL (``s3://bucket/dumps``, :mod:`kpi_extract.remote`).
    Raises :class:`InputError` for one that is no file or folder, at the call, before any
    input is listed, and for a folder of a URL that cannot be listed, as it is reached.
    """
    roots: list[Path | remote.Entry] = []
    for given in inputs:
        if isinstance(given, str) and remote.is_url(given):
            roots.append(_url_root(given))
            continue
        root = Path(given)
        if not (root.is_dir() or root.is_file()):
            raise InputError(f"{root}: no such file or folder")
        roots.append(root)
    return _iter_roots(roots, pattern, max_member_bytes, max_ratio)


def _url_root(url: str) -> remote.Entry:
    try:
        found = remote.look(url)
    except OSError as exc:
        raise InputError(str(exc)) from None
    if found is None:
        raise InputError(f"{url}: no such file or folder")
    # A file is named by its canonical URL, as when its folder is listed; a folder keeps
    # the URL as given, which the messages about it quote.
    return found._replace(url=url) if found.folder else found


def _is_archive(path: str) -> bool:
    return path.lower().endswith(".zip") and Path(path).suffix.lower() == ".zip"


def _iter_roots(
    roots: list[Path | remote.Entry], pattern: str, max_member_bytes: int, max_ratio: int
) -> Iterator[InputItem]:
    for root in roots:
        if isinstance(root, remote.Entry):
            yield from _url_items(root, pattern, max_member_bytes, max_ratio)
            continue
        listed = _walk(root, pattern) if root.is_dir() else iter([(str(root), root.stat())])
        for path, stat in listed:
            if stat is None:
                yield InputItem(path, 0, 0, refused="not_found")
            elif _is_archive(path):
                try:
                    yield from _archive_items(path, pattern, max_member_bytes, max_ratio)
                except (zipfile.BadZipFile, OSError):
                    yield InputItem(path, stat.st_size, stat.st_mtime_ns, refused="bad_archive")
            else:
                yield InputItem(path, stat.st_size, stat.st_mtime_ns)


def _url_items(
    root: remote.Entry, pattern: str, max_member_bytes: int, max_ratio: int
) -> Iterator[InputItem]:
    """The inputs of a URL: a file (an input whatever its name), or a folder's, listed."""
    listed = remote.walk(root.url, _matcher(pattern)) if root.folder else iter([root])
    try:
        for path, size, mtime_ns, _ in listed:
            if not _is_archive(path):
                yield InputItem(path, size, mtime_ns)
                continue
            try:
                yield from _archive_items(path, pattern, max_member_bytes, max_ratio)
            except (zipfile.BadZipFile, OSError):
                yield InputItem(path, size, mtime_ns, refused="bad_archive")
    except OSError as exc:
        raise InputError(f"{root.url}: cannot be listed: {exc}") from exc


def item_at(path: str) -> InputItem:
    """The input :func:`iter_inputs` names ``path``: a file, or an archive's ``archive!member``.

    One that no longer exists, or cannot be looked at, is refused (``not_found``).
    """
    url = remote.is_url(path)
    try:
        found = _url_stat(path) if url else _local_stat(path)
    except OSError:
        found = None
    if found is not None:
        return InputItem(path, found[0], found[1])
    cut = path.find("!")
    while cut != -1:  # the archive is the longest existing prefix before a "!"
        archive = path[:cut]
        try:
            if _is_zip(archive, url):
                found_items = _archive_items(archive, "*", MAX_MEMBER_BYTES, MAX_RATIO)
                match = next((item for item in found_items if item.path == path), None)
                if match is not None:
                    return match
        except (zipfile.BadZipFile, OSError):
            pass
        cut = path.find("!", cut + 1)
    return InputItem(path, 0, 0, refused="not_found")


def _url_stat(path: str) -> tuple[int, int] | None:
    entry = remote.look(path)
    return None if entry is None or entry.folder else (entry.size, entry.mtime_ns)


def _local_stat(path: str) -> tuple[int, int] | None:
    plain = Path(path)
    if not plain.is_file():
        return None
    stat = plain.stat()
    return stat.st_size, stat.st_mtime_ns


def _is_zip(archive: str, url: bool) -> bool:
    if url:
        entry = remote.look(archive)
        return entry is not None and not entry.folder
    return Path(archive).is_file() and zipfile.is_zipfile(archive)


def _read_file(path: str, size: int) -> bytes:
    """The bytes of a file, read to its end (``size``: what it held when listed).

    ``os.read`` on a descriptor, not ``Path.read_bytes``, which builds a path object and a
    buffered file object first: 9 µs instead of 22 for a 11 KB dump, every input.
    """
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        parts = [os.read(fd, size + 1)]
        while parts[-1]:  # until the end, should it have grown since it was listed
            parts.append(os.read(fd, max(size, 1 << 16)))
    finally:
        os.close(fd)
    return parts[0] if len(parts) == 2 else b"".join(parts)


def read_remote(items: Sequence[InputItem], max_size: int) -> list[bytes | OSError | None]:
    """The bytes of the items in object storage, read together (:func:`remote.read_many`).

    Per item, what :func:`read_item` would return or raise; None for an item it reads
    itself: a local file, an archive's member, one refused or larger than ``max_size``.
    """
    wanted = [
        position
        for position, item in enumerate(items)
        if item.archive is None
        and not item.refused
        and item.size <= max_size
        and remote.is_url(item.path)
    ]
    found: list[bytes | OSError | None] = [None] * len(items)
    files = [(items[position].path, items[position].size) for position in wanted]
    for position, data in zip(wanted, remote.read_many(files, MAX_MEMBER_BYTES), strict=True):
        found[position] = data
    return found


def read_item(item: InputItem) -> bytes:
    """The bytes of one input (an archive member is read in memory, size-bounded).

    Raises OSError when they cannot be read, whatever the reason (for an archive's member:
    a damaged or encrypted archive, one changed since it was listed). Within
    :func:`archives_kept_open`, an archive stays open from one member to the next.
    """
    if item.archive is None:
        if remote.is_url(item.path):
            return remote.read(item.path, MAX_MEMBER_BYTES, item.size)
        return _read_file(item.path, item.size)
    assert item.member is not None
    kept: _KeptArchive | None = getattr(_KEPT, "archive", None)
    try:
        if kept is None:
            with _open_archive(item.archive) as zf:
                data = _read_member(zf, item.member, item.size)
        else:
            data = _read_member(kept.open(item.archive), item.member, item.size)
    except Exception as exc:  # a hostile archive: bad CRC, zlib data, encrypted, gone...
        if kept is not None:
            kept.close()  # whatever failed is not read from again
        if isinstance(exc, OSError):
            raise
        raise OSError(f"{item.path}: {type(exc).__name__}: {exc}") from exc
    if len(data) > item.size:
        raise OSError(f"{item.path}: member larger than its header says")
    return data


def _read_member(zf: zipfile.ZipFile, name: str, size: int) -> bytes:
    with zf.open(name) as member:
        return member.read(size + 1)


class _KeptArchive:
    """The archive of the last member read, open for the members after it.

    Opening an archive reads its whole directory: once per member, a conversion of an
    archive was quadratic in its members (``--jobs 2``: 1,000 members 2.78 s, 4,000
    members 25.37 s, where the 4,000 as files took 3.87 s; kept open, 1.60 and 4.28 s). A
    local archive whose size or time changed is opened again; a member read from one that
    changed otherwise fails its CRC check.
    """

    def __init__(self) -> None:
        self.key: tuple[str, int, int] | None = None
        self.opened: ExitStack | None = None
        self.zf: zipfile.ZipFile | None = None

    def open(self, archive: str) -> zipfile.ZipFile:
        """The archive ``archive``, open: kept from the member before, or opened now."""
        if remote.is_url(archive):
            key = (archive, 0, 0)  # a request to look at it would cost what it saves
        else:
            found = os.stat(archive)
            key = (archive, found.st_size, found.st_mtime_ns)
        if self.zf is None or key != self.key:
            self.close()
            self.opened = ExitStack()
            self.zf = self.opened.enter_context(_open_archive(archive))
            self.key = key
        return self.zf

    def close(self) -> None:
        """Close the archive kept, if any."""
        opened, self.opened, self.zf, self.key = self.opened, None, None, None
        if opened is not None:
            opened.close()


#: The archive kept open in this thread (see :func:`archives_kept_open`).
_KEPT: Final = threading.local()


@contextmanager
def archives_kept_open() -> Iterator[None]:
    """Within it, :func:`read_item` keeps the archive of a member open for the next member.

    For this thread; a block within another keeps what the outer one keeps. A worker that
    reads the members of an archive chunk after chunk holds it for its life
    (:func:`keep_archives_open`).
    """
    if getattr(_KEPT, "archive", None) is not None:
        yield
        return
    _KEPT.archive = kept = _KeptArchive()
    try:
        yield
    finally:
        _KEPT.archive = None
        kept.close()


def keep_archives_open() -> None:
    """Keep archives open in this thread from now on, as :func:`archives_kept_open` does.

    For a worker process, which ends with its archive closed by the system.
    """
    if getattr(_KEPT, "archive", None) is None:
        _KEPT.archive = _KeptArchive()
