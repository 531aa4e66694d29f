"""A second process that SHA-1s the far part of an unchanged stretch while the walk does the near.

In a file that is mostly its base version (the usual delta: a 1 % change), the walk's work is
one SHA-1 per 2 KiB chunk, and a thread cannot share it: each chunk is its own short hashlib
call, and handing the GIL over that often made two threads slower than one. So the walk gives
this process the far part of each stretch it is about to check (the windows it expects to find
next, at the alignment of the last match) and hashes the near part itself; when it gets there
and the region was unchanged, it takes the child's digests instead of computing them. Where the
region changed, the child's work is dropped: the walk makes every decision itself, so the delta
is the one a single process builds. Between requests the child hashes the whole file (the delta
header), which a thread beside it would otherwise do: three busy threads on two cores would take
a third of the walk's core.

The child is ``hash_child.py`` run by the same interpreter in isolated mode (``-I -S``); the
protocol is described there. If the child cannot start or dies, the walk hashes everything
itself: slower, same bytes.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
import time
from pathlib import Path

from octoci.octodiff.hash_child import DONE, REQUEST, RSS, read_exactly

__all__ = ["ChunkHasher", "wait_or_kill"]

_DIGEST_SIZE = 20
#: The share of a stretch the child gets at first, and its bounds. It also hashes the whole
#: file, so it usually ends up with a little less than half.
_FIRST_SHARE = 0.4
_SHARE_BOUNDS = (0.05, 0.8)
#: Windows left in a stretch below which it is not shared.
_HAND_OVER_MIN = 256
#: A wait longer than this for the child's digests means the child had too much (a piece of
#: the whole file's hashing delays an answer by about 0.1 ms at most).
_WAITED = 2e-4


class ChunkHasher:
    """The parent's side: one outstanding request at a time, and the share it gets."""

    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        self._process = process
        self._pending: tuple[int, int, int] | None = None
        self._stale = False  # the pending answer is not wanted any more
        self._alive = True
        #: The fraction of a stretch to give the child, adjusted after each hand-over.
        self.share = _FIRST_SHARE
        #: Windows whose digests came from the child.
        self.used = 0
        #: The child's peak resident memory in bytes (known after :meth:`close`).
        self.peak_rss = 0

    @classmethod
    def spawn(cls, new_file: Path, first: tuple[int, int] | None = None) -> ChunkHasher | None:
        """Start the child on ``new_file``; ``None`` when it cannot be started (no interpreter
        to run it with, as in a frozen build, or no such script, as in a zip).

        :param first: ``(last, window)`` of the walk's first segment, which it probes from 0:
            the child's part of it is asked for now, so that the child starts on it as soon as
            it is up (its ~20 ms start would otherwise keep the walk waiting there).
        """
        script = Path(__file__).with_name("hash_child.py")
        if not sys.executable or not script.is_file():
            return None
        try:
            process = subprocess.Popen(
                [sys.executable, "-I", "-S", str(script), str(new_file)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
            )
        except OSError:
            return None
        hasher = cls(process)
        if first is not None:
            hasher.offer(0, *first)
        return hasher

    @property
    def idle(self) -> bool:
        """True when the child is there and has no request the walk still wants."""
        return self._alive and (self._pending is None or self._stale)

    def offer(self, position: int, last: int, window: int) -> tuple[int, int] | None:
        """The walk is about to check the windows at ``position``, ``position + window`` ...
        up to ``last``: the child's part of them, ``(first position, count)`` (the child has
        them, or has just been asked for them), or ``None`` when it takes none (too few
        windows, or it is busy)."""
        pending = self._pending
        if pending is not None and not self._stale:
            start, count, size = pending
            if (
                size == window
                and position <= start <= last
                and start + (count - 1) * window <= last
                and (start - position) % window == 0
            ):
                return start, count  # asked for before the walk got here (the first segment)
            self._stale = True
        if not self.idle:
            return None
        windows = (last - position) // window + 1
        given = int(windows * self.share)
        if windows < _HAND_OVER_MIN or not given:
            return None
        split = position + (windows - given) * window
        self.ask(split, given, window)
        return (split, given) if self._alive else None

    def ask(self, position: int, count: int, window: int) -> None:
        """Ask for the digests of ``count`` windows of ``window`` bytes from ``position``."""
        if self._stale:
            self.take(-1, 0, 0)  # read the answer nobody wants (the child is done with it by now)
        stdin = self._process.stdin
        assert stdin is not None
        assert self._pending is None
        try:
            stdin.write(REQUEST.pack(position, count, window))
            stdin.flush()
        except OSError:
            self._alive = False
            return
        self._pending = (position, count, window)

    def take(self, position: int, count: int, window: int) -> bytes | None:
        """The digests asked for, if the pending request is for these windows (waiting for them
        if need be); ``None`` otherwise, or if the child died. Any other pending answer is read
        and dropped.

        Adjusts :attr:`share` so that the two finish together: the child's whole-file hashing
        should be as far through the file as the walk is. Ahead, it has time to spare (more);
        behind, or late with these digests, it has too much (less)."""
        pending = self._pending
        if pending is None:
            return None
        self._pending = None
        self._stale = False
        started = time.perf_counter()
        stdout = self._process.stdout
        assert stdout is not None
        size = pending[1] * _DIGEST_SIZE
        answer = read_exactly(stdout, size + DONE.size)
        if len(answer) != size + DONE.size:
            self._alive = False
            return None
        if pending != (position, count, window):
            return None
        (hashed,) = DONE.unpack_from(answer, size)
        low, high = _SHARE_BOUNDS
        late = time.perf_counter() - started > _WAITED
        if late or hashed < position + count * window:
            self.share = max(low, self.share * 0.9)
        else:
            self.share = min(high, self.share * 1.1)
        self.used += count
        return answer[:size]

    def file_digest(self) -> bytes | None:
        """The SHA-1 of the whole file, which the child computes between requests (waiting for
        the rest of it); ``None`` if the child died."""
        if not self._alive:
            return None
        if self._pending is not None:
            self.take(-1, 0, 0)
        self.ask(0, -1, 0)
        self._pending = None
        stdout = self._process.stdout
        assert stdout is not None
        digest = read_exactly(stdout, _DIGEST_SIZE)
        if len(digest) != _DIGEST_SIZE:
            self._alive = False
            return None
        return digest

    def drop(self) -> None:
        """Forget the pending answer (the walk found a change before those windows); it is read
        and dropped when the next request is made, by which time the child has finished it."""
        self._stale = self._pending is not None

    def close(self, timeout: float = 5.0) -> None:
        """End the child's input: it reports its peak memory and exits (killed after
        ``timeout`` seconds)."""
        process = self._process
        assert process.stdin is not None
        assert process.stdout is not None
        with contextlib.suppress(OSError):
            if self._pending is not None:
                self.take(-1, 0, 0)
            process.stdin.close()
            rss = read_exactly(process.stdout, RSS.size)
            if len(rss) == RSS.size:
                (self.peak_rss,) = RSS.unpack(rss)
        wait_or_kill(process, timeout)
        process.stdout.close()
        self._alive = False  # offered nothing more (the walk may still hold this object)


def wait_or_kill(process: subprocess.Popen[bytes], timeout: float) -> None:
    """Wait up to ``timeout`` seconds for a helper process told to end; then kill it."""
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=timeout)
    if process.poll() is None:
        process.kill()
        process.wait()
