"""Progress of long work (uploads, packing): a live line on a terminal, periodic plain lines
in CI logs.

A transfer moves through *phases*: a whole-file upload is one; a delta upload downloads the
signature, scans the file (computing the delta), uploads the delta and waits while Octopus
applies it. Each phase has its own byte count (``total`` 0: no count, such as a download), so
the display never sits at "0 % 5 B/s" while the real work is elsewhere.

On a terminal the line is redrawn in place at most :data:`REDRAW_SECONDS` apart, with a smoothed
rate and the time left. A CI log is not a terminal: carriage-return redraws become thousands of
lines (or one unreadable one) there, so without a terminal a plain line is written at most every
``interval`` seconds per file (and one at the end of a file that took longer than that), and
never a control character.

Work that is usually quick (packing) may ask for a *quiet* period: nothing at all is shown for it
until it has run that long, so a fast pack prints no progress, a slow one does. Work that counts
files as well as bytes (``files_total``) shows both.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TextIO

from octoci.reporting import format_size

__all__ = ["REDRAW_SECONDS", "Phase", "Progress", "Transfer", "format_duration"]

#: A terminal line is redrawn at most this often (10 times a second).
REDRAW_SECONDS = 0.1
#: The rate is an average over about this many seconds, so the time left does not jump about.
RATE_SECONDS = 3.0
#: The rate is sampled at most this often (a new sample over a shorter time is mostly noise).
_SAMPLE_SECONDS = 0.25


def format_duration(seconds: float) -> str:
    """A duration for people: ``45 s``, ``3 min 05 s``, ``1 h 02 min``."""
    whole = max(0, math.ceil(seconds))
    if whole < 60:
        return f"{whole} s"
    minutes, secs = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


@dataclass(frozen=True)
class Phase:
    """A step of a transfer: what is being done, how many bytes it counts, and what the
    transfer waits for once they are all counted."""

    label: str
    """``computing the delta against 1.0.0``; ``""``: the file's own upload."""
    total: int = 0
    """The bytes this phase counts (0: it counts none, such as a download)."""
    unit: str = "sent"
    """The word after the count: ``4.0 MiB sent``, ``120.0 MiB scanned``."""
    waiting: str = "waiting for Octopus to store it"
    """Shown once every byte is counted and the answer has not come yet."""


@dataclass
class Transfer:
    """One file being sent, in its current phase."""

    name: str
    size: int
    """The file's size (a phase may count another total: a delta's)."""
    total: int = 0
    sent: int = 0
    opened: float = 0.0
    """When the transfer began (``started``: when its phase did)."""
    started: float = 0.0
    last_line: float = 0.0
    done: bool = False
    phase: Phase = Phase("")
    quiet: float = 0.0
    """Nothing is shown for this transfer until it has run this many seconds."""
    files: int = 0
    """Files handled so far (shown when ``files_total`` is set)."""
    files_total: int = 0
    rate: float | None = None
    """Bytes per second, smoothed (``None`` until the first sample)."""
    _sampled_at: float = 0.0
    _sampled: int = 0

    def sample(self, now: float) -> None:
        """Fold the bytes counted since the last sample into the smoothed rate."""
        elapsed = now - self._sampled_at
        if elapsed < _SAMPLE_SECONDS:
            return
        current = (self.sent - self._sampled) / elapsed
        if self.rate is None:
            self.rate = current
        else:
            # An exponential moving average over about RATE_SECONDS, whatever the sample spacing.
            weight = 1 - math.exp(-elapsed / RATE_SECONDS)
            self.rate += weight * (current - self.rate)
        self._sampled_at, self._sampled = now, self.sent

    def rate_now(self, now: float) -> float:
        """The smoothed rate, or the average so far before the first sample."""
        if self.rate is not None:
            return self.rate
        return self.sent / max(now - self.started, 1e-6)

    def left(self, now: float) -> float | None:
        """Seconds until the phase's bytes are all counted, at the current rate."""
        rate = self.rate_now(now)
        if not self.total or rate <= 0 or self.sent >= self.total:
            return None
        return (self.total - self.sent) / rate

    def begin(self, phase: Phase, now: float) -> None:
        """Start counting ``phase`` from zero."""
        self.phase = phase
        self.total = phase.total
        self.sent = 0
        self.started = self._sampled_at = now
        self._sampled = 0
        self.rate = None


