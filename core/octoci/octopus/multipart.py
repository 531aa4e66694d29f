"""A streamed ``multipart/form-data`` body with one file part, read from disk block by block.

``requests`` sends an iterable that has a length as a plain body with ``Content-Length`` (no
chunked encoding), handing each block straight to the socket: memory stays at one block
whatever the file's size. (``requests_toolbelt``'s MultipartEncoder does the same but is a
dependency for ~40 lines; the official GitHub action reads the whole file into memory and fails
above 2 GB.) The body can be iterated again, so a retry re-reads the file from the start.

Every pass hashes the bytes it sends (SHA-1, what Octopus stores as a package's ``Hash``), so
the caller can compare what Octopus stored with what actually went out without reading the file
a second time, and checks that the file did not change while it was read (:class:`FileState`
before and after). ``requests`` wraps any error raised while sending the body into a
connection error, so a failure to read the file is also kept in :attr:`MultipartFile.failure`
for the caller to report as what it is.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "BLOCK_SIZE",
    "FileChangedError",
    "FileState",
    "MultipartFile",
    "check_unchanged",
    "content_type_for",
]

#: 1 MiB: large enough that Python's per-block overhead vanishes next to the socket's, small
#: enough to keep memory flat.
BLOCK_SIZE = 1024 * 1024

_TYPES = {
    ".zip": "application/zip",
    ".nupkg": "application/zip",
    ".jar": "application/java-archive",
    ".war": "application/java-archive",
    ".ear": "application/java-archive",
    ".tar.gz": "application/gzip",
    ".tgz": "application/gzip",
    ".tar.bz2": "application/x-bzip2",
    ".tar": "application/x-tar",
}


def content_type_for(filename: str) -> str:
    """The part's Content-Type for a package file name (Octopus ignores it; proxies may not)."""
    lower = filename.lower()
    for ext, media_type in _TYPES.items():
        if lower.endswith(ext):
            return media_type
    return "application/octet-stream"


@dataclass(frozen=True)
class FileState:
    """What says a file is still the one that was checked: its size and modification time
    (nanoseconds), and which file it is (device and inode, so a file replaced under the same
    name counts as changed)."""

    size: int
    mtime_ns: int
    device: int
    inode: int

    @classmethod
    def of(cls, path: Path) -> FileState:
        """The state of the file at ``path`` now."""
        return cls.from_stat(path.stat())

    @classmethod
    def from_stat(cls, result: os.stat_result) -> FileState:
        """The state from a ``stat``/``fstat`` result."""
        return cls(result.st_size, result.st_mtime_ns, result.st_dev, result.st_ino)

    def difference(self, now: FileState) -> str:
        """How ``now`` differs from this state, for an error message (empty: it does not)."""
        changes = []
        if (now.device, now.inode) != (self.device, self.inode):
            changes.append("it was replaced by another file")
        if now.size != self.size:
            changes.append(f"its size went from {self.size} to {now.size} bytes")
        if now.mtime_ns != self.mtime_ns:
            changes.append("its modification time changed")
        return ", ".join(changes)


class FileChangedError(OSError):
    """The file changed (size, modification time, or the file itself) while it was being sent."""


def check_unchanged(path: Path, expected: FileState, *, when: str) -> None:
    """Raise :class:`FileChangedError` when ``path`` is no longer in the ``expected`` state.

    :param when: when the change happened, for the message (``"while it was being sent"``).
    """
    difference = expected.difference(FileState.of(path))
    if difference:
        raise FileChangedError(f"{path} changed {when} ({difference})")


class MultipartFile:
    """The body of ``POST packages/raw``: one part named ``file`` carrying ``path``.

    Example::

        body = MultipartFile(Path("Acme.Web.1.0.0.zip"))
        requests.post(url, data=body, headers={"Content-Type": body.content_type})
        body.sha1  # the SHA-1 of the file bytes sent, or None if the body was not sent whole
    """

    def __init__(
        self,
        path: Path,
        *,
        filename: str | None = None,
        field: str = "file",
        block_size: int = BLOCK_SIZE,
        on_progress: Callable[[int], None] | None = None,
        expected: FileState | None = None,
    ) -> None:
        """:param expected: the file's state when it was checked (default: now); a pass that
        finds the file in another state, before or after reading it, fails with
        :class:`FileChangedError` before the body's last line, so the server never gets a
        complete body made of a changing file."""
        self.path = path
        self.filename = filename or path.name
        if any(c in self.filename for c in '"\r\n\\'):
            raise ValueError(f"a file name with quotes or line breaks cannot be sent: {filename!r}")
        self.boundary = f"octoci-{secrets.token_hex(16)}"
        self.block_size = block_size
        self.on_progress = on_progress
        self.expected = expected if expected is not None else FileState.of(path)
        self.file_size = self.expected.size
        #: The SHA-1 (hex) of the file bytes of the last pass that sent the whole body.
        self.sha1: str | None = None
        #: The error that ended the last pass while reading the file, if one did.
        self.failure: OSError | None = None
        self._head = (
            f"--{self.boundary}\r\n"
            f'Content-Disposition: form-data; name="{field}"; filename="{self.filename}"\r\n'
            f"Content-Type: {content_type_for(self.filename)}\r\n\r\n"
        ).encode()
        self._tail = f"\r\n--{self.boundary}--\r\n".encode()

    @property
    def content_type(self) -> str:
        """The request's ``Content-Type`` header, with the boundary."""
        return f"multipart/form-data; boundary={self.boundary}"

    def __len__(self) -> int:
        return len(self._head) + self.file_size + len(self._tail)

    def __iter__(self) -> Iterator[bytes]:
        self.sha1 = None
        self.failure = None
        yield self._head
        digest = hashlib.sha1()
        try:
            # Unbuffered: each block is read straight into its bytes object, without a second
            # copy through a BufferedReader (on a 2-core CI runner the server competes for the
            # CPU).
            with self.path.open("rb", buffering=0) as handle:
                self._check(os.fstat(handle.fileno()), "after it was checked")
                sent = 0
                while True:
                    block = handle.read(self.block_size)
                    if not block:
                        break
                    sent += len(block)
                    if sent > self.file_size:
                        raise FileChangedError(
                            f"{self.path} changed while it was being sent (it grew)"
                        )
                    digest.update(block)
                    if self.on_progress is not None:
                        self.on_progress(len(block))
                    yield block
                if sent != self.file_size:
                    # Content-Length was promised: a short body would hang or corrupt the request.
                    raise FileChangedError(
                        f"{self.path} changed while it was being sent (it shrank)"
                    )
                # Before the last line: a file rewritten in place (same size) must not arrive as
                # a complete body. The handle says whether these bytes changed; the path whether
                # another file took its place.
                self._check(os.fstat(handle.fileno()), "while it was being sent")
                check_unchanged(self.path, self.expected, when="while it was being sent")
        except OSError as exc:
            self.failure = exc
            raise
        self.sha1 = digest.hexdigest()
        yield self._tail

    def _check(self, result: os.stat_result, when: str) -> None:
        difference = self.expected.difference(FileState.from_stat(result))
        if difference:
            raise FileChangedError(f"{self.path} changed {when} ({difference})")
