"""Delta building and applying: upstream vectors, the literal upstream port as an oracle
(including its 4 MiB-buffer tails, shrunk so that small inputs cross buffers), round trips."""

from __future__ import annotations

import hashlib
import io
import random
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from octoci.octodiff import (
    ADLER32,
    ADLER32_V2,
    DeltaStats,
    DeltaTooLargeError,
    OctodiffError,
    apply_delta,
    build_delta,
    build_signature,
    builder,
    parse_signature,
    schedule,
)

from . import vectors
from .upstream_port import upstream_delta

ENGINES = ["numpy", "python"]


def signature_of(data: bytes, chunk_size: int = 2048, rolling: str = ADLER32) -> bytes:
    out = io.BytesIO()
    build_signature(io.BytesIO(data), out, chunk_size=chunk_size, rolling=rolling)
    return out.getvalue()


def built(tmp_path: Path, new: bytes, signature: bytes, **options: Any) -> tuple[bytes, DeltaStats]:
    """The delta of ``new`` (written to a file) against ``signature``, and the build's stats,
    checked against the delta's own size and the new file's SHA-1."""
    path = tmp_path / "new.bin"
    path.write_bytes(new)
    out = io.BytesIO()
    stats = build_delta(path, parse_signature(signature), out, **options)
    assert stats.delta_size == len(out.getvalue())
    assert stats.sha1 == hashlib.sha1(new).digest()
    return out.getvalue(), stats


def delta_of(
    tmp_path: Path, new: bytes, signature: bytes, engine: str = "numpy", **options: int
) -> bytes:
    return built(tmp_path, new, signature, engine=engine, **options)[0]


def rebuild(basis: bytes, delta: bytes) -> bytes:
    out = io.BytesIO()
    apply_delta(io.BytesIO(basis), io.BytesIO(delta), out.write)
    return out.getvalue()


def changed(data: bytes, edits: dict[int, int]) -> bytes:
    out = bytearray(data)
    for offset, value in edits.items():
        out[offset] = value
    return bytes(out)


@pytest.mark.parametrize("engine", ENGINES)
def test_identical_input_is_one_copy(tmp_path: Path, engine: str) -> None:
    delta = delta_of(tmp_path, vectors.CERTIFICATE, signature_of(vectors.CERTIFICATE), engine)
    assert delta.hex() == vectors.DELTA_SAME_INPUT


@pytest.mark.parametrize("engine", ENGINES)
def test_empty_basis_gives_one_data_command(tmp_path: Path, engine: str) -> None:
    delta = delta_of(tmp_path, vectors.CERTIFICATE, signature_of(b""), engine)
    assert delta == (
        bytes.fromhex(vectors.DELTA_HEADER_OF_CERT)
        + bytes.fromhex("800802000000000000")
        + vectors.CERTIFICATE
    )


@pytest.mark.parametrize("engine", ENGINES)
def test_change_inside_the_only_chunk_sends_everything(tmp_path: Path, engine: str) -> None:
    new = changed(vectors.CERTIFICATE, {32: 0xAA, 33: 0xAB, 34: 0xAC})
    delta = delta_of(tmp_path, new, signature_of(vectors.CERTIFICATE), engine)
    assert delta == (
        bytes.fromhex(vectors.DELTA_SMALL_CHANGE_128[:84])  # header with the new file's SHA-1
        + bytes.fromhex("800802000000000000")
        + new
    )


@pytest.mark.parametrize("engine", ENGINES)
def test_small_change_with_small_chunks(tmp_path: Path, engine: str) -> None:
    new = changed(vectors.CERTIFICATE, {32: 0xAA, 33: 0xAB, 34: 0xAC})
    delta = delta_of(tmp_path, new, signature_of(vectors.CERTIFICATE, 128), engine)
    assert delta.hex() == vectors.DELTA_SMALL_CHANGE_128


@pytest.mark.parametrize("engine", ENGINES)
def test_prepended_byte(tmp_path: Path, engine: str) -> None:
    new = b"\xaa" + vectors.CERTIFICATE
    delta = delta_of(tmp_path, new, signature_of(vectors.CERTIFICATE, 128), engine)
    assert delta.hex() == vectors.DELTA_PREPEND_128


@pytest.mark.parametrize("engine", ENGINES)
def test_larger_file_vectors(tmp_path: Path, engine: str) -> None:
    original = vectors.generate(128 * 1024)
    new = changed(original, {32: 0xAA, 33: 0xAB, 34: 0xAC})
    delta = delta_of(tmp_path, new, signature_of(original), engine)
    assert delta.hex().startswith(vectors.DELTA_128K_PREFIX)
    assert delta == upstream_delta(new, parse_signature(signature_of(original)))
    assert rebuild(original, delta) == new

    new = changed(new, {32000: 0xAA, 33000: 0xAB, 34000: 0xAC})
    delta = delta_of(tmp_path, new, signature_of(original), engine)
    assert delta.hex().startswith(vectors.DELTA_128K_TWO_CHANGES_PREFIX)
    assert delta == upstream_delta(new, parse_signature(signature_of(original)))
    assert rebuild(original, delta) == new


