"""Push packages: the packed packages of the run and the package files named, each to its
repository (the built-in feed unless the configuration names another; :mod:`octoci.repositories`),
or, in a dry run, compared with what the repository holds."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import ClassVar

from octoci.errors import OctociError
from octoci.model import Package, PackageOutcome, RunReport
from octoci.octopus.dryrun import DryRunConnection
from octoci.octopus.packages import (
    OverwriteMode,
    StoredHashMismatchError,
    file_sha1,
    predict_push,
    push_packages,
)
from octoci.package_names import PackageName, parse_package_filename
from octoci.progress import Progress
from octoci.reporting import format_size
from octoci.repositories.base import PackageRepository, StoredPackage
from octoci.repositories.octopus_feed import BUILTIN_FEED, OctopusFeed
from octoci.repositories.overwrite import predicted_outcome
from octoci.repositories.registry import Routing
from octoci.steps.plan import StepContext, StepFailed, count

__all__ = [
    "OUTCOME_WORDS",
    "PushPackages",
    "merge_pushed",
    "package_from_stored",
    "predict_store",
    "push_line",
]

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
    elsewhere = package.repository not in ("", BUILTIN_FEED)
    place = f"in the repository {package.repository!r}" if elsewhere else "in Octopus"
    if dry_run:
        if package.outcome == "identical":
            verdict = OUTCOME_WORDS["identical"].replace("in Octopus", place)
        elif package.outcome == "ignored" or package.server_hash:
            verdict = f"already {place} with different content ({mode})"
        else:
            verdict = (
                f"would be pushed to the repository {package.repository!r}"
                if elsewhere
                else "would be pushed"
            )
        return f"{name}: {verdict} ({package.size:,} bytes, sha1 {package.sha1})"
    line = f"{name}: {OUTCOME_WORDS[package.outcome].replace('in Octopus', place)}"
    if elsewhere and package.outcome == "created":
        line += f" to the repository {package.repository!r} ({package.location})"
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
    routing: Routing = field(default_factory=Routing)
    """Which repository each package goes to (by default all to the built-in feed)."""

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
        repositories: dict[str, PackageRepository] = {}

        def repository_of(name: PackageName) -> PackageRepository:
            chosen = self.routing.name_for(name.id)
            if chosen not in repositories:
                repository = self.routing.repository_for(name.id)
                if isinstance(repository, OctopusFeed):
                    repository = repository.connected(
                        connection, delta=self.delta, progress=self.progress
                    )
                repositories[chosen] = repository
            return repositories[chosen]

        if isinstance(connection, DryRunConnection):
            pushed: list[Package] = []
            for path, name in files:
                repository = repository_of(name)
                try:
                    if isinstance(repository, OctopusFeed):
                        package = replace(
                            predict_push(connection, path, name, self.mode),
                            repository=repository.name,
                        )
                    else:
                        package = predict_store(repository, path, name, self.mode)
                except OctociError as exc:
                    raise StepFailed(merge_pushed(report, pushed), exc) from None
                reporter.say(push_line(package, self.mode, dry_run=True))
                pushed.append(package)
            return merge_pushed(report, pushed)

        def push_one(path: Path, name: PackageName) -> Package:
            repository = repository_of(name)
            if isinstance(repository, OctopusFeed):
                return repository.push_package(path, name, mode=self.mode)
            stored = repository.push(path, name, mode=self.mode)
            return package_from_stored(path, stored)

        for _, name in files:  # built before the threads start: a bad table fails once
            repository_of(name)
        done, failures = push_packages(
            connection,
            files,
            mode=self.mode,
            concurrency=self.concurrency,
            progress=self.progress,
            delta=self.delta,
            push=push_one,
        )
        for package in done:
            reporter.say(push_line(package, self.mode))
            for warning in package.warnings:
                reporter.warn(warning)
        report = merge_pushed(report, done)
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


def package_from_stored(path: Path, stored: StoredPackage) -> Package:
    """The report's :class:`Package` for a file a repository stored, checked: but for an
    ignored version, the repository must hold the file's very bytes (a kind that checks
    nothing, or checks wrongly, never makes a false success).

    :raises StoredHashMismatchError: the repository reports other bytes than the file's.
    """
    local = file_sha1(path)
    if stored.outcome != "ignored" and stored.sha1.lower() != local:
        raise StoredHashMismatchError(
            f"pushing {path.name} to the repository {stored.repository!r} failed: it holds "
            f"{stored.package_id} {stored.version} with SHA-1 {stored.sha1 or '(none reported)'}"
            f", but the file has SHA-1 {local}; check the repository ({stored.location})"
        )
    return Package(
        path,
        stored.package_id,
        stored.version,
        path.stat().st_size,
        outcome=stored.outcome,
        sha1=local,
        server_hash=stored.sha1,
        bytes_sent=stored.bytes_sent,
        warnings=stored.warnings,
        repository=stored.repository,
        location=stored.location,
    )


def predict_store(
    repository: PackageRepository, path: Path, name: PackageName, mode: OverwriteMode
) -> Package:
    """What pushing ``path`` to ``repository`` would do (a dry run), from what it holds
    (:meth:`~octoci.repositories.PackageRepository.find`, reads only).

    :raises OctociError: a different file is stored and ``mode`` is FailIfExists.
    """
    sha1 = file_sha1(path)
    stored = repository.find(name.id, name.version)
    outcome: PackageOutcome = predicted_outcome(
        file_name=path.name,
        package_id=name.id,
        version=name.version,
        place=f"in the repository {repository.name!r}",
        stored_sha1=stored.sha1 if stored is not None else None,
        local_sha1=sha1,
        mode=mode,
    )
    return Package(
        path,
        name.id,
        name.version,
        path.stat().st_size,
        outcome=outcome,
        sha1=sha1,
        server_hash=stored.sha1 if stored is not None else "",
        repository=repository.name,
        location=stored.location if stored is not None else "",
    )


def merge_pushed(report: RunReport, pushed: list[Package]) -> RunReport:
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
