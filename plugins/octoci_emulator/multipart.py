"""An incremental ``multipart/form-data`` parser (RFC 7578) that streams part contents to a sink.

Octopus ignores the part *name* (every client uses another one: ``fileToUpload``, ``file``,
``data``, ``fileData``) and takes the first part that carries a ``filename``. The parser keeps at
most one read buffer plus the boundary length in memory, whatever the size of the part.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import unquote

from octoci_emulator.body import BodyReader

__all__ = ["MalformedMultipart", "MultipartReader", "PartHeaders", "boundary_from"]

_READ_SIZE = 256 * 1024
_MAX_HEADER_BYTES = 16 * 1024
_BOUNDARY = re.compile(r"""boundary=(?:"([^"]{1,200})"|([^;,\s]{1,200}))""", re.IGNORECASE)
_PARAM = re.compile(
    r"""(?P<key>[\w*\-]+)\s*=\s*(?:"(?P<quoted>(?:[^"\\]|\\.)*)"|(?P<bare>[^;]*))"""
)


class MalformedMultipart(Exception):
    """The body is not well-formed multipart (no boundary, bad headers, a missing terminator)."""


@dataclass(frozen=True)
class PartHeaders:
    """The headers of one part; ``filename`` is already reduced to a base name."""

    name: str | None
    filename: str | None
    content_type: str | None


def boundary_from(content_type: str) -> str | None:
    """The boundary of a ``multipart/form-data`` Content-Type, or ``None`` if it is not one."""
    if not content_type.lower().lstrip().startswith("multipart/form-data"):
        return None
    match = _BOUNDARY.search(content_type)
    if match is None:
        return None
    return match.group(1) or match.group(2)


def _parse_disposition(value: str) -> tuple[str | None, str | None]:
    params: dict[str, str] = {}
    for match in _PARAM.finditer(value):
        key = match["key"].lower()
        raw = match["quoted"]
        text = re.sub(r"\\(.)", r"\1", raw) if raw is not None else (match["bare"] or "").strip()
        if key == "filename*":
            # RFC 5987: charset'language'percent-encoded; it wins over a plain filename.
            charset, _, rest = text.partition("'")
            _, _, encoded = rest.partition("'")
            text = unquote(encoded, encoding=charset or "utf-8", errors="replace")
            key = "filename"
            params["_star"] = "1"
        elif key == "filename" and "_star" in params:
            continue
        params[key] = text
    filename = params.get("filename")
    if filename is not None:
        # Some clients send a full local path; Octopus keeps only the last component.
        filename = re.split(r"[\\/]", filename)[-1]
    return params.get("name"), filename


class MultipartReader:
    """Walks the parts of one multipart body.

    Example::

        reader = MultipartReader(body, boundary)
        while (part := reader.next_part()) is not None:
            if part.filename:
                reader.read_part(out.write)
            else:
                reader.read_part(lambda _chunk: None)
    """

    def __init__(self, body: BodyReader, boundary: str) -> None:
        self._body = body
        # Treating the stream as if it started with CRLF makes the first delimiter like the rest.
        self._buffer = bytearray(b"\r\n")
        self._delimiter = b"\r\n--" + boundary.encode("latin-1")
        self._eof = False
        self._in_part = False
        self._closed = False
        self._started = False

    def _fill(self) -> bool:
        if self._eof:
            return False
        chunk = self._body.read(_READ_SIZE)
        if not chunk:
            self._eof = True
            return False
        self._buffer += chunk
        return True

    def _emit(self, sink: Callable[[memoryview], object], length: int) -> None:
        # A view, not a copy (two, with bytes(buffer[:n])): a 100 MB upload is copied twice
        # less. Released before the buffer is cut, which a live view would forbid; a sink must
        # not keep it (it reads as released afterwards).
        with memoryview(self._buffer) as whole, whole[:length] as part:
            sink(part)

    def _skip_to_delimiter(self, sink: Callable[[memoryview], object] | None) -> None:
        keep = len(self._delimiter) - 1
        while True:
            index = self._buffer.find(self._delimiter)
            if index >= 0:
                if sink is not None and index:
                    self._emit(sink, index)
                del self._buffer[: index + len(self._delimiter)]
                return
            if len(self._buffer) > keep:
                cut = len(self._buffer) - keep
                if sink is not None:
                    self._emit(sink, cut)
                del self._buffer[:cut]
            if not self._fill():
                raise MalformedMultipart("the multipart body ended before its closing boundary")

    def next_part(self) -> PartHeaders | None:
        """The headers of the next part, or ``None`` after the closing boundary."""
        if self._closed:
            return None
        if self._in_part:
            self.read_part(None)
        elif not self._started:
            self._started = True
            # The preamble (normally empty) is discarded.
            self._skip_to_delimiter(None)
        while len(self._buffer) < 2 and self._fill():
            pass
        if self._buffer[:2] == b"--":
            self._closed = True
            return None
        while (end := self._buffer.find(b"\r\n\r\n")) < 0:
            if len(self._buffer) > _MAX_HEADER_BYTES:
                raise MalformedMultipart("a part's headers are too long")
            if not self._fill():
                raise MalformedMultipart("the multipart body ended inside a part's headers")
        head = bytes(self._buffer[:end])
        del self._buffer[: end + 4]
        first, _, rest = head.partition(b"\r\n")
        if first.strip(b" \t"):  # only transport padding may follow the boundary
            raise MalformedMultipart("unexpected bytes after a boundary")
        headers: dict[str, str] = {}
        for line in rest.split(b"\r\n") if rest else []:
            key, sep, value = line.decode("utf-8", "replace").partition(":")
            if not sep:
                raise MalformedMultipart(f"malformed part header {line[:60]!r}")
            headers[key.strip().lower()] = value.strip()
        name, filename = _parse_disposition(headers.get("content-disposition", ""))
        self._in_part = True
        return PartHeaders(name, filename, headers.get("content-type"))

    def read_part(self, sink: Callable[[memoryview], object] | None) -> None:
        """Stream the current part's content to ``sink`` as views of the reader's buffer, valid
        only during the call (``None`` discards it)."""
        if not self._in_part:
            return
        self._skip_to_delimiter(sink)
        self._in_part = False

    def drain(self) -> None:
        """Read and discard the rest of the body (so the connection can be reused)."""
        while self._fill():
            self._buffer.clear()
