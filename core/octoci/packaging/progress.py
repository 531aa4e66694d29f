"""Packing's progress: what the built-in writers read, shown on the run's progress display.

The built-in formats read every file through :func:`~octoci.packaging.pipeline.process_segment`,
on worker threads; it reports each read to :func:`count_read`. The
:class:`~octoci.model.PackageWriter` contract (plugins implement it too) takes no callback, so
the listener is set for the duration of one write by :func:`counting_reads` instead of being
passed down. One package is written at a time (``octoci pack``, publish's Pack step); a format
a plugin adds shows no progress.

Nothing is shown for a pack that takes less than :data:`SILENCE_SECONDS`.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from octoci.model import PackageEntry
from octoci.progress import Phase, Progress

__all__ = [
    "SILENCE_SECONDS",
    "PackCancelled",
    "ReadListener",
    "count_read",
    "counting_reads",
    "showing_progress",
]

#: A pack that takes less than this (seconds) shows no progress at all.
SILENCE_SECONDS = 1.0

ReadListener = Callable[[int, int], None]
"""Called with (files finished, bytes read) after each read; from worker threads."""

_listener: ReadListener | None = None


class PackCancelled(Exception):
    """Raised into a write whose ``cancel`` event was set (:func:`showing_progress`); the
    write removes its temporary file as for any failure."""


_setting = threading.Lock()


def count_read(source: Path | None, length: int, last_of_file: bool) -> None:
    """``length`` bytes of ``source`` were read (``last_of_file``: the file is done); bytes
    from memory (``source`` ``None``: a nuspec, the tar trailer) are not counted."""
    listener = _listener
    if listener is not None and source is not None:
        listener(1 if last_of_file else 0, length)


@contextlib.contextmanager
def counting_reads(listener: ReadListener) -> Iterator[None]:
    """Send every read of the built-in writers to ``listener`` until the block ends."""
    global _listener
    with _setting:
        # Packages are written one at a time; should two ever overlap, the first keeps the
        # display (a progress line must never make a pack fail).
        mine = _listener is None
        if mine:
            _listener = listener
    try:
        yield
    finally:
        if mine:
            _listener = None


def _size(entry: PackageEntry) -> int:
    try:
        return entry.source.stat().st_size
    except OSError:
        return 0  # the writer reports the file it cannot read, naming it


@contextlib.contextmanager
def showing_progress(
    progress: Progress | None,
    name: str,
    entries: Sequence[PackageEntry],
    *,
    cancel: threading.Event | None = None,
) -> Iterator[None]:
    """Show the writing of package ``name`` from ``entries`` on ``progress`` (files and bytes
    read, rate, time left) once it has taken :data:`SILENCE_SECONDS`; ``None``: nothing.

    With ``cancel``, the next read after the event is set raises :class:`PackCancelled` (on a
    worker thread, so the built-in writers stop within one segment; a plugin's format that
    does not read through them runs to its end).
    """
    shown = progress is not None and progress.stream is not None
    if not shown and cancel is None:
        yield
        return
    transfer = None
    if progress is not None and shown:
        total = sum(_size(e) for e in entries)
        phase = Phase("", total, unit="read", waiting="writing the package")
        transfer = progress.start(
            name, total, phase=phase, files=len(entries), quiet=SILENCE_SECONDS
        )

    def listener(files: int, count: int) -> None:
        if cancel is not None and cancel.is_set():
            raise PackCancelled(name)
        if progress is not None and transfer is not None:
            progress.advance(transfer, count, files=files)

    try:
        with counting_reads(listener):
            yield
    finally:
        if progress is not None and transfer is not None:
            progress.finish(transfer)
