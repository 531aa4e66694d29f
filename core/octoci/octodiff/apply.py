"""Rebuilding a file from a basis and an Octodiff delta (Octopus's ``DeltaApplier``)."""

from __future__ import annotations

import hashlib
import os
import struct
from collections.abc import Callable
from typing import Any, BinaryIO

from octoci.octodiff.format import COPY, DATA, OctodiffError, read_delta_header

__all__ = ["apply_delta"]

_BLOCK = 1 << 20


def _exactly(stream: BinaryIO, count: int, what: str) -> bytes:
    data = stream.read(count)
    if len(data) != count:
        raise OctodiffError(f"the delta is truncated inside {what}")
    return data


def _read_into(stream: BinaryIO, target: memoryview) -> int:
    """``readinto`` for streams without it."""
    data = stream.read(len(target))
    target[: len(data)] = data
    return len(data)


def apply_delta(
    basis: BinaryIO,
    delta: BinaryIO,
    write: Callable[[bytes | memoryview], object],
    *,
    verify: bool = True,
    max_size: int | None = None,
    digest: Any = None,
) -> bytes:
    """Run ``delta``'s commands against ``basis`` (seekable), handing the result to ``write``.

    Memory stays at one 1 MiB block whatever the sizes; ``write`` may be handed a view of that
    reused block, so it must consume (copy, hash, write) the bytes before it returns. Returns the
    rebuilt file's SHA-1. With ``max_size``, a command that would take the result past that many
    bytes is refused before any of its bytes are written (a tiny delta can otherwise ask for any
    amount of output).
    ``digest``: a fresh ``hashlib.sha1()`` that ``write`` already feeds with every byte (a
    hashing sink's own), so the result is hashed once, not twice (a fifth of a server's patch).

    :raises OctodiffError: a malformed or truncated delta, a copy outside the basis, a result
        larger than ``max_size``, or (with ``verify``) a result whose SHA-1 differs from the one
        the delta promises.
    """
    header = read_delta_header(delta)
    basis_size = basis.seek(0, os.SEEK_END)
    shared = digest is not None
    if digest is None:
        digest = hashlib.sha1()
    written = 0

    def reserve(length: int) -> None:
        nonlocal written
        written += length
        if max_size is not None and written > max_size:
            raise OctodiffError(
                f"the delta rebuilds more than {max_size} bytes, more than it may: it was not "
                "made for this basis file"
            )

    buffer = bytearray(_BLOCK)
    view = memoryview(buffer)
    readinto: Callable[[memoryview], int | None] = getattr(basis, "readinto", None) or (
        lambda target: _read_into(basis, target)
    )

    def emit(block: bytes | memoryview) -> None:
        if not shared:
            digest.update(block)
        write(block)

    while command := delta.read(1):
        if command[0] == COPY:
            offset, length = struct.unpack("<qq", _exactly(delta, 16, "a copy command"))
            if offset < 0 or length < 0 or offset + length > basis_size:
                raise OctodiffError(
                    f"the delta copies bytes {offset}..{offset + length} of a {basis_size}-byte "
                    "basis file: it was made for another file"
                )
            reserve(length)
            basis.seek(offset)
            while length:
                # Into one reused buffer: a fresh 1 MiB bytes per read costs an allocation and
                # its page faults, a sixth of a 300 MB patch here.
                got = readinto(view[: min(length, _BLOCK)])
                if not got:
                    raise OctodiffError("the basis file shrank while the delta was applied")
                emit(view[:got])
                length -= got
        elif command[0] == DATA:
            (length,) = struct.unpack("<q", _exactly(delta, 8, "a data command"))
            if length < 0:
                raise OctodiffError("the delta has a negative data length")
            reserve(length)
            while length:
                block = delta.read(min(length, _BLOCK))
                if not block:
                    raise OctodiffError("the delta is truncated inside a data command")
                emit(block)
                length -= len(block)
        else:
            raise OctodiffError(f"unknown delta command 0x{command[0]:02x}")
    result: bytes = digest.digest()
    if verify and result != header.expected_sha1:
        raise OctodiffError(
            f"the rebuilt file's SHA-1 {result.hex()} differs from the delta's "
            f"{header.expected_sha1.hex()}: the delta does not fit this basis file"
        )
    return result
