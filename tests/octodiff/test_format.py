"""Octodiff signatures, checksums and the delta writer against the upstream vectors."""

from __future__ import annotations

import io

import pytest

from octoci.octodiff import (
    ADLER32,
    ADLER32_V2,
    DeltaWriter,
    OctodiffError,
    build_signature,
    parse_signature,
)
from octoci.octodiff.checksums import calculate, rotate
from octoci.octodiff.format import read_string, write_string

from . import vectors


def signature_of(data: bytes, chunk_size: int = 2048, rolling: str = ADLER32) -> bytes:
    out = io.BytesIO()
    build_signature(io.BytesIO(data), out, chunk_size=chunk_size, rolling=rolling)
    return out.getvalue()


def test_adler32_calculate_matches_upstream() -> None:
    data = vectors.CERTIFICATE
    assert calculate(data[:100]) == 2755533412
    assert calculate(data[1:101]) == 2888047271
    assert calculate(data[2:102]) == 2476743237
    assert calculate(data[93:193]) == 591925890
    assert calculate(data) == 4037189623
    assert calculate(vectors.generate(100 * 1024)) == 2928347280


def test_adler32_v2_calculate_matches_upstream() -> None:
    data = vectors.CERTIFICATE
    assert calculate(data[:100], ADLER32_V2) == 2760448612
    assert calculate(data[1:101], ADLER32_V2) == 2892962471
    assert calculate(data[93:193], ADLER32_V2) == 595858050
    assert calculate(data, ADLER32_V2) == 4175798263
    assert calculate(vectors.generate(100 * 1024), ADLER32_V2) == 180621253


@pytest.mark.parametrize("length", [8, 16, 24, 32])
def test_adler32_rotate_matches_upstream(length: int) -> None:
    assert rotate(2755533412, 0, 0xAF, length) == 3209698067
    expected = {8: 3577289570, 16: 3485539170, 24: 3393788770, 32: 3302038370}
    assert rotate(3209698067, 0xAF, 0xFE, length) == expected[length]


@pytest.mark.parametrize("rolling", [ADLER32, ADLER32_V2])
def test_rotation_equals_a_fresh_calculation(rolling: str) -> None:
    # Upstream's V2 rotation is broken (Octodiff#32); ours must equal Calculate at every step.
    data = vectors.generate(3000)
    window = 700
    checksum = calculate(data[:window], rolling)
    for i in range(1, len(data) - window + 1):
        checksum = rotate(checksum, data[i - 1], data[i + window - 1], window, rolling)
        assert checksum == calculate(data[i : i + window], rolling)


@pytest.mark.parametrize(
    ("data", "chunk_size", "rolling", "expected"),
    [
        (vectors.CERTIFICATE, 2048, ADLER32, vectors.SIGNATURE_2048),
        (vectors.CERTIFICATE, 2048, ADLER32_V2, vectors.SIGNATURE_2048_V2),
        (vectors.CERTIFICATE, 128, ADLER32, vectors.SIGNATURE_128),
        (vectors.CERTIFICATE, 31744, ADLER32, vectors.SIGNATURE_2048),
        (vectors.generate(100 * 1024), 31744, ADLER32, vectors.SIGNATURE_100K_31744),
    ],
)
def test_signature_bytes_match_upstream(
    data: bytes, chunk_size: int, rolling: str, expected: str
) -> None:
    assert signature_of(data, chunk_size, rolling).hex() == expected


@pytest.mark.parametrize("rolling", [ADLER32, ADLER32_V2])
@pytest.mark.parametrize("chunk_size", [128, 2048, 4104, 4105, 31744])
def test_vectorised_signature_equals_the_per_chunk_definition(
    chunk_size: int, rolling: str
) -> None:
    """Whole blocks of chunks are checksummed at once; every record must equal the definition,
    at the largest chunk size and with extreme bytes (all 0xFF) too."""
    import hashlib
    import random
    import struct

    rng = random.Random(chunk_size)
    data = b"\xff" * (3 * chunk_size) + rng.randbytes(400 * chunk_size + 77)
    signature = signature_of(data, chunk_size, rolling)
    expected = b"".join(
        struct.pack(
            "<hI20s",
            len(chunk),
            calculate(chunk, rolling),
            hashlib.sha1(chunk).digest(),
        )
        for chunk in (data[i : i + chunk_size] for i in range(0, len(data), chunk_size))
    )
    assert signature[len(signature) - len(expected) :] == expected


def test_signature_of_100k_at_default_chunk_size() -> None:
    data = signature_of(vectors.generate(100 * 1024))
    # go-octodiff's expected hex: the header, 50 records; its first and last records are these.
    assert len(data) == 24 + 50 * 26
    assert data[24:50].hex() == "00080a73b304debbdddd84c899bd9e2cfc5bc2a8bd2adf4d1043"
    assert data[-26:].hex() == "0008a37257b6b454502c707c573fa7fc80c1685273e54b2a4f76"
    assert parse_signature(data).basis_size == 100 * 1024


def test_reads_small_chunk_signature() -> None:
    signature = parse_signature(bytes.fromhex(vectors.SIGNATURE_128))
    assert signature.rolling == ADLER32
    assert [(o, n, c) for o, n, c, _ in signature.chunks()] == [
        (0, 128, 3878035349),
        (128, 128, 254154783),
        (256, 128, 720647648),
        (384, 128, 1811165149),
        (512, 8, 210109066),
    ]
    assert signature.chunks()[4][3].hex() == "21d4023a8ba580ecdba742e7400aa40b6e449bb3"
    assert (signature.min_length, signature.max_length) == (8, 128)


