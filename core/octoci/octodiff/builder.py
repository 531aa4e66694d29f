"""Building Octodiff deltas: byte-identical to Octopus's ``DeltaBuilder``, at native-tool speed.

**What upstream does** (go-octodiff ``deltabuilder.go``, C# ``DeltaBuilder``): it reads the new
file in 4 MiB buffers that overlap by ``max - 1`` bytes (``max``/``min``: the longest and shortest
chunk in the signature). In each buffer it probes every position in order with a ``max``-byte
window, except the last ``max - 1`` positions, which it probes with a ``min``-byte window (the
"tail"); the next buffer then probes those positions again with full windows. A probe is skipped
when it starts before the end of the last match; otherwise, when the window's rolling checksum is
a chunk's and its SHA-1 equals that chunk's (the lowest-offset one), the bytes since the last match
become a data command and the chunk a copy. :func:`schedule` reproduces that probe order exactly,
tails included: a short-chunk match in a tail pre-empts full-chunk matches, so ignoring it gives
valid deltas that differ from Octopus's.

**Why it is fast.** Every decision is made by SHA-1 equality; the rolling checksum only filters.
So after a match the walker asks SHA-1 directly about the next windows (``skip-ahead``: unchanged
regions cost one SHA-1 per chunk and no per-byte work), and only after a miss does it compute
rolling checksums, for whole blocks of positions at once with NumPy (doubling window sums for a
power-of-two chunk size, else prefix sums), filtering the candidates through bitmaps of hashed
keys. In an unchanged region a batch's digests are compared with those of the chunks after the
last match (each the lowest-offset chunk with its digest, as upstream picks): one comparison, no
look-up. Where such a run ends, one look-up finds where the next starts (a region the basis holds
more than once is copied from its first copy); other SHA-1 look-ups go a batch at a time to a
sorted array of the digests' first 8 bytes (about 12 bytes per chunk of the base version, and 4
for the run check). Where the file is
mostly the basis, a second process hashes the whole file (the delta header) and the far part of
each stretch the walk checks (``chunk_hasher``); where it shares little, a second process computes
the candidates of the file's far end (``scan_helper``) and the whole file is hashed on a thread
(``build_helpers`` runs them). Memory does not grow with the new file: it is read through one 8 MiB
memory-mapped window, and literal bytes are copied from a second handle straight into the output
once they are certain to be literal, so the header's hash and the lengths of streamed data
commands are patched afterwards (the output must be seekable).
"""

from __future__ import annotations

import bisect
import functools
import hashlib
import mmap
import struct
from array import array
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import accumulate
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from octoci.octodiff import build_helpers
from octoci.octodiff.build_helpers import BuildHelpers
from octoci.octodiff.checksums import ADLER32, ROLLING_ALGORITHMS, calculate, rotate
from octoci.octodiff.format import DeltaWriter, OctodiffError, Signature, delta_header

if TYPE_CHECKING:
    import numpy.typing as npt

    from octoci.octodiff.chunk_hasher import ChunkHasher
    from octoci.octodiff.scan_helper import ScanHelper

__all__ = [
    "READ_BUFFER",
    "DeltaStats",
    "DeltaTooLargeError",
    "build_delta",
    "numpy_available",
    "schedule",
]

#: Upstream's read buffer; it decides where tails are, hence which bytes come out.
READ_BUFFER = 4 * 1024 * 1024
#: One signature record: int16 length, uint32 rolling checksum, SHA-1.
_RECORD_DTYPE = [("length", "<i2"), ("checksum", "<u4"), ("sha1", "V20")]
_KEEP = 64 * 1024  # bytes kept behind a move: the schedule steps back at most max - 1 < 31 KiB
#: 8 MiB, not 16: the pages of the window count in resident memory, which the scan helper's
#: process shares the 128 MB limit with; remapping twice as often costs nothing measurable.
_WINDOW = 8 * 1024 * 1024
#: Positions per vectorised block: 128 Ki keeps the work arrays (16 bytes a position) in a
#: 2 MiB L2 and halves NumPy's per-call cost against 64 Ki (6.3 ns a position here against 7.0;
#: 8.1 at 32 Ki; 1 Mi was 1.8x slower); the first block after a miss is small because a
#: shifted chunk is usually found again within one chunk length.
_MAX_SCAN = 128 * 1024
_FIRST_SCAN = 16 * 1024
#: A window length held by at most this many chunks is scanned without tables.
_FEW = 8
#: How far past a first scanned block :meth:`_Walk._aligned_match` looks for unchanged bytes.
_LOOK_AHEAD = 1 << 20
_MAX_BATCH_BYTES = 1 << 20
#: Literal bytes are written once this many more are certain (not at the next match): an
#: unrelated file's 300 MB are then written while the scan helper is still scanning.
_STREAM_STEP = 4 << 20
#: ``HASH.digest`` unbound, for ``map``.
_DIGEST = hashlib.sha1().__class__.digest


class DeltaTooLargeError(OctodiffError):
    """The delta would exceed the caller's limit; building stopped as soon as that was certain."""

    def __init__(self, limit: int, scanned: int) -> None:
        super().__init__(f"the delta would exceed {limit} bytes (stopped after {scanned} bytes)")
        self.limit = limit
        self.scanned = scanned
        #: As :attr:`DeltaStats.helper_peak_rss`: memory is measured on this path too.
        self.helper_peak_rss = 0


@dataclass(frozen=True)
class DeltaStats:
    """What a delta build produced."""

    new_size: int
    delta_size: int
    copied: int
    literal: int
    engine: str
    sha1: bytes
    #: Segments whose candidates a helper process computed (``scan_helper``), and the largest
    #: peak resident memory of the helper processes in bytes (they never run at once; 0: no
    #: helper, or not reported on this OS).
    helper_segments: int = 0
    helper_peak_rss: int = 0
    #: Windows whose SHA-1s the chunk hasher computed (``chunk_hasher``).
    hashed_by_helper: int = 0


def numpy_available() -> bool:
    """True when NumPy can be imported (the vectorised scanner)."""
    try:
        import numpy  # noqa: F401
    except ImportError:  # pragma: no cover - numpy is a dependency
        return False
    return True