class Progress:
    """Progress of concurrent transfers, written to ``stream``.

    Example::

        progress = Progress(sys.stderr, live=sys.stderr.isatty())
        transfer = progress.start("Acme.1.0.0.zip", size)
        progress.advance(transfer, 1024 * 1024)
        progress.finish(transfer)
    """

    def __init__(
        self,
        stream: TextIO | None,
        *,
        live: bool = False,
        interval: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stream = stream
        self.live = live
        self.interval = interval
        self._clock = clock
        self._lock = threading.Lock()
        self._transfers: list[Transfer] = []
        self._last_draw = -math.inf
        self._drawn = False

    def start(
        self,
        name: str,
        total: int,
        *,
        phase: Phase | None = None,
        files: int = 0,
        quiet: float = 0.0,
    ) -> Transfer:
        """Begin reporting ``name`` of ``total`` bytes, in ``phase`` (default: its upload),
        of ``files`` files (0: not counted), shown only after ``quiet`` seconds."""
        now = self._clock()
        # A CI log's first line comes after the quiet period, when there is one, else after
        # the interval (advance() writes a line once ``interval`` has passed since last_line).
        first_line = now + quiet - self.interval if quiet else now
        transfer = Transfer(
            name, total, opened=now, last_line=first_line, quiet=quiet, files_total=files
        )
        transfer.begin(phase or Phase("", total), now)
        with self._lock:
            self._transfers.append(transfer)
        return transfer

    def restart(self, transfer: Transfer) -> None:
        """The whole file is being sent (again: a retry, or after a delta): count from zero."""
        self.enter(transfer, Phase("", transfer.size))

    def enter(self, transfer: Transfer, phase: Phase) -> None:
        """``transfer`` moves on to ``phase``; shown at once on a terminal."""
        now = self._clock()
        with self._lock:
            transfer.begin(phase, now)
            if self.stream is None:
                return
            if self.live:
                self._draw(now)
            elif now - transfer.last_line >= self.interval:
                # Only long work gets a line of its own: short phases would flood a log.
                transfer.last_line = now
                self._line(transfer, now)

    def advance(self, transfer: Transfer, count: int, *, files: int = 0) -> None:
        """``count`` more bytes (and ``files`` more files) of ``transfer``'s phase were handled
        (sent, scanned, read)."""
        now = self._clock()
        with self._lock:
            transfer.sent += count
            transfer.files += files
            transfer.sample(now)
            if self.stream is None:
                return
            if self.live:
                # The last byte changes what is shown (the wait for Octopus): drawn at once.
                if now - self._last_draw >= REDRAW_SECONDS or transfer.sent >= transfer.total:
                    self._draw(now)
            elif now - transfer.last_line >= self.interval:
                transfer.last_line = now
                self._line(transfer, now)

    def finish(self, transfer: Transfer) -> None:
        """The file has been sent (whatever the answer)."""
        now = self._clock()
        with self._lock:
            transfer.done = True
            if self.stream is None:
                return
            if self.live:
                self._draw(now)
                if all(t.done for t in self._transfers):
                    if self._drawn:
                        self.stream.write("\n")
                        self.stream.flush()
                    self._drawn = False
                    # The line is ended: later work (publish packs, then pushes) gets its own.
                    self._transfers.clear()
            elif now - transfer.opened >= (transfer.quiet or self.interval):
                # Short uploads need no progress line; the result line says enough.
                self._line(transfer, now)

    def _state(self, transfer: Transfer, now: float) -> str:
        """``75% of 4.0 MiB sent (256.0 KiB/s, about 4 s left)``, or the phase's wait."""
        phase = transfer.phase
        if not transfer.total:
            return f"{phase.label} ({format_duration(now - transfer.started)})"
        if transfer.sent >= transfer.total and not transfer.done:
            return phase.waiting
        # A retried upload counts its bytes again until restart(); never show more than 100%.
        percent = min(100, 100 * transfer.sent // transfer.total)
        left = transfer.left(now)
        rate = f"{format_size(int(transfer.rate_now(now)))}/s"
        timing = f"{rate}, about {format_duration(left)} left" if left is not None else rate
        label = f"{phase.label}: " if phase.label else ""
        files = _files([transfer])
        files = f"{files}, " if files else ""
        return f"{label}{files}{percent}% of {format_size(transfer.total)} {phase.unit} ({timing})"

    def _line(self, transfer: Transfer, now: float) -> None:
        assert self.stream is not None
        self.stream.write(f"octoci: {transfer.name}: {self._state(transfer, now)}\n")
        self.stream.flush()

    def _draw(self, now: float) -> None:
        assert self.stream is not None
        if not self._drawn and all(now - t.opened < t.quiet for t in self._transfers):
            return  # quick work shows nothing: every transfer is still in its quiet period
        self._last_draw = now
        active = [t for t in self._transfers if not t.done]
        single = active[0] if len(active) == 1 and len(self._transfers) == 1 else None
        if single is not None and (single.phase.label or single.sent >= single.total):
            # A phase of its own (signature, scan, the server's work): say which, not a bar.
            text = f"{single.name}: {self._state(single, now)}"
        else:
            text = self._bar(now, active)
        self.stream.write(f"\r{text}\x1b[K")
        self.stream.flush()
        self._drawn = True

    def _bar(self, now: float, active: list[Transfer]) -> str:
        """``[######....]  42% 4.2 MiB of 10.0 MiB 1.3 MiB/s ETA 5 s Acme.1.0.0.zip``."""
        transfers = self._transfers
        total = sum(t.total for t in transfers) or 1
        sent = min(sum(min(t.sent, t.total) for t in transfers), total)
        width = 30
        filled = width * sent // total
        # The last redraw, once all is done, names the work and its average rate (not "0 B/s").
        shown = active or transfers
        label = shown[0].name if len(shown) == 1 else f"{len(transfers)} packages"
        if active:
            rate = sum(t.rate_now(now) for t in active)
        else:
            rate = sent / max(now - min(t.opened for t in transfers), 1e-6)
        left = [t.left(now) for t in active]
        eta = max((s for s in left if s is not None), default=None)
        timing = f"{format_size(int(rate))}/s" + (f" ETA {format_duration(eta)}" if eta else "")
        files = _files(transfers)
        files = f"{files}, " if files else ""
        return (
            f"[{'#' * filled}{'.' * (width - filled)}] {100 * sent // total:3d}% "
            f"{files}{format_size(sent)} of {format_size(total)} {timing} {label}"
        )


def _files(transfers: list[Transfer]) -> str:
    """``1,234 of 4,800 files``, or ``""`` when no transfer counts files."""
    counted = [t for t in transfers if t.files_total]
    if not counted:
        return ""
    done = sum(min(t.files, t.files_total) for t in counted)
    return f"{done:,} of {sum(t.files_total for t in counted):,} files"
