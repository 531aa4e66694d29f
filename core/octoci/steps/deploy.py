"""Deploy a release, promote one, run a runbook: each queues server tasks, announces them and,
when asked, waits for them (:mod:`octoci.steps.wait`)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import ClassVar

from octoci.model import Deployment, RunReport
from octoci.octopus.executions import (
    DeployRequest,
    deploy_release,
    plan_deployment,
    promote_release,
    run_runbook,
)
from octoci.octopus.git_refs import GitChoice
from octoci.steps.plan import StepContext
from octoci.steps.wait import WaitOptions, finish_deployments

__all__ = ["Deploy", "Promote", "RunRunbook"]


@dataclass(frozen=True)
class Deploy:
    """Deploy the report's release (else ``request.release_version``) to ``request``'s
    environments. ``verb`` names the phase: ``Deploying``, or ``Promoting`` for a promotion that
    follows a deployment in the same run."""

    request: DeployRequest
    wait: WaitOptions | None = None
    redeploy: bool = False
    verb: str = "Deploying"

    @property
    def phase(self) -> str:
        """``deploy``, or ``promote`` for a promotion."""
        return "promote" if self.verb == "Promoting" else "deploy"

    def _request(self, report: RunReport) -> DeployRequest:
        if report.release is None:
            return self.request
        return replace(
            self.request, project=report.release.project, release_version=report.release.version
        )

    def title(self, report: RunReport) -> str:
        """``Deploying Shop 1.2.3 to Dev, Test``."""
        request = self._request(report)
        where = ", ".join(request.environments)
        return f"{self.verb} {request.project} {request.release_version} to {where}"

    def run(self, context: StepContext, report: RunReport) -> RunReport:
        """Queue the deployments (not again where the release is deployed, unless
        ``redeploy``; never where Octopus deployed it by itself), announce them, and wait when
        asked."""
        connection = context.connection
        request = self._request(report)
        reporter = context.reporter
        promoting = self.verb == "Promoting"
        automatic, report = _take_automatic(report, request.environments)
        if automatic:
            taken = {d.environment.lower() for d in automatic}
            for deployment in automatic:
                reporter.say(
                    f"{deployment.environment}: "
                    + ("Octopus would deploy there by itself" if context.dry_run else "following")
                    + " the lifecycle's automatic deployment instead of deploying again"
                )
            rest = tuple(e for e in request.environments if e.lower() not in taken)
            if not rest:
                if context.dry_run:
                    return report.replace(deployments=(*report.deployments, *automatic))
                return finish_deployments(context, report, automatic, self.wait)
            request = replace(request, environments=rest)
        # In a dry run the release was never created (unless it existed before).
        plan = plan_deployment(connection, request, need_release=not context.dry_run)
        deployments = deploy_release(
            connection,
            request,
            plan=plan,
            redeploy=self.redeploy,
            # A dry run's promotion follows a deployment that was never made: no prediction.
            lifecycle_check=not (context.dry_run and promoting),
        )
        if context.dry_run:
            already = [d for d in deployments if d.origin == "existing"]
            for deployment in already:
                reporter.say(deployment.announcement())
            if len(already) < len(deployments) or not already:
                reporter.say(f"would deploy to {', '.join(request.environments)}")
            return report.replace(deployments=(*report.deployments, *automatic))
        for deployment in deployments:
            reporter.say(deployment.announcement())
        return finish_deployments(context, report, [*automatic, *deployments], self.wait)


def _take_automatic(
    report: RunReport, environments: tuple[str, ...]
) -> tuple[list[Deployment], RunReport]:
    """The deployments Octopus started by itself (automatic release creation) in
    ``environments``, and the report without them (the deploy step adds them back with the
    states it waited for)."""
    wanted = {e.lower() for e in environments}
    automatic = [
        d for d in report.deployments if d.origin == "automatic" and d.environment.lower() in wanted
    ]
    kept = tuple(d for d in report.deployments if d not in automatic)
    return automatic, report.replace(deployments=kept) if automatic else report


@dataclass(frozen=True)
class Promote:
    """``octoci release promote``: deploy what is in ``source`` to ``request``'s environments
    (or the next ones of its lifecycle)."""

    request: DeployRequest
    source: str
    latest_successful: bool = False
    wait: WaitOptions | None = None
    redeploy: bool = False
    phase: ClassVar[str] = "promote"

    def title(self, report: RunReport) -> str:
        """``Promoting Shop from Dev``."""
        return f"Promoting {self.request.project} from {self.source}"

    def run(self, context: StepContext, report: RunReport) -> RunReport:
        """Find the release, deploy it, announce, and wait when asked."""
        release, deployments = promote_release(
            context.connection,
            self.request,
            source=self.source,
            latest_successful=self.latest_successful,
            redeploy=self.redeploy,
        )
        context.reporter.say(f"promoting {release.project} {release.version} from {self.source}")
        for deployment in deployments:
            context.reporter.say(deployment.announcement())
        return finish_deployments(context, report.replace(release=release), deployments, self.wait)


@dataclass(frozen=True)
class RunRunbook:
    """Run a runbook (its published snapshot, or ``snapshot``) in ``request``'s environments."""

    request: DeployRequest
    runbook: str
    snapshot: str = ""
    wait: WaitOptions | None = None
    git: GitChoice = field(default_factory=GitChoice)
    """The Git ref of a runbook kept in Git (see :mod:`octoci.octopus.git_refs`)."""
    phase: ClassVar[str] = "runbook"

    def title(self, report: RunReport) -> str:
        """``Running runbook Backup of Shop in Dev``."""
        where = ", ".join(self.request.environments)
        return f"Running runbook {self.runbook} of {self.request.project} in {where}"

    def run(self, context: StepContext, report: RunReport) -> RunReport:
        """Queue the runs, announce them, and wait when asked."""
        runs = run_runbook(
            context.connection,
            self.request,
            runbook=self.runbook,
            snapshot=self.snapshot,
            git=self.git,
        )
        for run in runs:
            context.reporter.say(run.announcement())
        return finish_deployments(context, report, runs, self.wait)
