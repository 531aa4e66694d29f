"""A second process that scans the new file from its end while the walk scans from its start.

Where the new file shares little with the basis (an unrelated or rebuilt package), a delta
build is a rolling-checksum look-up at every position: NumPy work that holds one core, about
6.5 ns a position here. Threads cannot share it (each block is a dozen short NumPy calls, and the
hand-over of the GIL between them cost more than the second core gave), but a process can: which
positions are *candidates* (their window's checksum passes the signature's filters) depends on
the bytes alone, not on what the walk has matched so far. So once the walk has scanned a while
without a match, :class:`ScanHelper` starts ``python -m octoci.octodiff.scan_helper``, which
works through :func:`~octoci.octodiff.builder.schedule`'s full-window segments from the last one
backwards and sends each segment's candidates back; the walk takes them instead of computing
them when it gets there, and tells the helper which segment it has reached, so the two meet in
the middle whatever share each gets. The walk still makes every decision (SHA-1 of each
candidate, in order), so the delta is byte-for-byte the one a single process builds.

The protocol is private to this module (the helper is the same version, started from the same
interpreter): little-endian frames on the child's stdin and stdout.

- parent -> child: a length-prefixed JSON header, the checksums (uint32), then 8-byte segment
  numbers: "the walk has reached this segment; do not start it or any before it";
- child -> parent: ``S`` + segment (started), ``R`` + segment + count + positions (int64) +
  checksums (uint32) (done), ``M`` + peak RSS in bytes (the last frame).

If the helper cannot start or dies, the walk computes what is missing itself: slower, same bytes.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import queue
import struct
import subprocess
import sys
import threading
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from octoci.cores import usable_cores
from octoci.octodiff.builder import _MAX_SCAN, _NumpyScanner, schedule
from octoci.octodiff.chunk_hasher import wait_or_kill
from octoci.octodiff.hash_child import peak_rss, read_exactly

if TYPE_CHECKING:
    import numpy.typing as npt

__all__ = ["ScanHelper", "command", "helper_wanted", "main"]

#: Positions scanned since the last match before a helper is worth its start (~0.2 s of
#: interpreter and NumPy start-up, overlapped with the walk's own scanning).
START_AFTER = 4 << 20
#: Bytes left to walk below which the helper could not win back its start-up.
MIN_REMAINING = 48 << 20
_FRAME = struct.Struct("<cq")
_COUNT = struct.Struct("<q")


def command() -> list[str]:
    """How the helper is started: this interpreter, this module."""
    return [sys.executable, "-m", "octoci.octodiff.scan_helper"]


def helper_wanted() -> bool:
    """True when a second core is there for the helper (and it is not switched off with
    ``OCTOCI_DELTA_HELPER=0``)."""
    if os.environ.get("OCTOCI_DELTA_HELPER", "1") == "0":
        return False
    return usable_cores() >= 2


class ScanHelper:
    """The parent's side: starts the child, collects its segments, tells it the walk's front."""

    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        self._process = process
        self._condition = threading.Condition()
        self._done: dict[int, tuple[list[int], list[int]]] = {}
        self._running: int | None = None  # the segment the child is working on
        self._alive = True
        self._front = -1
        #: True once :meth:`engage` has given the child its work.
        self.engaged = False
        #: The child's peak resident memory in bytes (0 until it has reported, or unknown).
        self.peak_rss = 0
        #: Segments whose candidates came from the child.
        self.used = 0
        # Written by a thread: the child reads its input only once it has started (~0.2 s of
        # imports), and the walk must not wait for that.
        self._outbox: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
        self._writer = threading.Thread(
            target=self._write, name="octodiff-scan-helper-in", daemon=True
        )
        self._writer.start()
        self._reader = threading.Thread(target=self._read, name="octodiff-scan-helper", daemon=True)
        self._reader.start()

    @classmethod
    def spawn(cls) -> ScanHelper | None:
        """Start the child, which imports what it needs and waits for :meth:`engage` (the
        build spawns it only when it engages it: spawned with every build, its start-up slowed
        the builds that never need it); ``None`` when it cannot be started."""
        # The child imports octoci from where this process did, installed or not.
        root = str(Path(__file__).resolve().parents[2])
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
        try:
            process = subprocess.Popen(
                command(),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                env=env,
            )
        except OSError:
            return None
        return cls(process)

    def engage(
        self,
        new_file: Path,
        scanner: _NumpyScanner,
        checksums: bytes,
        plan: tuple[int, int, int, int],
        front: int,
    ) -> ScanHelper:
        """Give the child its work: the segments of ``new_file`` after ``front`` (``plan``:
        size, longest and shortest chunk, read buffer: what :func:`schedule` needs)."""
        size, longest, shortest, read_buffer = plan
        header = json.dumps(
            {
                "path": str(new_file),
                "size": size,
                "longest": longest,
                "shortest": shortest,
                "read_buffer": read_buffer,
                "rolling": scanner.rolling,
                "front": front,
                "count": len(checksums) // 4,
            }
        ).encode()
        self._front = front
        self.engaged = True
        self._outbox.put(_COUNT.pack(len(header)) + header + checksums)
        return self

    def _write(self) -> None:
        stdin = self._process.stdin
        assert stdin is not None
        try:
            while (message := self._outbox.get()) is not None:
                stdin.write(message)
                stdin.flush()
        except (OSError, ValueError):
            pass  # the child has gone; the walk does the rest itself
        finally:
            with contextlib.suppress(OSError):
                stdin.close()  # the end of its input: the child finishes, reports and exits

    def _read(self) -> None:
        stdout = self._process.stdout
        assert stdout is not None
        try:
            while frame := read_exactly(stdout, _FRAME.size):
                kind, number = _FRAME.unpack(frame)
                if kind == b"S":
                    with self._condition:
                        self._running = number
                elif kind == b"R":
                    (count,) = _COUNT.unpack(read_exactly(stdout, _COUNT.size))
                    positions = read_exactly(stdout, 8 * count)
                    sums = read_exactly(stdout, 4 * count)
                    if len(sums) != 4 * count:
                        break
                    result = (
                        memoryview(positions).cast("q").tolist(),
                        memoryview(sums).cast("I").tolist(),
                    )
                    with self._condition:
                        self._done[number] = result
                        self._running = None
                        self._condition.notify_all()
                elif kind == b"M":
                    self.peak_rss = number
        except (OSError, ValueError, struct.error):
            pass
        finally:
            with self._condition:
                self._alive = False
                self._running = None
                self._condition.notify_all()

    def reached(self, segment: int) -> None:
        """The walk is at ``segment``: the child must not start it or any segment before it."""
        if segment <= self._front or not self._alive:
            return
        self._front = segment
        self._outbox.put(_COUNT.pack(segment))

    def result(self, segment: int) -> tuple[list[int], list[int]] | None:
        """The child's candidates of ``segment`` (absolute positions, checksums), waiting for
        them if it is working on that segment; ``None`` when the walk must compute them."""
        with self._condition:
            while self._alive and self._running == segment:
                self._condition.wait()
            found = self._done.pop(segment, None)
        if found is not None:
            self.used += 1
        return found

    def close(self, timeout: float = 5.0) -> None:
        """Stop the child: the end of its input tells it to finish the segment it is on, report
        and exit; after ``timeout`` seconds it is killed."""
        process = self._process
        self._outbox.put(None)
        wait_or_kill(process, timeout)
        self._reader.join()
        self._writer.join()
        if process.stdout is not None:
            process.stdout.close()


# ---- the child ---------------------------------------------------------------------------------


def _follow(stdin: IO[bytes], front: list[int]) -> None:
    """Keep ``front[0]`` at the walk's segment; at end of input (the parent is done), past all."""
    while (frame := read_exactly(stdin, _COUNT.size)) and len(frame) == _COUNT.size:
        front[0] = max(front[0], _COUNT.unpack(frame)[0])
    front[0] = sys.maxsize


