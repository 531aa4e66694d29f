"""Uploads are streamed: memory stays bounded whatever the package size.

tracemalloc follows every Python allocation in the process, the emulator's server threads
included; the client below sends one reused chunk, so its own share is tiny. The bound (8 MB for
a 48 MB body) is far below the body size, so reading the body into memory would fail the test.
"""

from __future__ import annotations

import hashlib
import tracemalloc
from collections.abc import Iterator

import pytest

from octoci_emulator import Emulator

from .conftest import Client

CHUNK = bytes(range(256)) * 4096  # 1 MiB
CHUNKS = 48
BOUNDARY = "memory-test-boundary"
LIMIT = 8 * 1024 * 1024


class _Body:
    """A multipart body produced chunk by chunk, with a known length (so Content-Length)."""

    def __init__(self, filename: str) -> None:
        self.head = (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'
        ).encode()
        self.tail = f"\r\n--{BOUNDARY}--\r\n".encode()

    def __len__(self) -> int:
        return len(self.head) + CHUNKS * len(CHUNK) + len(self.tail)

    def __iter__(self) -> Iterator[bytes]:
        yield self.head
        for _ in range(CHUNKS):
            yield CHUNK
        yield self.tail


def _expected_sha1() -> str:
    digest = hashlib.sha1()
    for _ in range(CHUNKS):
        digest.update(CHUNK)
    return digest.hexdigest()


@pytest.mark.parametrize("framing", ["content-length", "chunked"])
def test_large_upload_uses_bounded_memory(octopus_emulator: Emulator, framing: str) -> None:
    client = Client(octopus_emulator)
    body = _Body("Big.1.0.0.zip")
    data: object = body if framing == "content-length" else iter(body)
    tracemalloc.start()
    try:
        response = client.post(
            "/packages/raw",
            data=data,
            headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert response.status_code == 201, response.text
    sent_with = response.request.headers
    if framing == "chunked":
        assert sent_with.get("Transfer-Encoding") == "chunked"
    else:
        assert sent_with.get("Content-Length") == str(len(body))
    stored = response.json()
    assert stored["PackageSizeBytes"] == CHUNKS * len(CHUNK)
    assert stored["Hash"] == _expected_sha1()
    assert peak < LIMIT, f"peak traced memory {peak / 2**20:.1f} MiB for a 48 MiB upload"
