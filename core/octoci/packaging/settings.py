"""What a writer needs beyond the entries: level, engine, threads, timestamp, memory budget."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from octoci.errors import InputError
from octoci.model import PackageSpec
from octoci.packaging.engines import Engine, select_engine
from octoci.packaging.pipeline import default_threads
from octoci.packaging.reproducible import DEFAULT_TIMESTAMP

__all__ = ["COMPRESSED_SUFFIXES", "WriteSettings", "looks_compressed"]

#: Files with these suffixes are already compressed: stored (zip) or copied in stored deflate
#: blocks (tar.gz) without trying to deflate them.
COMPRESSED_SUFFIXES = frozenset(
    {
        "7z",
        "apk",
        "avif",
        "br",
        "bz2",
        "cab",
        "docx",
        "epub",
        "gif",
        "gz",
        "heic",
        "jar",
        "jpeg",
        "jpg",
        "lz4",
        "lzma",
        "m4a",
        "m4v",
        "mkv",
        "mov",
        "mp3",
        "mp4",
        "nupkg",
        "odp",
        "ods",
        "odt",
        "ogg",
        "opus",
        "png",
        "pptx",
        "rar",
        "tgz",
        "war",
        "webm",
        "webp",
        "woff",
        "woff2",
        "xlsx",
        "xz",
        "zip",
        "zst",
    }
)
SEGMENT_SIZE = 1024 * 1024
"""Files larger than this are split into segments compressed in parallel."""
WHOLE_LIMIT = 4 * SEGMENT_SIZE
"""Zip entries up to this size are deflated in one piece (the fastest path with libdeflate)."""


def looks_compressed(path: Path) -> bool:
    """True for a file whose suffix says it is already compressed (``.png``, ``.woff2``, ...)."""
    return path.suffix[1:].lower() in COMPRESSED_SUFFIXES


@dataclass(frozen=True)
class WriteSettings:
    """The writer settings taken from a :class:`~octoci.model.PackageSpec`."""

    level: int
    engine: Engine
    threads: int
    timestamp: int
    budget: int

    @classmethod
    def from_spec(cls, spec: PackageSpec, *, default_level: int = 6) -> WriteSettings:
        """Settings for ``spec``; raises :class:`~octoci.errors.InputError` for a bad value."""
        level = default_level if spec.compression_level is None else spec.compression_level
        if not 0 <= level <= 9:
            raise InputError(f"compression level {level} is out of range; use 0 (store) to 9")
        try:
            engine = select_engine(spec.engine)
        except ValueError as exc:
            raise InputError(str(exc)) from None
        threads = spec.threads if spec.threads else default_threads()
        if threads < 1:
            raise InputError(f"--threads {threads} must be at least 1")
        timestamp = DEFAULT_TIMESTAMP if spec.timestamp is None else spec.timestamp
        # Enough input in flight to keep every worker busy on the largest whole-file piece,
        # small enough that peak memory stays well under 64 MB on a few cores.
        budget = max(4 * SEGMENT_SIZE, 2 * threads * WHOLE_LIMIT)
        return cls(level, engine, threads, timestamp, budget)
