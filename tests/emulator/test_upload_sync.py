"""A stored package is on disk before the emulator answers, and a large one is written as it arrives.

Each received file (a plain upload, and the file a delta rebuilds) goes through the emulator's
``Sink``: staged in 4 MiB blocks; past the first block a writer thread writes each block while
the next fills, with direct I/O where the file system takes it (no page cache, nothing left
dirty), else through the page cache with a sync every 32 MiB; the file is fsynced whole before
its row is committed. The writes and syncs of ``.part`` files are recorded over real HTTP.
"""

from __future__ import annotations

import errno
import hashlib
import os
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from octoci_emulator import Emulator, package_files

from .conftest import Client

CHUNK = bytes(range(256)) * 4096  # 1 MiB
BOUNDARY = "sync-test-boundary"
TAIL = b"tail!!!"  # the file does not end on a block boundary
WRITER = "emulator-writer"

pytestmark = pytest.mark.skipif(
    not Path("/proc/self/fd").is_dir(), reason="names descriptors via /proc"
)


def _body(filename: str, chunks: int) -> Iterator[bytes]:
    yield (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; '
        f'filename="{filename}"\r\nContent-Type: application/zip\r\n\r\n'
    ).encode()
    for _ in range(chunks):
        yield CHUNK
    yield TAIL
    yield f"\r\n--{BOUNDARY}--\r\n".encode()


def _content_sha1(chunks: int) -> str:
    digest = hashlib.sha1()
    for _ in range(chunks):
        digest.update(CHUNK)
    digest.update(TAIL)
    return digest.hexdigest()


@dataclass
class Disk:
    """What happened to ``.part`` files: writes ``(thread, bytes, direct)`` and syncs
    ``(size on disk)``, in order."""

    writes: list[tuple[str, int, bool]] = field(default_factory=list)
    syncs: list[int] = field(default_factory=list)
    files: set[str] = field(default_factory=set)
    fail_write: int = 0
    """Fail the writer thread's n-th write with ENOSPC (0: never)."""


def _part(fd: int) -> str | None:
    try:
        path = Path(os.readlink(f"/proc/self/fd/{fd}"))
    except OSError:
        return None
    return path.name if path.suffix == ".part" else None


@pytest.fixture
def disk(monkeypatch: pytest.MonkeyPatch) -> Disk:
    import fcntl

    seen = Disk()
    lock = threading.Lock()
    real_write = os.write

    def write(fd: int, data: bytes | memoryview) -> int:
        name = _part(fd)
        if name is not None:
            thread = threading.current_thread().name
            direct = bool(fcntl.fcntl(fd, fcntl.F_GETFL) & getattr(os, "O_DIRECT", 0))
            with lock:
                seen.files.add(name)
                seen.writes.append((thread, len(data), direct))
                mine = sum(1 for t, _, _ in seen.writes if t == WRITER)
            if thread == WRITER and mine == seen.fail_write:
                raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(fd, data)

    def recording(real: object) -> object:
        def sync(fd: int) -> None:
            if _part(fd) is not None:
                with lock:
                    seen.syncs.append(os.fstat(fd).st_size)
            real(fd)  # type: ignore[operator]

        return sync

    monkeypatch.setattr(os, "write", write)
    monkeypatch.setattr(os, "fsync", recording(os.fsync))
    if hasattr(os, "fdatasync"):
        monkeypatch.setattr(os, "fdatasync", recording(os.fdatasync))
    return seen


def _direct_io_here(folder: Path) -> bool:
    """Whether the file system under ``folder`` takes direct I/O (tmpfs before Linux 6.6 not);
    asked of the kernel, not of the code under test."""
    probe = folder / "direct-probe"
    try:
        fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_DIRECT, 0o600)
    except OSError:
        return False
    finally:
        probe.unlink(missing_ok=True)
    os.close(fd)
    return True


