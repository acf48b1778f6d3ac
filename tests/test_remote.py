"""Inputs named by URL (kpi_extract.remote): listed, read and skipped as local files are.

fsspec's in-memory filesystem stands in for a bucket: the same calls (``ls``, ``info``,
``cat_file``, ``open``) reach s3fs or gcsfs. Its files are seen by the local workers, which
fork after they are written; the Dask workers, separate processes, read ``file://`` URLs
(tests/test_distributed.py).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from io import BytesIO
from pathlib import Path
from typing import Any, ClassVar

import fsspec
import pytest
from fsspec.asyn import AsyncFileSystem
from fsspec.implementations.memory import MemoryFileSystem

from kpi_extract import batch, remote
from kpi_extract.batch import _default_jobs, convert
from kpi_extract.cli import main
from kpi_extract.document import Chunk, Reader, Task, process_chunk
from kpi_extract.inputs import InputError, item_at, iter_inputs, read_item
from kpi_extract.store import read_table
from tests.conftest import SAMPLES
from tests.test_convert import snapshot


class _Bucket(MemoryFileSystem):  # type: ignore[misc]  # fsspec has no type hints
    """A memory filesystem of its own (``bucket://``) that counts reads and can fail.

    ``timeless``: its listing gives no time, as some stores (plain HTTP) do not.
    """

    protocol = "bucket"
    store: ClassVar[dict[str, Any]] = {}
    pseudo_dirs: ClassVar[list[str]] = [""]
    reads: ClassVar[list[str]] = []
    failing: ClassVar[dict[str, Exception]] = {}
    timeless: ClassVar[bool] = False

    @classmethod
    def _strip_protocol(cls, path: str) -> str:
        return str(super()._strip_protocol(path.removeprefix("bucket://")))

    def _strip(self, info: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in info.items() if k != "created"} if self.timeless else info

    def ls(self, path: str, detail: bool = True, **kwargs: Any) -> Any:
        if path.strip("/") in self.failing:
            raise self.failing[path.strip("/")]
        found = super().ls(path, detail=detail, **kwargs)
        return [self._strip(i) for i in found] if detail else found

    def info(self, path: str, **kwargs: Any) -> dict[str, Any]:
        if path.strip("/") in self.failing:
            raise self.failing[path.strip("/")]
        return self._strip(super().info(path, **kwargs))

    def cat_file(self, path: str, start: int | None = None, end: int | None = None) -> bytes:
        self.reads.append(path)
        if path.strip("/") in self.failing:
            raise self.failing[path.strip("/")]
        return bytes(super().cat_file(path, start=start, end=end))


@pytest.fixture
def bucket() -> Iterator[type[_Bucket]]:
    fsspec.register_implementation("bucket", _Bucket, clobber=True)
    _Bucket.store, _Bucket.pseudo_dirs = {}, [""]
    _Bucket.reads, _Bucket.failing, _Bucket.timeless = [], {}, False
    _Bucket.clear_instance_cache()
    yield _Bucket
    _Bucket.store = {}


def _fill(url: str) -> list[str]:
    """The samples written under ``url``; their names relative to the samples folder."""
    fs, root = fsspec.core.url_to_fs(url)
    names = [p.relative_to(SAMPLES).as_posix() for p in sorted(SAMPLES.rglob("*.txt"))]
    for name in names:
        fs.pipe_file(f"{root}/{name}", (SAMPLES / name).read_bytes())
    return names


def comparable(snap: dict[str, list[Any]], url_root: str | None = None) -> dict[str, list[Any]]:
    """A snapshot without the inputs' modification times (a copy's are its own), and with
    the URLs under ``url_root`` named by their sample paths."""

    def row(items: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
        kept = (item for item in items if item[0] != "mtime_ns")
        if url_root is None:
            return tuple(kept)
        return tuple((k, v.replace(url_root, str(SAMPLES))) for k, v in kept)

    return {name: sorted(row(r) for r in rows) for name, rows in snap.items()}


@pytest.mark.parametrize("jobs", [0, 2])
def test_a_bucket_converts_to_the_dataset_its_local_copy_gives(
    tmp_path: Path, bucket: type[_Bucket], jobs: int
) -> None:
    _fill("bucket://dumps/2567")
    local, remote_out = tmp_path / "local", tmp_path / "bucket"
    convert([SAMPLES], local, jobs=jobs)
    summary = convert(["bucket://dumps/2567"], remote_out, jobs=jobs)
    assert (summary.seen, summary.parsed, summary.records) == (13, 13, 15)
    paths = sorted(str(p) for p in read_table(remote_out, "documents").column("path").to_pylist())
    assert paths[0] == "bucket:///dumps/2567/kpi_detail/b01_crlf_flood.txt"
    assert len(set(paths)) == 13 and all(p.startswith("bucket:///dumps/2567/") for p in paths)
    converted = comparable(snapshot(remote_out), "bucket:///dumps/2567")
    assert converted == comparable(snapshot(local))
    # Every object was read once (by this process with no workers: a worker's reads are
    # counted in its own copy); the next run reads none, sizes and times being unchanged.
    assert len(bucket.reads) == (13 if jobs == 0 else 0)
    bucket.reads.clear()
    assert convert(["bucket://dumps/2567"], remote_out, jobs=0).skipped == 13
    assert bucket.reads == []


def test_an_object_rewritten_is_parsed_again_and_only_it(
    tmp_path: Path, bucket: type[_Bucket]
) -> None:
    names = _fill("bucket://dumps")
    out = tmp_path / "out"
    convert(["bucket://dumps"], out, jobs=0)
    fs = fsspec.filesystem("bucket")
    changed = "kpi_detail/b01_crlf_flood.txt"
    assert changed in names
    data = (SAMPLES / changed).read_bytes().replace(b"5012-0871", b"5012-0999")
    fs.pipe_file(f"/dumps/{changed}", data)
    bucket.reads.clear()
    summary = convert(["bucket://dumps"], out, jobs=0)
    assert (summary.parsed, summary.skipped) == (1, 12)
    assert bucket.reads == [f"/dumps/{changed}"]
    codes = read_table(out, "kpis").column("kpi_code").to_pylist()
    assert "5012-0999" in codes and "5012-0871" not in codes


def test_an_object_without_a_time_is_read_at_every_run_and_skipped_by_its_hash(
    tmp_path: Path, bucket: type[_Bucket]
) -> None:
    _fill("bucket://dumps")
    bucket.timeless = True
    (item, *_) = iter_inputs(["bucket://dumps"])
    assert item.mtime_ns == remote.UNKNOWN_TIME
    out = tmp_path / "out"
    assert convert(["bucket://dumps"], out, jobs=0).parsed == 13
    bucket.reads.clear()
    summary = convert(["bucket://dumps"], out, jobs=0)
    assert (summary.parsed, summary.skipped) == (0, 13)
    assert len(bucket.reads) == 13  # read, hashed, found unchanged: not parsed


def test_a_bucket_is_listed_in_the_order_and_by_the_pattern_of_a_local_folder(
    tmp_path: Path, bucket: type[_Bucket]
) -> None:
    fs = fsspec.filesystem("bucket")
    members = BytesIO()
    with zipfile.ZipFile(members, "w") as zf:
        zf.writestr("m.txt", "x")
        zf.writestr("n.json", "x")
    for name in ["b/2.txt", "b/1.txt", "a/z/9.txt", "a/8.txt", "c.txt", "a.txt", "skip.json"]:
        fs.pipe_file(f"/root/{name}", b"x")
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"x")
    fs.pipe_file("/root/b/pack.zip", members.getvalue())
    (tmp_path / "b" / "pack.zip").write_bytes(members.getvalue())
    expected = ["a.txt", "c.txt", "a/8.txt", "a/z/9.txt", "b/1.txt", "b/2.txt", "b/pack.zip!m.txt"]
    listed = list(iter_inputs(["bucket://root"]))
    assert [i.path.removeprefix("bucket:///root/") for i in listed] == expected
    local = [Path(i.path).relative_to(tmp_path).as_posix() for i in iter_inputs([tmp_path])]
    assert local == expected
    assert [i.path for i in iter_inputs(["bucket://root"], pattern="[ab].txt")] == [
        "bucket:///root/a.txt"
    ]
    member = listed[-1]
    assert (member.archive, member.member, member.size) == ("bucket:///root/b/pack.zip", "m.txt", 1)
    assert read_item(member) == b"x"
    # A file named by URL is an input whatever its name, as a local file named is.
    (single,) = iter_inputs(["bucket://root/skip.json"])
    assert (single.path, single.size) == ("bucket:///root/skip.json", 1)


def test_an_input_is_found_again_by_its_url(bucket: type[_Bucket]) -> None:
    fs = fsspec.filesystem("bucket")
    members = BytesIO()
    with zipfile.ZipFile(members, "w") as zf:
        zf.writestr("in/m.txt", "hello")
    fs.pipe_file("/r/pack.zip", members.getvalue())
    fs.pipe_file("/r/a.txt", b"abc")
    plain = item_at("bucket:///r/a.txt")
    assert (plain.path, plain.size, plain.refused) == ("bucket:///r/a.txt", 3, None)
    assert plain.mtime_ns == remote.nanoseconds(fs.info("/r/a.txt")) > 0
    member = item_at("bucket:///r/pack.zip!in/m.txt")
    assert (member.size, member.member, read_item(member)) == (5, "in/m.txt", b"hello")
    assert item_at("bucket:///r/gone.txt").refused == "not_found"
    assert item_at("bucket:///r/pack.zip!gone.txt").refused == "not_found"


def test_an_object_that_cannot_be_read_is_quarantined_then_read_again_at_the_next_run(
    tmp_path: Path, bucket: type[_Bucket]
) -> None:
    _fill("bucket://dumps")
    bad = "dumps/kpi_detail/b02_two_pages.txt"
    bucket.failing[bad] = RuntimeError("SlowDown: reduce your request rate")
    out = tmp_path / "out"
    summary = convert(["bucket://dumps"], out, jobs=0)
    assert (summary.parsed, summary.quarantined) == (12, 1)
    (row,) = read_table(out, "quarantine").to_pylist()
    assert (row["path"], row["stage"], row["reason_code"]) == (
        f"bucket:///{bad}",
        "read",
        "read_error",
    )
    assert "RuntimeError: SlowDown: reduce your request rate" in row["message"]
    bucket.failing.clear()  # the store answers again; the object did not change
    bucket.reads.clear()
    summary = convert(["bucket://dumps"], out, jobs=0)
    assert (summary.parsed, summary.skipped, summary.quarantined) == (1, 12, 0)
    assert bucket.reads == [f"/{bad}"]
    assert read_table(out, "quarantine").num_rows == 0
    statuses = {d["status"] for d in read_table(out, "documents").to_pylist()}
    assert statuses == {"parsed"}


@pytest.mark.parametrize(
    ("error", "message"),
    [
        (PermissionError("AccessDenied"), "AccessDenied"),
        # A client's own exception type (not every one becomes an OSError in the client).
        (RuntimeError("InternalError"), "bucket://dumps: RuntimeError: InternalError"),
    ],
)
def test_a_folder_that_cannot_be_listed_stops_the_run_and_changes_nothing(
    tmp_path: Path, bucket: type[_Bucket], error: Exception, message: str
) -> None:
    _fill("bucket://dumps")
    bucket.failing["dumps/project_progress"] = error
    out = tmp_path / "out"
    with pytest.raises(InputError, match=f"^bucket://dumps: cannot be listed: {message}$"):
        convert(["bucket://dumps"], out, jobs=0)
    assert not (out / "current").exists()


def test_an_input_that_cannot_be_looked_at_is_refused_at_the_call(
    bucket: type[_Bucket],
) -> None:
    _fill("bucket://dumps")
    bucket.failing["dumps"] = RuntimeError("ExpiredToken")
    with pytest.raises(InputError, match=r"^bucket://dumps: RuntimeError: ExpiredToken$"):
        iter_inputs(["bucket://dumps"])


def test_what_is_no_input_is_refused_at_the_call(bucket: type[_Bucket]) -> None:
    with pytest.raises(InputError, match="bucket://nothing: no such file or folder"):
        iter_inputs(["bucket://nothing"])
    with pytest.raises(InputError, match="Protocol not known: nosuch"):
        iter_inputs(["nosuch://x"])
    with pytest.raises(InputError, match="chained URLs are not inputs"):
        iter_inputs(["simplecache::bucket://x"])


def test_a_read_is_bounded(bucket: type[_Bucket]) -> None:
    fsspec.filesystem("bucket").pipe_file("/big.txt", b"x" * 101)
    assert remote.read("bucket:///big.txt", 101) == b"x" * 101
    with pytest.raises(OSError, match="larger than 100 bytes"):
        remote.read("bucket:///big.txt", 100)


def test_urls_and_paths_are_told_apart() -> None:
    assert remote.is_url("s3://bucket/dumps") and remote.is_url("file:///srv/dumps")
    assert remote.is_url("simplecache::s3://bucket")
    assert not remote.is_url("C:\\dumps") and not remote.is_url("dumps/2567")
    assert not remote.is_url("/srv/s3://odd")


def test_the_time_of_each_store_in_nanoseconds() -> None:
    utc = dt.UTC
    s3 = {"LastModified": dt.datetime(2024, 3, 5, 1, 2, 3, tzinfo=utc)}
    assert remote.nanoseconds(s3) == 1_709_600_523_000_000_000
    east = dt.timezone(dt.timedelta(hours=7))  # 08:02:03 +07:00 is 01:02:03 UTC
    adls = {"last_modified": dt.datetime(2024, 3, 5, 8, 2, 3, 250_000, tzinfo=east), "etag": "x"}
    assert remote.nanoseconds(adls) == 1_709_600_523_250_000_000  # not whole seconds: no tag
    assert remote.nanoseconds({"updated": "2024-03-05T01:02:03.500Z"}) == 1_709_600_523_500_000_000
    assert remote.nanoseconds({"mtime": 1_709_600_523.25}) == 1_709_600_523_250_000_000
    assert remote.nanoseconds({"mtime": 1_709_600_523}) == 1_709_600_523_000_000_000
    naive = {"modified": dt.datetime(2024, 3, 5, 1, 2, 3)}  # read as UTC
    assert remote.nanoseconds(naive) == 1_709_600_523_000_000_000
    assert remote.nanoseconds({"updated": "yesterday", "created": 2.0}) == 2_000_000_000
    assert remote.nanoseconds({"mtime": True, "size": 3, "ETag": "x"}) == remote.UNKNOWN_TIME


def test_a_whole_second_carries_the_content_tag_within_it() -> None:
    second = dt.datetime(2024, 3, 5, 1, 2, 3, tzinfo=dt.UTC)
    tagged = [
        remote.nanoseconds({"LastModified": second, "ETag": f'"{n:032x}"'}) for n in range(50)
    ]
    assert len(set(tagged)) == 50  # a rewrite within the second is seen
    assert all(t // 10**9 == 1_709_600_523 for t in tagged)  # still the second S3 states
    gcs = {"updated": "2024-03-05T01:02:03Z", "md5Hash": "XUFAKrxLKna5cZ2REBfFkg=="}
    assert remote.nanoseconds(gcs) // 10**9 == 1_709_600_523
    assert remote.nanoseconds(gcs) != remote.nanoseconds({"updated": "2024-03-05T01:02:03Z"})


class SlowBucket(AsyncFileSystem):  # type: ignore[misc]  # fsspec has no type hints
    """An asynchronous store (as s3fs, gcsfs, adlfs are) whose every read waits ``latency``.

    It notes the most reads it had in flight at once.
    """

    protocol = "slow"
    files: ClassVar[dict[str, bytes]] = {}
    latency: ClassVar[float] = 0.0
    log: ClassVar[str] = ""  # a file each read is noted in, from whichever process reads
    in_flight: ClassVar[int] = 0
    most_in_flight: ClassVar[int] = 0

    @classmethod
    def _strip_protocol(cls, path: str) -> str:
        return path.removeprefix("slow://").strip("/")

    async def _info(self, path: str, **kwargs: Any) -> dict[str, Any]:
        path = self._strip_protocol(path)
        if path in self.files:
            return {"name": path, "size": len(self.files[path]), "type": "file", "mtime": 1.0}
        if any(name.startswith(path + "/") for name in self.files):
            return {"name": path, "size": 0, "type": "directory"}
        raise FileNotFoundError(path)

    async def _ls(self, path: str, detail: bool = True, **kwargs: Any) -> list[Any]:
        path = self._strip_protocol(path)
        below = {
            name[len(path) + 1 :].split("/")[0]
            for name in self.files
            if name.startswith(path + "/")
        }
        return [await self._info(f"{path}/{name}") for name in sorted(below)]

    async def _cat_file(
        self, path: str, start: int | None = None, end: int | None = None, **kwargs: Any
    ) -> bytes:
        cls = type(self)
        if cls.log:
            with open(cls.log, "a", encoding="utf-8") as log:
                log.write(f"read {self._strip_protocol(path)}\n")
        cls.in_flight += 1
        cls.most_in_flight = max(cls.most_in_flight, cls.in_flight)
        try:
            await asyncio.sleep(self.latency)
            return self.files[self._strip_protocol(path)][start:end]
        finally:
            cls.in_flight -= 1


def fill_slow_bucket(copies: int, latency: float) -> None:
    """The samples, ``copies`` times each (made distinct), in ``slow://dumps``."""
    fsspec.register_implementation("slow", SlowBucket, clobber=True)
    SlowBucket.clear_instance_cache()
    SlowBucket.files, SlowBucket.latency, SlowBucket.most_in_flight = {}, latency, 0
    for n in range(copies):
        for path in sorted(SAMPLES.rglob("*.txt")):
            name = f"dumps/{n:05d}/{path.relative_to(SAMPLES).as_posix()}"
            SlowBucket.files[name] = path.read_bytes() + f"\n{n}\n".encode()


