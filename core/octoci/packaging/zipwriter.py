"""The ``zip`` format: plan each entry's segments, compress them in parallel, write them in order.

How an entry is written (the choice depends only on its name, size and content, never on timing,
so the output is reproducible):

* empty, level 0, or an already-compressed suffix (``.png``, ``.gz`` ...): stored;
* up to 4 MiB: deflated in one piece by the engine, stored instead if that does not shrink it;
* larger: a 64 KiB probe decides; incompressible data is stored, the rest is deflated by zlib in
  1 MiB segments, each primed with the 32 KiB before it (pigz's method), joined into one stream.
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from octoci.model import PackageEntry, PackageSpec
from octoci.packaging.names import is_executable
from octoci.packaging.pipeline import (
    Segment,
    SegmentResult,
    incompressible,
    process_segments,
)
from octoci.packaging.settings import SEGMENT_SIZE, WHOLE_LIMIT, WriteSettings, looks_compressed
from octoci.packaging.zipformat import ZIP64_LIMIT, ZipStreamWriter

__all__ = ["MemberPlan", "plan_bytes", "plan_file", "write_zip", "write_zip_members"]

_PROBE = 64 * 1024


@dataclass(frozen=True)
class MemberPlan:
    """One zip entry and the segments that produce its data."""

    name: str
    size: int
    executable: bool
    stored: bool
    segments: tuple[Segment, ...]


def _incompressible(path: Path) -> bool:
    with path.open("rb") as handle:
        return incompressible(handle.read(_PROBE))


def _split(path: Path, size: int, mode: str, level: int) -> tuple[Segment, ...]:
    offsets = range(0, size, SEGMENT_SIZE)
    return tuple(
        Segment(
            path,
            offset,
            min(SEGMENT_SIZE, size - offset),
            mode=mode,
            level=level,
            finish=offset + SEGMENT_SIZE >= size,
            last_of_file=offset + SEGMENT_SIZE >= size,
        )
        for offset in offsets
    )


def plan_file(entry: PackageEntry, level: int) -> MemberPlan:
    """How ``entry`` is written (module docstring). An OS error reading the file propagates:
    :func:`~octoci.packaging.build.write_package` turns it into the error naming the file."""
    info = entry.source.stat()
    size, executable = info.st_size, is_executable(info.st_mode)
    if size == 0 or level == 0 or looks_compressed(entry.source):
        segments = _split(entry.source, size, "raw", level) or (Segment(entry.source, mode="raw"),)
        return MemberPlan(entry.name, size, executable, True, segments)
    if size <= WHOLE_LIMIT:
        segment = Segment(entry.source, 0, size, mode="entry", level=level)
        return MemberPlan(entry.name, size, executable, False, (segment,))
    if _incompressible(entry.source):
        return MemberPlan(
            entry.name, size, executable, True, _split(entry.source, size, "raw", level)
        )
    return MemberPlan(
        entry.name, size, executable, False, _split(entry.source, size, "stream", level)
    )


def plan_bytes(name: str, data: bytes, level: int) -> MemberPlan:
    """A member whose content is in memory (the nupkg's nuspec and OPC parts)."""
    mode = "entry" if level and data else "raw"
    segment = Segment(None, prefix=data, mode=mode, level=level)
    return MemberPlan(name, len(data), False, mode == "raw", (segment,))


def write_zip_members(
    plans: Iterable[MemberPlan],
    destination: Path,
    settings: WriteSettings,
    *,
    zip64_limit: int = ZIP64_LIMIT,
) -> None:
    """Write the members ``plans`` describe, in that order, to ``destination``."""
    planned: deque[MemberPlan] = deque()

    def segments() -> Iterator[Segment]:
        for plan in plans:
            planned.append(plan)
            yield from plan.segments

    results: Iterator[SegmentResult] = process_segments(
        segments(), settings.engine, threads=settings.threads, budget=settings.budget
    )
    with destination.open("wb") as handle:
        writer = ZipStreamWriter(handle, timestamp=settings.timestamp, zip64_limit=zip64_limit)
        for first in results:
            plan = planned.popleft()
            rest = itertools.islice(results, len(plan.segments) - 1)
            writer.add(
                plan.name,
                size=plan.size,
                executable=plan.executable,
                stored=plan.stored,
                parts=itertools.chain((first,), rest),
            )
        writer.close()


def write_zip(spec: PackageSpec, entries: Sequence[PackageEntry], destination: Path) -> None:
    """The ``zip`` :class:`~octoci.model.PackageWriter`."""
    settings = WriteSettings.from_spec(spec)
    write_zip_members((plan_file(e, settings.level) for e in entries), destination, settings)
