"""tar, tar.gz and tar.bz2: round trip, member metadata, reproducibility, delta-friendliness."""

from __future__ import annotations

import gzip
import os
import tarfile
from pathlib import Path

import pytest

# bzip2 is slow to write (about 2 s a tree here): the quick loop skips it, CI does not.
TAR_FORMATS = ["tar", "tar.gz", pytest.param("tar.bz2", marks=pytest.mark.slow)]


@pytest.mark.parametrize("fmt", TAR_FORMATS)
def test_round_trip_and_member_metadata(
    fmt: str, tree: Path, pack, helpers, tmp_path: Path
) -> None:
    package = pack(tree, format=fmt)
    assert package.path.name == f"Acme.Web.1.2.3.{fmt}"
    with tarfile.open(package.path) as archive:
        members = archive.getmembers()
        archive.extractall(tmp_path / "unpacked", filter="data")
    assert helpers.tree_files(tmp_path / "unpacked") == helpers.tree_files(tree)
    assert [m.name for m in members] == sorted((m.name for m in members), key=str.encode)
    assert all(m.isfile() for m in members)
    assert {(m.uid, m.gid, m.uname, m.gname, m.mtime) for m in members} == {
        (0, 0, "", "", 315_532_800)
    }
    modes = {m.name: m.mode for m in members}
    if os.name == "posix":
        assert modes["scripts/run.sh"] == 0o755
    assert modes["readme.txt"] == 0o644
    assert package.size % 512 == 0 or fmt != "tar"


@pytest.mark.parametrize("fmt", TAR_FORMATS)
def test_reproducible_across_threads_and_mtimes(fmt: str, tree: Path, pack) -> None:
    first = pack(tree, format=fmt, threads=1)
    for path in tree.rglob("*"):
        os.utime(path, (1_900_000_000, 1_900_000_000))
    assert pack(tree, format=fmt, threads=2).sha256 == first.sha256


def test_gzip_header_has_no_name_or_time(tree: Path, pack) -> None:
    data = pack(tree, format="tar.gz").path.read_bytes()
    assert data[:4] == b"\x1f\x8b\x08\x00"  # no FNAME flag
    assert data[4:8] == b"\0\0\0\0"  # mtime 0
    assert gzip.decompress(data)  # CRC and size trailer are right


def test_source_date_epoch_in_tar(tree: Path, pack) -> None:
    with tarfile.open(pack(tree, format="tar.gz", timestamp=1_700_000_000).path) as archive:
        assert {m.mtime for m in archive.getmembers()} == {1_700_000_000}


def _shared_ends(old: bytes, new: bytes) -> int:
    prefix = 0
    while prefix < min(len(old), len(new)) and old[prefix] == new[prefix]:
        prefix += 1
    suffix = 0
    while suffix < min(len(old), len(new)) - prefix and old[-1 - suffix] == new[-1 - suffix]:
        suffix += 1
    return prefix + suffix


def test_tar_gz_is_delta_friendly(helpers, pack, tmp_path: Path) -> None:
    # A change in one file must change only that file's stretch of the compressed stream (plus
    # the 8-byte trailer): everything before and after stays byte-identical, unlike gzip -6.
    files = {f"f{i:02}.txt": (b"file %d " % i) * 20_000 for i in range(20)}
    base = helpers.make_tree(tmp_path / "src", files)
    old = pack(base, format="tar.gz").path.read_bytes()
    (base / "f10.txt").write_bytes(b"changed " * 20_000)
    new = pack(base, format="tar.gz").path.read_bytes()
    unchanged = _shared_ends(old[:-8], new[:-8])
    assert unchanged > 0.85 * len(old)
    whole_stream = gzip.compress(b"".join(files[k] for k in sorted(files)), mtime=0)
    assert len(old) < 1.05 * len(whole_stream) + 20 * 600  # per-file flushes cost little