def schedule(
    size: int, max_len: int, min_len: int, read_buffer: int = READ_BUFFER
) -> Iterator[tuple[int, int, int]]:
    """Upstream's probe order as segments ``(first, last, window)``: positions ``first..last``
    (inclusive) probed in order with ``window``-byte windows, segment after segment."""
    if max_len <= 0 or read_buffer < max_len:
        return
    start = 0
    while True:
        n = min(read_buffer, size - start)
        if n <= 0:
            return
        if n >= max_len:
            yield start, start + n - max_len, max_len
        first = start + max(0, n - max_len + 1)
        last = start + n - min_len
        if last >= first:
            yield first, last, min_len
        if n < read_buffer:
            return
        start += n - max_len + 1


class _Source:
    """The new file through one memory-mapped window of up to 8 MiB, moved on demand.

    Mapping beats ``readinto`` into a buffer by ~1.5 us per 2 KiB chunk here (no copy), and
    mapping a window rather than the whole file keeps resident memory bounded on every OS:
    dropping a window unmaps its pages, with no ``madvise`` (which Windows lacks).
    """

    def __init__(self, handle: BinaryIO, size: int) -> None:
        self.fileno = handle.fileno()
        self.size = size
        self.view = memoryview(b"")
        self.base = 0
        self.length = 0

    def ensure(self, start: int, end: int) -> int:
        """Make ``[start, end)`` available; return where ``start`` is in :attr:`view`."""
        end = min(end, self.size)
        if start >= self.base and end <= self.base + self.length:
            return start - self.base
        granularity = mmap.ALLOCATIONGRANULARITY
        base = max(0, start - _KEEP) // granularity * granularity
        length = min(self.size - base, max(_WINDOW, end - base))
        self.view = memoryview(b"")  # the old window is unmapped once the walker lets go of it
        try:
            mapping = mmap.mmap(self.fileno, length, access=mmap.ACCESS_READ, offset=base)
        except (ValueError, OSError) as exc:
            raise OctodiffError(
                f"the new file changed while the delta was being built: {exc}"
            ) from None
        if hasattr(mapping, "madvise"):  # read ahead (Unix); harmless to skip elsewhere
            # SEQUENTIAL, not WILLNEED: both read ahead a file that is not cached, but WILLNEED
            # walks the whole window even when it is (the usual case: the package was just
            # written), 0.15 ms a window against 0.04.
            mapping.madvise(mmap.MADV_SEQUENTIAL)
        self.view = memoryview(mapping)
        self.base = base
        self.length = length
        return start - base


#: The index's columns: offsets (int64), lengths (int32: at most 31 KiB) and rolling checksums
#: (uint32), as ``array`` type codes and NumPy dtypes of the same size.
_COLUMNS = {"q": "=i8", "i": "=i4", "I": "=u4"}  # native, as array is


def _column(np: Any, typecode: str, count: int) -> tuple[array[int], Any]:
    """A zeroed ``array(typecode)`` of ``count`` items and a NumPy view to fill it through."""
    column = array(typecode, [0]) * count
    return column, np.frombuffer(column, dtype=_COLUMNS[typecode])


