"""The zip writer: round trip, reproducibility, storing, segments, ZIP64, engines."""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import zipfile
import zlib
from pathlib import Path

import pytest

from octoci.model import PackageEntry, PackageSpec
from octoci.packaging.engines import select_engine
from octoci.packaging.pipeline import Segment, SegmentResult, process_segment
from octoci.packaging.reproducible import dos_date_time
from octoci.packaging.selection import Selection, select_entries
from octoci.packaging.settings import WriteSettings
from octoci.packaging.zipformat import ZipStreamWriter
from octoci.packaging.zipwriter import plan_file, write_zip_members


def test_round_trip_gives_the_same_tree(tree: Path, pack, helpers, tmp_path: Path) -> None:
    package = pack(tree)
    assert package.path.name == "Acme.Web.1.2.3.zip"
    with zipfile.ZipFile(package.path) as archive:
        assert archive.testzip() is None
        archive.extractall(tmp_path / "unpacked")
        infos = {i.filename: i for i in archive.infolist()}
    assert helpers.tree_files(tmp_path / "unpacked") == helpers.tree_files(tree)
    assert all(not name.endswith("/") for name in infos)  # no directory entries
    assert {i.date_time for i in infos.values()} == {(1980, 1, 1, 0, 0, 0)}
    assert all(i.extra == b"" for i in infos.values())
    assert all(i.create_system == 3 for i in infos.values())
    if os.name == "posix":
        assert infos["scripts/run.sh"].external_attr >> 16 == 0o100755
    assert infos["readme.txt"].external_attr >> 16 == 0o100644


def test_incompressible_and_compressed_files_are_stored(tree: Path, pack) -> None:
    with zipfile.ZipFile(pack(tree).path) as archive:
        method = {i.filename: i.compress_type for i in archive.infolist()}
    assert method["media/photo.png"] == zipfile.ZIP_STORED  # by suffix
    assert method["media/noise.bin"] == zipfile.ZIP_STORED  # by the probe
    assert method["empty.cfg"] == zipfile.ZIP_STORED
    assert method["bin/huge.txt"] == zipfile.ZIP_DEFLATED  # segmented stream
    assert method["bin/big.log"] == zipfile.ZIP_DEFLATED


def test_byte_identical_across_threads_mtimes_and_runs(tree: Path, pack) -> None:
    first = pack(tree, threads=1)
    for path in tree.rglob("*"):
        os.utime(path, (1_900_000_000, 1_900_000_000))
    second = pack(tree, threads=2)
    third = pack(tree, threads=3)
    assert first.sha256 == second.sha256 == third.sha256
    assert first.path.read_bytes() == second.path.read_bytes()


def test_source_date_epoch_sets_every_timestamp(tree: Path, pack) -> None:
    package = pack(tree, timestamp=1_700_000_000)  # 2023-11-14T22:13:20Z
    with zipfile.ZipFile(package.path) as archive:
        assert {i.date_time for i in archive.infolist()} == {(2023, 11, 14, 22, 13, 20)}
    assert pack(tree, timestamp=1_700_000_000).sha256 == package.sha256
    assert pack(tree).sha256 != package.sha256


def test_dos_time_is_utc_and_clamped() -> None:
    assert dos_date_time(0) == dos_date_time(315_532_800)  # before 1980: 1980-01-01
    date, time = dos_date_time(1_700_000_001)  # odd seconds round down (2-second resolution)
    assert (date >> 9) + 1980 == 2023
    assert (time & 0x1F) * 2 == 20


def test_level_zero_stores_everything(tree: Path, pack) -> None:
    with zipfile.ZipFile(pack(tree, compression_level=0).path) as archive:
        assert {i.compress_type for i in archive.infolist()} == {zipfile.ZIP_STORED}
        assert archive.testzip() is None


def test_level_changes_size_not_content(tree: Path, pack) -> None:
    fast, small = pack(tree, compression_level=1), pack(tree, compression_level=9)
    assert fast.size > small.size
    for package in (fast, small):
        with zipfile.ZipFile(package.path) as archive:
            assert archive.read("bin/huge.txt") == (tree / "bin" / "huge.txt").read_bytes()


