"""The delta build's scan helper, a second process: the same bytes as one process (and as
upstream), whatever the helper does, including failing to start or dying; it stops with the build."""

from __future__ import annotations

import io
import random
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from octoci.octodiff import (
    ADLER32_V2,
    DeltaTooLargeError,
    build_delta,
    parse_signature,
    scan_helper,
)
from octoci.octodiff.builder import _NumpyScanner
from octoci.octodiff.scan_helper import ScanHelper, helper_wanted

from .test_builder import built, rebuild, signature_of
from .upstream_port import upstream_delta


@pytest.fixture(autouse=True)
def eager_helper(monkeypatch: pytest.MonkeyPatch) -> None:
    """Start the helper at the first scanned block, however small the file."""
    monkeypatch.setattr(scan_helper, "START_AFTER", 1)
    monkeypatch.setattr(scan_helper, "MIN_REMAINING", 0)


@pytest.fixture
def helpers(monkeypatch: pytest.MonkeyPatch) -> list[ScanHelper]:
    """The helpers started, with a walk that, once it has engaged a helper, waits until the
    helper has scanned every segment after the walk's: a small file would otherwise be done
    before the helper has started, and the test would not test it."""
    started: list[ScanHelper] = []
    original = ScanHelper.spawn

    def recording() -> ScanHelper | None:
        helper = original()
        if helper is not None:
            started.append(helper)
        return helper

    scan = _NumpyScanner.candidate_arrays

    def patient(self: _NumpyScanner, *args: Any) -> Any:
        if started and started[-1].engaged:
            helper = started[-1]
            deadline = time.monotonic() + 30
            with helper._condition:
                while helper._alive and time.monotonic() < deadline:
                    helper._condition.wait(0.05)
        return scan(self, *args)

    monkeypatch.setattr(ScanHelper, "spawn", recording)
    monkeypatch.setattr(_NumpyScanner, "candidate_arrays", patient)
    return started


def _mixed(rng: random.Random, basis: bytes) -> bytes:
    """Unrelated stretches with pieces of the basis, shifted off its chunk grid, all through
    the file: the helper's segments (the file's end) have matches as well as misses."""
    parts = []
    for _ in range(40):
        parts.append(rng.randbytes(rng.randint(1, 6000)))
        start = rng.randint(0, len(basis) - 3000)
        parts.append(basis[start : start + rng.randint(300, 3000)])
    return b"".join(parts)


def _build(
    tmp_path: Path, new: bytes, signature: bytes, read_buffer: int, **options: object
) -> tuple[bytes, int]:
    delta, stats = built(tmp_path, new, signature, read_buffer=read_buffer, **options)
    return delta, stats.helper_segments


@pytest.mark.parametrize("seed", range(3))
def test_helper_gives_upstreams_delta(tmp_path: Path, helpers: list[ScanHelper], seed: int) -> None:
    rng = random.Random(seed)
    alphabet = [2, 16, 256][seed]
    basis = bytes(rng.randrange(alphabet) for _ in range(120_000))
    new = _mixed(rng, basis)
    chunk_size = [128, 200, 256][seed]
    read_buffer = 4096
    signature = signature_of(basis, chunk_size)
    helped, segments = _build(tmp_path, new, signature, read_buffer, helper=True)
    assert segments > 10  # the helper really scanned part of the file
    alone, none = _build(tmp_path, new, signature, read_buffer, helper=False)
    assert none == 0
    assert helped == alone
    assert helped == upstream_delta(new, parse_signature(signature), read_buffer)
    assert rebuild(basis, helped) == new


def test_helper_with_v2_signatures(tmp_path: Path, helpers: list[ScanHelper]) -> None:
    rng = random.Random(7)
    basis = rng.randbytes(100_000)
    new = _mixed(rng, basis)
    signature = signature_of(basis, 128, rolling=ADLER32_V2)
    helped, segments = _build(tmp_path, new, signature, 4096, helper=True)
    assert segments > 10
    assert helped == _build(tmp_path, new, signature, 4096, helper=False)[0]
    assert rebuild(basis, helped) == new


@pytest.mark.parametrize(
    "command",
    [
        pytest.param(["/nonexistent/octoci-python"], id="cannot-start"),
        pytest.param([sys.executable, "-c", "import sys; sys.stdin.buffer.read(16)"], id="dies"),
        pytest.param(
            [sys.executable, "-c", "import sys; sys.stdout.write('garbage')"], id="babbles"
        ),
    ],
)
def test_a_failing_helper_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: list[str]
) -> None:
    rng = random.Random(11)
    basis = rng.randbytes(100_000)
    new = _mixed(rng, basis)
    signature = signature_of(basis, 128)
    expected = _build(tmp_path, new, signature, 4096, helper=False)[0]
    monkeypatch.setattr(scan_helper, "command", lambda: command)
    delta, segments = _build(tmp_path, new, signature, 4096, helper=True)
    assert segments == 0
    assert delta == expected


def test_helper_stops_with_a_limit_and_reports_memory(
    tmp_path: Path, helpers: list[ScanHelper]
) -> None:
    started = helpers
    rng = random.Random(4)
    basis, unrelated = rng.randbytes(3_000_000), rng.randbytes(3_000_000)
    path = tmp_path / "new.bin"
    path.write_bytes(unrelated)
    signature = parse_signature(signature_of(basis))
    with pytest.raises(DeltaTooLargeError) as caught:
        build_delta(path, signature, io.BytesIO(), limit=1_500_000, helper=True, read_buffer=65536)
    assert caught.value.scanned < 1_800_000
    assert len(started) == 1
    assert started[0]._process.poll() is not None  # not left running
    if sys.platform.startswith("linux"):
        assert caught.value.helper_peak_rss > 10 << 20
    # A full build reports the helper's peak too, and stops it.
    stats = build_delta(path, signature, io.BytesIO(), helper=True, read_buffer=65536)
    assert stats.helper_segments > 0
    assert started[1]._process.poll() is not None
    if sys.platform.startswith("linux"):
        assert 10 << 20 < stats.helper_peak_rss < 128 << 20


def test_helper_is_off_with_one_core_or_when_switched_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OCTOCI_DELTA_HELPER", "0")
    assert not helper_wanted()
    monkeypatch.delenv("OCTOCI_DELTA_HELPER")
    monkeypatch.setattr("os.sched_getaffinity", lambda _pid: {0}, raising=False)
    monkeypatch.setattr("os.cpu_count", lambda: 1)
    assert not helper_wanted()
    monkeypatch.setattr("os.sched_getaffinity", lambda _pid: {0, 1}, raising=False)
    monkeypatch.setattr("os.cpu_count", lambda: 2)
    assert helper_wanted()


def test_python_engine_never_starts_a_helper(tmp_path: Path) -> None:
    rng = random.Random(5)
    basis = rng.randbytes(50_000)
    new = _mixed(rng, basis)[:60_000]
    delta, segments = _build(
        tmp_path, new, signature_of(basis, 128), 4096, helper=True, engine="python"
    )
    assert segments == 0
    assert rebuild(basis, delta) == new