class _Index:
    """The signature as the walker needs it: chunk offsets and lengths, and SHA-1 -> chunk.

    Columns are compact arrays (16 bytes per chunk, not 36-byte Python ints). With NumPy the
    SHA-1 look-up is a binary search over the digests' first 8 bytes, sorted, done for a whole
    batch of windows at once: 12 bytes per chunk on top of the signature itself (and 4 for the
    walker's run check: how many repeated digests come before each chunk), where a dict
    of the digests took about 100 (a 2 GB base version: 1M chunks, 100 MB, past the client's
    128 MB by itself). Without NumPy, a dict.
    """

    def __init__(self, signature: Signature, vectorised: bool) -> None:
        count = signature.count
        records = signature.records
        # The parser has them already: a pass over 150k lengths in Python costs ~3 ms each.
        self.shortest = signature.min_length
        self.longest = signature.max_length
        self.np: Any = None
        if count and vectorised:
            import numpy as np

            self.np = np
            table = np.frombuffer(records, dtype=_RECORD_DTYPE)
            # Each column is filled in place through a view of its array: no temporaries, as
            # every fresh page costs (about 10 us on this VM the first time it is touched).
            self.lengths, lengths = _column(np, "i", count)
            self.offsets, starts = _column(np, "q", count)
            self.checksums, checksums = _column(np, "I", count)
            lengths[:] = table["length"]
            np.cumsum(lengths[:-1], dtype=np.int64, out=starts[1:])
            checksums[:] = table["checksum"]
            del lengths, starts, checksums  # the views pin the arrays' buffers
            self.sha1 = table["sha1"]  # a view into the records: no copy
            # The digests' first 8 bytes, in place in the records (after length and checksum).
            prefixes = np.ndarray((count,), dtype="<u8", buffer=records, offset=6, strides=(26,))
            # Stable, so chunks with the same prefix stay in offset order: upstream takes, for
            # a given SHA-1, the lowest offset (the first chunk in (checksum, offset) order).
            # Through a contiguous copy: gathering from the 26-byte strided records misses the
            # cache on every chunk (5 ms for 150k chunks, against 0.8 from 8-byte keys).
            keys = np.ascontiguousarray(prefixes)
            order = np.argsort(keys, kind="stable")
            self.sorted = keys[order]
            del keys
            self.order = order.astype(np.int32 if count < 1 << 31 else np.int64)
            self.digests: dict[bytes, int] = {}
            # For the walker's run check: how many chunks before each repeat an earlier
            # chunk's digest (4 bytes a chunk).
            # An array, not NumPy's: the run check reads two items of it per batch, and a
            # NumPy scalar read and comparison costs several times an array's.
            self.repeats, repeats = _column(np, "i" if count < 1 << 31 else "q", count + 1)
            np.cumsum(self._repeats(np), dtype=repeats.dtype, out=repeats[1:])
            del repeats
            return
        unpacked = [struct.unpack_from("<hI20s", records, i) for i in range(0, count * 26, 26)]
        self.lengths = array("i", (r[0] for r in unpacked))
        self.checksums = array("I", (r[1] for r in unpacked))
        self.offsets = array("q", [0, *accumulate(self.lengths)][:count])
        digests = [r[2] for r in unpacked]
        # Reversed, so the lowest offset wins the dict.
        self.digests = dict(zip(reversed(digests), range(count - 1, -1, -1), strict=True))

    def _repeats(self, np: Any) -> Any:
        """Per chunk: True when a chunk at a lower offset has the same SHA-1 (so a window with
        that digest is the earlier chunk's, as upstream picks the lowest offset)."""
        repeated = np.zeros(len(self.order), dtype=np.bool_)
        # Equal digests are neighbours in prefix order, lowest offset first (a stable sort).
        later = np.flatnonzero(self.sorted[1:] == self.sorted[:-1]) + 1
        if not len(later):
            return repeated
        # A slice at a time: the digests gathered for the comparison are 40 bytes a repeat, and
        # fresh memory is not free (a base version made of repeats would need 6 MB at once).
        different: list[int] = []
        for start in range(0, len(later), 16384):
            part = later[start : start + 16384]
            same = self.sha1[self.order[part]] == self.sha1[self.order[part - 1]]
            repeated[self.order[part[same]]] = True
            different += part[~same].tolist()
        # A run of one prefix with different digests (a 1 in 10^8 pair): decided exactly, each
        # run once (a signature made of one shared prefix costs one pass, not one per chunk).
        done = 0
        for position in different:
            if position < done:
                continue
            start = position
            while start > 0 and self.sorted[start - 1] == self.sorted[position]:
                start -= 1
            seen: set[bytes] = set()
            done = start
            while done < len(self.sorted) and self.sorted[done] == self.sorted[position]:
                chunk = int(self.order[done])
                digest = bytes(self.sha1[chunk])
                repeated[chunk] = digest in seen
                seen.add(digest)
                done += 1
        return repeated

    def run_length(self, first: int, joined: bytes, window: int) -> int:
        """How many of ``joined``'s digests (end to end) of ``window``-byte windows are, in
        order, those of the chunks from ``first`` on, each the lowest-offset chunk with its
        digest: those windows are those chunks, as :meth:`find` would say one by one."""
        np = self.np
        if np is None or first < 0:
            return 0  # no run check without NumPy (nor chunks)
        repeats = self.repeats
        count = min(len(joined) // 20, len(repeats) - 1 - first)
        if count <= 0 or self.lengths[first] != window:
            return 0  # a tail's short windows are not the full chunks that follow
        # As bytes: comparing bytes is one memcmp (under 1 us for 512 digests), where NumPy's
        # void comparison or a memoryview's takes 8 to 20.
        held = self.sha1[first : first + count].tobytes()
        if held == joined[: count * 20]:
            if repeats[first + count] == repeats[first]:
                return count  # the usual case
            length = count
        else:
            differ = np.flatnonzero(
                np.frombuffer(held, dtype=np.uint8)
                != np.frombuffer(joined, dtype=np.uint8, count=count * 20)
            )
            length = int(differ[0]) // 20
        column = np.frombuffer(repeats, dtype=_COLUMNS[repeats.typecode])
        repeated = np.flatnonzero(column[first + 1 : first + length + 1] != repeats[first])
        return int(repeated[0]) if len(repeated) else length

    def find(self, digests: list[bytes]) -> list[int]:
        """The chunk (lowest offset) with each SHA-1 digest, or -1 where none has it."""
        return self.find_joined(b"".join(digests))

    def find_joined(self, joined: bytes) -> list[int]:
        """:meth:`find` for digests given end to end (as a batch is hashed)."""
        np = self.np
        count = len(joined) // 20
        if np is None:
            get = self.digests.get
            return [get(joined[i : i + 20], -1) for i in range(0, count * 20, 20)]
        if not count:
            return []
        if count == 1:  # a run's end: one search, without the batch's arrays (~5x faster)
            wanted_one = np.uint64(int.from_bytes(joined[:8], "little"))
            at = int(self.sorted.searchsorted(wanted_one))
            if at < len(self.sorted) and self.sorted[at] == wanted_one:
                return [self._find_in_run(joined[:20], at)]
            return [-1]
        wanted = np.ndarray((count,), dtype="<u8", buffer=joined, strides=(20,))
        position = np.searchsorted(self.sorted, wanted)
        position[position == len(self.sorted)] = 0
        chunk = self.order[position]
        found = self.sha1[chunk] == np.frombuffer(joined, dtype="V20")
        result: list[int] = np.where(found, chunk, -1).tolist()
        # A different digest with the same first 8 bytes (about one pair in 10^8 for 1M chunks)
        # sits before the one wanted: walk the run of equal prefixes for those.
        for i in np.flatnonzero(~found & (self.sorted[position] == wanted)).tolist():
            result[i] = self._find_in_run(joined[i * 20 : i * 20 + 20], int(position[i]))
        return result

    def _find_in_run(self, digest: bytes, position: int) -> int:
        prefix = self.sorted[position]
        while position < len(self.sorted) and self.sorted[position] == prefix:
            chunk = int(self.order[position])
            if bytes(self.sha1[chunk]) == digest:
                return chunk
            position += 1
        return -1

    @functools.cached_property
    def weak(self) -> frozenset[int]:
        """The distinct rolling checksums (for the per-byte scanner)."""
        return frozenset(self.checksums)


class _NumpyScanner:
    """Rolling checksums of a block of positions at once, filtered through two hashed tables.

    For ``Adler32`` (sums modulo 2^16) the scan does not form the checksum itself but a key
    per window length, ``(b - w) << 16 | (a - 1)`` in wrapping uint32 arithmetic: the ``+ 1``
    and ``+ w`` of the definition move into the signature's keys (once per window length), so
    each position costs about fifteen cheap passes and one lookup in a bitmap of hashed keys
    (``take`` on uint32 indices). Bitmaps of at most 1 MiB rather than byte tables: with other
    work on the machine a 4 MiB boolean table is pushed out of the cache and its lookups cost
    more than the bit operations (unrelated data: 9 to 10 ns per byte against 13 to 15 here,
    under load). A second bitmap with an independent hash is asked only about what passed the
    first (~1.6 %); a binary search confirms the rest.
    """

    def __init__(self, checksums: Any, rolling: str, lengths: Any = None) -> None:
        """:param checksums: the signature's rolling checksums, a buffer of uint32 (as
        :attr:`_Index.checksums`; the scan helper process is sent the same bytes).
        :param lengths: the chunks' lengths, the same way (:attr:`_Index.lengths`), for the
            tails' short windows: only chunks of a window's length can be its match, and the
            shortest length is usually the last chunk's alone.
        """
        import numpy as np

        self.np = np
        self.rolling = rolling
        self.v1 = rolling == ADLER32
        self.mod = ROLLING_ALGORITHMS[rolling]
        # Sort and drop repeats (numpy 2's hash-based np.unique takes ~8x longer on 150k keys).
        sums = np.frombuffer(checksums, dtype="=u4")
        ordered = np.sort(sums)
        keep = np.ones(len(ordered), dtype=np.bool_)
        keep[1:] = ordered[1:] != ordered[:-1]
        self.checksums = ordered[keep]
        # 64 bits per key (1.6 % false hits per bitmap) up to 2^23 bits (1 MiB): beyond, the
        # bitmap leaves the cache and a lookup costs more than the hits it saves.
        bits = 12
        while bits < 23 and (1 << bits) < 64 * max(1, len(self.checksums)):
            bits += 1
        self.bits = bits
        self._tables: dict[int, tuple[Any, Any, Any]] = {}
        #: Per window length held by at most :data:`_FEW` chunks: those chunks' checksums.
        self._few: dict[int, Any] = {}
        if lengths is not None:
            sizes = np.frombuffer(lengths, dtype="=i4")
            shortest = int(sizes.min()) if len(sizes) else 0
            if len(sizes) and shortest != int(sizes.max()):
                held = sizes == shortest
                if int(np.count_nonzero(held)) <= _FEW:
                    self._few[shortest] = np.sort(sums[held])  # not np.unique: 13 ms to import
        self._scratch_size = 0
        self._scratch: tuple[Any, ...] = ()

    def _work_arrays(self, size: int) -> tuple[Any, ...]:
        """Work arrays for blocks of up to ``size`` positions (windows included), reused from
        block to block (16 bytes a position). Fresh temporaries of a few hundred KiB each were
        handed back to the OS and faulted in again block after block: with the allocator's
        defaults that was up to a third of the scan's time, in system calls and page faults."""
        if size > self._scratch_size:
            np = self.np
            self._scratch = (
                np.empty(size, dtype=np.uint16),  # A_m, the window sums
                np.empty(size, dtype=np.uint16),  # B_m, the weighted sums
                np.empty(size, dtype=np.uint16),  # m * A_m
                np.empty(size, dtype=np.uint32),  # keys
                np.empty(size, dtype=np.uint32),  # hashed slots
                np.empty(size, dtype=np.intp),  # bitmap byte of each slot (take's own index type)
                np.empty(size, dtype=np.uint8),  # that byte
                np.empty(size, dtype=np.uint8),  # the slot's bit in it
            )
            self._scratch_size = size
        return self._scratch

    def _slots(
        self, keys: npt.NDArray[Any], multiplier: int, out: npt.NDArray[Any] | None = None
    ) -> npt.NDArray[Any]:
        # Multiplicative hashing: the keys' low half (``a``) is a plain byte sum that takes
        # few values, so indexing by raw bits would crowd the table.
        np = self.np
        slots: npt.NDArray[Any] = np.multiply(keys, np.uint32(multiplier), out=out)
        slots >>= np.uint32(32 - self.bits)
        return slots

    def _bitmap(self, keys: npt.NDArray[Any], multiplier: int) -> npt.NDArray[Any]:
        """A bitmap with the bit of each key's hashed slot set."""
        np = self.np
        slots = self._slots(keys, multiplier)
        bitmap: npt.NDArray[Any] = np.zeros(1 << (self.bits - 3), dtype=np.uint8)
        np.bitwise_or.at(bitmap, slots >> np.uint32(3), (1 << (slots & 7)).astype(np.uint8))
        return bitmap

    def _passes(self, bitmap: npt.NDArray[Any], keys: npt.NDArray[Any], multiplier: int) -> Any:
        """Indices of the ``keys`` whose bit is set in ``bitmap``."""
        np = self.np
        count = len(keys)
        work = self._work_arrays(count)
        slots, byte_index, present, bit = (array[:count] for array in work[4:])
        self._slots(keys, multiplier, slots)
        np.right_shift(slots, np.uint32(3), out=byte_index, casting="unsafe")
        np.take(bitmap, byte_index, out=present, mode="clip")  # in range: clip only skips checks
        np.bitwise_and(slots, np.uint32(7), out=bit, casting="unsafe")
        present >>= bit
        present &= np.uint8(1)
        # As booleans (the values are 0 or 1): nonzero is several times faster on bool.
        return np.flatnonzero(present.view(np.bool_))

    def _tables_for(self, window: int) -> tuple[Any, Any, Any]:
        """``(sorted keys, first table, second table)`` for windows of ``window`` bytes."""
        tables = self._tables.get(window if self.v1 else 0)
        if tables is not None:
            return tables
        keys = self._as_keys(self.checksums, window)
        tables = (keys, self._bitmap(keys, 0x9E3779B1), self._bitmap(keys, 0x85EBCA6B))
        self._tables[window if self.v1 else 0] = tables
        return tables

    def _as_keys(self, checksums: npt.NDArray[Any], window: int) -> npt.NDArray[Any]:
        """Checksums (uint32) as the sorted keys :meth:`_keys` gives windows of ``window``
        bytes (for ``Adler32``; other checksums are their own keys)."""
        np = self.np
        if not self.v1:
            return checksums
        a = (checksums & np.uint32(0xFFFF)).astype(np.uint16) - np.uint16(1)
        b = (checksums >> np.uint32(16)).astype(np.uint16) - np.uint16(window & 0xFFFF)
        keys: npt.NDArray[Any] = np.sort((b.astype(np.uint32) << np.uint32(16)) | a)
        return keys

    def _keys(self, data: npt.NDArray[Any], count: int, window: int) -> npt.NDArray[Any]:
        """The key of every window starting in ``data[:count]``."""
        np = self.np
        if self.v1 and window & (window - 1) == 0:
            return self._keys_by_doubling(data, count, window)
        # With S, T the first and second prefix sums: a = 1 + S[i+w] - S[i] and
        # b = w + T[i+w] - T[i] - w*S[i].
        dtype: Any = np.uint32 if self.v1 else np.int64  # V2: exact, reduced mod 65521 after
        sums = np.empty(count + window, dtype=dtype)
        sums[0] = 0
        np.cumsum(data, dtype=dtype, out=sums[1:])
        seconds = np.empty(count + window, dtype=dtype)
        seconds[0] = 0
        np.cumsum(sums[1:], dtype=dtype, out=seconds[1:])
        head = sums[:count]
        a: npt.NDArray[Any] = sums[window:] - head
        b: npt.NDArray[Any] = seconds[window:] - seconds[:count]
        head *= dtype(window)
        b -= head
        if self.v1:
            # Sums mod 2^16 survive uint32 wrap-around exactly; the constants are in the keys.
            a &= np.uint32(0xFFFF)
            b <<= np.uint32(16)
            b |= a
            return b
        a += 1
        b += window
        a %= self.mod
        b %= self.mod
        keys: npt.NDArray[Any] = ((b << 16) | a).astype(np.uint32)
        return keys

    def _keys_by_doubling(
        self, data: npt.NDArray[Any], count: int, window: int
    ) -> npt.NDArray[Any]:
        """:meth:`_keys` for ``Adler32`` and a window of 2^k bytes, without prefix sums.

        With ``A_m[i]`` the sum of the ``m`` bytes from ``i`` and ``B_m[i]`` their sum weighted
        ``m, m - 1 .. 1``: ``A_2m[i] = A_m[i] + A_m[i+m]`` and ``B_2m[i] = B_m[i] + B_m[i+m] +
        m * A_m[i]``, so k doublings give both sums of every window, all in wrapping uint16
        (``Adler32``'s sums are modulo 2^16). Each step is a few SIMD passes, where ``cumsum``
        is a scalar loop whose every element waits for the one before it: 3.6 ns a position
        against 7.3 here for 64 Ki windows of 2 KiB.
        """
        np = self.np
        length = count + window - 1
        first, second, shifted, keys = (array[:length] for array in self._work_arrays(length)[:4])
        np.copyto(first, data[:length])  # A_1
        np.copyto(second, first)  # B_1
        width = 1
        while width < window:
            length -= width
            np.left_shift(first[:length], width.bit_length() - 1, out=shifted[:length])
            np.add(second[:length], second[width : width + length], out=second[:length])
            np.add(second[:length], shifted[:length], out=second[:length])
            np.add(first[:length], first[width : width + length], out=first[:length])
            width *= 2
        result: npt.NDArray[Any] = keys[:count]
        np.copyto(result, second[:count])
        result <<= np.uint32(16)
        result |= first[:count]
        return result

    def rows(self, view: memoryview, offset: int, count: int, window: int) -> Iterable[Any]:
        """The ``count`` consecutive ``window``-byte windows from ``offset``, for hashing.

        As the rows of one array: iterating them costs 1.9 us per 2 KiB chunk hashed here,
        against 2.6 us for memoryview slices (SHA-1 itself: 1.25 us), a quarter less for an
        unchanged region, where that is all the work.
        """
        matrix = self.np.frombuffer(view, dtype=self.np.uint8, count=count * window, offset=offset)
        return matrix.reshape(count, window)

    def candidates(
        self, view: memoryview, offset: int, count: int, window: int
    ) -> list[tuple[int, int]]:
        """``(relative position, checksum)`` of the positions whose window may be a chunk."""
        hits, values = self.candidate_arrays(view, offset, count, window)
        return list(zip(hits.tolist(), values.tolist(), strict=True))

    def candidate_arrays(
        self, view: Any, offset: int, count: int, window: int
    ) -> tuple[npt.NDArray[Any], npt.NDArray[Any]]:
        """:meth:`candidates` as two arrays: relative positions (intp) and checksums (uint32)."""
        np = self.np
        data = np.frombuffer(view, dtype=np.uint8, count=count + window - 1, offset=offset)
        keys = self._keys(data, count, window)
        few = self._few.get(window)
        if few is not None:  # a tail's windows: compared with a few keys, no tables
            hits = np.flatnonzero(np.isin(keys, self._as_keys(few, window)))
            values = keys[hits]
        else:
            ordered, first, second = self._tables_for(window)
            hits = self._passes(first, keys, 0x9E3779B1)
            none = (hits[:0], keys[:0].copy())
            if not len(hits):
                return none
            values = keys[hits]
            passed = self._passes(second, values, 0x85EBCA6B)
            if not len(passed):
                return none
            hits = hits[passed]
            values = values[passed]
            found = np.searchsorted(ordered, values)
            found[found == len(ordered)] = 0
            real = ordered[found] == values
            hits = hits[real]
            values = values[real]
        if self.v1:  # back from keys to checksums
            a = (values + np.uint32(1)) & np.uint32(0xFFFF)
            b = ((values >> np.uint32(16)) + np.uint32(window)) & np.uint32(0xFFFF)
            values = (b << np.uint32(16)) | a
        return hits, values


class _PythonScanner:
    """The same without NumPy: one rolling update per position (about 1 MB/s)."""

    def __init__(self, index: _Index, rolling: str) -> None:
        self.weak = index.weak
        self.rolling = rolling

    @staticmethod
    def rows(view: memoryview, offset: int, count: int, window: int) -> Iterable[memoryview]:
        """The ``count`` consecutive ``window``-byte windows from ``offset``, as slices."""
        end = offset + count * window
        return map(
            view.__getitem__,
            map(slice, range(offset, end, window), range(offset + window, end + window, window)),
        )

    def candidates(
        self, view: memoryview, offset: int, count: int, window: int
    ) -> list[tuple[int, int]]:
        """``(relative position, checksum)`` of the positions whose window may be a chunk."""
        data = bytes(view[offset : offset + count + window - 1])
        rolling = self.rolling
        weak = self.weak
        checksum = calculate(data[:window], rolling)
        found = [(0, checksum)] if checksum in weak else []
        for i in range(1, count):
            checksum = rotate(checksum, data[i - 1], data[i + window - 1], window, rolling)
            if checksum in weak:
                found.append((i, checksum))
        return found


def _digests(windows: Iterable[Any]) -> list[bytes]:
    """The SHA-1 digest of each window, hashed, digested and collected in C (map chains): no
    bytecode per chunk, which was a third of the time of an unchanged region."""
    return list(map(_DIGEST, map(hashlib.sha1, windows)))


class _Walk:
    """One delta build: the sequential walk over :func:`schedule`'s probes."""

    def __init__(
        self,
        source: _Source,
        literal: BinaryIO,
        index: _Index,
        scanner: _NumpyScanner | _PythonScanner,
        writer: DeltaWriter,
        limit: int | None,
        start_helper: Callable[[int], ScanHelper | None] | None = None,
        hasher: ChunkHasher | None = None,
    ) -> None:
        self.source = source
        self.literal = literal
        self.index = index
        self.scanner = scanner
        self.writer = writer
        self.limit = limit
        self.last = 0  # end of the last match: probes before it are skipped
        self.following = -1  # the chunk after the last match's: what an unchanged region holds next
        self.copied = 0
        self.literal_bytes = 0
        self.segment = 0  # which of the schedule's segments the walk is in
        self.unmatched = 0  # positions scanned since the last match
        self.start_helper = start_helper  # None once tried
        self.helper: ScanHelper | None = None
        self.hasher = hasher
        self._helped: tuple[int, tuple[list[int], list[int]] | None] = (-1, None)
        #: Where the current scan is known to find a window that is a chunk's, if anywhere
        #: (:meth:`_aligned_match`); kept from one segment to the next.
        self.bound = -1

    def _read_literal(self, offset: int, length: int) -> bytes:
        self.literal.seek(offset)
        return self.literal.read(length)

    def _match(self, position: int, chunk: int, window: int) -> None:
        if position > self.last:
            self.writer.data(self._read_literal, self.last, position - self.last)
            self.literal_bytes += position - self.last
            self.last = position
            self._check_limit(position)
        self.writer.copy(self.index.offsets[chunk], self.index.lengths[chunk])
        self.copied += window
        self.last = position + window
        self.following = chunk + 1
        self.unmatched = 0

    def _check_limit(self, done: int) -> None:
        """Stop once the delta is certain to exceed the limit: everything before ``done - max``
        has been decided (the schedule never steps back further), so the bytes from the last
        match up to there are literal whatever comes next."""
        if self.limit is None:
            return
        streamed = self.writer.streamed_to
        if streamed is None:
            certain = max(0, done - self.index_max - self.last)
            extra = 9 + certain if certain else 0  # a data command to come
        else:  # one is open, its header and bytes so far in ``written``
            extra = max(0, done - self.index_max - streamed)
        bound = self.writer.written + self.writer.pending + extra
        if bound > self.limit:
            raise DeltaTooLargeError(self.limit, done)

    index_max = 0

    def _stream_literal(self, done: int) -> None:
        """Write the bytes that are certainly literal by now (as :meth:`_check_limit` reasons:
        those before ``done - max``), once there are :data:`_STREAM_STEP` of them."""
        certain = done - self.index_max
        streamed = self.writer.streamed_to
        if certain - (self.last if streamed is None else streamed) >= _STREAM_STEP:
            self.writer.stream_data(self._read_literal, self.last, certain)

    def _probe(self, position: int, last: int, window: int, batch: int) -> tuple[int, bool]:
        """SHA-1 the windows at ``position``, ``position + window`` ... (up to ``last``).

        Returns the next position and whether a window missed (the next position is then the
        one after the miss). When the chunk hasher is there, it hashes the far part of a long
        stretch (:attr:`ChunkHasher.share` of it) while this process hashes the near part; its
        digests are taken if the near part was unchanged, and dropped otherwise.
        """
        hasher = self.hasher
        if hasher is not None and window == self.index_max:
            offered = hasher.offer(position, last, window)
            if offered is not None:
                split, given = offered
                position, missed = self._probe_near(position, split - window, window, batch)
                if missed:
                    hasher.drop()
                    return position, True
                joined = hasher.take(split, given, window)
                if joined is not None:
                    position, missed = self._check_batch(position, joined, given, window)
                    if missed:
                        return position, True
                    batch = 512
        return self._probe_near(position, last, window, batch)

    def _probe_near(self, position: int, last: int, window: int, batch: int) -> tuple[int, bool]:
        """:meth:`_probe` with every window hashed here. Windows are hashed in growing batches:
        in unchanged regions each chunk then costs one SHA-1 and a few C-level list operations,
        no per-chunk Python call."""
        while position <= last:
            count = min(batch, (last - position) // window + 1, _MAX_BATCH_BYTES // window)
            joined = self._hash_windows(position, count, window)
            position, missed = self._check_batch(position, joined, count, window)
            if missed:
                return position, True
            batch = min(batch * 2, 512)
        return position, False

    def _hash_windows(self, position: int, count: int, window: int) -> bytes:
        """The SHA-1s of the ``count`` consecutive ``window``-byte windows from ``position``,
        end to end."""
        offset = self.source.ensure(position, position + count * window)
        return b"".join(_digests(self.scanner.rows(self.source.view, offset, count, window)))

    def _check_batch(
        self, position: int, joined: bytes, count: int, window: int
    ) -> tuple[int, bool]:
        """Decide the ``count`` windows from ``position`` by their digests (``joined``, end to
        end): ``(next position, whether a window missed)``, as :meth:`_probe` returns."""
        find = self.index.find_joined
        # An unchanged region holds the chunks after the last match, in order: those are
        # taken by comparing digests, with no look-up. Where a run ends (a change, or a
        # region the basis holds elsewhere too), one look-up finds where the next run
        # starts; only a window that starts no run sends the rest of the batch to find.
        done = 0
        looked_up = False
        while done < count and position == self.last:
            run = self.index.run_length(self.following, joined[done * 20 :], window)
            if run:
                self._run(self.following, run, window)
                position += run * window
                done += run
                looked_up = False
                continue
            if done == 0 or looked_up:
                break  # no run from here: the batch look-up decides the rest
            (chunk,) = find(joined[done * 20 : done * 20 + 20])
            if chunk < 0:
                return position + 1, True
            self._matches(position, [chunk], window)
            position += window
            done += 1
            looked_up = True
        if done < count:
            found = find(joined[done * 20 :])
            try:
                hits = found.index(-1)
            except ValueError:
                hits = len(found)
            if hits:
                self._matches(position, found[:hits], window)
                position += hits * window
            if hits < len(found):
                return position + 1, True
        return position, False

    def _run(self, first: int, count: int, window: int) -> None:
        """Chunks ``first .. first + count - 1`` at the end of the last match: one merged copy
        (consecutive chunks are contiguous in the basis; the writer would merge them one by
        one)."""
        index = self.index
        last = first + count - 1
        start = index.offsets[first]
        self.writer.copy(start, index.offsets[last] + index.lengths[last] - start)
        self.copied += window * count
        self.last += window * count
        self.following = last + 1

    def _matches(self, position: int, chunks: list[int], window: int) -> None:
        """Consecutive matches: ``chunks[i]`` at ``position + i * window``."""
        if position > self.last:
            self._match(position, chunks[0], window)
            position += window
            chunks = chunks[1:]
        if not chunks:
            return
        first = chunks[0]
        if chunks == list(range(first, first + len(chunks))):
            self._run(first, len(chunks), window)  # the usual case, an unchanged run
            return
        index = self.index
        self.writer.copies(
            list(map(index.offsets.__getitem__, chunks)),
            list(map(index.lengths.__getitem__, chunks)),
        )
        self.copied += window * len(chunks)
        self.last = position + window * len(chunks)
        self.following = chunks[-1] + 1

    def _helper_result(self) -> tuple[list[int], list[int]] | None:
        """The helper process's candidates of the current segment, if it computed them."""
        if self.helper is None:
            return None
        segment, found = self._helped
        if segment != self.segment:
            found = self.helper.result(self.segment)
            self._helped = (self.segment, found)
        return found

    def _maybe_start_helper(self, position: int) -> None:
        """Start the scan helper once the walk has scanned a while without a match and enough
        of the file is left to win back its start-up (see ``scan_helper``)."""
        from octoci.octodiff import scan_helper

        if (
            self.start_helper is not None
            and self.unmatched >= scan_helper.START_AFTER
            and self.source.size - position >= scan_helper.MIN_REMAINING
        ):
            self.helper = self.start_helper(self.segment)
            self.start_helper = None

    def _first_match(
        self,
        view: memoryview,
        offset: int,
        position: int,
        found: list[tuple[int, int]],
        window: int,
    ) -> bool:
        """Match the first of ``found`` (``(relative position, checksum)`` pairs, windows from
        ``view[offset + relative]``) whose SHA-1 is a chunk's with that checksum (what upstream
        asks), if any. All are hashed and looked up at once (one vectorised look-up); after the
        first real match the rest is wasted, a few SHA-1s at most."""
        index = self.index
        checksums = index.checksums
        digests = _digests(
            view[offset + relative : offset + relative + window] for relative, _ in found
        )
        for (relative, checksum), chunk in zip(found, index.find(digests), strict=True):
            if chunk >= 0 and checksums[chunk] == checksum:
                self._match(position + relative, chunk, window)
                return True
        return False

    def _scan_found(
        self, position: int, last: int, window: int, found: tuple[list[int], list[int]]
    ) -> bool:
        """:meth:`_scan` with the candidates given (absolute positions, checksums), checked in
        order, 64 at a time."""
        positions, sums = found
        first = bisect.bisect_left(positions, position)
        end = bisect.bisect_right(positions, last)
        offset = self.source.ensure(position, last + window)
        view = self.source.view
        while first < end:
            batch = min(end, first + 64)
            self._check_limit(positions[first])
            pairs = [
                (p - position, s)
                for p, s in zip(positions[first:batch], sums[first:batch], strict=True)
            ]
            if self._first_match(view, offset, position, pairs, window):
                return True
            first = batch
        self._check_limit(last + 1)
        self._stream_literal(last + 1)
        return False

    def _scan(self, position: int, last: int, window: int, anchor: int = -1) -> bool:
        """Rolling-checksum scan from ``position`` to ``last``; True when it ended on a match.

        :param anchor: the probe that missed just before, if the scan follows one (its
            alignment is where unchanged bytes after an overwrite are; see
            :meth:`_aligned_match`).
        """
        found_by_helper = self._helper_result()
        if found_by_helper is not None:
            return self._scan_found(position, last, window, found_by_helper)
        source = self.source
        candidates = self.scanner.candidates
        step = _FIRST_SCAN
        bound = self.bound
        while position <= last:
            count = min(step, last - position + 1)
            if bound >= position:  # scan up to the bound in equal blocks, not past it
                left = bound - position + 1
                count = -(-left // -(-left // _MAX_SCAN))
            offset = source.ensure(position, position + count + window - 1)
            view = source.view
            if self._first_match(
                view, offset, position, candidates(view, offset, count, window), window
            ):
                self.bound = -1
                return True
            position += count
            step = min(step * 2, _MAX_SCAN)
            self._check_limit(position)
            self._stream_literal(position)
            if anchor >= 0 and window == self.index_max:
                bound = self.bound = self._aligned_match(anchor, position, last, window)
                anchor = -1
            self.unmatched += count
            self._maybe_start_helper(position)
        return False

    def _aligned_match(self, anchor: int, position: int, last: int, window: int) -> int:
        """The first window from ``position`` on, at ``anchor``'s alignment, whose SHA-1 is a
        chunk's (-1 if none within :data:`_LOOK_AHEAD`): where an overwritten stretch ends, as
        unchanged bytes after it keep their alignment.

        Only a hint for the scan's block sizes, which then end there instead of overshooting
        (a block's checksums are all computed, wherever its first match is); the scan still
        decides every position before it, so the delta is the same.
        """
        first = anchor + -(-(position - anchor) // window) * window
        end = min(last, position + _LOOK_AHEAD)
        batch = 16
        while first <= end:
            count = min(batch, (end - first) // window + 1)
            found = self.index.find_joined(self._hash_windows(first, count, window))
            hit = next((i for i, chunk in enumerate(found) if chunk >= 0), -1)
            if hit >= 0:
                return first + hit * window
            first += count * window
            batch = min(batch * 2, 512)
        return -1

    def run(self, read_buffer: int, on_scanned: Callable[[int], None] | None = None) -> None:
        """Walk every probe of the schedule, writing commands; then the trailing literal.

        :param on_scanned: told how many more bytes of the file were decided, segment by segment.
        """
        index = self.index
        lengths = index.lengths
        size = self.source.size
        reported = 0

        def scanned(upto: int) -> None:
            nonlocal reported
            if on_scanned is not None and upto > reported:
                on_scanned(upto - reported)
                reported = upto

        if lengths:
            self.index_max = index.longest
            segments = schedule(size, index.longest, index.shortest, read_buffer)
            batch = 8
            for self.segment, (first, last, window) in enumerate(segments):
                if self.helper is not None:
                    self.helper.reached(self.segment)
                scanned(min(first, size))
                position = max(first, self.last)
                probing = position == self.last
                anchor = -1
                while position <= last:
                    if probing:
                        full = window == index.longest
                        position, missed = self._probe(position, last, window, batch if full else 8)
                        probing = not missed
                        if full:
                            # An unchanged region going on into the next segment is hashed in
                            # full batches from its start; after a change, small ones first.
                            batch = 8 if missed else 512
                        if not missed:
                            break
                        anchor = position - 1
                    elif self._scan(position, last, window, anchor):
                        position = self.last
                        probing = True
                    else:
                        break
        if self.last < size:
            self.writer.data(self._read_literal, self.last, size - self.last)
            self.literal_bytes += size - self.last
        self.writer.flush()
        scanned(size)
        if self.limit is not None and self.writer.written > self.limit:
            raise DeltaTooLargeError(self.limit, size)


def build_delta(
    new_file: Path,
    signature: Signature,
    out: BinaryIO,
    *,
    limit: int | None = None,
    engine: str = "auto",
    read_buffer: int = READ_BUFFER,
    on_scanned: Callable[[int], None] | None = None,
    helper: bool | None = None,
) -> DeltaStats:
    """Write the Octodiff delta that turns the signature's basis file into ``new_file``.

    The output is byte-identical to Octopus's ``DeltaBuilder`` (``Adler32`` signatures; for the
    broken-upstream ``Adler32V2`` it is a valid delta found with correct checksums).

    :param out: a seekable binary stream positioned at the start of the delta.
    :param limit: stop with :class:`DeltaTooLargeError` as soon as the delta is certain to
        exceed this many bytes (the client's "not worth it" rule), so an unrelated file does not
        cost a full build.
    :param engine: ``numpy`` (vectorised scan), ``python`` (per-byte fallback) or ``auto``.
    :param read_buffer: upstream's buffer size; only tests change it, to exercise tails.
    :param on_scanned: told the bytes of ``new_file`` scanned so far, a read buffer at a time
        (for a progress display); they add up to its size.
    :param helper: let a second process scan the file from its end when the walk has scanned a
        while without a match (``scan_helper``; NumPy engine only). ``None``: when a second
        core is there and ``OCTOCI_DELTA_HELPER`` is not ``0``. The bytes are the same either way.
    """
    if engine == "auto":
        engine = "numpy" if numpy_available() else "python"
    if engine not in ("numpy", "python"):
        raise ValueError(f"unknown delta engine {engine!r}")
    size = new_file.stat().st_size
    wanted = False
    if engine == "numpy" and signature.count:
        from octoci.octodiff import scan_helper

        wanted = helper if helper is not None else scan_helper.helper_wanted()
    helpers = BuildHelpers(new_file)
    # First: the chunk hasher's start (~20 ms, more on a busy core) overlaps the index's build.
    first = next(
        iter(schedule(size, signature.max_length, signature.min_length, read_buffer)), None
    )
    helpers.start(first[1:] if first else None, wanted and size >= build_helpers.HASHER_MIN)
    walk: _Walk | None = None
    start = out.tell()
    try:
        index = _Index(signature, vectorised=engine == "numpy")
        scanner: _NumpyScanner | _PythonScanner
        if engine == "numpy":
            scanner = _NumpyScanner(index.checksums, signature.rolling, index.lengths)
        else:
            scanner = _PythonScanner(index, signature.rolling)
        start_helper: Callable[[int], ScanHelper | None] | None = None
        # ``wanted`` is only ever True for the NumPy engine and a signature with chunks, where
        # scan_helper is imported above.
        if (
            wanted
            and isinstance(scanner, _NumpyScanner)
            and size >= scan_helper.START_AFTER + scan_helper.MIN_REMAINING
        ):
            plan = (size, index.longest, index.shortest, read_buffer)
            checksums = index.checksums.tobytes()
            numpy_scanner = scanner

            def spawn(front: int) -> ScanHelper | None:
                started = scan_helper.ScanHelper.spawn()
                if started is None:
                    return None
                return started.engage(new_file, numpy_scanner, checksums, plan, front)

            def start_helper(front: int) -> ScanHelper | None:
                # Only now: started with every build, its start-up (~0.15 s of CPU) slowed the
                # builds that never need it (an unchanged region costs no scanning) by a
                # quarter.
                return helpers.start_scan_helper(lambda: spawn(front))

        writer = DeltaWriter(out)
        writer.write_header(bytes(20))  # patched once the whole file is hashed
        with new_file.open("rb") as scan, new_file.open("rb") as literal:
            walk = _Walk(
                _Source(scan, size),
                literal,
                index,
                scanner,
                writer,
                limit,
                start_helper,
                helpers.hasher,
            )
            walk.run(read_buffer, on_scanned)
        digest = helpers.file_digest()
    except BaseException as exc:
        helpers.close(timeout=2.0)
        if isinstance(exc, DeltaTooLargeError):
            exc.helper_peak_rss = helpers.peak_rss
        raise
    helpers.close()
    end = out.tell()
    out.seek(start)
    out.write(delta_header(digest))
    out.seek(end)
    scanned_by_helper = walk.helper.used if walk.helper else 0
    return DeltaStats(
        size,
        end - start,
        walk.copied,
        walk.literal_bytes,
        engine,
        digest,
        scanned_by_helper,
        helpers.peak_rss,
        helpers.hashed_by_hasher,
    )
