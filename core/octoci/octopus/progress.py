"""Upload progress: a live bar on a terminal, periodic plain lines in CI logs.

A CI log is not a terminal: carriage-return bars become thousands of lines there, so without a
terminal a line is written at most every ``interval`` seconds per file (and one at the end).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TextIO

from octoci.reporting import format_size

__all__ = ["Progress", "Transfer"]


@dataclass
class Transfer:
    """One file being sent."""

    name: str
    total: int
    sent: int = 0
    started: float = 0.0
    last_line: float = 0.0
    done: bool = False


class Progress:
    """Progress of concurrent uploads, written to ``stream``.

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
        self._last_draw = 0.0
        self._drawn = False

    def start(self, name: str, total: int) -> Transfer:
        """Begin reporting a file of ``total`` bytes."""
        now = self._clock()
        transfer = Transfer(name, total, started=now, last_line=now)
        with self._lock:
            self._transfers.append(transfer)
        return transfer

    def restart(self, transfer: Transfer) -> None:
        """The file is being sent again (a retry): count from zero."""
        with self._lock:
            transfer.sent = 0

    def advance(self, transfer: Transfer, count: int) -> None:
        """``count`` more bytes of ``transfer`` were handed to the network."""
        now = self._clock()
        with self._lock:
            transfer.sent += count
            if self.stream is None:
                return
            if self.live:
                if now - self._last_draw >= 0.1:
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
                    self.stream.write("\n")
                    self.stream.flush()
                    self._drawn = False
            elif now - transfer.started >= self.interval:
                # Short uploads need no progress line; the result line says enough.
                self._line(transfer, now)

    def _rate(self, transfer: Transfer, now: float) -> str:
        elapsed = max(now - transfer.started, 1e-6)
        return f"{format_size(int(transfer.sent / elapsed))}/s"

    def _line(self, transfer: Transfer, now: float) -> None:
        assert self.stream is not None
        # A retried upload counts its bytes again until restart(); never show more than 100%.
        percent = min(100, 100 * transfer.sent // transfer.total) if transfer.total else 100
        self.stream.write(
            f"octoci: {transfer.name}: {percent}% of {format_size(transfer.total)} sent "
            f"({self._rate(transfer, now)})\n"
        )
        self.stream.flush()

    def _draw(self, now: float) -> None:
        assert self.stream is not None
        self._last_draw = now
        total = sum(t.total for t in self._transfers) or 1
        sent = min(sum(t.sent for t in self._transfers), total)
        width = 30
        filled = width * sent // total
        active = [t for t in self._transfers if not t.done]
        label = active[0].name if len(active) == 1 else f"{len(self._transfers)} packages"
        elapsed = max(now - min(t.started for t in self._transfers), 1e-6)
        self.stream.write(
            f"\r[{'#' * filled}{'.' * (width - filled)}] {100 * sent // total:3d}% "
            f"{format_size(sent)} of {format_size(total)} {format_size(int(sent / elapsed))}/s "
            f"{label}\x1b[K"
        )
        self.stream.flush()
        self._drawn = True
