"""Create a release (or find the existing one, with ``ignore_if_exists``)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import ClassVar

from octoci.model import Release, RunReport
from octoci.octopus.channels import check_release_packages
from octoci.octopus.executions import (
    DeployRequest,
    ReleaseRequest,
    check_deployment_lifecycle,
    create_release,
    find_project,
    find_release,
    plan_deployment,
)
from octoci.octopus.feeds import ExternalPackage, external_selection, step_feeds
from octoci.steps.plan import StepContext

__all__ = ["CreateRelease", "release_line"]


def release_line(release: Release) -> str:
    """``release Shop 1.2.3 created (Releases-1) https://...`` (or ``created by Octopus
    (automatic release creation)``, or ``already existed``)."""
    return (
        f"release {release.project} {release.version} {release.created_by} "
        f"({release.id}) {release.url}".rstrip()
    )


@dataclass(frozen=True)
class CreateRelease:
    """Create the release ``request`` asks for.

    ``deploy_check``: the deployment that follows; its names and the lifecycle are checked before
    the release is created, so that a refused environment leaves no release behind (a plan whose
    pre-flight did that already leaves it out).

    ``external``: the packages the run pushed to repositories other than the built-in feed; the
    release selects each on the steps that take it from their external feed, at the version
    pushed (:func:`~octoci.octopus.feeds.external_selection`).
    """

    request: ReleaseRequest
    deploy_check: DeployRequest | None = None
    external: tuple[ExternalPackage, ...] = ()

    phase: ClassVar[str] = "release"

    def title(self, report: RunReport) -> str:
        """``Creating release 1.2.3 of Shop``."""
        version = f"release {self.request.version}" if self.request.version else "a release"
        return f"Creating {version} of {self.request.project}"

    def run(self, context: StepContext, report: RunReport) -> RunReport:
        """Create it; the release joins the report."""
        connection = context.connection
        project = None
        if self.deploy_check is not None:
            request = replace(self.deploy_check, release_version=self.request.version)
            deployment = plan_deployment(connection, request, need_release=False)
            check_deployment_lifecycle(
                connection, deployment, request, channel=self.request.channel
            )
            project = deployment.project
        project = project or find_project(connection, self.request.project)
        selection = self.request
        if self.external:
            steps = step_feeds(connection, project)
            selection = external_selection(selection, steps, self.external)
        if not (selection.version and find_release(connection, project, selection.version)):
            # Octopus would refuse these packages: say so before anything is created (an
            # existing release is used as it is). What this run pushed counts as in the feed
            # (the external feeds were asked already, CheckExternalFeeds).
            pushed = [(p.id, p.version) for p in report.packages]
            pushed += [(e.feed_package_id, e.version) for e in self.external]
            check_release_packages(
                connection, project, selection, present=pushed, pushed_ids=[i for i, _ in pushed]
            )
        release = create_release(connection, selection, project=project)
        if context.dry_run:
            verb = "would be created" if release.created else "exists, would be used"
            context.reporter.say(f"release {release.project} {release.version} {verb}")
        else:
            context.reporter.say(release_line(release))
        return report.replace(release=release)
