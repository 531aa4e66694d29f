"""A deterministic, streaming zip writer: local headers, data, central directory, ZIP64.

Deterministic by construction: one fixed DOS time, "made by" Unix, mode 0644 or 0755, the UTF-8
flag, no extra fields except ZIP64 where a size or offset needs it, no directory entries, no
data descriptors (the output is a seekable file, so sizes are patched into the local header).
"""

from __future__ import annotations

import itertools
import struct
from collections.abc import Iterable
from dataclasses import dataclass
from typing import BinaryIO

from octoci.errors import OctociError
from octoci.packaging.crc import crc32_combine
from octoci.packaging.pipeline import SegmentResult
from octoci.packaging.reproducible import dos_date_time

__all__ = ["ZIP64_LIMIT", "ZipStreamWriter"]

ZIP64_LIMIT = 0xFFFFFFFF
COUNT_LIMIT = 0xFFFF
_STORED, _DEFLATED = 0, 8
_UTF8 = 0x0800
_UNIX = 3
_LOCAL = struct.Struct("<IHHHHHIIIHH")
_CENTRAL = struct.Struct("<IHHHHHHIIIHHHHHII")
_END = struct.Struct("<IHHHHIIH")
_END64 = struct.Struct("<IQHHIIQQQQ")
_LOCATOR = struct.Struct("<IIQI")


@dataclass
class _Record:
    name: bytes
    method: int
    crc: int
    compressed: int
    size: int
    offset: int
    executable: bool
    local_zip64: bool


class ZipStreamWriter:
    """Writes zip entries one after the other to ``out`` (a seekable binary file).

    The limits are parameters so tests can exercise the ZIP64 paths with small files.

    Example::

        writer = ZipStreamWriter(handle, timestamp=315532800)
        writer.add("a.txt", size=3, executable=False, parts=[result])
        writer.close()
    """

    def __init__(
        self,
        out: BinaryIO,
        *,
        timestamp: int,
        zip64_limit: int = ZIP64_LIMIT,
        count_limit: int = COUNT_LIMIT,
    ) -> None:
        self.out = out
        self.date, self.time = dos_date_time(timestamp)
        self.zip64_limit = zip64_limit
        self.count_limit = count_limit
        self.records: list[_Record] = []

    def _needs_local_zip64(self, size: int) -> bool:
        # Decided before the data is compressed, from the size alone (so deterministic): leave
        # room for deflate's worst-case growth (stored blocks, sync flushes) of a large entry.
        return size + size // 256 + 65_536 >= self.zip64_limit

    def add(
        self,
        name: str,
        *,
        size: int,
        executable: bool,
        stored: bool,
        parts: Iterable[SegmentResult],
    ) -> None:
        """Write one entry of ``size`` bytes from its segment results, in order.

        ``stored`` is the caller's choice for multi-segment entries; a single segment decides
        for itself (``SegmentResult.stored``).
        """
        encoded = name.encode("utf-8")
        offset = self.out.tell()
        local_zip64 = self._needs_local_zip64(size)
        iterator = iter(parts)
        first = next(iterator)
        second = next(iterator, None)
        if second is None:  # a single segment: everything is known before the header is written
            method = _STORED if first.stored else _DEFLATED
            record = _Record(
                encoded,
                method,
                first.crc,
                len(first.data),
                first.raw_length,
                offset,
                executable,
                local_zip64,
            )
            self._write_local(record)
            self.out.write(first.data)
        else:
            method = _STORED if stored else _DEFLATED
            record = _Record(encoded, method, 0, 0, 0, offset, executable, local_zip64)
            self._write_local(record)
            for part in itertools.chain((first, second), iterator):
                self.out.write(part.data)
                record.crc = crc32_combine(record.crc, part.crc, part.raw_length)
                record.compressed += len(part.data)
                record.size += part.raw_length
            self._patch_local(record)
        if record.size != size:
            raise OctociError(f"{name} changed size while it was being packed; pack again")
        if not local_zip64 and record.compressed >= self.zip64_limit:
            raise OctociError(f"{name} grew past 4 GiB when compressed; pack it with level 0")
        self.records.append(record)

    def _version(self, record: _Record, zip64: bool) -> int:
        return 45 if zip64 else (20 if record.method == _DEFLATED else 10)

    def _local_fields(self, record: _Record) -> tuple[int, int, bytes]:
        if record.local_zip64:
            extra = struct.pack("<HHQQ", 1, 16, record.size, record.compressed)
            return ZIP64_LIMIT, ZIP64_LIMIT, extra
        return record.compressed, record.size, b""

    def _write_local(self, record: _Record) -> None:
        compressed, size, extra = self._local_fields(record)
        self.out.write(
            _LOCAL.pack(
                0x04034B50,
                self._version(record, record.local_zip64),
                _UTF8,
                record.method,
                self.time,
                self.date,
                record.crc,
                compressed,
                size,
                len(record.name),
                len(extra),
            )
        )
        self.out.write(record.name)
        self.out.write(extra)

    def _patch_local(self, record: _Record) -> None:
        end = self.out.tell()
        self.out.seek(record.offset)
        self._write_local(record)
        self.out.seek(end)

    def close(self) -> None:
        """Write the central directory and the end records (ZIP64 ones only when needed)."""
        start = self.out.tell()
        for record in self.records:
            self._write_central(record)
        end = self.out.tell()
        count, size = len(self.records), end - start
        if count >= self.count_limit or start >= self.zip64_limit or size >= self.zip64_limit:
            self.out.write(
                _END64.pack(0x06064B50, 44, (_UNIX << 8) | 45, 45, 0, 0, count, count, size, start)
            )
            self.out.write(_LOCATOR.pack(0x07064B50, 0, end, 1))
            # The classic record keeps only the "see ZIP64" markers for what overflowed.
            count = COUNT_LIMIT if count >= self.count_limit else count
            start = ZIP64_LIMIT if start >= self.zip64_limit else start
            size = ZIP64_LIMIT if size >= self.zip64_limit else size
        self.out.write(_END.pack(0x06054B50, 0, 0, count, count, size, start, 0))

    def _write_central(self, record: _Record) -> None:
        values = []
        sizes = [record.size, record.compressed]
        for index, value in enumerate(sizes):
            if value >= self.zip64_limit:
                values.append(value)
                sizes[index] = ZIP64_LIMIT
        offset = record.offset
        if offset >= self.zip64_limit:
            values.append(offset)
            offset = ZIP64_LIMIT
        extra = struct.pack(f"<HH{len(values)}Q", 1, 8 * len(values), *values) if values else b""
        mode = 0o100755 if record.executable else 0o100644
        version = self._version(record, bool(values) or record.local_zip64)
        self.out.write(
            _CENTRAL.pack(
                0x02014B50,
                (_UNIX << 8) | version,
                version,
                _UTF8,
                record.method,
                self.time,
                self.date,
                record.crc,
                sizes[1],
                sizes[0],
                len(record.name),
                len(extra),
                0,
                0,
                0,
                mode << 16,
                offset,
            )
        )
        self.out.write(record.name)
        self.out.write(extra)
