"""The incremental multipart parser and the chunked reader, fed in awkward pieces."""

from __future__ import annotations

import io

import pytest

from octoci_emulator.body import ChunkedReader, IncompleteBody, LengthReader
from octoci_emulator.multipart import MalformedMultipart, MultipartReader, boundary_from


class _Trickle:
    """A body reader that returns at most ``step`` bytes per read."""

    def __init__(self, data: bytes, step: int) -> None:
        self._data = data
        self._step = step
        self.finished = False

    def read(self, size: int = -1) -> bytes:
        piece, self._data = self._data[: self._step], self._data[self._step :]
        self.finished = not self._data
        return piece


BODY = (
    b"preamble\r\n--abc\r\n"
    b'Content-Disposition: form-data; name="note"\r\n\r\nhello\r\n'
    b"--abc\r\n"
    b'Content-Disposition: form-data; name="fileToUpload"; filename="C:\\\\tmp\\\\A.1.0.0.zip"\r\n'
    b"Content-Type: application/zip\r\n\r\n"
    b"data with \r\n--ab inside, and --abc without CRLF first\r\n"
    b"--abc--\r\n"
)


@pytest.mark.parametrize("step", [1, 2, 3, 7, 64, 10_000])
def test_parts_survive_any_read_size(step: int) -> None:
    reader = MultipartReader(_Trickle(BODY, step), "abc")
    parts = []
    while (part := reader.next_part()) is not None:
        received = bytearray()
        reader.read_part(received.extend)
        parts.append((part.name, part.filename, bytes(received)))
    assert parts == [
        ("note", None, b"hello"),
        ("fileToUpload", "A.1.0.0.zip", b"data with \r\n--ab inside, and --abc without CRLF first"),
    ]


def _consume(reader: MultipartReader) -> None:
    while reader.next_part() is not None:
        reader.read_part(None)


def test_missing_closing_boundary_is_malformed() -> None:
    reader = MultipartReader(_Trickle(BODY[:-12], 5), "abc")
    with pytest.raises(MalformedMultipart):
        _consume(reader)


def test_rfc5987_filename_wins() -> None:
    body = (
        b'--b\r\nContent-Disposition: form-data; name="f"; filename="x.zip"; '
        b"filename*=UTF-8''%C3%A9t%C3%A9.1.0.0.zip\r\n\r\nz\r\n--b--\r\n"
    )
    part = MultipartReader(_Trickle(body, 100), "b").next_part()
    assert part is not None
    assert part.filename == "\u00e9t\u00e9.1.0.0.zip"


def test_boundary_from_content_type() -> None:
    assert boundary_from('multipart/form-data; boundary="q u"') == "q u"
    assert boundary_from("multipart/form-data; boundary=----abc123") == "----abc123"
    assert boundary_from("application/octet-stream") is None
    assert boundary_from("multipart/form-data") is None


def test_chunked_reader_and_early_end() -> None:
    stream = io.BytesIO(b"5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nTrailer: x\r\n\r\nNEXT")
    reader = ChunkedReader(stream)
    assert reader.read(-1) == b"hello world"
    assert reader.finished
    assert stream.read() == b"NEXT"  # the next request on the connection is untouched
    with pytest.raises(IncompleteBody):
        ChunkedReader(io.BytesIO(b"10\r\nshort")).read(-1)
    with pytest.raises(IncompleteBody):
        ChunkedReader(io.BytesIO(b"zz\r\n")).read(100)
    with pytest.raises(IncompleteBody):
        LengthReader(io.BytesIO(b"abc"), 10).read(-1)
