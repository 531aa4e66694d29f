"""The one route for problems: every warning octoci logs, every warning a step reports and the
error that ends the run go to the active build server's own form (``::warning title=...::``,
``##vso[task.logissue]``, ``##teamcity[buildProblem]``, an AppVeyor message...), or as the plain
line ``octoci: warning: ...`` where the server has none; and at the end of a run, the build's
status text made from its report.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, TextIO

from octoci.errors import OctociError

if TYPE_CHECKING:
    # Types only: every run (`octoci --version` too) imports this module to route warnings,
    # and the data model behind these costs a third of start-up.
    from octoci.cli.state import AppState
    from octoci.server import CIServer, ProblemLevel, RunOutcome

__all__ = [
    "WARNING_TITLE",
    "ProblemHandler",
    "error_title",
    "report_error",
    "report_outcome",
    "report_problem",
]

#: The title of a warning's annotation.
WARNING_TITLE = "octoci"

#: Exit code -> what the final error's title says (docs/reference/exit-codes.md).
_ERROR_TITLES = {
    2: "octoci: bad input",
    3: "octoci: a deployment or runbook run failed",
    4: "octoci: waiting timed out",
    130: "octoci: interrupted",
}


def error_title(exit_code: int) -> str:
    """The title of the final error's annotation or problem, from the exit code."""
    return _ERROR_TITLES.get(exit_code, "octoci failed")


def report_problem(
    server: CIServer | None,
    level: ProblemLevel,
    title: str,
    message: str,
    plain: Callable[[str], None],
) -> None:
    """Show ``message`` through ``server``'s own form, else call ``plain`` with it (the line the
    caller writes where the server has no form, or no adapter exists yet).

    Every problem octoci shows goes through here, so each build server shows them alike.
    """
    if server is not None:
        try:
            if server.report_problem(level, title, message):
                return
        except OctociError:
            pass  # the server's form failed: the plain line still tells the user
    plain(message)


class ProblemHandler(logging.Handler):
    """The ``octoci`` logger's handler: warnings (and errors) through :func:`report_problem`
    once the run's adapter exists, everything else (and everything before) as the plain line
    ``octoci: <level>: <message>`` on ``stream``."""

    def __init__(self, stream: TextIO, state: AppState | None = None) -> None:
        super().__init__()
        self.plain = logging.StreamHandler(stream)
        self.state = state
        self._inside = threading.local()

    def setFormatter(self, fmt: logging.Formatter | None) -> None:
        """The plain line's format."""
        super().setFormatter(fmt)
        self.plain.setFormatter(fmt)

    def emit(self, record: logging.LogRecord) -> None:
        """One record: a problem for the adapter, or a plain line."""
        server = self._server()
        # An adapter that logs while reporting (a failed API call) gets the plain line.
        if server is None or record.levelno < logging.WARNING or getattr(self._inside, "on", False):
            self.plain.emit(record)
            return
        level: ProblemLevel = "error" if record.levelno >= logging.ERROR else "warning"
        self._inside.on = True
        try:
            report_problem(
                server, level, WARNING_TITLE, record.getMessage(), lambda _: self.plain.emit(record)
            )
        finally:
            self._inside.on = False

    def _server(self) -> CIServer | None:
        # Only an adapter that already exists: creating one here would write its masking
        # commands in the middle of whatever logged, and may itself log.
        return self.state.existing_server if self.state is not None else None


def report_error(
    state: AppState, exit_code: int, message: str, plain: Callable[[str], None]
) -> None:
    """The error that ends the run: in the build server's own form, else ``plain``.

    A command that failed before it needed the adapter (bad input) still gets the server's
    form; a run whose command never started (a usage error while parsing) or whose adapter
    cannot be made (the error may be why) gets the plain line.
    """
    server = state.existing_server
    if server is None and state.command_started:
        try:
            server = state.server
        except Exception:  # the run already failed; the plain line says why
            server = None
    report_problem(server, "error", error_title(exit_code), message, plain)


def report_outcome(state: AppState, exit_code: int) -> None:
    """The end of a run: the status text from the report the command handed over, through the
    adapter (which exists, since it was handed the report). Nothing without a report."""
    server = state.existing_server
    report = state.report
    if server is None or report is None:
        return
    from octoci.reporting import status_text

    text = status_text(report)
    if not text:
        return
    try:
        server.set_status(state.redactor(text), _outcome(exit_code, bool(report.warnings)))
    except OctociError as exc:
        # The run's results are out already; a status the server refused changes no code.
        logging.getLogger("octoci").warning("could not set the build status: %s", exc)


def _outcome(exit_code: int, warned: bool) -> RunOutcome:
    if exit_code != 0:
        return "failed"
    return "succeeded_with_issues" if warned else "succeeded"
