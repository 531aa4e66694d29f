"""Adopt the release Octopus creates by itself (automatic release creation) instead of creating
one: find it, check that it holds the packages and build information the run pushed, and follow
the deployments its lifecycle starts automatically."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from octoci.errors import OctociError
from octoci.model import Deployment, Release, RunReport
from octoci.octopus.errors import TaskTimeoutError
from octoci.octopus.executions import ReleaseRequest, create_release, find_project, find_release
from octoci.octopus.links import release_url
from octoci.octopus.release_creation import (
    AUTOMATIC_RELEASE_WAIT,
    ReleaseCreation,
    automatic_deployments,
    find_created_release,
    predicted_automatic_environments,
    release_problems,
    wait_for_release,
)
from octoci.steps.plan import StepContext, StepFailed
from octoci.steps.release import release_line
from octoci.steps.wait import WaitOptions, finish_deployments

__all__ = ["AdoptRelease"]


@dataclass(frozen=True)
class AdoptRelease:
    """The release ``creation`` makes when the run pushed its triggering package.

    ``pushed``: ``(package id, version)`` of every package of the run; ``existed``: the release
    was there before the run (the pre-flight found it); ``deploying``: the environments a later
    deploy step takes over (it waits for their automatic deployments); the automatic deployments
    elsewhere are waited for here with ``wait``.
    """

    request: ReleaseRequest
    creation: ReleaseCreation
    pushed: tuple[tuple[str, str], ...]
    build_information: bool = True
    existed: bool = False
    timeout: float = AUTOMATIC_RELEASE_WAIT
    poll_interval: float = 1.0
    wait: WaitOptions | None = None
    deploying: tuple[str, ...] = ()

    phase: ClassVar[str] = "release"

    def title(self, report: RunReport) -> str:
        """``Adopting the release Octopus creates for Shop``."""
        return f"Adopting the release Octopus creates for {self.request.project}"

    @property
    def _version(self) -> str:
        """The triggering package's version."""
        package = self.creation.package_id.lower()
        return next((v for i, v in self.pushed if i.lower() == package), "")

    @property
    def _bound(self) -> float:
        return min(AUTOMATIC_RELEASE_WAIT, self.timeout)

    def run(self, context: StepContext, report: RunReport) -> RunReport:
        """Find (or, after a push Octopus did not count as new, create) the release, check it,
        and add it and its automatic deployments to the report."""
        connection = context.connection
        project = find_project(connection, self.request.project)
        if self.existed:
            return self._existing(context, report, project)
        if context.dry_run:
            return self._predict(context, report, project)
        trigger = next(
            (p for p in report.packages if p.id.lower() == self.creation.package_id.lower()), None
        )
        if trigger is None or trigger.outcome != "created":
            document = find_created_release(connection, project, self.creation, self._version)
            if document is None:
                return self._create(context, report)
            release = self._release(context, project, document, created=False)
        else:
            document = wait_for_release(
                connection,
                project,
                self.creation,
                self._version,
                timeout=self._bound,
                poll_interval=self.poll_interval,
            )
            if document is None:
                raise StepFailed(report, TaskTimeoutError(self._timeout_message()))
            release = self._release(context, project, document, created=True)
        report = report.replace(release=release)
        problems = release_problems(
            document,
            self.creation,
            dict(self.pushed),
            build_information=self.build_information,
        )
        if problems:
            raise StepFailed(report, OctociError(self._mismatch_message(release, problems)))
        context.reporter.say(release_line(release))
        if release.version != self.request.version:
            context.reporter.say(
                f"Octopus numbered it {release.version} by the project's release versioning "
                f"rules (not {self.request.version})"
            )
        return self._follow(context, report, document)

    # ------------------------------------------------------------------------ the cases
    def _existing(
        self, context: StepContext, report: RunReport, project: dict[str, Any]
    ) -> RunReport:
        """The release was there before the run (a re-run): used as it is."""
        document = find_release(context.connection, project, self.request.version) or {}
        release = self._release(context, project, document, created=False)
        context.reporter.say(release_line(release))
        return report.replace(release=release)

    def _create(self, context: StepContext, report: RunReport) -> RunReport:
        """The triggering package was in Octopus already, so nothing triggered: create it."""
        context.reporter.say(
            f"{self.creation.package_id} {self._version} was in Octopus already, so Octopus's "
            "automatic release creation did not run: octoci creates the release"
        )
        release = create_release(context.connection, self.request)
        context.reporter.say(release_line(release))
        return report.replace(release=release)

    def _predict(
        self, context: StepContext, report: RunReport, project: dict[str, Any]
    ) -> RunReport:
        version = self._version if self.creation.version_from_package else ""
        numbered = version or "(numbered by the project's release versioning rules)"
        context.reporter.say(
            f"release {project['Name']} {numbered} would be created by Octopus (automatic "
            f"release creation) when {self.creation.package_id} is pushed"
        )
        environments = predicted_automatic_environments(
            context.connection, project, self.creation.channel_name
        )
        if environments:
            context.reporter.say(
                f"Octopus would then deploy it to {', '.join(environments)} by itself (the "
                "lifecycle deploys there automatically)"
            )
        predicted = [Deployment(environment=e, origin="automatic") for e in environments]
        return report.replace(
            release=Release(str(project["Name"]), version, automatic=True),
            deployments=(*report.deployments, *predicted),
        )

    def _follow(
        self, context: StepContext, report: RunReport, document: dict[str, Any]
    ) -> RunReport:
        """Announce the automatic deployments; wait here for those no deploy step takes over."""
        deployments, missing = automatic_deployments(
            context.connection,
            document,
            timeout=self._bound,
            poll_interval=self.poll_interval,
        )
        for deployment in deployments:
            context.reporter.say(deployment.announcement())
        for environment in missing:
            context.reporter.warn(
                f"the lifecycle deploys release {document.get('Version')} to {environment} "
                f"automatically, but Octopus started no deployment there within {self._bound:g} s"
            )
        taken = {e.lower() for e in self.deploying}
        handed = [d for d in deployments if d.environment.lower() in taken]
        report = report.replace(deployments=(*report.deployments, *handed))
        here = [d for d in deployments if d.environment.lower() not in taken]
        return finish_deployments(context, report, here, self.wait) if here else report

    # ------------------------------------------------------------------------ wording
    def _release(
        self,
        context: StepContext,
        project: dict[str, Any],
        document: dict[str, Any],
        *,
        created: bool,
    ) -> Release:
        release_id = str(document.get("Id") or "")
        return Release(
            project=str(project["Name"]),
            version=str(document.get("Version") or self.request.version),
            id=release_id,
            url=release_url(context.connection, project, release_id) if release_id else "",
            created=created,
            automatic=created,
        )

    def _timeout_message(self) -> str:
        creation = self.creation
        return (
            f"Octopus created no release of {creation.project} within {self._bound:g} s of "
            f"{creation.package_id} {self._version} being pushed (automatic release creation "
            f"in channel {creation.channel_name}); look at the project's triggers and audit log "
            "in Octopus (its channel rules may not take this version), then create the release "
            "with 'octoci release create'; the packages and build information are pushed"
        )

    def _mismatch_message(self, release: Release, problems: list[str]) -> str:
        package = self.creation.package_id
        return (
            f"release {release.project} {release.version}, created by Octopus (automatic "
            f"release creation), holds {'; '.join(problems)}: Octopus created it before octoci "
            f"pushed them (was {package} pushed earlier, or by another job?); do not deploy it: "
            f"create a release with 'octoci release create --release-version <new version> "
            f"--package <id>:<version>', or push {package} last"
        )