def test_stream_segments_concatenate_into_one_deflate_stream(tmp_path: Path) -> None:
    data = os.urandom(50_000) + b"abc" * 200_000
    source = tmp_path / "data"
    source.write_bytes(data)
    cuts = [0, 70_000, 300_000, len(data)]
    pieces = [
        process_segment(
            Segment(
                source,
                start,
                end - start,
                mode="stream",
                finish=end == len(data),
                last_of_file=end == len(data),
            ),
            select_engine("zlib"),
        )
        for start, end in itertools.pairwise(cuts)
    ]
    stream = b"".join(p.data for p in pieces)
    assert zlib.decompress(stream, -15) == data


def test_file_changing_size_during_packing_is_an_error(tmp_path: Path) -> None:
    source = tmp_path / "grows.log"
    source.write_bytes(b"x" * 100)
    segment = Segment(source, 0, 50, mode="entry")
    with pytest.raises(Exception, match="changed size"):
        process_segment(segment, select_engine("zlib"))


def _write_small_zip64(tmp_path: Path, helpers) -> Path:
    files = {f"f{i:03}.txt": (b"line %d\n" % i) * (i + 1) for i in range(40)}
    files["big.bin"] = os.urandom(3000)
    base = helpers.make_tree(tmp_path / "src", files)
    entries = select_entries(Selection(base))
    settings = WriteSettings.from_spec(PackageSpec(id="A", version="1.0.0"))
    out = tmp_path / "small64.zip"
    write_zip_members(
        (plan_file(e, settings.level) for e in entries), out, settings, zip64_limit=1000
    )
    return out


def test_zip64_records_are_read_back(tmp_path: Path, helpers) -> None:
    # A 1000-byte limit exercises every ZIP64 path (local and central extras, end records).
    out = _write_small_zip64(tmp_path, helpers)
    data = out.read_bytes()
    assert b"PK\x06\x06" in data
    assert b"PK\x06\x07" in data
    with zipfile.ZipFile(out) as archive:
        assert archive.testzip() is None
        assert archive.read("big.bin") == (tmp_path / "src" / "big.bin").read_bytes()
        assert len(archive.infolist()) == 41
    if shutil.which("unzip"):
        done = subprocess.run(["unzip", "-tq", str(out)], capture_output=True, text=True)
        assert done.returncode == 0, done.stdout + done.stderr


def test_writer_refuses_a_size_mismatch(tmp_path: Path) -> None:
    with (tmp_path / "x.zip").open("wb") as handle:
        writer = ZipStreamWriter(handle, timestamp=0)
        with pytest.raises(Exception, match="changed size"):
            writer.add(
                "a",
                size=10,
                executable=False,
                stored=True,
                parts=[SegmentResult(b"abc", zlib.crc32(b"abc"), 3, stored=True)],
            )


@pytest.mark.slow
def test_more_than_65535_entries_use_zip64(tmp_path: Path) -> None:
    base = tmp_path / "many"
    base.mkdir()
    for index in range(66_000):
        (base / f"{index:05}").write_bytes(b"")
    entries = [PackageEntry(p, p.name) for p in sorted(base.iterdir())]
    settings = WriteSettings.from_spec(PackageSpec(id="A", version="1.0.0"))
    out = tmp_path / "many.zip"
    write_zip_members((plan_file(e, settings.level) for e in entries), out, settings)
    with zipfile.ZipFile(out) as archive:
        assert len(archive.infolist()) == 66_000


def test_libdeflate_engine_when_installed(tree: Path, pack) -> None:
    pytest.importorskip("deflate")
    fast = pack(tree, engine="libdeflate")
    with zipfile.ZipFile(fast.path) as archive:
        assert archive.testzip() is None
        assert archive.read("bin/big.log") == (tree / "bin" / "big.log").read_bytes()
    assert pack(tree, engine="libdeflate", threads=1).sha256 == fast.sha256
