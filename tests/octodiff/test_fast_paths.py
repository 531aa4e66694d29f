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
