"""A stored package is on disk before the emulator answers, and a large one is synced as it arrives.

Each received file (a plain upload, and the file a delta rebuilds) is fsynced before its row is
committed; past 32 MiB a second thread syncs it every 32 MiB while the bytes still arrive, so the
final fsync has little left. The syncs are recorded with the file's size at each; an upload over
real HTTP must show syncs while the file was still growing and one of the whole file.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from octoci_emulator import Emulator

from .conftest import Client

CHUNK = bytes(range(256)) * 4096  # 1 MiB
BOUNDARY = "sync-test-boundary"


def _body(filename: str, chunks: int) -> Iterator[bytes]:
    yield (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; '
        f'filename="{filename}"\r\nContent-Type: application/zip\r\n\r\n'
    ).encode()
    for _ in range(chunks):
        yield CHUNK
    yield f"\r\n--{BOUNDARY}--\r\n".encode()


@pytest.fixture
def syncs(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    """``(file name, size on disk)`` at every fsync/fdatasync of a ``.part`` file."""
    seen: list[tuple[str, int]] = []
    lock = threading.Lock()

    def recording(real: object) -> object:
        def sync(fd: int) -> None:
            path = Path(os.readlink(f"/proc/self/fd/{fd}"))
            if path.suffix == ".part":
                with lock:
                    seen.append((path.name, os.fstat(fd).st_size))
            real(fd)  # type: ignore[operator]

        return sync

    monkeypatch.setattr(os, "fsync", recording(os.fsync))
    if hasattr(os, "fdatasync"):
        monkeypatch.setattr(os, "fdatasync", recording(os.fdatasync))
    return seen


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="names descriptors via /proc")
def test_a_large_upload_is_synced_while_it_arrives_and_whole_before_the_answer(
    octopus_emulator: Emulator, syncs: list[tuple[str, int]]
) -> None:
    chunks = 100  # 100 MiB: three syncs on the way at least
    response = Client(octopus_emulator).post(
        "/packages/raw",
        data=_body("Big.1.0.0.zip", chunks),
        headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
    )
    assert response.status_code == 201, response.text
    size = chunks * len(CHUNK)
    assert response.json()["PackageSizeBytes"] == size
    names = {name for name, _ in syncs}
    assert len(names) == 1, syncs  # one file received
    sizes = [seen for _, seen in syncs]
    growing = [seen for seen in sizes if seen < size]
    assert len(growing) >= 2, f"no syncs while the upload arrived: {sizes}"
    assert sizes[-1] == size, f"the whole file was not synced before the answer: {sizes}"


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="names descriptors via /proc")
def test_a_small_upload_is_synced_once_without_a_thread(
    octopus_emulator: Emulator, syncs: list[tuple[str, int]]
) -> None:
    before = {t.name for t in threading.enumerate()}
    response = Client(octopus_emulator).post(
        "/packages/raw",
        data=_body("Small.1.0.0.zip", 2),
        headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
    )
    assert response.status_code == 201, response.text
    assert [seen for _, seen in syncs] == [2 * len(CHUNK)]
    assert "emulator-sync" not in before | {t.name for t in threading.enumerate()}
