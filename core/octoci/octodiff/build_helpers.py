"""What shares a delta build with the walk: the whole file's SHA-1 (for the delta header), the
chunk hasher and the scan helper, each started and stopped here, and what they cost in memory.

- The **chunk hasher** (``chunk_hasher``) starts with the build when a second core is there and
  the file is large: it hashes the whole file and the far part of unchanged stretches.
- Without it, the whole file's SHA-1 runs on a **thread** on a second handle (hashlib releases
  the GIL for large buffers).
- The **scan helper** (``scan_helper``) starts when the walk has scanned a while without a
  match: the file shares little with its base version, so there are no unchanged stretches to
  share, and the chunk hasher is stopped first (its whole-file hashing moves to the thread). The
  two never run at once, so the memory the build's processes hold at any moment is this
  process's and at most one helper's: :attr:`BuildHelpers.peak_rss` is the larger helper peak.
"""

from __future__ import annotations

import hashlib
import mmap
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from octoci.octodiff.format import OctodiffError

if TYPE_CHECKING:
    from octoci.octodiff.chunk_hasher import ChunkHasher
    from octoci.octodiff.scan_helper import ScanHelper

__all__ = ["HASHER_MIN", "BuildHelpers"]

#: The file size below which the chunk hasher is not started (its start costs ~20 ms of the
#: other core, which a small file does not win back).
HASHER_MIN = 32 << 20
_HASH_WINDOW = 8 << 20  # a multiple of every allocation granularity


def _hash_file(path: Path, result: list[bytes], stop: threading.Event) -> None:
    digest = hashlib.sha1()
    with path.open("rb", buffering=0) as handle:
        size = os.fstat(handle.fileno()).st_size
        # Hashed through 8 MiB mapped windows: no copy into a buffer (a tenth of this thread's
        # CPU), and resident memory stays at one window, as each is unmapped after use. The
        # thread needs the GIL only between windows (~5 ms of hashing each).
        for offset in range(0, size, _HASH_WINDOW):
            if stop.is_set():
                return
            length = min(_HASH_WINDOW, size - offset)
            with mmap.mmap(
                handle.fileno(), length, access=mmap.ACCESS_READ, offset=offset
            ) as window:
                if hasattr(window, "madvise"):
                    window.madvise(mmap.MADV_SEQUENTIAL)
                digest.update(window)
    result.append(digest.digest())


class BuildHelpers:
    """One build's helpers. :meth:`close` stops whatever is still running."""

    def __init__(self, new_file: Path) -> None:
        self.new_file = new_file
        #: The chunk hasher while it runs (``None`` before, after, or if it could not start).
        self.hasher: ChunkHasher | None = None
        #: The scan helper, once started.
        self.scan_helper: ScanHelper | None = None
        #: Windows the chunk hasher hashed for the walk.
        self.hashed_by_hasher = 0
        self._peaks: list[int] = []  # of the helpers that have finished
        self._digest: list[bytes] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, first: tuple[int, int] | None, hasher_wanted: bool) -> None:
        """Start the chunk hasher (``first``: see :meth:`ChunkHasher.spawn`) if wanted, or
        else the whole-file thread (also when the hasher cannot start)."""
        if hasher_wanted:
            from octoci.octodiff.chunk_hasher import ChunkHasher

            self.hasher = ChunkHasher.spawn(self.new_file, first)
        if self.hasher is None:
            self._start_thread()

    def _start_thread(self) -> None:
        self._thread = threading.Thread(
            target=_hash_file,
            args=(self.new_file, self._digest, self._stop),
            name="octodiff-sha1",
            daemon=True,
        )
        self._thread.start()

    def _retire_hasher(self) -> None:
        hasher = self.hasher
        if hasher is not None:
            self.hasher = None
            hasher.close(timeout=2.0)
            self.hashed_by_hasher = hasher.used
            self._peaks.append(hasher.peak_rss)

    def start_scan_helper(self, spawn: Callable[[], ScanHelper | None]) -> ScanHelper | None:
        """Stop the chunk hasher (moving the whole file's SHA-1 to the thread), then start the
        scan helper with ``spawn``."""
        if self.hasher is not None:
            self._retire_hasher()
            self._start_thread()
        self.scan_helper = spawn()
        return self.scan_helper

    def file_digest(self) -> bytes:
        """The whole file's SHA-1, once the walk is done (from the chunk hasher, or the
        thread; if the hasher died, hashed here)."""
        if self.hasher is not None:
            digest = self.hasher.file_digest()
            self._retire_hasher()
            if digest is not None:
                return digest
            self._start_thread()
        assert self._thread is not None
        self._thread.join()
        if not self._digest:  # pragma: no cover - the thread failed to read the file
            raise OctodiffError(f"could not hash {self.new_file}")
        return self._digest[0]

    def close(self, timeout: float = 5.0) -> None:
        """Stop every helper (the build is over, or failed)."""
        self._stop.set()
        self._retire_hasher()
        if self.scan_helper is not None:
            self.scan_helper.close(timeout=timeout)
            self._peaks.append(self.scan_helper.peak_rss)
            self.scan_helper = None
        if self._thread is not None and self._thread.is_alive():
            self._thread.join()

    @property
    def peak_rss(self) -> int:
        """The largest peak resident memory of the helper processes, in bytes (they never run
        at once; 0 if none ran, or the OS does not say). Known after :meth:`close`."""
        return max(self._peaks, default=0)
