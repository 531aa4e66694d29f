"""The ``tar``, ``tar.gz`` and ``tar.bz2`` formats, deterministic and streamed.

Members are GNU tar (long names through ``././@LongLink``, which SharpCompress and Calamari read),
owned by 0:0 with no user or group names, mode 0644 or 0755, one fixed mtime, in sorted order.

tar.gz is one gzip member (no name, mtime 0) whose deflate stream is built like ``pigz
--rsyncable`` would wish: every file starts a fresh, unprimed compressor (a sync flush ends the
previous one), so a change to one file changes only that file's stretch of the output and a
delta upload stays small. Files over 1 MiB are compressed in parallel 1 MiB segments primed with
the 32 KiB before them. Already-compressed data goes into stored deflate blocks.

tar.bz2 is a single bzip2 stream written by one thread: SharpCompress, which Calamari uses, does
not read the concatenated streams a parallel bzip2 would produce.
"""

from __future__ import annotations

import bz2
import struct
import tarfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import BinaryIO

from octoci.model import PackageEntry, PackageSpec
from octoci.packaging.crc import crc32_combine
from octoci.packaging.names import is_executable
from octoci.packaging.pipeline import Segment, SegmentResult, process_segments
from octoci.packaging.settings import SEGMENT_SIZE, WriteSettings, looks_compressed

__all__ = ["tar_header", "write_tar", "write_tar_bz2", "write_tar_gz"]

_BLOCK = tarfile.BLOCKSIZE
_RECORD = tarfile.RECORDSIZE
_GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"  # no name, mtime 0, OS unknown


def tar_header(name: str, size: int, executable: bool, mtime: int) -> bytes:
    """The GNU tar header block(s) of a regular file."""
    info = tarfile.TarInfo(name)
    info.size = size
    info.mtime = mtime
    info.mode = 0o755 if executable else 0o644
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info.tobuf(tarfile.GNU_FORMAT, "utf-8", "surrogateescape")


def _padding(size: int) -> bytes:
    return b"\0" * (-size % _BLOCK)


def _member_segments(entry: PackageEntry, settings: WriteSettings, mode: str) -> list[Segment]:
    info = entry.source.stat()  # an OSError names the file; write_package reports it as such
    size = info.st_size
    header = tar_header(entry.name, size, is_executable(info.st_mode), settings.timestamp)
    level = settings.level
    if level and mode == "stream" and looks_compressed(entry.source):
        level = 0
    offsets = list(range(0, size, SEGMENT_SIZE)) or [0]
    segments = []
    for index, offset in enumerate(offsets):
        last = index == len(offsets) - 1
        segments.append(
            Segment(
                entry.source,
                offset,
                min(SEGMENT_SIZE, size - offset),
                prefix=header if index == 0 else b"",
                suffix=_padding(size) if last else b"",
                mode=mode,
                level=level,
                last_of_file=last,
            )
        )
    return segments


def _segments(
    entries: Sequence[PackageEntry], settings: WriteSettings, mode: str, written: list[int]
) -> Iterator[Segment]:
    for entry in entries:
        for segment in _member_segments(entry, settings, mode):
            written[0] += segment.size
            yield segment
    # End of archive: two zero blocks, then zeros up to a whole record, as tar(1) writes.
    end = 2 * _BLOCK
    end += -(written[0] + end) % _RECORD
    yield Segment(None, prefix=b"\0" * end, mode=mode, level=settings.level, finish=True)


def _results(
    entries: Sequence[PackageEntry], settings: WriteSettings, mode: str
) -> Iterator[SegmentResult]:
    written = [0]
    return process_segments(
        _segments(entries, settings, mode, written),
        settings.engine,
        threads=settings.threads,
        budget=settings.budget,
    )


def write_tar(spec: PackageSpec, entries: Sequence[PackageEntry], destination: Path) -> None:
    """The ``tar`` :class:`~octoci.model.PackageWriter` (uncompressed)."""
    settings = WriteSettings.from_spec(spec)
    with destination.open("wb") as handle:
        for result in _results(entries, settings, "raw"):
            handle.write(result.data)


def write_tar_gz(spec: PackageSpec, entries: Sequence[PackageEntry], destination: Path) -> None:
    """The ``tar.gz`` :class:`~octoci.model.PackageWriter` (rsync-friendly, parallel gzip)."""
    settings = WriteSettings.from_spec(spec)
    with destination.open("wb") as handle:
        _write_gzip(handle, _results(entries, settings, "stream"))


def _write_gzip(handle: BinaryIO, results: Iterator[SegmentResult]) -> None:
    handle.write(_GZIP_HEADER)
    crc = size = 0
    for result in results:
        handle.write(result.data)
        crc = crc32_combine(crc, result.crc, result.raw_length)
        size += result.raw_length
    handle.write(struct.pack("<II", crc, size & 0xFFFFFFFF))


def write_tar_bz2(spec: PackageSpec, entries: Sequence[PackageEntry], destination: Path) -> None:
    """The ``tar.bz2`` :class:`~octoci.model.PackageWriter` (one bzip2 stream, default level 9)."""
    settings = WriteSettings.from_spec(spec, default_level=9)
    compressor = bz2.BZ2Compressor(max(1, settings.level))
    with destination.open("wb") as handle:
        for result in _results(entries, settings, "raw"):
            handle.write(compressor.compress(result.data))
        handle.write(compressor.flush())
