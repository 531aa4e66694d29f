"""Pack: write each package (deterministic bytes) from the files selected for it."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import ClassVar

from octoci.model import PackageEntry, RunReport
from octoci.packaging.build import PackagePlan, write_package
from octoci.packaging.progress import showing_progress
from octoci.progress import Progress
from octoci.steps.plan import StepContext, count

__all__ = ["Pack", "PackageJob"]


@dataclass(frozen=True)
class PackageJob:
    """One package to pack: its validated plan and the files it takes."""

    plan: PackagePlan
    entries: tuple[PackageEntry, ...]


@dataclass(frozen=True)
class Pack:
    """Write every package; in a dry run into the scratch folder, so that sizes and hashes are
    real and nothing is left on disk."""

    jobs: tuple[PackageJob, ...]
    progress: Progress | None = None
    """Where a package that takes more than a second to write shows its progress."""

    phase: ClassVar[str] = "pack"

    def title(self, report: RunReport) -> str:
        """``Packing 2 packages``."""
        return f"Packing {count(len(self.jobs), 'package')}"

    def run(self, context: StepContext, report: RunReport) -> RunReport:
        """Write the packages; they join the report as ``packed``."""
        packages = []
        for job in self.jobs:
            plan = job.plan
            if context.scratch is not None:
                spec = replace(plan.spec, out_folder=context.scratch)
                plan = replace(plan, spec=spec, destination=context.scratch / plan.destination.name)
            with showing_progress(self.progress, plan.destination.name, job.entries):
                package = write_package(plan, job.entries)
            context.reporter.say(
                f"packed {package.path.name}: {len(job.entries)} files, {package.size:,} bytes"
            )
            packages.append(package)
        return report.replace(packages=(*report.packages, *packages))