def test_a_worker_reads_its_chunks_objects_together(tmp_path: Path) -> None:
    # The 13 samples make one chunk (64 documents at most): their 13 reads are in flight
    # at once, where one after the other would wait 13 latencies.
    fill_slow_bucket(copies=1, latency=0.05)
    summary = convert(["slow://dumps"], tmp_path / "out", jobs=0)
    assert (summary.parsed, summary.records) == (13, 15)
    assert SlowBucket.most_in_flight == 13


def test_a_worker_reads_its_next_chunk_while_it_parses_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 325 documents, 6 chunks (five of 55, one of 50), one worker: the reads of a chunk are
    # in flight while the chunk before it is parsed (noted in one file by the worker, in
    # the order they came).
    fill_slow_bucket(copies=25, latency=0.05)
    log = tmp_path / "events"
    monkeypatch.setattr(SlowBucket, "log", str(log))

    def noted(tasks: list[Task], reader: Reader | None = None) -> Chunk:
        chunk = process_chunk(tasks, reader)
        with log.open("a", encoding="utf-8") as out:
            out.write(
                "parsed " + " ".join(t.item.path.removeprefix("slow://") for t in tasks) + "\n"
            )
        return chunk

    monkeypatch.setattr(batch, "process_chunk", noted)
    summary = convert(["slow://dumps"], tmp_path / "out", jobs=1)
    assert (summary.parsed, summary.quarantined) == (325, 0)
    events = [line.split(" ", 1) for line in log.read_text(encoding="utf-8").splitlines()]
    parsed = [(at, paths.split()) for at, (what, paths) in enumerate(events) if what == "parsed"]
    assert [len(paths) for _, paths in parsed] == [55, 55, 55, 55, 55, 50]
    first_read = {
        path: at for at, (what, path) in reversed(list(enumerate(events))) if what == "read"
    }
    ahead = [
        min(first_read[path] for path in paths) < parsed[number - 1][0]
        for number, (_, paths) in enumerate(parsed[1:], start=1)
    ]
    # The second chunk may come after the first began: each one after it is read ahead.
    assert ahead[1:] == [True] * 4


