"""Read and compress segments on worker threads, hand the results back in order.

zlib and libdeflate release the GIL while they compress, so threads give real parallelism.
Memory is bounded: at most ``budget`` bytes of input are in flight (submitted, running, or done
but not yet written), whatever the package size.
"""

from __future__ import annotations

import os
import zlib
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TypeVar

from octoci.cores import usable_cores
from octoci.errors import OctociError
from octoci.files import display_path
from octoci.packaging.engines import Engine, crc32
from octoci.packaging.progress import count_read

__all__ = [
    "BATCH_SIZE",
    "Segment",
    "SegmentResult",
    "batched",
    "default_threads",
    "incompressible",
    "ordered_map",
    "process_batch",
    "process_segment",
    "process_segments",
]

T = TypeVar("T")
R = TypeVar("R")
_WINDOW = 32 * 1024
_PROBE = 64 * 1024
_PROBE_ABOVE = 128 * 1024
#: Segments are handed to the workers in batches of about this many input bytes: a small file
#: costs more in thread hand-over (futures, wake-ups, GIL switches) than in compression.
BATCH_SIZE = 1024 * 1024


def incompressible(sample: bytes) -> bool:
    """True when ``sample`` barely shrinks at level 1: random data, media, archives.

    Deflating such data costs full CPU for nothing; the decision depends only on the bytes,
    so the package stays reproducible.
    """
    return len(zlib.compress(sample, 1)) > 0.97 * len(sample)


def default_threads() -> int:
    """One worker per core the process may use (capped at 8: beyond that the writer is the limit)."""
    return min(usable_cores(), 8)


@dataclass(frozen=True)
class Segment:
    """A piece of output to produce: ``prefix`` + ``length`` bytes of ``source`` from ``offset``
    + ``suffix``, compressed as one piece of a deflate stream.

    ``mode`` is ``"raw"`` (no compression: tar, tar.bz2 and stored zip entries), ``"entry"`` (a
    whole zip entry; may fall back to stored when deflate does not shrink it) or ``"stream"`` (a
    piece of a longer deflate stream, ended with a sync flush unless ``finish``; the previous
    32 KiB of the file prime the compressor when ``offset`` > 0).
    """

    source: Path | None
    offset: int = 0
    length: int = 0
    prefix: bytes = b""
    suffix: bytes = b""
    mode: str = "stream"
    level: int = 6
    finish: bool = False
    last_of_file: bool = True

    @property
    def size(self) -> int:
        """Input bytes of this segment, what it costs in the in-flight budget."""
        return len(self.prefix) + self.length + len(self.suffix)


@dataclass(frozen=True)
class SegmentResult:
    """The output of one segment and the CRC-32 and length of its input."""

    data: bytes
    crc: int
    raw_length: int
    stored: bool


_OPEN_FLAGS = os.O_RDONLY | getattr(
    os, "O_BINARY", 0
)  # O_BINARY: no newline translation on Windows


def _read_exactly(descriptor: int, size: int) -> bytes:
    """Up to ``size`` bytes, fewer only at end of file (a read may return less)."""
    data = os.read(descriptor, size)
    if len(data) == size or not data:
        return data
    parts = [data]
    missing = size - len(data)
    while missing > 0 and (chunk := os.read(descriptor, missing)):
        parts.append(chunk)
        missing -= len(chunk)
    return b"".join(parts)


def _read(segment: Segment) -> tuple[bytes, bytes]:
    """The segment's file bytes and, for a stream piece past the file's start, the 32 KiB before."""
    if segment.source is None:
        return b"", b""
    start = max(0, segment.offset - _WINDOW) if segment.mode == "stream" else segment.offset
    # A bare descriptor and one read syscall per segment: no file object, no copy through a
    # buffer (a small file costs more in Python overhead than in reading). The last segment of a
    # file asks for one byte more, to notice a file that grew since it was planned.
    extra = 1 if segment.last_of_file else 0
    try:
        descriptor = os.open(segment.source, _OPEN_FLAGS)
        try:
            if start:
                os.lseek(descriptor, start, os.SEEK_SET)
            dictionary = (
                _read_exactly(descriptor, segment.offset - start) if segment.offset else b""
            )
            data = _read_exactly(descriptor, segment.length + extra)
        finally:
            os.close(descriptor)
    except OSError as exc:
        # read() errors carry no file name; write_package needs it to name the input.
        exc.filename = exc.filename or str(segment.source)
        raise
    if len(data) != segment.length:  # shorter: the file shrank; longer: it grew
        raise OctociError(
            f"{display_path(segment.source)} changed size while it was being packed; pack again "
            "when the build has finished writing it"
        )
    return data, dictionary