def test_schedule_models_buffer_tails() -> None:
    # 10 bytes, buffer 6, chunks of 4 and 2: full windows at 0..2, tail (short windows) at 3..4;
    # the next buffer starts at 6 - 4 + 1 = 3 (full 3..5, tail 6..7), the last at 6 (4 bytes).
    assert list(schedule(10, 4, 2, 6)) == [
        (0, 2, 4),
        (3, 4, 2),
        (3, 5, 4),
        (6, 7, 2),
        (6, 6, 4),
        (7, 8, 2),
    ]
    assert list(schedule(3, 4, 2, 6)) == [(0, 1, 2)]
    assert list(schedule(0, 4, 2, 6)) == []
    assert list(schedule(8, 4, 4, 6)) == [(0, 2, 4), (3, 4, 4)]


@pytest.mark.slow
def test_a_tail_match_preempts_full_chunks(tmp_path: Path) -> None:
    # The basis ends with a short chunk; in the new file that short chunk's bytes sit where a
    # buffer's tail probes them with the short window: upstream copies the short chunk there
    # (and so must we), although a full-window scan would have matched full chunks instead.
    rng = random.Random(5)
    basis = rng.randbytes(128 * 6 + 40)
    signature = signature_of(basis, 128)
    short = basis[-40:]
    found = False
    for offset in range(100, 400):
        new = basis[:offset] + short + basis[offset:]
        expected = upstream_delta(new, parse_signature(signature), 512)
        assert delta_of(tmp_path, new, signature, read_buffer=512) == expected
        assert delta_of(tmp_path, new, signature, "python", read_buffer=512) == expected
        # The short chunk (offset 768, length 40) copied from inside the file: a tail match.
        found = found or bytes.fromhex("6000030000000000002800000000000000") in expected
    assert found


def _random_case(rng: random.Random) -> tuple[bytes, bytes, int, int]:
    alphabet = rng.choice([2, 4, 256])
    basis = bytes(rng.randrange(alphabet) for _ in range(rng.randint(0, 5000)))
    new = bytearray(basis)
    for _ in range(rng.randint(0, 5)):
        roll = rng.random()
        position = rng.randint(0, len(new))
        if roll < 0.4:
            new[position:position] = bytes(
                rng.randrange(alphabet) for _ in range(rng.randint(1, 300))
            )
        elif roll < 0.7:
            del new[position : position + rng.randint(1, 300)]
        else:  # a copy of another part of the basis: matches away from their chunk grid
            start = rng.randint(0, max(0, len(basis) - 200))
            new[position:position] = basis[start : start + rng.randint(1, 400)]
    chunk_size = rng.choice([128, 129, 200, 256])
    read_buffer = rng.choice([chunk_size * 2, chunk_size * 3 + 7, 1000, 4096])
    return basis, bytes(new), chunk_size, read_buffer


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("stream_step", [None, 1, 700])
def test_identical_to_upstream_on_random_edits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: int, stream_step: int | None
) -> None:
    if stream_step is not None:  # literal bytes written as soon as they are certain
        monkeypatch.setattr(builder, "_STREAM_STEP", stream_step)
    rng = random.Random(seed)
    for _ in range(40):
        basis, new, chunk_size, read_buffer = _random_case(rng)
        signature = signature_of(basis, chunk_size)
        expected = upstream_delta(new, parse_signature(signature), read_buffer)
        for engine in ENGINES:
            delta = delta_of(tmp_path, new, signature, engine, read_buffer=read_buffer)
            assert delta == expected, (seed, engine, len(basis), len(new), chunk_size)
        assert rebuild(basis, expected) == new


@pytest.mark.parametrize("engine", ENGINES)
def test_v2_signatures_give_valid_small_deltas(tmp_path: Path, engine: str) -> None:
    # Upstream's broken V2 rotation makes such deltas ~100 % literal; ours are correct.
    rng = random.Random(9)
    basis = rng.randbytes(60_000)
    new = basis[:1000] + b"abc" + basis[1000:30_000] + basis[30_100:]
    delta = delta_of(tmp_path, new, signature_of(basis, 2048, ADLER32_V2), engine)
    assert rebuild(basis, delta) == new
    assert len(delta) < 5000


