"""Push build information: the build's number, URL, branch and commits, for each package id."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from octoci.model import BuildInformation, RunReport
from octoci.octopus.buildinfo import (
    build_information_warnings,
    push_build_information,
    validate_build_information_target,
)
from octoci.octopus.packages import OverwriteMode
from octoci.steps.plan import StepContext, count
from octoci.steps.push import OUTCOME_WORDS

__all__ = ["PushBuildInformation", "build_information_targets"]


def build_information_targets(report: RunReport) -> tuple[tuple[str, str], ...]:
    """``(package id, version)`` of every package of the report, once each, in order."""
    return tuple(dict.fromkeys((p.id, p.version) for p in report.packages))


@dataclass(frozen=True)
class PushBuildInformation:
    """Push ``info`` for ``targets`` (``(package id, version)`` pairs; empty: the report's
    packages). Every target is checked before the first is sent."""

    info: BuildInformation
    mode: OverwriteMode = "FailIfExists"
    targets: tuple[tuple[str, str], ...] = ()

    def _targets(self, report: RunReport) -> Sequence[tuple[str, str]]:
        return self.targets or build_information_targets(report)

    phase: ClassVar[str] = "build-info"

    def title(self, report: RunReport) -> str:
        """``Pushing build information for 2 packages``."""
        return f"Pushing build information for {count(len(self._targets(report)), 'package')}"

    def validate(self, report: RunReport | None = None) -> None:
        """Check every target (ids and versions) before anything is sent (exit code 2)."""
        targets = self._targets(report or RunReport())
        for version in dict.fromkeys(v for _, v in targets):
            validate_build_information_target([i for i, v in targets if v == version], version)

    def run(self, context: StepContext, report: RunReport) -> RunReport:
        """One record per target; warnings for what would make the records useless."""
        self.validate(report)
        targets = self._targets(report)
        warnings = build_information_warnings([i for i, _ in targets], self.info)
        for warning in warnings:
            context.reporter.warn(warning)
        records = []
        for package_id, version in targets:
            (record,) = push_build_information(
                context.connection, [package_id], version, self.info, mode=self.mode
            )
            verb = "would be pushed" if context.dry_run else OUTCOME_WORDS[record.outcome]
            context.reporter.say(
                f"build information for {package_id} {version}: {verb} "
                f"({count(record.commits, 'commit')})"
            )
            records.append(record)
        return report.replace(
            build_information=self.info,
            build_information_records=(*report.build_information_records, *records),
            warnings=(*report.warnings, *warnings),
        )
