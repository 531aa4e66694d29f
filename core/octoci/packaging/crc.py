"""CRC-32 of a concatenation from the CRCs of its parts (zlib's ``crc32_combine``).

Workers checksum the segments they compress; the writer combines the results in order, so no
thread has to see every byte of a large file. The GF(2) operators that shift a CRC over 2**k
zero bits are computed once; a combine applies one per set bit of the length (a few hundred
XORs, microseconds), whatever the length.
"""

from __future__ import annotations

from functools import cache

__all__ = ["crc32_combine"]

_POLYNOMIAL = 0xEDB88320  # CRC-32 (IEEE 802.3), reflected, as zlib uses


def _times(matrix: tuple[int, ...], vector: int) -> int:
    total = 0
    index = 0
    while vector:
        if vector & 1:
            total ^= matrix[index]
        vector >>= 1
        index += 1
    return total


def _compose(first: tuple[int, ...], second: tuple[int, ...]) -> tuple[int, ...]:
    """The operator 'apply ``second``, then ``first``'."""
    return tuple(_times(first, column) for column in second)


@cache
def _zero_bits(power: int) -> tuple[int, ...]:
    """The operator that feeds ``2**power`` zero bits through the CRC register."""
    if power == 0:
        return (_POLYNOMIAL, *(1 << n for n in range(31)))
    half = _zero_bits(power - 1)
    return _compose(half, half)


def crc32_combine(crc1: int, crc2: int, length2: int) -> int:
    """``zlib.crc32(a + b)`` from ``crc1 = zlib.crc32(a)``, ``crc2 = zlib.crc32(b)`` and ``len(b)``.

    >>> import zlib
    >>> crc32_combine(zlib.crc32(b"octo"), zlib.crc32(b"ci"), 2) == zlib.crc32(b"octoci")
    True
    """
    # Shift crc1 over len(b) zero bytes: apply 2**k-bit operators for the set bits of the length.
    # They are powers of one operator, so they commute; each costs 32 XORs at most.
    power = 3  # one byte is 2**3 bits
    while length2 > 0:
        if length2 & 1:
            crc1 = _times(_zero_bits(power), crc1)
        length2 >>= 1
        power += 1
    return crc1 ^ crc2