def test_only_objects_in_storage_are_read_ahead_and_without_a_thread_they_are_read_as_parsed(
    tmp_path: Path, bucket: type[_Bucket], monkeypatch: pytest.MonkeyPatch
) -> None:
    fsspec.filesystem("bucket").pipe_file("/root/a.txt", b"stored")
    (local := tmp_path / "a.txt").write_bytes(b"local")
    stored = [Task(item, None, None, None) for item in iter_inputs(["bucket://root"])]
    files = [Task(item, None, None, None) for item in iter_inputs([local])]
    reader = Reader()
    reader.ahead(files)  # a local file is read as it is parsed: no thread, nothing pending
    assert (reader.thread, reader.pending, reader.take(files)) == (None, {}, [None])
    reader.ahead(stored)
    assert list(reader.pending) == [id(stored)]
    assert reader.take(stored) == [b"stored"]
    assert (reader.pending, bucket.reads) == ({}, ["/root/a.txt"])

    def no_thread(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("can't start new thread")

    monkeypatch.setattr(ThreadPoolExecutor, "submit", no_thread)
    reader.ahead(stored)  # read when the chunk is parsed, as before reading ahead was
    assert (reader.pending, reader.take(stored)) == ({}, [b"stored"])


# -- S3 itself: s3fs against moto's S3 server on this machine --------------------------


@pytest.fixture(scope="module")
def s3() -> Iterator[Any]:
    """An S3 endpoint on localhost (moto), reached by s3fs in this process and its children.

    fsspec reads ``FSSPEC_S3_*`` when it is imported: this process, which imported it
    already, gets the endpoint in its config; the Dask workers, new processes, from the
    environment, as a real cluster's workers would.
    """
    s3fs = pytest.importorskip("s3fs")
    server_module = pytest.importorskip("moto.server")
    server = server_module.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    with pytest.MonkeyPatch.context() as patch:
        for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
            patch.setenv(name, "testing")
        patch.setenv("AWS_DEFAULT_REGION", "us-east-1")
        patch.setenv("FSSPEC_S3_ENDPOINT_URL", endpoint)
        patch.setitem(fsspec.config.conf, "s3", {"endpoint_url": endpoint})
        s3fs.S3FileSystem.clear_instance_cache()
        fs = fsspec.filesystem("s3")
        fs.mkdir("dumps")
        for path in sorted(SAMPLES.rglob("*.txt")):
            fs.pipe_file(f"dumps/2567/{path.relative_to(SAMPLES).as_posix()}", path.read_bytes())
        yield fs
        s3fs.S3FileSystem.clear_instance_cache()
    server.stop()


def test_an_s3_bucket_converts_as_its_local_copy_by_workers_and_on_dask(
    tmp_path: Path, s3: Any
) -> None:
    local = tmp_path / "local"
    convert([SAMPLES], local, jobs=0)
    for out, how in [(tmp_path / "workers", {"jobs": 2}), (tmp_path / "dask", {"dask": "local:2"})]:
        summary = convert(["s3://dumps/2567"], out, **how)  # type: ignore[arg-type]
        assert (summary.seen, summary.parsed, summary.records) == (13, 13, 15)
        assert comparable(snapshot(out), "s3://dumps/2567") == comparable(snapshot(local))
        assert convert(["s3://dumps/2567"], out, jobs=0).skipped == 13
    (row,) = [
        r
        for r in read_table(tmp_path / "dask", "documents").to_pylist()
        if r["path"] == "s3://dumps/2567/kpi_detail/b01_crlf_flood.txt"
    ]
    # The listing is not kept: s3fs would hold every folder's entries (about 1 KB per
    # object) in its cache for as long as the run, growing with the archive.
    assert list(s3.dircache) == []
    info = s3.info("dumps/2567/kpi_detail/b01_crlf_flood.txt")
    assert row["size"] == info["size"] == 4081
    # LastModified in whole seconds, the ETag's hash in the nanoseconds.
    assert row["mtime_ns"] // 10**9 == int(info["LastModified"].timestamp())
    assert row["mtime_ns"] % 10**9 != 0


def test_an_s3_folder_is_listed_a_page_at_a_time_in_the_order_of_its_local_copy(
    tmp_path: Path, s3: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Keys in UTF-8 byte order are names in code point order: Thai after Latin, capitals
    # before small letters, "a.txt" before the folder "a/".
    names = ["ข.txt", "ก.txt", "b.txt", "a.txt", "A.txt", "ä.txt", "x.json", "z/2.txt"]
    names += ["z/1.txt", "a/9.txt", "ก/ข.txt"]
    for name in names:
        s3.pipe_file(f"dumps/paged/{name}", name.encode("utf-8"))
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(name.encode("utf-8"))
    s3.call_s3("put_object", Bucket="dumps", Key="paged/", Body=b"")  # a console's folder marker
    asked: list[dict[str, Any]] = []
    listing = s3.call_s3

    def call_s3(method: str, **kwargs: Any) -> Any:
        if method == "list_objects_v2":
            asked.append(kwargs)
        return listing(method, **kwargs)

    monkeypatch.setattr(s3, "call_s3", call_s3)
    monkeypatch.setattr(remote, "S3_PAGE", 3)
    entries = remote.walk("s3://dumps/paged", lambda name: name.endswith(".txt"))
    first = next(entries)
    assert (first.url, first.size, len(asked)) == ("s3://dumps/paged/A.txt", 5, 1)
    rest = [first.url.removeprefix("s3://dumps/paged/")]
    rest += [e.url.removeprefix("s3://dumps/paged/") for e in entries]
    local = [Path(i.path).relative_to(tmp_path).as_posix() for i in iter_inputs([tmp_path])]
    assert rest == local == [
        "A.txt", "a.txt", "b.txt", "ä.txt", "ก.txt", "ข.txt", "a/9.txt", "z/1.txt", "z/2.txt",
        "ก/ข.txt",
    ]  # fmt: skip
    # The folder: its marker, 7 objects and 3 subfolders, 3 a page: 4 requests; then one
    # for each subfolder. None left in the client's cache of listings.
    assert [a["Prefix"] for a in asked] == ["paged/"] * 4 + ["paged/a/", "paged/z/", "paged/ก/"]
    assert {a["MaxKeys"] for a in asked} == {3}
    assert list(s3.dircache) == []


def test_s3_keys_that_are_odd_as_paths_are_inputs_all_the_same(tmp_path: Path, s3: Any) -> None:
    # "x//y.txt" lies in the folder "x/" then "x//" (a name stripped of its slashes would
    # be "x" again); "::" after the protocol is part of a key, not a chain of stores.
    keys = ["x//y.txt", "::x.txt", "q?x.txt", "h#1.txt", "a b.txt", "p%20.txt", "ไทย.txt"]
    data = (SAMPLES / "kpi_detail/b01_crlf_flood.txt").read_bytes()
    for number, key in enumerate(keys):
        code = f"5012-{number:04d}".encode()
        s3.call_s3(
            "put_object",
            Bucket="dumps",
            Key=f"odd-keys/{key}",
            Body=data.replace(b"5012-0871", code),
        )
    out = tmp_path / "out"
    summary = convert(["s3://dumps/odd-keys"], out, jobs=2)
    assert (summary.seen, summary.parsed, summary.quarantined) == (7, 7, 0)
    paths = {r["doc_id"]: r["path"] for r in read_table(out, "documents").to_pylist()}
    kpis = read_table(out, "kpis").to_pylist()
    found = {paths[r["doc_id"]].removeprefix("s3://dumps/odd-keys/"): r["kpi_code"] for r in kpis}
    assert found == {key: f"5012-{number:04d}" for number, key in enumerate(keys)}
    assert convert(["s3://dumps/odd-keys"], out, jobs=0).skipped == 7
    (item,) = iter_inputs(["s3://dumps/odd-keys/::x.txt"])
    assert read_item(item) == data.replace(b"5012-0871", b"5012-0001")
    with pytest.raises(InputError, match="chained URLs are not inputs"):
        iter_inputs(["simplecache::s3://dumps/odd-keys"])


def test_the_command_line_converts_a_bucket_without_numpy_or_pandas(
    tmp_path: Path, s3: Any
) -> None:
    # The command line refuses numpy and pandas (kpi_extract.lean): s3fs and its client must
    # do without them. The endpoint reaches the process through FSSPEC_S3_ENDPOINT_URL.
    argv = ["convert", "s3://dumps/2567", "--out", str(tmp_path / "out"), "--jobs", "2"]
    probe = "import sys; from kpi_extract.cli import main\n"
    probe += f"codes = main({argv!r}), main({argv!r})\n"
    probe += "print(*codes, 'pandas' in sys.modules, 'numpy' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    lines = done.stdout.splitlines()
    assert lines[-1].split() == ["0", "0", "False", "False"]
    assert "files seen 13, parsed 13, records 15, quarantined 0," in lines[0]
    assert "files seen 13, parsed 0, records 0, quarantined 0, unchanged-skipped 13," in lines[1]


def test_an_s3_object_rewritten_to_the_same_size_is_parsed_again(tmp_path: Path, s3: Any) -> None:
    out = tmp_path / "out"
    s3.pipe_file(
        "dumps/rewritten/b01.txt", (SAMPLES / "kpi_detail/b01_crlf_flood.txt").read_bytes()
    )
    convert(["s3://dumps/rewritten"], out, jobs=0)
    data = (SAMPLES / "kpi_detail/b01_crlf_flood.txt").read_bytes()
    s3.pipe_file("dumps/rewritten/b01.txt", data.replace(b"5012-0871", b"5012-0999"))
    summary = convert(["s3://dumps/rewritten"], out, jobs=0)
    assert (summary.parsed, summary.skipped) == (1, 0)
    assert read_table(out, "kpis").column("kpi_code").to_pylist() == ["5012-0999"]


def test_an_empty_object_and_a_damaged_archive_in_s3_are_quarantined(
    tmp_path: Path, s3: Any
) -> None:
    # S3 refuses the range of an empty object's first bytes: it is read whole. A damaged
    # .zip of 11 bytes cannot even be seeked to its directory.
    s3.pipe_file("dumps/odd/empty.txt", b"")
    s3.pipe_file("dumps/odd/bad.zip", b"PK\x03\x04garbage")
    out = tmp_path / "out"
    summary = convert(["s3://dumps/odd"], out, jobs=0)
    assert (summary.seen, summary.quarantined) == (2, 2)
    reasons = sorted(
        (r["path"], r["reason_code"]) for r in read_table(out, "quarantine").to_pylist()
    )
    assert reasons == [
        ("s3://dumps/odd/bad.zip", "bad_archive"),
        ("s3://dumps/odd/empty.txt", "empty"),
    ]


def test_what_s3_does_not_hold_is_refused_or_quarantined(s3: Any) -> None:
    with pytest.raises(InputError, match="s3://dumps/nothing: no such file or folder"):
        iter_inputs(["s3://dumps/nothing"])
    s3.pipe_file("dumps/gone/a.txt", b"x")
    (item,) = iter_inputs(["s3://dumps/gone"])
    s3.rm_file("dumps/gone/a.txt")
    with pytest.raises(FileNotFoundError, match=r"^s3://dumps/gone/a\.txt: not found \(The spec"):
        read_item(item)
    assert item_at("s3://dumps/gone/a.txt").refused == "not_found"


def test_twice_the_workers_by_default_when_an_input_is_a_url() -> None:
    cores = os.cpu_count() or 1
    assert _default_jobs([SAMPLES, str(SAMPLES)]) == cores
    assert _default_jobs([SAMPLES, "s3://dumps/2567"]) == 2 * cores


def test_parse_prints_a_buckets_records_as_those_of_its_local_copy(
    bucket: type[_Bucket], capsys: pytest.CaptureFixture[str]
) -> None:
    _fill("bucket://dumps")
    assert main(["parse", str(SAMPLES / "kpi_detail")]) == 0
    local = capsys.readouterr().out.splitlines()
    assert main(["parse", "bucket://dumps/kpi_detail", "bucket://dumps/nothing"]) == 1
    captured = capsys.readouterr()
    records = [json.loads(line) for line in captured.out.splitlines()]
    assert len(records) == len(local) == 5
    assert {r["source"].rsplit("/", 1)[1] for r in records} == {
        "b01_crlf_flood.txt",
        "b02_two_pages.txt",
        "b03_no_table_thai_digits.txt",
        "b04_truncated_no_newline.txt",
    }
    as_local = [line.replace("bucket:///dumps", str(SAMPLES)) for line in captured.out.splitlines()]
    assert as_local == local
    assert captured.err == (
        "kpi-extract: bucket://dumps/nothing: refused [unreadable] "
        "bucket://dumps/nothing: no such file or folder\n"
    )
    assert main(["report", "bucket://dumps/kpi_result/a01_cp874_waste.txt"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "bucket:///dumps/kpi_result/a01_cp874_waste.txt: cp874, 1575 bytes, 56 lines",
        "  repairs: thai_digits_to_arabic=17",
    ]
