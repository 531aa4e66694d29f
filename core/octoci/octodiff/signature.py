"""Building Octodiff signatures of a basis file (what the server sends the client)."""

from __future__ import annotations

import hashlib
import struct
from typing import Any, BinaryIO

from octoci.octodiff.checksums import ADLER32, ROLLING_ALGORITHMS, calculate
from octoci.octodiff.format import (
    DEFAULT_CHUNK_SIZE,
    MAX_CHUNK_SIZE,
    MIN_CHUNK_SIZE,
    OctodiffError,
    signature_header,
)

__all__ = ["build_signature"]

_RECORD = struct.Struct("<hI20s")


def _read_full(source: BinaryIO, size: int) -> bytes:
    """``size`` bytes, fewer only at the end (raw streams may return short reads)."""
    parts = []
    while size:
        part = source.read(size)
        if not part:
            break
        parts.append(part)
        size -= len(part)
    return b"".join(parts)


def build_signature(
    source: BinaryIO,
    out: BinaryIO,
    *,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    rolling: str = ADLER32,
) -> int:
    """Write the signature of ``source`` (read to its end) to ``out``; return the chunk count.

    Every chunk is ``chunk_size`` bytes except the last. With NumPy the rolling checksums of a
    whole block of chunks are computed at once (a weighted sum per row); without it, per chunk.

    :raises OctodiffError: a chunk size outside 128..31744 or an unknown rolling checksum.
    """
    if not MIN_CHUNK_SIZE <= chunk_size <= MAX_CHUNK_SIZE:
        raise OctodiffError(f"chunk size must be {MIN_CHUNK_SIZE}..{MAX_CHUNK_SIZE}")
    if rolling not in ROLLING_ALGORITHMS:
        raise OctodiffError(f"unsupported rolling checksum algorithm {rolling!r}")
    out.write(signature_header(rolling))
    per_block = max(1, (1 << 20) // chunk_size)
    from octoci.octodiff.builder import numpy_available

    np: Any = None
    weights = None
    if numpy_available():
        import numpy

        np = numpy
        # b = n + sum((n - j) * z_j); float64 dot products are exact far beyond 31744 * 255 * n.
        weights = np.arange(chunk_size, 0, -1, dtype=np.float64)
    mod = ROLLING_ALGORITHMS[rolling]
    count = 0
    sha1 = hashlib.sha1
    while block := _read_full(source, per_block * chunk_size):
        full = len(block) // chunk_size
        records = []
        if np is not None and weights is not None and full:
            matrix = np.frombuffer(block, dtype=np.uint8, count=full * chunk_size).reshape(
                full, chunk_size
            )
            values = matrix.astype(np.float64)
            a_sums = (values.sum(axis=1).astype(np.int64) + 1) % mod
            b_sums = ((values @ weights).astype(np.int64) + chunk_size) % mod
            checksums = ((b_sums << 16) | a_sums).tolist()
        else:
            checksums = [
                calculate(block[i * chunk_size : (i + 1) * chunk_size], rolling)
                for i in range(full)
            ]
        view = memoryview(block)
        for i, checksum in enumerate(checksums):
            chunk = view[i * chunk_size : (i + 1) * chunk_size]
            records.append(_RECORD.pack(chunk_size, checksum, sha1(chunk).digest()))
        tail = view[full * chunk_size :]
        if len(tail):
            records.append(_RECORD.pack(len(tail), calculate(tail, rolling), sha1(tail).digest()))
        out.write(b"".join(records))
        count += len(records)
        if len(tail):
            break  # a short read is the end: the next read would return nothing
    return count