def test_reads_large_chunk_signature() -> None:
    signature = parse_signature(bytes.fromhex(vectors.SIGNATURE_100K_31744))
    assert [(o, n, c) for o, n, c, _ in signature.chunks()] == [
        (0, 31744, 792208312),
        (31744, 31744, 3330942901),
        (63488, 31744, 1591746682),
        (95232, 7168, 4058619052),
    ]


def test_reads_v2_signature() -> None:
    signature = parse_signature(bytes.fromhex(vectors.SIGNATURE_2048_V2))
    assert signature.rolling == ADLER32_V2
    assert signature.chunks()[0][2] == 4175798263


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "not an Octodiff signature"),
        (b"OCTODELTA", "not an Octodiff signature"),
        (b"OCTOSIG\x02", "version"),
        (b"OCTOSIG\x01\x03MD5\x07Adler32>>>", "hash algorithm"),
        (b"OCTOSIG\x01\x04SHA1\x06Rabin1>>>", "rolling checksum"),
        (b"OCTOSIG\x01\x04SHA1\x07Adler32<<<", ">>>"),
        (b"OCTOSIG\x01\x04SHA1\x07Adl", "truncated"),
        (bytes.fromhex(vectors.SIGNATURE_128)[:-1], "truncated"),
        (b"OCTOSIG\x01\x04SHA1\x07Adler32>>>" + b"\x00\x00" + bytes(24), "chunk length"),
        (b"OCTOSIG\x01\x04SHA1\x07Adler32>>>" + b"\x01\x80" + bytes(24), "chunk length"),
    ],
)
def test_rejects_bad_signatures(data: bytes, message: str) -> None:
    with pytest.raises(OctodiffError, match=message):
        parse_signature(data)


def test_empty_basis_signature_has_no_chunks() -> None:
    signature = parse_signature(signature_of(b""))
    assert signature.count == 0
    assert signature.chunks() == []


def test_chunk_size_limits() -> None:
    with pytest.raises(OctodiffError):
        signature_of(b"x", chunk_size=127)
    with pytest.raises(OctodiffError):
        signature_of(b"x", chunk_size=31745)


@pytest.mark.parametrize("text", ["", "SHA1", "x" * 127, "y" * 128, "z" * 20000, "Ünïcode"])
def test_dotnet_strings_round_trip(text: str) -> None:
    encoded = write_string(text)
    assert read_string(encoded + b"rest", 0) == (text, len(encoded))
    if len(text.encode()) < 128:
        assert encoded[0] == len(text.encode())


def test_writer_header_copy_and_merge_vectors() -> None:
    out = io.BytesIO()
    writer = DeltaWriter(out)
    writer.write_header(vectors.generate(20))
    assert out.getvalue().hex() == vectors.HEADER_OF_20_BYTES

    out = io.BytesIO()
    writer = DeltaWriter(out)
    writer.copy(315412, 9874563)
    writer.flush()
    assert out.getvalue().hex() == vectors.COPY_315412_9874563

    out = io.BytesIO()
    writer = DeltaWriter(out)
    for offset in (0, 128, 256, 385):
        writer.copy(offset, 128)
    writer.flush()
    assert out.getvalue().hex() == vectors.MERGED_COPIES

    out = io.BytesIO()
    writer = DeltaWriter(out)
    writer.copies([0, 128, 256, 385], [128, 128, 128, 128])
    writer.flush()
    assert out.getvalue().hex() == vectors.MERGED_COPIES
    assert writer.written == len(out.getvalue())


def test_writer_data_command_vectors() -> None:
    source = vectors.generate(1024)
    out = io.BytesIO()
    writer = DeltaWriter(out)
    writer.data(lambda offset, length: source[offset : offset + length], 337, 515)
    assert out.getvalue() == bytes.fromhex("800302000000000000") + source[337:852]

    out = io.BytesIO()
    writer = DeltaWriter(out)
    writer.copy(0, 128)
    writer.data(lambda offset, length: source[offset : offset + length], 500, 128)
    writer.copy(128, 128)
    writer.flush()
    assert out.getvalue().hex() == vectors.DATA_FLUSHES_COPY


def test_writer_streamed_data_command_is_the_same_bytes() -> None:
    source = vectors.generate(4096)

    def read(offset: int, length: int) -> bytes:
        return source[offset : offset + length]

    whole = io.BytesIO()
    writer = DeltaWriter(whole)
    writer.copy(0, 128)
    writer.data(read, 337, 3000)
    writer.copy(128, 128)
    writer.flush()

    streamed = io.BytesIO()
    writer = DeltaWriter(streamed)
    writer.copy(0, 128)
    writer.stream_data(read, 337, 1000)  # opens the command, bytes 337..999
    writer.stream_data(read, 337, 900)  # nothing new
    writer.stream_data(read, 337, 2500)
    assert writer.streamed_to == 2500
    writer.data(read, 337, 3000)  # the rest, and the length patched
    assert writer.streamed_to is None
    writer.copy(128, 128)
    writer.flush()
    assert streamed.getvalue() == whole.getvalue()
    assert writer.written == len(streamed.getvalue())


def test_writer_refuses_what_would_lose_streamed_bytes() -> None:
    source = vectors.generate(4096)

    def read(offset: int, length: int) -> bytes:
        return source[offset : offset + length]

    writer = DeltaWriter(io.BytesIO())
    writer.stream_data(read, 100, 500)
    with pytest.raises(ValueError, match="open"):
        writer.copy(0, 128)  # the bytes from 500 to the copy would be in no command
    with pytest.raises(ValueError, match="continue"):
        writer.data(read, 200, 400)
    with pytest.raises(ValueError, match="continue"):
        writer.stream_data(read, 0, 800)
    writer.data(read, 100, 400)
    writer.copy(0, 128)