def process_segment(segment: Segment, engine: Engine) -> SegmentResult:
    """Read and compress one segment (runs on a worker thread)."""
    body, dictionary = _read(segment)
    count_read(segment.source, segment.length, segment.last_of_file)
    raw = (
        b"".join((segment.prefix, body, segment.suffix))
        if segment.prefix or segment.suffix
        else body
    )
    crc = crc32(raw)
    if segment.mode == "raw":
        return SegmentResult(raw, crc, len(raw), stored=True)
    if segment.mode == "entry":
        if len(raw) > _PROBE_ABOVE and incompressible(raw[:_PROBE]):
            return SegmentResult(raw, crc, len(raw), stored=True)
        packed = engine.deflate_whole(raw, segment.level)
        if len(packed) >= len(raw):  # deflate did not help: store the bytes as they are
            return SegmentResult(raw, crc, len(raw), stored=True)
        return SegmentResult(packed, crc, len(raw), stored=False)
    level = segment.level
    if level and len(raw) > _PROBE_ABOVE and incompressible(raw[:_PROBE]):
        level = 0
    packed = engine.deflate_segment(raw, level, dictionary, finish=segment.finish)
    if level and len(packed) > len(raw) + 16:
        # Incompressible: stored deflate blocks cost 5 bytes per 64 KiB and no CPU.
        packed = engine.deflate_segment(raw, 0, b"", finish=segment.finish)
    return SegmentResult(packed, crc, len(raw), stored=False)


def process_batch(batch: Sequence[Segment], engine: Engine) -> list[SegmentResult]:
    """:func:`process_segment` for each of ``batch`` (one work item on a worker thread)."""
    return [process_segment(segment, engine) for segment in batch]


def batched(segments: Iterable[Segment], limit: int = BATCH_SIZE) -> Iterator[list[Segment]]:
    """``segments`` in order, grouped into lists of about ``limit`` input bytes (a segment of
    ``limit`` or more is a batch alone). Each segment is still compressed on its own, so the
    output does not depend on the grouping, and the grouping depends only on the sizes."""
    batch: list[Segment] = []
    size = 0
    for segment in segments:
        batch.append(segment)
        size += segment.size
        if size >= limit:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def process_segments(
    segments: Iterable[Segment], engine: Engine, *, threads: int, budget: int
) -> Iterator[SegmentResult]:
    """The result of every segment, in order, computed on ``threads`` workers in batches with at
    most ``budget`` input bytes in flight (what every built-in writer calls)."""
    batches = ordered_map(
        partial(process_batch, engine=engine),
        batched(segments),
        threads=threads,
        budget=budget,
        cost=lambda batch: sum(s.size for s in batch),
    )
    for results in batches:
        yield from results


def ordered_map(
    function: Callable[[T], R],
    items: Iterable[T],
    *,
    threads: int,
    budget: int,
    cost: Callable[[T], int],
) -> Iterator[R]:
    """``map(function, items)`` on ``threads`` workers, results in input order, with at most
    ``budget`` (by ``cost``) in flight. One thread runs inline: the same results, no pool."""
    if threads <= 1:
        yield from map(function, items)
        return
    pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="octoci-pack")
    pending: deque[tuple[Future[R], int]] = deque()
    in_flight = 0
    try:
        for item in items:
            item_cost = cost(item)
            while pending and in_flight + item_cost > budget:
                future, spent = pending.popleft()
                in_flight -= spent
                yield future.result()
            pending.append((pool.submit(function, item), item_cost))
            in_flight += item_cost
        while pending:
            future, _spent = pending.popleft()
            yield future.result()
    finally:
        # On an error (or a consumer that stops early) drop queued work instead of finishing it.
        pool.shutdown(wait=True, cancel_futures=True)
