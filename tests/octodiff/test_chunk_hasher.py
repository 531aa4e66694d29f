"""The delta build's chunk hasher, a second process that SHA-1s the far part of unchanged
stretches: the same bytes as one process (and as upstream), whatever it does, including failing
to start or dying; it stops with the build."""

from __future__ import annotations

import hashlib
import io
import random
import subprocess
import sys
from pathlib import Path

import pytest

from octoci.octodiff import (
    DeltaTooLargeError,
    build_delta,
    build_helpers,
    chunk_hasher,
    parse_signature,
    scan_helper,
)
from octoci.octodiff.chunk_hasher import ChunkHasher
from octoci.octodiff.scan_helper import ScanHelper

from .test_builder import built, rebuild, signature_of
from .upstream_port import upstream_delta

CHUNK = 256
READ_BUFFER = 64 * 1024  # 256 full windows a segment


@pytest.fixture(autouse=True)
def small_files(monkeypatch: pytest.MonkeyPatch) -> None:
    """Start the hasher for any file and hand over any stretch of a few windows."""
    monkeypatch.setattr(build_helpers, "HASHER_MIN", 0)
    monkeypatch.setattr(chunk_hasher, "_HAND_OVER_MIN", 4)


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> list[ChunkHasher]:
    """The hashers the builds started."""
    hashers: list[ChunkHasher] = []
    original = ChunkHasher.spawn

    def recording(new_file: Path, first: tuple[int, int] | None = None) -> ChunkHasher | None:
        hasher = original(new_file, first)
        if hasher is not None:
            hashers.append(hasher)
        return hasher

    monkeypatch.setattr(ChunkHasher, "spawn", recording)
    return hashers


def _edited(rng: random.Random, basis: bytes) -> bytes:
    """The basis with overwrites (alignment kept), inserts and deletes (alignment shifted) all
    through it: stretches the hasher was given are dropped as well as taken."""
    new = bytearray(basis)
    for _ in range(12):
        at = rng.randrange(len(new) - 2000)
        kind = rng.random()
        if kind < 0.5:
            new[at : at + 700] = rng.randbytes(700)
        elif kind < 0.75:
            new[at:at] = rng.randbytes(rng.randint(1, 300))
        else:
            del new[at : at + rng.randint(1, 300)]
    return bytes(new)


def _build(tmp_path: Path, new: bytes, signature: bytes, **options: object) -> tuple[bytes, int]:
    delta, stats = built(tmp_path, new, signature, read_buffer=READ_BUFFER, **options)
    return delta, stats.hashed_by_helper


@pytest.mark.parametrize("seed", range(3))
def test_hasher_gives_upstreams_delta(
    tmp_path: Path, started: list[ChunkHasher], seed: int
) -> None:
    rng = random.Random(seed)
    basis = rng.randbytes(2_000_000)
    new = _edited(rng, basis)
    signature = signature_of(basis, CHUNK)
    helped, hashed = _build(tmp_path, new, signature, helper=True)
    assert hashed > 1000  # the child really hashed part of the file
    assert len(started) == 1
    assert started[0]._process.poll() is not None  # stopped with the build
    alone, none = _build(tmp_path, new, signature, helper=False)
    assert none == 0
    assert helped == alone
    assert helped == upstream_delta(new, parse_signature(signature), READ_BUFFER)
    assert rebuild(basis, helped) == new


def test_hasher_digests_and_stale_answers(tmp_path: Path) -> None:
    data = random.Random(3).randbytes(300_000)
    path = tmp_path / "new.bin"
    path.write_bytes(data)
    hasher = ChunkHasher.spawn(path)
    assert hasher is not None
    assert hasher.idle
    hasher.ask(70_001, 100, 2048)
    assert not hasher.idle
    expected = b"".join(
        hashlib.sha1(data[at : at + 2048]).digest() for at in range(70_001, 70_001 + 204_800, 2048)
    )
    assert hasher.take(70_001, 100, 2048) == expected
    assert hasher.used == 100
    hasher.ask(5, 10, 2048)
    hasher.drop()  # a change came first: the answer is not wanted
    assert hasher.idle
    hasher.ask(1, 1, 1)
    assert hasher.take(1, 1, 1) == hashlib.sha1(data[1:2]).digest()
    hasher.ask(0, 2, 10)
    assert hasher.take(0, 3, 10) is None  # not what was asked for
    hasher.close()
    assert hasher._process.poll() == 0
    if sys.platform.startswith("linux"):
        assert 1 << 20 < hasher.peak_rss < 64 << 20


