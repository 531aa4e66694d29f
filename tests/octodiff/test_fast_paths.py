"""The fast delta builder against the literal upstream port, on the cases its shortcuts touch.

The builder hashes runs of unchanged chunks in growing batches, scans the rest with vectorised
rolling checksums in blocks, and moves a 16 MiB window over the file. Each case here compares its
delta byte for byte with the upstream port (the oracle) and applies it to the basis to get the
new file back, for both engines, so that a shortcut that picks a wrong chunk, hashes the wrong
windows or skips a match fails here.
"""

from __future__ import annotations

import random
import struct
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from octoci.octodiff import Signature, builder, parse_signature
from octoci.octodiff.format import signature_header

from .test_builder import delta_of, rebuild, signature_of
from .upstream_port import upstream_delta

_RNG = random.Random(18)
#: 1001 chunks of 128 bytes plus a short one: probe batches grow to an odd-sized last batch.
BASIS = _RNG.randbytes(128 * 1001 + 77)
OTHER = _RNG.randbytes(len(BASIS))


def _edit(data: bytes, position: int, removed: int, inserted: bytes) -> bytes:
    return data[:position] + inserted + data[position + removed :]


CASES: dict[str, Callable[[bytes], bytes]] = {
    "unchanged": lambda b: b,
    "change at the start": lambda b: _edit(b, 0, 3, b"xyz"),
    "change at the end": lambda b: _edit(b, len(b) - 3, 3, b"xyz"),
    "last byte removed": lambda b: b[:-1],
    "byte appended": lambda b: b + b"!",
    "byte prepended (every chunk shifted)": lambda b: b"!" + b,
    "change in the middle": lambda b: _edit(b, 64_000, 500, _RNG.randbytes(700)),
    "several changes": lambda b: _edit(_edit(b, 90_000, 1, b"\0"), 10_000, 0, b"abc"),
    "shorter than a chunk": lambda b: b[:100],
    "one chunk exactly": lambda b: b[:128],
    "unrelated": lambda b: OTHER,
    "unrelated, then the basis": lambda b: OTHER[:5000] + b,
    "reordered halves": lambda b: b[len(b) // 2 :] + b[: len(b) // 2],
    "empty": lambda b: b"",
}


@pytest.mark.parametrize("engine", ["numpy", "python"])
@pytest.mark.parametrize("case", list(CASES))
def test_delta_equals_upstream_and_rebuilds(tmp_path: Path, engine: str, case: str) -> None:
    new = CASES[case](BASIS)
    signature = signature_of(BASIS, 128)
    delta = delta_of(tmp_path, new, signature, engine)
    assert rebuild(BASIS, delta) == new
    assert delta == upstream_delta(new, parse_signature(signature))


#: Chunks that repeat (zeros, a repeated block): a window with a repeated chunk's bytes is the
#: lowest-offset chunk's, so an unchanged run of them is not one contiguous copy.
_BLOCK = _RNG.randbytes(128)
REPEATING = (
    _RNG.randbytes(128 * 3)
    + bytes(128 * 40)
    + _RNG.randbytes(128 * 5)
    + (_BLOCK + _RNG.randbytes(128)) * 20
    + bytes(128 * 600)
    + _RNG.randbytes(128 * 7 + 9)
)


@pytest.mark.parametrize("engine", ["numpy", "python"])
@pytest.mark.parametrize(
    "case", ["unchanged", "change at the start", "change in the middle", "several changes"]
)
def test_repeated_chunks_are_copied_from_the_lowest_offset_as_upstream_does(
    tmp_path: Path, engine: str, case: str
) -> None:
    new = CASES[case](REPEATING)
    signature = signature_of(REPEATING, 128)
    delta = delta_of(tmp_path, new, signature, engine)
    assert rebuild(REPEATING, delta) == new
    assert delta == upstream_delta(new, parse_signature(signature))


@pytest.mark.parametrize("case", ["unchanged", "change at the end", "unrelated", "empty"])
def test_basis_shorter_than_a_chunk(tmp_path: Path, case: str) -> None:
    basis = BASIS[:1000]
    new = CASES[case](basis)
    signature = signature_of(basis)  # one 1000-byte chunk at the default 2048
    delta = delta_of(tmp_path, new, signature)
    assert rebuild(basis, delta) == new
    assert delta == upstream_delta(new, parse_signature(signature))


@pytest.mark.parametrize("new", [BASIS[:5000], b""], ids=["5000 bytes", "empty"])
def test_empty_basis(tmp_path: Path, new: bytes) -> None:
    delta = delta_of(tmp_path, new, signature_of(b""))
    assert rebuild(b"", delta) == new
    assert delta == upstream_delta(new, parse_signature(signature_of(b"")))


def test_default_chunks_across_scan_blocks(tmp_path: Path) -> None:
    # Default 2 KiB chunks in a file larger than the vectorised scan's 64 Ki-position blocks and
    # a shrunk read buffer, with shifted and replaced regions: matches found in any block, the
    # short tail windows included, and unchanged runs long enough for full probe batches.
    rng = random.Random(5)
    basis = rng.randbytes(2048 * 700 + 1234)
    new = _edit(basis, 300_000, 0, rng.randbytes(333))
    new = _edit(new, 900_000, 4096, rng.randbytes(5000))
    new = rng.randbytes(70_000) + new + rng.randbytes(10)
    signature = signature_of(basis)
    delta = delta_of(tmp_path, new, signature, read_buffer=400_000)
    assert rebuild(basis, delta) == new
    assert delta == upstream_delta(new, parse_signature(signature), 400_000)
    assert len(delta) < 100_000


def _records(digests: list[bytes]) -> Signature:
    records = b"".join(struct.pack("<hI20s", 128, 7, digest) for digest in digests)
    return parse_signature(signature_header() + records)


@pytest.mark.parametrize("vectorised", [True, False], ids=["numpy", "dict"])
def test_index_finds_the_lowest_chunk_past_equal_prefixes(vectorised: bool) -> None:
    # Digests sharing their first 8 bytes (what the vectorised look-up sorts on) and a repeated
    # one: the look-up must compare whole digests and take the lowest offset, as upstream does.
    same = b"\x01" * 8
    a, b, c = same + b"a" * 12, same + b"b" * 12, same + b"c" * 12
    other = b"\x02" * 20
    index = builder._Index(_records([b, a, other, a, c, b]), vectorised)
    assert index.find([a, b, c, other, same + b"d" * 12, b"\x00" * 20]) == [1, 0, 4, 2, -1, -1]
    assert index.find([]) == []


def test_a_run_is_taken_only_where_each_chunk_is_the_first_with_its_digest() -> None:
    # The walker's unchanged-run check: digests sharing their first 8 bytes, and repeats among
    # them, are told apart by whole digests (the exact path for a prefix shared by different
    # digests) and by offset.
    same = b"\x01" * 8
    a, b, c = same + b"a" * 12, same + b"b" * 12, same + b"c" * 12
    other = b"\x02" * 20
    digests = [b, a, other, a, c, b, other]
    index = builder._Index(_records(digests), vectorised=True)
    assert index.repeats.tolist() == [0, 0, 0, 0, 1, 1, 2, 3]  # chunks 3, 5 and 6 repeat
    assert index.run_length(0, b + a + other, 128) == 3
    assert index.run_length(2, other + a, 128) == 1  # chunk 3 repeats chunk 1's digest
    assert index.run_length(4, c, 128) == 1
    assert index.run_length(4, c + b, 128) == 1  # chunk 5 repeats chunk 0's
    assert index.run_length(0, b + a + c, 128) == 2  # chunk 2 holds another digest
    assert index.run_length(0, a + b, 128) == 0
    assert index.run_length(6, other + other, 128) == 0  # chunk 6 repeats; then past the last chunk
    assert index.run_length(5, b + other, 128) == 0
    assert index.run_length(-1, b, 128) == 0
    assert builder._Index(_records(digests), vectorised=False).run_length(0, b, 128) == 0


def test_a_signature_of_one_shared_prefix_is_indexed_in_one_pass() -> None:
    # 20,000 different digests with the same first 8 bytes (a crafted signature): the exact
    # repeat check walks that run once, not once per chunk (which would take minutes).
    same = b"\x07" * 8
    digests = [same + i.to_bytes(12, "big") for i in range(20_000)]
    digests.append(digests[5])  # and one real repeat among them
    started = time.monotonic()
    index = builder._Index(_records(digests), vectorised=True)
    assert time.monotonic() - started < 20
    assert int(index.repeats[-1]) == 1  # only the last chunk repeats an earlier one
    assert index.run_length(0, b"".join(digests[:3]), 128) == 3
