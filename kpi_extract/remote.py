"""Inputs named by URL: object storage (``s3://bucket/dumps``) or any filesystem of fsspec.

A cluster reads its archive where the archive lives, usually a bucket, not a disk every
worker mounts. :mod:`kpi_extract.inputs` hands an input that starts with ``protocol://``
here: the process that starts the run lists it (:func:`walk`), and whoever parses a
document, a local worker or a Dask worker, reads it (:func:`read`). fsspec is the layer
Dask itself reads object storage with: ``s3fs``, ``gcsfs`` and ``adlfs`` plug into it, and
its configuration (``FSSPEC_S3_ENDPOINT_URL``, ``FSSPEC_S3='{"anon": true}'``, files in
``~/.config/fsspec``) reaches every process that reads, without a credential on the command
line. It is imported only when a URL is given: a run over local paths never loads it.

An input is named by its canonical URL (``s3://bucket/dumps/a.txt``), which is its
``path`` in every table. Its "modification time" is the one the listing gives (S3's
``LastModified``, a local file's ``mtime``, Azure's ``last_modified``, GCS's ``updated``),
in nanoseconds; a store that gives none gets :data:`UNKNOWN_TIME`, and such an input is
read at every run (its bytes' hash then spares it being parsed again). Links are not
followed (a ``file://`` URL is listed without its links; give a local folder as a plain
path to have them followed inside it). Chained URLs (``simplecache::s3://...``) are
refused: an input must be one URL every worker can open.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import IO, Any, Final, NamedTuple, TypeVar

T = TypeVar("T")

#: An input starting so is a URL, or a chain of them (two letters at least: ``C:\\`` is a path).
_URL: Final = re.compile(r"[A-Za-z][A-Za-z0-9+.-]+(://|::)")
#: The modification time of an input whose store gives none: never equal to a listed one.
UNKNOWN_TIME: Final = -1
#: Keys of an fsspec listing that hold the modification time, by store, the first present used.
TIME_KEYS: Final = ("mtime", "LastModified", "last_modified", "updated", "modified", "created")
#: Keys of an fsspec listing that tag the content (S3, Azure; GCS), the first present used.
TAG_KEYS: Final = ("ETag", "etag", "md5Hash")
#: Keys asked for in one S3 listing request (S3 answers 1,000 at most).
S3_PAGE: Final = 1000


def is_url(given: str) -> bool:
    """Whether ``given`` names an input by URL (``s3://...``, ``file:///...``)."""
    return _URL.match(given) is not None


def _filesystem(url: str) -> tuple[Any, str]:
    """The fsspec filesystem of ``url`` and the path in it; OSError when there is none.

    A chain is ``::`` before the ``://`` that ends the protocol; after it, ``::`` is part
    of a key, which fsspec's ``url_to_fs`` would split into a chain all the same: the
    filesystem is built from the one protocol, as ``url_to_fs`` does for a plain URL.
    """
    scheme = url.partition("://")[0]
    if "::" in scheme:
        raise OSError(f"{url}: chained URLs are not inputs; name one store's URL")
    try:
        import fsspec  # noqa: PLC0415 - loaded only when an input is a URL
    except ImportError:
        raise OSError(f"{url}: URLs need fsspec: pip install 'kpi_extract[remote]'") from None
    try:
        kind = fsspec.get_filesystem_class(scheme)
        options = kind._get_kwargs_from_urls(url)  # what url_to_fs asks an implementation
        return fsspec.filesystem(scheme, **options), kind._strip_protocol(url)
    except (ImportError, ValueError) as exc:  # an unknown protocol, a missing implementation
        raise OSError(f"{url}: {exc}") from None


def nanoseconds(info: dict[str, Any]) -> int:
    """The modification time of an fsspec listing entry, in ns since the epoch.

    Seconds (``float``), an aware or naive (UTC) ``datetime``, or an ISO 8601 string.
    Where the store gives whole seconds (S3's ``LastModified``) and a tag of the content
    (``ETag``, GCS's ``md5Hash``), the nanoseconds carry a hash of the tag: an object
    rewritten within the second it was listed, to the same size, is not taken for
    unchanged, and the value stays within the second the store states.

    >>> nanoseconds({"mtime": 1.5})
    1500000000
    >>> nanoseconds({"updated": "2024-01-02T00:00:00.250Z"})
    1704153600250000000
    >>> modified = dt.datetime(2024, 1, 2, tzinfo=dt.UTC)
    >>> nanoseconds({"LastModified": modified})
    1704153600000000000
    >>> nanoseconds({"LastModified": modified, "ETag": '"5d41402abc4b2a76b9719d911017c592"'})
    1704153600558502696
    >>> nanoseconds({"size": 5})
    -1
    """
    found = _time(info)
    tag = next((info[key] for key in TAG_KEYS if info.get(key)), None)
    if found == UNKNOWN_TIME or tag is None or found % 10**9:
        return found
    digest = hashlib.blake2b(str(tag).encode("utf-8"), digest_size=8).digest()
    return found + int.from_bytes(digest, "big") % 10**9


def _time(info: dict[str, Any]) -> int:
    for key in TIME_KEYS:
        value = info.get(key)
        if isinstance(value, str):
            try:
                value = dt.datetime.fromisoformat(value)
            except ValueError:
                continue
        if isinstance(value, dt.datetime):
            if value.tzinfo is None:
                value = value.replace(tzinfo=dt.UTC)
            delta = value - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
            return (delta.days * 86_400 + delta.seconds) * 10**9 + delta.microseconds * 1000
        if isinstance(value, int | float) and not isinstance(value, bool):
            return round(value * 1e6) * 1000 if isinstance(value, float) else value * 10**9
    return UNKNOWN_TIME


def _asked(url: str, call: Callable[[], T]) -> T:
    """``call()``, any exception of a store's client raised as an OSError naming ``url``.

    s3fs and the others translate most of their errors into OSError, not all: an input
    that cannot be looked at must be a clear error, not a traceback.
    """
    try:
        return call()
    except OSError:
        raise
    except Exception as exc:  # the client's own exception types
        raise _oserror(url, exc) from exc


def _oserror(url: str, exc: BaseException) -> OSError:
    if isinstance(exc, FileNotFoundError):
        return FileNotFoundError(f"{url}: not found ({exc})")
    return OSError(f"{url}: {type(exc).__name__}: {exc}")


def _info(fs: Any, path: str, url: str) -> dict[str, Any] | None:
    try:
        found: dict[str, Any] = _asked(url, lambda: fs.info(path))
    except FileNotFoundError:
        return None
    return found


class Entry(NamedTuple):
    """A file or folder as the store lists it: canonical URL, size, time (ns)."""

    url: str
    size: int
    mtime_ns: int
    folder: bool = False


def _entry(fs: Any, info: dict[str, Any]) -> Entry:
    folder = info.get("type") == "directory"
    size = int(info.get("size") or 0)
    return Entry(fs.unstrip_protocol(info["name"]), size, nanoseconds(info), folder)


def look(url: str) -> Entry | None:
    """What ``url`` names (one request), or None: nothing, or neither a file nor a folder.

    OSError when the store cannot answer.
    """
    fs, path = _filesystem(url)
    info = _info(fs, path, url)
    if info is None or info.get("type") not in ("file", "directory"):
        return None
    return _entry(fs, info)


def walk(root: str, matches: Callable[[str], object]) -> Iterator[Entry]:
    """The files under the folder ``root`` whose name ``matches``, and archives.

    Canonical URL, size and time of each; in the order of a local listing (a folder's
    files by name, then each subfolder). A folder is read a page of the store's listing
    at a time where the store pages it (S3: :data:`S3_PAGE` keys a request), the files of
    a page yielded before the next page is asked for, so that a flat prefix of a million
    objects is neither held whole in memory (about 1.4 KB an object) nor waited for
    before its first input is parsed. Not in the store client's cache of listings either,
    which would hold every folder's for the whole run. A folder that cannot be listed
    raises OSError: in a bucket that is the store failing (its client retried already),
    and skipping the folder would lose its inputs without a word.
    """
    fs, path = _filesystem(root)
    folders = [path.rstrip("/")]
    while folders:
        folder = folders.pop()
        subfolders: list[str] = []
        for page in _pages(fs, folder, root):
            files: list[Entry] = []
            for info in page:
                if info.get("islink"):
                    continue  # links are not followed
                name = str(info["name"])
                base = name.rstrip("/").rsplit("/", 1)[-1]
                if info.get("type") == "directory":
                    subfolders.append(name)
                elif matches(base) or base.lower().endswith(".zip"):
                    files.append(_entry(fs, info))
            yield from sorted(files)
        # By name, as a local folder's subfolders, whatever slashes end them.
        folders.extend(sorted(subfolders, key=lambda name: name.rstrip("/"), reverse=True))


def _pages(fs: Any, folder: str, root: str) -> Iterator[list[dict[str, Any]]]:
    """The entries of ``folder`` as fsspec lists them, in pages in name order, but itself.

    S3 (s3fs, not version-aware) is asked a page at a time, ``list_objects_v2`` through
    the client's retrying ``call_s3``: S3 returns keys in the order of their UTF-8 bytes,
    which is the order of Python's strings, page after page. A subfolder is named by its
    prefix, slash included: ``a//b.txt`` is in the folder ``a/`` then ``a//``, where a
    name stripped of its slashes would be ``a`` again, and the object lost. Other stores'
    folders come whole, as their client lists them (``ls``), then leave its cache.
    """
    if not callable(getattr(fs, "call_s3", None)) or getattr(fs, "version_aware", True):
        page: list[dict[str, Any]] = _asked(root, lambda: fs.ls(folder, detail=True))
        fs.invalidate_cache(folder)  # s3fs, gcsfs would keep every folder's listing
        yield [info for info in page if str(info["name"]).rstrip("/") != folder.rstrip("/")]
        return
    bucket, _, key = folder.partition("/")
    prefix = key if not key or key.endswith("/") else f"{key}/"
    request = {"Bucket": bucket, "Prefix": prefix, "Delimiter": "/"}
    while True:
        answer = _asked(root, lambda: fs.call_s3("list_objects_v2", MaxKeys=S3_PAGE, **request))
        folders = [_s3_folder(bucket, found) for found in answer.get("CommonPrefixes", ())]
        # The folder's own marker (an empty object named ``prefix``, as consoles make it).
        found = [c for c in answer.get("Contents", ()) if c["Key"] != prefix]
        yield folders + [_s3_file(bucket, c) for c in found]
        if not answer.get("IsTruncated"):
            return
        request["ContinuationToken"] = answer["NextContinuationToken"]


def _s3_folder(bucket: str, found: dict[str, Any]) -> dict[str, Any]:
    return {"name": f"{bucket}/{found['Prefix']}", "type": "directory", "size": 0}


def _s3_file(bucket: str, found: dict[str, Any]) -> dict[str, Any]:
    """What s3fs's listing gives for an object of ``list_objects_v2`` (the keys used here)."""
    return {
        "name": f"{bucket}/{found['Key']}",
        "type": "file",
        "size": found.get("Size", 0),
        "LastModified": found.get("LastModified"),
        "ETag": found.get("ETag"),
    }


def read(url: str, limit: int, size: int = -1) -> bytes:
    """The bytes of the file ``url``, at most ``limit``: OSError beyond, or on any failure.

    Read in one request (a ranged GET on S3). Any error of the store's client becomes an
    OSError naming the URL, so that the input is quarantined (``read_error``) and the run
    goes on: the clients raise their own exception types.
    """
    (found,) = read_many([(url, size)], limit)
    if isinstance(found, OSError):
        raise found
    return found


def read_many(files: list[tuple[str, int]], limit: int) -> list[bytes | OSError]:
    """What :func:`read` returns or raises for each (URL, listed size), the requests made at once.

    A file listed empty is read whole: S3 refuses the range of its first bytes (416).

    A worker reads its chunk of inputs so: against object storage, the time of a document
    is mostly the request's latency (tens of milliseconds for a 10 KB object), and an
    asynchronous client (s3fs, gcsfs, adlfs) has them all in flight together. Other
    filesystems read one file after the other.
    """
    results: list[bytes | OSError] = []
    by_store: dict[int, tuple[Any, list[tuple[int, str, int]]]] = {}
    for position, (url, size) in enumerate(files):
        results.append(OSError(f"{url}: not read"))
        try:
            fs, path = _filesystem(url)
        except OSError as exc:
            results[position] = exc
            continue
        by_store.setdefault(id(fs), (fs, []))[1].append((position, path, size))
    for fs, wanted in by_store.values():
        paths = [path for _, path, _ in wanted]
        starts = [None if size == 0 else 0 for _, _, size in wanted]
        ends = [None if size == 0 else limit + 1 for _, _, size in wanted]
        try:
            found = fs.cat_ranges(paths, starts, ends, on_error="return")
        except Exception as exc:  # the whole batch failed: each input with it
            found = [exc] * len(paths)
        for (position, _, _), value in zip(wanted, found, strict=True):
            results[position] = _checked(files[position][0], value, limit)
    return results


def _checked(url: str, found: object, limit: int) -> bytes | OSError:
    if isinstance(found, BaseException):
        return _oserror(url, found)
    if not isinstance(found, bytes | bytearray | memoryview):
        return OSError(f"{url}: the store returned {type(found).__name__}, not bytes")
    data = bytes(found)
    if len(data) > limit:
        return OSError(f"{url}: larger than {limit} bytes")
    return data


@contextmanager
def opened(url: str) -> Iterator[IO[bytes]]:
    """The file ``url`` open for reading, seekable (an archive's members are read from it)."""
    fs, path = _filesystem(url)
    with _asked(url, lambda: fs.open(path, "rb")) as handle:
        yield handle
