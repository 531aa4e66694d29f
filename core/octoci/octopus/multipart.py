"""A streamed ``multipart/form-data`` body with one file part, read from disk block by block.

``requests`` sends an iterable that has a length as a plain body with ``Content-Length`` (no
chunked encoding), handing each block straight to the socket: memory stays at one block
whatever the file's size. (``requests_toolbelt``'s MultipartEncoder does the same but is a
dependency for ~40 lines; the official GitHub action reads the whole file into memory and fails
above 2 GB.) The body can be iterated again, so a retry re-reads the file from the start.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from pathlib import Path

__all__ = ["BLOCK_SIZE", "MultipartFile", "content_type_for"]

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


class FileChangedError(OSError):
    """The file's size changed while it was being sent."""


class MultipartFile:
    """The body of ``POST packages/raw``: one part named ``file`` carrying ``path``.

    Example::

        body = MultipartFile(Path("Acme.Web.1.0.0.zip"))
        requests.post(url, data=body, headers={"Content-Type": body.content_type})
    """

    def __init__(
        self,
        path: Path,
        *,
        filename: str | None = None,
        field: str = "file",
        block_size: int = BLOCK_SIZE,
        on_progress: Callable[[int], None] | None = None,
    ) -> None:
        self.path = path
        self.filename = filename or path.name
        if any(c in self.filename for c in '"\r\n\\'):
            raise ValueError(f"a file name with quotes or line breaks cannot be sent: {filename!r}")
        self.boundary = f"octoci-{secrets.token_hex(16)}"
        self.block_size = block_size
        self.on_progress = on_progress
        self.file_size = path.stat().st_size
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
        yield self._head
        sent = 0
        # Unbuffered: each block is read straight into its bytes object, without a second copy
        # through a BufferedReader (on a 2-core CI runner the server competes for the CPU).
        with self.path.open("rb", buffering=0) as handle:
            while True:
                block = handle.read(self.block_size)
                if not block:
                    break
                sent += len(block)
                if sent > self.file_size:
                    raise FileChangedError(f"{self.path} grew while it was being uploaded")
                if self.on_progress is not None:
                    self.on_progress(len(block))
                yield block
        if sent != self.file_size:
            # Content-Length was promised: a short body would hang or corrupt the request.
            raise FileChangedError(f"{self.path} shrank while it was being uploaded")
        yield self._tail