def _scan_segment(
    scanner: _NumpyScanner, source: io.RawIOBase, first: int, count: int, window: int
) -> tuple[npt.NDArray[Any], npt.NDArray[Any]] | None:
    """Every candidate of a segment, read and scanned a block of the walk's size at a time
    (the arrays stay in cache, and memory stays at one block); ``None`` if the file shrank."""
    import numpy as np

    positions = []
    sums = []
    buffer = memoryview(bytearray(min(_MAX_SCAN, count) + window - 1))  # one, reused
    for start in range(0, count, _MAX_SCAN):
        block = min(_MAX_SCAN, count - start)
        source.seek(first + start)
        wanted = block + window - 1
        got = 0
        while got < wanted and (size := source.readinto(buffer[got:wanted])):
            got += size
        if got != wanted:
            return None  # the file shrank; the walk will notice and say so
        hits, values = scanner.candidate_arrays(buffer, 0, block, window)
        positions.append(hits.astype(np.int64) + (first + start))
        sums.append(values)
    return np.concatenate(positions), np.concatenate(sums).astype(np.uint32)


def main() -> None:
    """The child: scan segments from the last backwards until it meets the walk."""
    import numpy  # noqa: F401  (before waiting: the import is most of the start-up)

    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    frame = read_exactly(stdin, _COUNT.size)
    if len(frame) != _COUNT.size:  # not engaged: the build did not need a helper
        _report_and_exit(stdout)
    (length,) = _COUNT.unpack(frame)
    header = json.loads(read_exactly(stdin, length))
    checksums = read_exactly(stdin, 4 * header["count"])
    scanner = _NumpyScanner(checksums, header["rolling"])
    longest = header["longest"]
    segments = list(schedule(header["size"], longest, header["shortest"], header["read_buffer"]))
    front = [header["front"]]
    threading.Thread(target=_follow, args=(stdin, front), daemon=True).start()
    with Path(header["path"]).open("rb", buffering=0) as source:
        for number in range(len(segments) - 1, -1, -1):
            if number <= front[0]:
                break
            first, last, window = segments[number]
            if window != longest:
                continue  # a tail: a few positions, left to the walk
            stdout.write(_FRAME.pack(b"S", number))
            stdout.flush()
            found = _scan_segment(scanner, source, first, last - first + 1, window)
            if found is None:
                break
            positions, sums = found
            stdout.write(_FRAME.pack(b"R", number) + _COUNT.pack(len(positions)))
            stdout.write(positions.astype("<i8").tobytes() + sums.astype("<u4").tobytes())
            stdout.flush()
    _report_and_exit(stdout)


def _report_and_exit(stdout: IO[bytes]) -> None:
    stdout.write(_FRAME.pack(b"M", peak_rss()))
    stdout.flush()
    # Not a normal exit: the thread following stdin may be blocked in a read, and the
    # interpreter's shutdown would then abort on the stdin buffer's lock.
    os._exit(0)


if __name__ == "__main__":
    main()
