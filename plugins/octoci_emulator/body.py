"""Request bodies read incrementally: by ``Content-Length`` or ``Transfer-Encoding: chunked``.

Nothing here holds more than one read's worth of bytes, so an upload of any size costs the same
memory. A body that ends before its declared length raises :class:`IncompleteBody`; the server
then closes the connection, because the stream can no longer be trusted.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import BinaryIO, Protocol

from octoci_emulator.errors import ApiError, BadRequest

__all__ = [
    "MAX_JSON_BYTES",
    "BodyReader",
    "ChunkedReader",
    "IncompleteBody",
    "LengthReader",
    "open_body",
    "read_small",
]

#: JSON bodies are read into memory; anything larger than this is refused (packages are streamed).
MAX_JSON_BYTES = 16 * 1024 * 1024
_MAX_CHUNK_LINE = 4096


class IncompleteBody(Exception):
    """The client stopped sending before the body was complete (or sent broken chunk framing)."""


class BodyReader(Protocol):
    """A readable request body."""

    def read(self, size: int = -1) -> bytes:
        """Up to ``size`` bytes (all that is left for -1); ``b""`` at the end of the body."""
        ...

    @property
    def finished(self) -> bool:
        """True once the whole body has been read."""
        ...


class _GuardedStream:
    """The connection's input, with a reset or timed-out socket reported as :class:`IncompleteBody`.

    A client that resets the connection or stalls mid-body is the client's failure, not the
    emulator's: callers clean up what they started and answer (or log) a 400, never a 500.
    """

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream

    def read(self, size: int) -> bytes:
        try:
            return self._stream.read(size)
        except OSError as exc:  # ConnectionResetError, TimeoutError ...
            raise IncompleteBody(f"the connection failed mid-body ({_reason(exc)})") from exc

    def readline(self, size: int) -> bytes:
        try:
            return self._stream.readline(size)
        except OSError as exc:
            raise IncompleteBody(f"the connection failed mid-body ({_reason(exc)})") from exc


def _reason(exc: OSError) -> str:
    if isinstance(exc, TimeoutError):
        return "the client stopped sending"
    return exc.strerror or type(exc).__name__


class LengthReader:
    """A body of a known length (``Content-Length``)."""

    def __init__(self, stream: BinaryIO, length: int) -> None:
        self._stream = _GuardedStream(stream)
        self._left = length

    @property
    def finished(self) -> bool:
        """True once ``length`` bytes have been read."""
        return self._left == 0

    def read(self, size: int = -1) -> bytes:
        """Up to ``size`` bytes of the body; raises :class:`IncompleteBody` on an early EOF."""
        if size < 0:
            parts = []
            while part := self.read(1 << 20):
                parts.append(part)
            return b"".join(parts)
        if self._left == 0:
            return b""
        want = min(size, self._left)
        data = self._stream.read(want)
        if not data:
            raise IncompleteBody(f"the body ended {self._left} bytes early")
        self._left -= len(data)
        return data


class ChunkedReader:
    """A ``Transfer-Encoding: chunked`` body (RFC 9112 section 7.1), trailers skipped."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = _GuardedStream(stream)
        self._chunk_left = 0
        self._done = False

    @property
    def finished(self) -> bool:
        """True once the last (zero-size) chunk and the trailers have been read."""
        return self._done

    def _line(self) -> bytes:
        line = self._stream.readline(_MAX_CHUNK_LINE)
        if not line.endswith(b"\n"):
            raise IncompleteBody("the chunked body ended early or has a malformed chunk line")
        return line.rstrip(b"\r\n")

    def _next_chunk(self) -> bool:
        """Read the next chunk header; ``False`` when it is the last (zero-size) chunk."""
        size_text = self._line().split(b";", 1)[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError as exc:
            raise IncompleteBody(f"invalid chunk size {size_text[:20]!r}") from exc
        if size < 0:
            raise IncompleteBody("negative chunk size")
        if size == 0:
            while self._line():  # trailer fields, up to the empty line
                pass
            self._done = True
            return False
        self._chunk_left = size
        return True

    def read(self, size: int = -1) -> bytes:
        """Up to ``size`` bytes (one chunk at most per call; -1 reads everything)."""
        if size < 0:
            parts = []
            while part := self.read(1 << 20):
                parts.append(part)
            return b"".join(parts)
        if self._done:
            return b""
        if self._chunk_left == 0 and not self._next_chunk():
            return b""
        data = self._stream.read(min(size, self._chunk_left))
        if not data:
            raise IncompleteBody("the chunked body ended inside a chunk")
        self._chunk_left -= len(data)
        if self._chunk_left == 0 and self._stream.read(2) != b"\r\n":
            raise IncompleteBody("a chunk is not followed by CRLF")
        return data


def open_body(headers: Mapping[str, str], stream: BinaryIO) -> BodyReader:
    """The body reader the request's framing headers call for.

    Both ``Content-Length`` and ``Transfer-Encoding`` on one request is refused (RFC 9112 calls it
    a smuggling risk, and Octopus's Kestrel front end rejects it) with 400.
    """
    encoding = (headers.get("Transfer-Encoding") or "").strip().lower()
    length_text = headers.get("Content-Length")
    if encoding:
        if length_text is not None:
            raise BadRequest(
                "The request has both Content-Length and Transfer-Encoding headers; send one."
            )
        if encoding != "chunked":
            raise BadRequest(f"Unsupported Transfer-Encoding '{encoding}'.")
        return ChunkedReader(stream)
    if length_text is None:
        return LengthReader(stream, 0)
    try:
        length = int(length_text.strip())
    except ValueError:
        raise BadRequest(f"Invalid Content-Length '{length_text[:40]}'.") from None
    if length < 0:
        raise BadRequest("Invalid Content-Length.")
    return LengthReader(stream, length)


def read_small(body: BodyReader, limit: int = MAX_JSON_BYTES) -> bytes:
    """The whole body, for JSON requests; 413 when it is larger than ``limit``."""
    parts: list[bytes] = []
    total = 0
    while chunk := body.read(65536):
        total += len(chunk)
        if total > limit:
            raise ApiError(413, "The request body is too large.")
        parts.append(chunk)
    return b"".join(parts)