def _upload(emulator: Emulator, name: str, chunks: int) -> dict[str, object]:
    response = Client(emulator).post(
        "/packages/raw",
        data=_body(name, chunks),
        headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
    )
    assert response.status_code == 201, response.text
    document: dict[str, object] = response.json()
    assert document["PackageSizeBytes"] == chunks * len(CHUNK) + len(TAIL)
    assert document["Hash"] == _content_sha1(chunks)
    return document


def _stored_file(emulator: Emulator) -> Path:
    files = [p for p in emulator.data_dir.rglob("*.zip") if p.is_file()]
    assert len(files) == 1, files
    return files[0]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="direct I/O is Linux's")
def test_a_large_upload_is_written_directly_as_it_arrives(
    octopus_emulator: Emulator, disk: Disk
) -> None:
    if not _direct_io_here(octopus_emulator.data_dir):
        pytest.skip("this file system does not take direct I/O")
    chunks = 40  # 40 MiB: ten blocks
    _upload(octopus_emulator, "Big.1.0.0.zip", chunks)
    assert len(disk.files) == 1, disk.files  # one file received
    blocks = [(size, direct) for thread, size, direct in disk.writes if thread == WRITER]
    # Every full block by the writer thread, straight to the disk; the rest at close, cached.
    assert blocks == [(4 << 20, True)] * (chunks // 4), disk.writes
    rest = [(size, direct) for thread, size, direct in disk.writes if thread != WRITER]
    assert rest == [(len(TAIL), False)], disk.writes
    # Nothing dirty to sync on the way: one fsync, of the whole file, before the answer.
    assert disk.syncs == [chunks * len(CHUNK) + len(TAIL)]
    assert hashlib.sha1(_stored_file(octopus_emulator).read_bytes()).hexdigest() == (
        _content_sha1(chunks)
    )


def test_without_direct_io_a_large_upload_is_synced_as_it_arrives(
    octopus_emulator: Emulator, disk: Disk, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(package_files, "_direct_io", lambda fd, on=True: False)
    chunks = 100  # 100 MiB: three syncs on the way at least
    _upload(octopus_emulator, "Big.1.0.0.zip", chunks)
    size = chunks * len(CHUNK) + len(TAIL)
    assert not any(direct for _, _, direct in disk.writes)
    assert sum(1 for thread, _, _ in disk.writes if thread == WRITER) == chunks // 4
    growing = [seen for seen in disk.syncs if seen < size]
    assert len(growing) >= 2, f"no syncs while the upload arrived: {disk.syncs}"
    assert disk.syncs[-1] == size, f"the whole file was not synced before the answer: {disk.syncs}"
    assert hashlib.sha1(_stored_file(octopus_emulator).read_bytes()).hexdigest() == (
        _content_sha1(chunks)
    )


def test_a_small_upload_is_written_and_synced_once_without_a_thread(
    octopus_emulator: Emulator, disk: Disk
) -> None:
    before = {t.name for t in threading.enumerate()}
    _upload(octopus_emulator, "Small.1.0.0.zip", 2)
    size = 2 * len(CHUNK) + len(TAIL)
    assert [(size_, direct) for _, size_, direct in disk.writes] == [(size, False)]
    assert disk.syncs == [size]
    assert WRITER not in before | {t.name for t in threading.enumerate()}


def test_a_failed_block_write_fails_the_upload_and_leaves_nothing(
    octopus_emulator: Emulator, disk: Disk
) -> None:
    disk.fail_write = 3  # the disk fills up at the third block
    response = Client(octopus_emulator).post(
        "/packages/raw",
        data=_body("Full.1.0.0.zip", 40),
        headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
    )
    assert response.status_code >= 500, response.text
    assert octopus_emulator.packages() == []
    leftovers = [p for p in octopus_emulator.data_dir.rglob("*") if p.is_file()]
    assert not [p for p in leftovers if p.suffix in (".part", ".zip")], leftovers
    # The emulator takes the next upload as usual.
    disk.fail_write = 0
    _upload(octopus_emulator, "Full.1.0.0.zip", 6)
