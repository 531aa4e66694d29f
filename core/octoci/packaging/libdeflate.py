"""libdeflate's compressor called through ctypes, so that worker threads compress in parallel.

The ``deflate`` package's ``deflate_compress`` holds the GIL while it compresses: with two
threads, small entries (every zip entry up to 4 MiB) were compressed one at a time and the
thread handoff made two threads slower than one. A ctypes call releases the GIL for the length
of the foreign call. The functions are the same libdeflate the package ships (its extension
module exports them), called the same way (one compressor per level, ``compress_bound`` bytes
of room), so the output is byte-identical to ``deflate.deflate_compress``.
"""

from __future__ import annotations

import ctypes
import threading
from collections.abc import Callable
from types import ModuleType

__all__ = ["threaded_compress"]

_Compress = Callable[[bytes, int], bytes]


class _Library:
    """The libdeflate entry points of one shared object, and a compressor per thread and level."""

    def __init__(self, handle: ctypes.CDLL) -> None:
        self.alloc = handle.libdeflate_alloc_compressor
        self.alloc.argtypes = [ctypes.c_int]
        self.alloc.restype = ctypes.c_void_p
        self.bound = handle.libdeflate_deflate_compress_bound
        self.bound.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
        self.bound.restype = ctypes.c_size_t
        self.compress = handle.libdeflate_deflate_compress
        self.compress.argtypes = [
            ctypes.c_void_p,
            ctypes.c_char_p,
            ctypes.c_size_t,
            ctypes.c_void_p,
            ctypes.c_size_t,
        ]
        self.compress.restype = ctypes.c_size_t
        self.local = threading.local()

    def compressor(self, level: int) -> int:
        # One per thread and level, kept for the process: a compressor is a few hundred KB of
        # tables whose allocation would otherwise be paid per entry. They carry no state from
        # one call to the next, so reuse does not change the output.
        cache: dict[int, int] | None = getattr(self.local, "compressors", None)
        if cache is None:
            cache = self.local.compressors = {}
        pointer = cache.get(level)
        if pointer is None:
            pointer = self.alloc(level)
            if not pointer:
                raise MemoryError("libdeflate could not allocate a compressor")
            cache[level] = pointer
        return pointer

    def deflate(self, data: bytes, level: int) -> bytes:
        """Raw deflate of ``data`` at ``level``; the GIL is released while libdeflate runs."""
        compressor = self.compressor(level)
        room = self.bound(compressor, len(data))
        out = ctypes.create_string_buffer(room)
        written = self.compress(compressor, data, len(data), out, room)
        if written == 0 and data:
            raise RuntimeError("libdeflate ran out of room within its own compress bound")
        return out.raw[:written]


def threaded_compress(module: ModuleType) -> _Compress | None:
    """A GIL-releasing ``deflate_compress`` built on the libdeflate inside ``module`` (the
    ``deflate`` package), or ``None`` when its extension does not export libdeflate's API."""
    extension = getattr(module, "_deflate", None)
    path = getattr(extension, "__file__", None)
    if path is None:
        return None
    try:
        library = _Library(ctypes.CDLL(path))
    except (OSError, AttributeError):
        return None
    return library.deflate
