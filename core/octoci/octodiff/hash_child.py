"""The chunk hasher's child process (``chunk_hasher``), run as a script: ``python -I -S
hash_child.py NEW_FILE``.

It imports only what it needs from the standard library (it starts in about 20 ms here, where
importing ``subprocess`` and ``pathlib`` as well took 30 to 50), and hashes the whole file
between requests, a piece at a time. The protocol, little-endian: requests ``position, count,
window`` (:data:`REQUEST`) on stdin; for each, ``count`` 20-byte digests and how much of the
whole file is hashed so far (:data:`DONE`); a request with ``count`` -1 is answered with the
whole file's SHA-1 alone. At the end of its input the child writes its peak RSS (:data:`RSS`)
and exits.
"""

from __future__ import annotations

import hashlib
import mmap
import os
import struct
import sys
import threading
from _queue import SimpleQueue  # what queue.SimpleQueue is, without the rest of queue

TYPE_CHECKING = False  # not typing's: importing typing is a third of this script's imports
if TYPE_CHECKING:
    from typing import IO

__all__ = ["DONE", "REQUEST", "RSS", "main", "peak_rss", "read_exactly"]

REQUEST = struct.Struct("<qqq")
RSS = struct.Struct("<q")
#: After each answer: how much of the whole file the child has hashed.
DONE = struct.Struct("<q")


def read_exactly(stream: IO[bytes], size: int) -> bytes:
    """``size`` bytes, fewer only at end of stream."""
    parts = []
    while size > 0 and (chunk := stream.read(size)):
        parts.append(chunk)
        size -= len(chunk)
    return b"".join(parts)


def peak_rss() -> int:
    """This process's peak resident memory in bytes (0 where the OS does not say).

    Linux: ``VmHWM``, not ``ru_maxrss``, which keeps the parent's peak across fork and exec."""
    try:
        with open("/proc/self/status") as status:  # noqa: PTH123 (no pathlib: a quick start)
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        import resource
    except ImportError:  # Windows: not reported
        return 0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak if sys.platform == "darwin" else peak * 1024)


_MAP = 1 << 20  # the whole file is hashed through mapped windows this large (a multiple of
_PIECE = 128 << 10  # every allocation granularity), a piece (~0.1 ms of SHA-1) at a time


def _digests(source: int, position: int, count: int, window: int) -> bytes:
    """The joined digests of the windows, all within the file (the walk asks only for those);
    the file is mapped for the request and unmapped after it."""
    base = position // mmap.ALLOCATIONGRANULARITY * mmap.ALLOCATIONGRANULARITY
    end = position + count * window
    with mmap.mmap(source, end - base, access=mmap.ACCESS_READ, offset=base) as mapping:
        view = memoryview(mapping)
        try:
            start = position - base
            sha1 = hashlib.sha1
            return b"".join(
                [
                    sha1(view[offset : offset + window]).digest()
                    for offset in range(start, start + count * window, window)
                ]
            )
        finally:
            view.release()


class _WholeFile:
    """The whole file's SHA-1, a piece at a time between requests."""

    def __init__(self, source: int, size: int) -> None:
        self.source = source
        self.size = size
        self.done = 0
        self.digest = hashlib.sha1()
        self._window: tuple[int, mmap.mmap, memoryview] | None = None

    def step(self) -> None:
        """Hash the next :data:`_PIECE` bytes: short enough that a request waits little."""
        base = self.done // _MAP * _MAP
        if self._window is None or self._window[0] != base:
            self.close()
            length = min(_MAP, self.size - base)
            mapping = mmap.mmap(self.source, length, access=mmap.ACCESS_READ, offset=base)
            self._window = (base, mapping, memoryview(mapping))
        _, mapping, view = self._window
        end = min(len(view), self.done - base + _PIECE)
        self.digest.update(view[self.done - base : end])
        self.done = base + end
        if self.done == self.size:
            self.close()

    def close(self) -> None:
        if self._window is not None:
            _, mapping, view = self._window
            view.release()
            mapping.close()
            self._window = None

    def finish(self) -> bytes:
        while self.done < self.size:
            self.step()
        return self.digest.digest()


def _requests(stdin: IO[bytes], inbox: SimpleQueue[tuple[int, int, int] | None]) -> None:
    """Queue each request as it comes (the main loop hashes the whole file meanwhile); ``None``
    at the end of input."""
    while len(frame := read_exactly(stdin, REQUEST.size)) == REQUEST.size:
        inbox.put(REQUEST.unpack(frame))
    inbox.put(None)


def main(argv: list[str]) -> None:
    """The child: answer requests as they come, hash the whole file between them; at the end of
    input, report the peak RSS."""
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    inbox: SimpleQueue[tuple[int, int, int] | None] = SimpleQueue()
    threading.Thread(target=_requests, args=(stdin, inbox), daemon=True).start()
    with open(argv[1], "rb", buffering=0) as source:  # noqa: PTH123 (stdlib only, -I -S)
        whole = _WholeFile(source.fileno(), os.fstat(source.fileno()).st_size)
        while True:
            if whole.done < whole.size and inbox.empty():
                whole.step()
                continue
            request = inbox.get()
            if request is None:
                break
            position, count, window = request
            # A file that shrank fails a mapping: the child dies, and the walk hashes what is
            # left itself and finds the change.
            if count < 0:
                stdout.write(whole.finish())
            else:
                stdout.write(_digests(source.fileno(), position, count, window))
                stdout.write(DONE.pack(whole.done))
            stdout.flush()
    stdout.write(RSS.pack(peak_rss()))
    stdout.flush()
    # Not a normal exit: the thread reading stdin may still be in a read, and the interpreter's
    # shutdown would then abort on the stdin buffer's lock.
    os._exit(0)


if __name__ == "__main__":
    main(sys.argv)
