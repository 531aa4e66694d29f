"""Deflate engines: zlib (standard library, always there) and libdeflate (PyPI ``deflate``).

Every engine is deterministic for a given version and level; different engines give different
bytes, so the engine is part of what makes a package reproducible (``docs/packaging.md``).
ISA-L is deliberately absent: its output varies from run to run (intel/isa-l#140).

libdeflate compresses whole buffers only, so it handles entries that fit one segment; segments
of larger files (and every segment of a tar.gz stream) go through a zlib-compatible compressor,
which can end a segment with a sync flush and prime the next one with the previous 32 KiB. The
``auto`` and ``libdeflate`` engines use zlib-ng (PyPI ``zlib-ng``) for those pieces when it is
installed: at level 6 it is 1.2x to 2.2x zlib's speed here for the same size within 0.5 %;
the ``zlib`` engine uses the standard library's zlib for everything.
"""

from __future__ import annotations

import importlib
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from types import ModuleType

__all__ = ["ENGINE_NAMES", "Engine", "crc32", "deflate_segment", "select_engine"]

#: Names accepted by :func:`select_engine`; ``auto`` is libdeflate when installed, else zlib.
ENGINE_NAMES = ("auto", "zlib", "libdeflate")
_WINDOW = 32 * 1024


@dataclass(frozen=True)
class Engine:
    """A deflate implementation that turns a whole buffer into one complete raw deflate stream."""

    name: str
    version: str
    deflate_whole: Callable[[bytes, int], bytes]
    #: The zlib-compatible module (``zlib`` or ``zlib_ng.zlib_ng``) that compresses the pieces of
    #: a stream (large zip entries, tar.gz); part of what makes the bytes what they are.
    pieces: ModuleType = zlib
    pieces_label: str = ""

    @property
    def label(self) -> str:
        """``name version`` (and the pieces' compressor when it is another library), recorded in
        ``--json`` output so a package's bytes can be explained."""
        own = f"{self.name} {self.version}"
        return f"{own} + {self.pieces_label}" if self.pieces_label else own

    def deflate_segment(self, data: bytes, level: int, dictionary: bytes, *, finish: bool) -> bytes:
        """:func:`deflate_segment` with this engine's pieces compressor."""
        return deflate_segment(data, level, dictionary, finish=finish, module=self.pieces)


def _zlib_whole(data: bytes, level: int) -> bytes:
    return deflate_segment(data, level, b"", finish=True)


def deflate_segment(
    data: bytes,
    level: int,
    dictionary: bytes,
    *,
    finish: bool,
    module: ModuleType = zlib,
) -> bytes:
    """Raw deflate ``data`` with ``module`` (zlib's API), primed with ``dictionary`` (the
    32 KiB before it).

    ``finish=False`` ends with a sync flush (byte-aligned, not final), so segments compressed
    independently concatenate into one valid stream, as pigz does.
    """
    if dictionary:
        compressor = module.compressobj(
            level, module.DEFLATED, -15, 8, module.Z_DEFAULT_STRATEGY, dictionary[-_WINDOW:]
        )
    else:
        compressor = module.compressobj(level, module.DEFLATED, -15)
    packed: bytes = compressor.compress(data) + compressor.flush(
        module.Z_FINISH if finish else module.Z_SYNC_FLUSH
    )
    return packed


ZLIB = Engine("zlib", zlib.ZLIB_RUNTIME_VERSION, _zlib_whole)


@cache
def _zlib_ng() -> ModuleType | None:
    try:
        return importlib.import_module("zlib_ng.zlib_ng")
    except ImportError:
        return None


def _libdeflate() -> Engine | None:
    try:
        module = importlib.import_module("deflate")
    except ImportError:
        return None
    compress: Callable[[bytes, int], bytes] = module.deflate_compress
    version = str(getattr(module, "__version__", "")) or _distribution_version("deflate")
    pieces = _zlib_ng()
    if pieces is None:
        return Engine("libdeflate", version, compress)
    label = f"zlib-ng {pieces.ZLIBNG_VERSION} ({_distribution_version('zlib-ng')})"
    return Engine("libdeflate", version, compress, pieces, label)


@cache
def _crc32_function() -> Callable[[bytes], int]:
    try:
        module = importlib.import_module("deflate")
    except ImportError:
        return zlib.crc32
    fast: Callable[[bytes], int] = module.crc32
    return fast


def crc32(data: bytes) -> int:
    """CRC-32 of ``data`` (the value ``zlib.crc32`` gives), with libdeflate's when installed:
    about 10x zlib's speed here (24 GB/s against 2.3), and it too releases the GIL. It is a
    checksum, not compressed output, so the engine chosen for deflate does not matter."""
    return _crc32_function()(data)


def _distribution_version(name: str) -> str:
    from importlib import metadata

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "unknown"


def select_engine(name: str = "auto") -> Engine:
    """The engine called ``name``; ``auto`` prefers libdeflate (about 2.3x zlib's speed at the
    same level and size) and falls back to zlib. Raises ``ValueError`` for an unknown or missing one.
    """
    if name not in ENGINE_NAMES:
        raise ValueError(
            f"unknown deflate engine {name!r}; choose one of {', '.join(ENGINE_NAMES)}"
        )
    if name == "zlib":
        return ZLIB
    fast = _libdeflate()
    if fast is not None:
        return fast
    if name == "libdeflate":
        raise ValueError(
            "the libdeflate engine needs the 'deflate' package: pip install deflate, "
            "or choose --engine zlib"
        )
    return ZLIB