def test_a_dead_hasher_changes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(5)
    basis = rng.randbytes(1_000_000)
    new = _edited(rng, basis)
    signature = signature_of(basis, CHUNK)
    expected = _build(tmp_path, new, signature, helper=False)[0]
    original = ChunkHasher.spawn

    def dying(new_file: Path, first: tuple[int, int] | None = None) -> ChunkHasher | None:
        hasher = original(new_file, first)
        assert hasher is not None
        hasher._process.kill()
        hasher._process.wait()
        return hasher

    monkeypatch.setattr(ChunkHasher, "spawn", dying)
    delta, hashed = _build(tmp_path, new, signature, helper=True)
    assert hashed == 0
    assert delta == expected


def test_a_hasher_that_cannot_start_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = random.Random(6)
    basis = rng.randbytes(500_000)
    new = _edited(rng, basis)
    signature = signature_of(basis, CHUNK)
    expected = _build(tmp_path, new, signature, helper=False)[0]

    def refused(*_args: object, **_options: object) -> subprocess.Popen[bytes]:
        raise OSError("no processes left")

    monkeypatch.setattr(subprocess, "Popen", refused)
    assert ChunkHasher.spawn(tmp_path / "new.bin") is None
    delta, hashed = _build(tmp_path, new, signature, helper=True)
    assert hashed == 0
    assert delta == expected


def test_hasher_stops_with_a_limit(tmp_path: Path, started: list[ChunkHasher]) -> None:
    rng = random.Random(8)
    basis, unrelated = rng.randbytes(1_000_000), rng.randbytes(1_000_000)
    path = tmp_path / "new.bin"
    path.write_bytes(unrelated)
    with pytest.raises(DeltaTooLargeError) as caught:
        build_delta(
            path,
            parse_signature(signature_of(basis, CHUNK)),
            io.BytesIO(),
            limit=100_000,
            helper=True,
            read_buffer=READ_BUFFER,
        )
    assert len(started) == 1
    assert started[0]._process.poll() is not None  # not left running
    if sys.platform.startswith("linux"):
        assert caught.value.helper_peak_rss > 1 << 20


def test_no_hasher_without_helpers_or_for_small_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, started: list[ChunkHasher]
) -> None:
    rng = random.Random(9)
    basis = rng.randbytes(300_000)
    signature = signature_of(basis, CHUNK)
    _build(tmp_path, basis, signature, helper=False)
    monkeypatch.setattr(build_helpers, "HASHER_MIN", 32 << 20)
    _build(tmp_path, basis, signature, helper=True)
    assert started == []


def test_the_hasher_stops_before_the_scan_helper_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, started: list[ChunkHasher]
) -> None:
    # A file that shares little with its base version: the scan helper takes over, and the
    # chunk hasher has ended by then (the two never hold memory at once); the whole file's
    # SHA-1 moves to the thread, so the header is still right.
    monkeypatch.setattr(scan_helper, "START_AFTER", 1)
    monkeypatch.setattr(scan_helper, "MIN_REMAINING", 0)
    rng = random.Random(12)
    basis, unrelated = rng.randbytes(600_000), rng.randbytes(600_000)
    signature = signature_of(basis, CHUNK)
    running_at_spawn: list[bool] = []
    original = ScanHelper.spawn

    def spawn() -> ScanHelper | None:
        running_at_spawn.append(started[0]._process.poll() is None)
        return original()

    monkeypatch.setattr(ScanHelper, "spawn", spawn)
    delta, _ = _build(tmp_path, unrelated, signature, helper=True)
    assert running_at_spawn == [False]
    assert delta == upstream_delta(unrelated, parse_signature(signature), READ_BUFFER)
    assert rebuild(basis, delta) == unrelated
