"""The one reporter every step writes through: result lines for people, ``[n/total]`` phase
headings as the build server's log groups, a live status line on a terminal, warnings as
annotations, and at the end the ``--json`` document and the outputs and summary handed to the
build server."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TextIO

from octoci.model import RunReport
from octoci.server import CIServer

if TYPE_CHECKING:
    from octoci.plugins import OctociPluginManager

__all__ = ["Reporter"]


@dataclass
class Reporter:
    """Where a run's lines, groups, warnings and results go.

    ``say_line`` writes a line for people (standard output, or standard error with ``--json``);
    ``write_json``, when set, takes the ``--json`` document; ``plugins`` give the outputs and
    summary (core and plugins') handed to ``server``.

    Example::

        reporter = Reporter(server, print)
        with reporter.phase("Pushing 1 package"):
            reporter.say("Acme.Web.1.2.3.zip: pushed")
    """

    server: CIServer
    say_line: Callable[[str], None]
    live: TextIO | None = None
    """A terminal for a status line redrawn in place while waiting (never a CI log: there every
    redraw would be a line of its own)."""
    plugins: OctociPluginManager | None = None
    write_json: Callable[[Any], None] | None = None
    on_hand_over: Callable[[RunReport], None] | None = None
    """Told the report handed to the build server (the run-finished hook's report)."""
    total: int = 0
    number: int = 0
    _status_shown: bool = False

    def say(self, line: str) -> None:
        """A result line (after clearing the status line, if one is shown)."""
        self.clear()
        self.say_line(line)

    def warn(self, message: str) -> None:
        """A warning: the build server's own form (:mod:`octoci.problems`), else an annotation
        (which also shows it in the log)."""
        from octoci.problems import WARNING_TITLE, report_problem

        self.clear()
        report_problem(
            self.server,
            "warning",
            WARNING_TITLE,
            message,
            lambda text: self.server.annotate("warning", text),
        )

    def status(self, text: str) -> None:
        """Redraw the live status line (only on a terminal)."""
        if self.live is None:
            return
        self.live.write(f"\r{text}\x1b[K")
        self.live.flush()
        self._status_shown = True

    def clear(self) -> None:
        """Remove the status line so that the next line starts clean."""
        if self.live is not None and self._status_shown:
            self.live.write("\r\x1b[K")
            self.live.flush()
            self._status_shown = False

    @contextlib.contextmanager
    def phase(self, title: str) -> Iterator[None]:
        """The phase as a log group: ``[n/total] title``, or just ``title`` in a one-phase run."""
        self.number += 1
        self.clear()
        heading = f"[{self.number}/{self.total}] {title}" if self.total > 1 else title
        try:
            with self.server.group(heading):
                yield
        finally:
            self.clear()

    def document(self, data: Any) -> None:
        """The ``--json`` document (nothing without ``--json``)."""
        if self.write_json is not None:
            self.write_json(data)

    def hand_over(self, report: RunReport, extra: dict[str, str] | None = None) -> None:
        """Give the build server the run's outputs (core and plugins', plus ``extra``) and its
        job summary."""
        if self.on_hand_over is not None:
            self.on_hand_over(report)
        if self.plugins is not None:
            from octoci.artifacts import publish_package_artifacts

            publish_package_artifacts(self.server, report, self.plugins.resolved_settings)
        outputs: dict[str, str] = dict(self.plugins.outputs(report)) if self.plugins else {}
        outputs.update(extra or {})
        self.server.set_outputs(outputs)
        summary = self.plugins.summary(report) if self.plugins else None
        if summary:
            self.server.add_summary(summary)
