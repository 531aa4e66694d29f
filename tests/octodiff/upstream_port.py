"""A literal port of go-octodiff's ``DeltaBuilder.Build`` (per-byte rotate, real buffers).

Slow (about 1 MB/s) and kept only as the oracle for differential tests: the fast builder must
produce the same bytes for every input, including inputs that cross buffer boundaries (tests
shrink ``read_buffer`` so that tails occur in small files).
"""

from __future__ import annotations

import hashlib
import io

from octoci.octodiff.checksums import calculate, rotate
from octoci.octodiff.format import DeltaWriter, Signature


def upstream_delta(new: bytes, signature: Signature, read_buffer: int = 4 * 1024 * 1024) -> bytes:
    """The delta upstream writes for ``new`` against ``signature``."""
    out = io.BytesIO()
    writer = DeltaWriter(out)
    writer.write_header(hashlib.sha1(new).digest())
    chunks = sorted(signature.chunks(), key=lambda c: (c[2], c[0]))
    chunk_map: dict[int, int] = {}
    max_size, min_size = 0, 65535
    for i, (_offset, length, checksum, _digest) in enumerate(chunks):
        max_size = max(max_size, length)
        min_size = min(min_size, length)
        chunk_map.setdefault(checksum, i)
    algorithm = signature.rolling
    last_match = 0
    start = 0

    def read(offset: int, length: int) -> bytes:
        return new[offset : offset + length]

    while chunks:
        buffer = new[start : start + read_buffer]
        count = len(buffer)
        if count == 0:
            break
        checksum = 0
        window = max_size
        for i in range(count - min_size + 1):
            position = start + i
            remaining = count - i
            if remaining < max_size:
                window = min_size
            if i == 0 or remaining < max_size:
                checksum = calculate(buffer[i : i + window], algorithm)
            else:
                checksum = rotate(
                    checksum, buffer[i - 1], buffer[i + window - 1], window, algorithm
                )
            if position < last_match:
                continue
            first = chunk_map.get(checksum)
            if first is None:
                continue
            j = first
            while j < len(chunks) and chunks[j][2] == checksum:
                offset, length, _checksum, digest = chunks[j]
                if hashlib.sha1(buffer[i : i + window]).digest() == digest:
                    if position > last_match:
                        writer.data(read, last_match, position - last_match)
                    writer.copy(offset, length)
                    last_match = position + window
                    break
                j += 1
        if count < read_buffer:
            break
        start = start + count - max_size + 1
    if len(new) != last_match:
        writer.data(read, last_match, len(new) - last_match)
    writer.flush()
    return out.getvalue()
