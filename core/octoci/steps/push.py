"""Push packages: the packed packages of the run and the package files named, streamed to the
built-in feed (or, in a dry run, compared with what Octopus holds)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import ClassVar

from octoci.errors import OctociError
from octoci.model import Package, RunReport
from octoci.octopus.dryrun import DryRunConnection
from octoci.octopus.packages import OverwriteMode, predict_push, push_packages
from octoci.package_names import PackageName, parse_package_filename
from octoci.progress import Progress
from octoci.reporting import format_size
from octoci.steps.plan import StepContext, StepFailed, count

__all__ = ["OUTCOME_WORDS", "PushPackages", "push_line"]

#: How a push's outcome (of a package or of build information) is said, everywhere.
OUTCOME_WORDS = {
    "created": "pushed",
    "identical": "already in Octopus, identical",
    "ignored": "already in Octopus with DIFFERENT content, kept (IgnoreIfExists)",
}


def push_line(package: Package, mode: OverwriteMode, *, dry_run: bool = False) -> str:
    """The result line of one package: ``Acme.Web.1.2.3.zip: pushed as a delta (1.2 MiB sent)``;
    in a dry run, what a real run would do."""
    name = package.path.name
    if dry_run:
        if package.outcome == "identical":
            verdict = OUTCOME_WORDS["identical"]
        elif package.outcome == "ignored" or package.server_hash:
            verdict = f"already in Octopus with different content ({mode})"
        else:
            verdict = "would be pushed"
        return f"{name}: {verdict} ({package.size:,} bytes, sha1 {package.sha1})"
    line = f"{name}: {OUTCOME_WORDS[package.outcome]}"
    if package.delta:
        line += f" as a delta ({format_size(package.sent)} sent)"
    return line


@dataclass(frozen=True)
class PushPackages:
    """Push the report's packed packages and ``files``, at most ``concurrency`` at once.

    ``only`` (package ids) pushes just those, ``excluding`` all but those: a project with
    automatic release creation gets its triggering package after the others.
    """

    files: tuple[tuple[Path, PackageName], ...] = ()
    mode: OverwriteMode = "FailIfExists"
    concurrency: int = 3
    delta: bool = True
    progress: Progress | None = None
    only: tuple[str, ...] = ()
    excluding: tuple[str, ...] = ()
    why: str = ""
    """Said after the title: `` (it triggers automatic release creation)``."""

    def _all_files(self, report: RunReport) -> list[tuple[Path, PackageName]]:
        packed = [(p.path, _name_of(p)) for p in report.packages if p.outcome == "packed"]
        only = {i.lower() for i in self.only}
        excluding = {i.lower() for i in self.excluding}
        return [
            (path, name)
            for path, name in packed + list(self.files)
            if (not only or name.id.lower() in only) and name.id.lower() not in excluding
        ]

    phase: ClassVar[str] = "push"

    def title(self, report: RunReport) -> str:
        """``Pushing 2 packages``, ``Pushing Acme.Web`` (one package of ``only``), then
        ``why``."""
        files = self._all_files(report)
        what = files[0][1].id if self.only and len(files) == 1 else count(len(files), "package")
        return f"Pushing {what}{self.why}"

    def run(self, context: StepContext, report: RunReport) -> RunReport:
        """Push every file; every one is attempted. One failure alone ends the run with its own
        error, several with ``n of m packages failed``; what was pushed stays in the report."""
        files = self._all_files(report)
        reporter = context.reporter
        connection = context.connection
        if isinstance(connection, DryRunConnection):
            pushed: list[Package] = []
            for path, name in files:
                try:
                    package = predict_push(connection, path, name, self.mode)
                except OctociError as exc:
                    raise StepFailed(_merge(report, pushed), exc) from None
                reporter.say(push_line(package, self.mode, dry_run=True))
                pushed.append(package)
            return _merge(report, pushed)
        done, failures = push_packages(
            connection,
            files,
            mode=self.mode,
            concurrency=self.concurrency,
            progress=self.progress,
            delta=self.delta,
        )
        for package in done:
            reporter.say(push_line(package, self.mode))
            for warning in package.warnings:
                reporter.warn(warning)
        report = _merge(report, done)
        report = report.replace(
            failed_packages=tuple((f.path.as_posix(), str(f.error)) for f in failures)
        )
        if len(failures) == 1 and not done:
            raise StepFailed(report, failures[0].error)
        if failures:
            details = "; ".join(f"{f.path.name}: {f.error}" for f in failures)
            raise StepFailed(
                report, OctociError(f"{len(failures)} of {len(files)} packages failed: {details}")
            )
        return report


def _merge(report: RunReport, pushed: list[Package]) -> RunReport:
    """The report with the pushed packages in place of the packed ones (keeping the SHA-256 of
    packing and the order of packing, also when the push is split in two), each package once,
    warnings added."""
    packed = {p.path: p for p in report.packages if p.outcome == "packed"}
    pushed = [replace(p, sha256=packed[p.path].sha256) if p.path in packed else p for p in pushed]
    by_path = {p.path: p for p in pushed}
    merged = [by_path.pop(p.path, p) for p in report.packages]
    return report.replace(
        packages=(*merged, *by_path.values()),
        warnings=(*report.warnings, *(w for p in pushed for w in p.warnings)),
    )


def _name_of(package: Package) -> PackageName:
    # plan_package checked that Octopus reads the file name back as this id and version.
    name = parse_package_filename(package.path.name)
    assert name is not None
    return name
