"""Octodiff, Octopus's rsync-style delta format, in Python: signatures, deltas, patching.

Byte-compatible with Octopus's ``Octodiff`` (C#) and ``go-octodiff``: the same headers, algorithm
names, 26-byte chunk records, copy/data commands and merged contiguous copies; delta builds
produce the same bytes as upstream's ``DeltaBuilder``. See ``docs/delta-uploads.md``.

Example::

    with open("old.sig", "wb") as out:
        build_signature(open("App.1.0.0.zip", "rb"), out)
    signature = parse_signature(Path("old.sig").read_bytes())
    with open("App.2.0.0.delta", "wb") as out:
        build_delta(Path("App.2.0.0.zip"), signature, out)
"""

from __future__ import annotations

from octoci.octodiff.apply import apply_delta
from octoci.octodiff.builder import (
    READ_BUFFER,
    DeltaStats,
    DeltaTooLargeError,
    build_delta,
    numpy_available,
    schedule,
)
from octoci.octodiff.checksums import ADLER32, ADLER32_V2
from octoci.octodiff.format import (
    DEFAULT_CHUNK_SIZE,
    MAX_CHUNK_SIZE,
    MIN_CHUNK_SIZE,
    DeltaWriter,
    OctodiffError,
    Signature,
    parse_signature,
)
from octoci.octodiff.signature import build_signature

__all__ = [
    "ADLER32",
    "ADLER32_V2",
    "DEFAULT_CHUNK_SIZE",
    "MAX_CHUNK_SIZE",
    "MIN_CHUNK_SIZE",
    "READ_BUFFER",
    "DeltaStats",
    "DeltaTooLargeError",
    "DeltaWriter",
    "OctodiffError",
    "Signature",
    "apply_delta",
    "build_delta",
    "build_signature",
    "numpy_available",
    "parse_signature",
    "schedule",
]
