"""A plan: the ordered steps of a run, run against one connection through one reporter."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from octoci.errors import OctociError
from octoci.model import RunReport
from octoci.octopus.connection import Connection
from octoci.steps.reporter import Reporter

__all__ = ["Plan", "Step", "StepContext", "StepFailed", "count"]


@dataclass(frozen=True)
class StepContext:
    """What every step works with."""

    connection: Connection
    """The Octopus connection (a :class:`~octoci.octopus.dryrun.DryRunConnection` in a dry run)."""
    reporter: Reporter
    dry_run: bool = False
    scratch: Path | None = None
    """In a dry run: the temporary folder packages are written to."""


class StepFailed(OctociError):
    """A step failed after doing part of its work: ``report`` holds what was done (outputs and
    ``--json`` still go out), ``error`` is what ends the run."""

    def __init__(self, report: RunReport, error: OctociError) -> None:
        super().__init__(str(error))
        self.report = report
        self.error = error


class Step(Protocol):
    """One phase of a run."""

    @property
    def phase(self) -> str:
        """The phase's short name: ``pack``, ``push``, ``build-info``, ``release`` ..."""
        ...

    def title(self, report: RunReport) -> str:
        """The phase heading (the log group), from what the run did so far."""
        ...

    def run(self, context: StepContext, report: RunReport) -> RunReport:
        """Do the step; return ``report`` with what it did added. Raise :class:`StepFailed`
        after partial work, any other error when nothing of the step was done."""
        ...


@dataclass(frozen=True)
class Plan:
    """The steps of a run, in order."""

    steps: Sequence[Step]

    def run(self, context: StepContext, report: RunReport) -> tuple[RunReport, OctociError | None]:
        """Run every step, each in its phase; stop at the first :class:`StepFailed` and return
        what was done with the error that ended the run (exit code in the report)."""
        reporter = context.reporter
        reporter.total = len(self.steps)
        for step in self.steps:
            try:
                with reporter.phase(step.title(report)):
                    report = step.run(context, report)
            except StepFailed as failed:
                return failed.report.replace(exit_code=failed.error.exit_code), failed.error
        return report, None


def count(number: int, noun: str) -> str:
    """``1 package``, ``2 packages``."""
    return f"{number} {noun}{'s' if number != 1 else ''}"
