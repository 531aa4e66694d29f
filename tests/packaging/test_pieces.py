"""Large files split into pieces compressed in parallel (pigz's method), through ``octoci pack``.

A zip entry over 4 MiB and every file of a tar.gz are cut into 1 MiB pieces; each is compressed
on its own, primed with the 32 KiB before it and ended with a sync flush, so the pieces join
into one deflate stream. These tests fail when a piece is finished too early, left unprimed,
written out of order, or checksummed wrongly, and when the result depends on the thread count.
"""

from __future__ import annotations

import gzip
import random
import shutil
import struct
import subprocess
import tarfile
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from octoci.packaging.engines import select_engine
from octoci.packaging.pipeline import Segment, batched
from octoci.packaging.settings import SEGMENT_SIZE, WHOLE_LIMIT

_WINDOW = 32 * 1024


def _text(seed: int, size: int) -> bytes:
    """Compressible text whose pieces differ, with repeats reaching back across piece cuts."""
    rng = random.Random(seed)
    words = [b"octopus", b"deploy", b"tentacle", b"release", b"\n", b'{"id": 18}', b"<div>"]
    line = b" ".join(rng.choice(words) for _ in range(400))
    out = bytearray()
    while len(out) < size:
        out += line if rng.random() < 0.5 else b" ".join(rng.choice(words) for _ in range(400))
    return bytes(out[:size])


def _pack(run_cli: Callable[..., Any], base: Path, out: Path, *extra: str) -> Path:
    result = run_cli(
        "--no-plugins", "pack", "--id", "Acme.Web", "--version", "1.0.0",
        "--base-path", str(base), "--out-folder", str(out), *extra,
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    return next(out.iterdir())


def _expected_stream(data: bytes, engine_name: str) -> bytes:
    """The pigz-style stream built piece by piece, the way the design says it is."""
    engine = select_engine(engine_name)
    pieces = []
    for offset in range(0, len(data), SEGMENT_SIZE):
        piece = data[offset : offset + SEGMENT_SIZE]
        last = offset + SEGMENT_SIZE >= len(data)
        primer = data[max(0, offset - _WINDOW) : offset]
        pieces.append(engine.deflate_segment(piece, 6, primer, finish=last))
    return b"".join(pieces)


@pytest.mark.parametrize("engine", ["auto", "zlib"])
def test_a_file_over_many_pieces_is_one_primed_stream_the_same_on_any_thread_count(
    engine: str, helpers: Any, tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    size = WHOLE_LIMIT + 5 * SEGMENT_SIZE + 12_345  # ten pieces, the last a short one
    data = _text(18, size)
    base = helpers.make_tree(tmp_path / "build", {"big/app.log": data, "small.txt": b"hi\n"})
    packages = []
    for run, threads in enumerate(("1", "3", "3")):
        out = tmp_path / f"out{run}"
        packages.append(_pack(run_cli, base, out, "--engine", engine, "--threads", threads))
    first = packages[0].read_bytes()
    assert all(p.read_bytes() == first for p in packages[1:])  # threads 1 = threads 3 = rerun
    with zipfile.ZipFile(packages[0]) as archive:
        info = archive.getinfo("big/app.log")
        assert info.compress_type == zipfile.ZIP_DEFLATED
        assert zlib.crc32(data) == info.CRC  # combined from the pieces' CRCs
        assert info.file_size == size
        assert archive.read("big/app.log") == data  # zipfile checks the CRC too
        stream = helpers.raw_entry(archive, packages[0], "big/app.log")
    # One stream: it decompresses to the file and ends exactly where the entry ends.
    decompressor = zlib.decompressobj(-15)
    assert decompressor.decompress(stream) == data
    assert decompressor.eof
    assert decompressor.unused_data == b""
    # Pieces primed with the 32 KiB before them, sync-flushed, in order.
    assert stream == _expected_stream(data, engine)
    # Priming matters for size: unprimed pieces would be larger than what was written.
    pieces = select_engine(engine)
    unprimed = sum(
        len(pieces.deflate_segment(data[o : o + SEGMENT_SIZE], 6, b"", finish=False))
        for o in range(0, size, SEGMENT_SIZE)
    )
    assert len(stream) < unprimed
    if shutil.which("unzip"):
        done = subprocess.run(["unzip", "-tq", str(packages[0])], capture_output=True, text=True)
        assert done.returncode == 0, done.stdout + done.stderr


def test_tar_gz_pieces_join_into_one_gzip_member(
    helpers: Any, tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    data = _text(7, 3 * SEGMENT_SIZE + 999)
    files = {"big.txt": data, **{f"small/{n}.txt": _text(n, 2_000 + n) for n in range(40)}}
    base = helpers.make_tree(tmp_path / "build", files)
    one = _pack(run_cli, base, tmp_path / "one", "--format", "tar.gz", "--threads", "1")
    many = _pack(run_cli, base, tmp_path / "many", "--format", "tar.gz", "--threads", "3")
    assert one.read_bytes() == many.read_bytes()
    raw = gzip.decompress(one.read_bytes())  # checks the combined CRC-32 and length trailer
    crc, length = struct.unpack("<II", one.read_bytes()[-8:])
    assert (crc, length) == (zlib.crc32(raw), len(raw))
    with tarfile.open(one) as archive:
        for name, content in files.items():
            member = archive.extractfile(name)
            assert member is not None, name
            assert member.read() == content, name


def test_batches_keep_order_and_group_by_size(tmp_path: Path) -> None:
    sizes = [10, 600_000, 500_000, 3 * SEGMENT_SIZE, 1, 2, 3]
    segments = [Segment(None, prefix=b"x" * n, mode="raw") for n in sizes]
    batches = list(batched(segments))
    assert [s for batch in batches for s in batch] == segments
    assert [[s.size for s in batch] for batch in batches] == [
        [10, 600_000, 500_000],
        [3 * SEGMENT_SIZE],
        [1, 2, 3],
    ]
