"""Pack: write each package (deterministic bytes) from the files selected for it."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import ClassVar

from octoci.model import PackageEntry, RunReport
from octoci.packaging.build import PackagePlan, write_package
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
            package = write_package(plan, job.entries)
            context.reporter.say(
                f"packed {package.path.name}: {len(job.entries)} files, {package.size:,} bytes"
            )
            packages.append(package)
        return report.replace(packages=(*report.packages, *packages))