@settings(max_examples=60, deadline=None)
@given(
    basis=st.binary(max_size=3000),
    edits=st.lists(
        st.tuples(st.integers(0, 3000), st.integers(0, 200), st.binary(max_size=200)), max_size=4
    ),
    chunk_size=st.sampled_from([128, 160, 512]),
)
def test_round_trip_property(
    tmp_path_factory: pytest.TempPathFactory,
    basis: bytes,
    edits: list[tuple[int, int, bytes]],
    chunk_size: int,
) -> None:
    new = bytearray(basis)
    for position, removed, inserted in edits:
        new[position : position + removed] = inserted
    tmp_path = tmp_path_factory.mktemp("prop")
    signature = signature_of(basis, chunk_size)
    delta = delta_of(tmp_path, bytes(new), signature, read_buffer=1024)
    assert delta == upstream_delta(bytes(new), parse_signature(signature), 1024)
    assert rebuild(basis, delta) == bytes(new)


@pytest.mark.slow
def test_matches_across_every_internal_block_boundary(tmp_path: Path) -> None:
    # Chunks shifted by every offset within 2 KiB, in a file bigger than the vectorised scan
    # blocks and the read buffer: a match that straddles a block must still be found.
    rng = random.Random(3)
    basis = rng.randbytes(300_000)
    for shift in (1, 2047, 8191, 8192, 65535, 65536, 65537):
        new = rng.randbytes(shift) + basis
        delta = delta_of(tmp_path, new, signature_of(basis), read_buffer=100_000)
        assert delta == upstream_delta(new, parse_signature(signature_of(basis)), 100_000)
        assert len(delta) < shift + 4000


@pytest.mark.parametrize("stream_step", [None, 1000])
def test_limit_stops_early_for_unrelated_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stream_step: int | None
) -> None:
    if stream_step is not None:  # literal bytes already written count once, not twice
        monkeypatch.setattr(builder, "_STREAM_STEP", stream_step)
    rng = random.Random(4)
    basis, unrelated = rng.randbytes(2_000_000), rng.randbytes(2_000_000)
    path = tmp_path / "new.bin"
    path.write_bytes(unrelated)
    with pytest.raises(DeltaTooLargeError) as caught:
        build_delta(path, parse_signature(signature_of(basis)), io.BytesIO(), limit=1_000_000)
    assert caught.value.scanned < 1_200_000
    # A related file stays under the same limit.
    path.write_bytes(basis[:500_000] + b"new" + basis[500_000:])
    out = io.BytesIO()
    stats = build_delta(path, parse_signature(signature_of(basis)), out, limit=1_000_000)
    assert stats.delta_size < 10_000
    assert stats.copied + stats.literal == 2_000_003
    # So does one that starts with 800 kB of new bytes (written before the scan reaches the
    # basis's bytes when streaming: they must not count twice against the limit).
    new = unrelated[:800_000] + basis
    path.write_bytes(new)
    out = io.BytesIO()
    stats = build_delta(path, parse_signature(signature_of(basis)), out, limit=1_000_000)
    assert 800_000 < stats.delta_size < 810_000
    assert rebuild(basis, out.getvalue()) == new


@pytest.mark.parametrize(
    ("mangle", "message"),
    [
        (lambda d: d[:-1], "truncated inside a copy"),
        (lambda d: d[:50], "truncated|SHA-1"),
        (lambda d: d[:60] + b"\x99" + d[61:], "unknown delta command|truncated|SHA-1"),
        (lambda d: b"OCTODELTX" + d[9:], "not an Octodiff delta"),
        (lambda d: d[:19] + bytes(20) + d[39:], "SHA-1"),  # another expected hash
        (lambda d: d[:42] + b"\x60" + (2**40).to_bytes(8, "little") + d[51:], "another file"),
    ],
)
def test_apply_rejects_bad_deltas(tmp_path: Path, mangle: object, message: str) -> None:
    rng = random.Random(6)
    basis = rng.randbytes(20_000)
    new = basis[:5000] + b"change" + basis[5000:]
    delta = delta_of(tmp_path, new, signature_of(basis))
    assert callable(mangle)
    with pytest.raises(OctodiffError, match=message):
        rebuild(basis, mangle(delta))


def test_apply_rejects_a_delta_for_another_basis(tmp_path: Path) -> None:
    rng = random.Random(7)
    basis = rng.randbytes(20_000)
    delta = delta_of(tmp_path, basis + b"x", signature_of(basis))
    with pytest.raises(OctodiffError, match="another file"):
        rebuild(basis[:10_000], delta)
    with pytest.raises(OctodiffError, match="SHA-1"):
        rebuild(rng.randbytes(20_000), delta)
