"""``octoci release create|deploy|promote``: releases and deployments through the Executions API.

Shared with ``octoci runbook run``: the deployment options (tenants, tags, prompted variables,
guided failure, scheduling) and the waiting options (``--wait``, ``--timeout``, ``--progress``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from octoci.cli.octopus_options import (
    connection_options,
    octopus_options,
    open_connection,
    run_steps,
)
from octoci.cli.options import json_option, resolve_settings, settings_options
from octoci.cli.state import AppState, get_state
from octoci.errors import InputError

if TYPE_CHECKING:
    from octoci.config import ResolvedConfig
    from octoci.model import RunReport
    from octoci.octopus.executions import DeployRequest
    from octoci.octopus.git_refs import GitChoice
    from octoci.settings import Settings
    from octoci.steps.plan import Step
    from octoci.steps.wait import WaitOptions

__all__ = [
    "deploy_options",
    "git_choice",
    "redeploy_option",
    "release",
    "run_task_steps",
    "wait_options",
    "wait_request",
]

F = TypeVar("F", bound=Callable[..., Any])


def _decorate(function: F, decorators: Sequence[Callable[[F], F]]) -> F:
    for decorator in reversed(decorators):
        function = decorator(function)
    return function


def deploy_options(function: F) -> F:
    """Tenants, tenant tags, prompted variables, guided failure, package download, deploy-at."""
    return _decorate(
        function,
        [
            click.option(
                "--tenant",
                "tenants",
                multiple=True,
                metavar="NAME",
                help="Deploy for this tenant (repeatable; '*' is every connected tenant).",
            ),
            click.option(
                "--tenant-tag",
                "tenant_tags",
                multiple=True,
                metavar="SET/TAG",
                help="Deploy for the tenants with this tag (repeatable), e.g. Tier/Gold.",
            ),
            click.option(
                "--variable",
                "variables",
                multiple=True,
                metavar="NAME:VALUE",
                help="A prompted variable (repeatable); the value may contain ':'.",
            ),
            click.option(
                "--guided-failure/--no-guided-failure",
                default=None,
                help="Use guided failure (default: the environment's setting).",
            ),
            click.option(
                "--force-package-download",
                is_flag=True,
                help="Download packages again even if already on the targets.",
            ),
            click.option(
                "--deploy-at",
                metavar="DATETIME",
                default="",
                help="Queue for later: ISO 8601, e.g. 2026-12-01T22:00:00+01:00 (no offset: local).",
            ),
        ],
    )


def redeploy_option(function: F) -> F:
    """``--redeploy``: deploy again where this release is already deployed."""
    return click.option(
        "--redeploy",
        is_flag=True,
        help="Deploy even where this release already has a queued, running or successful "
        "deployment (by default such environments and tenants are not deployed again, so a "
        "re-run of a CI job deploys nothing new).",
    )(function)


def wait_options(command: str) -> Callable[[F], F]:
    """``--config`` and ``command``'s settings from the settings table (``--wait`` and its
    timeout, polling and cancelling), then ``--progress``."""

    def decorate(function: F) -> F:
        return _decorate(
            function,
            [
                settings_options(command),
                click.option(
                    "--progress",
                    is_flag=True,
                    help="Stream the task logs while waiting (implies --wait).",
                ),
            ],
        )

    return decorate


def deploy_request(
    options: dict[str, Any], project: str, environments: Sequence[str], version: str = ""
) -> DeployRequest:
    """The :class:`~octoci.octopus.executions.DeployRequest` the shared options describe."""
    from datetime import datetime

    from octoci.octopus.executions import DeployRequest, parse_variables

    run_at = ""
    if options.get("deploy_at"):
        text = str(options["deploy_at"]).strip()
        try:
            when = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise InputError(
                f"--deploy-at {text!r} is not an ISO 8601 date and time "
                "(e.g. 2026-12-01T22:00:00+01:00)"
            ) from None
        run_at = (when if when.tzinfo else when.astimezone()).isoformat()
    return DeployRequest(
        project=project,
        environments=tuple(e for e in environments if e.strip()),
        release_version=version,
        tenants=tuple(options.get("tenants") or ()),
        tenant_tags=tuple(options.get("tenant_tags") or ()),
        variables=parse_variables(options.get("variables") or ()),
        guided_failure=options.get("guided_failure"),
        force_package_download=bool(options.get("force_package_download")),
        run_at=run_at,
    )


def git_choice(state: AppState, settings: Settings) -> GitChoice:
    """The ``git_ref``/``git_commit`` settings and, when no ref is given, the build's branch or
    tag as the default (used only for a version-controlled project)."""
    from octoci.model import CaptureOptions
    from octoci.octopus.git_refs import GitChoice, build_git_reference

    ref, commit = settings.git_ref.strip(), settings.git_commit.strip()
    build_ref = build_commit = ""
    if not ref:
        # The branch and commit only: no commit list is fetched for this.
        info = state.plugin_manager.capture(state.server, CaptureOptions(fetch_commits=False))
        build_ref, build_commit = build_git_reference(info)
    return GitChoice(ref, commit, build_ref, build_commit)


def wait_request(options: dict[str, Any], settings: Settings) -> WaitOptions | None:
    """How to wait, from the :func:`wait_options` settings (``None``: no ``--wait``;
    ``--progress`` implies it)."""
    from octoci.steps.wait import WaitOptions

    if not (settings.wait or options.get("progress")):
        return None
    return WaitOptions(
        timeout=settings.timeout,
        poll_interval=settings.poll_interval,
        cancel_on_timeout=settings.cancel_on_timeout,
        logs=bool(options.get("progress")),
    )


def run_task_steps(
    state: AppState,
    options: dict[str, Any],
    config: ResolvedConfig,
    steps: Sequence[Step],
    *,
    with_release: bool = False,
) -> None:
    """Run steps that queue server tasks; ``--json``: ``{"Tasks": [...]}``, with the
    ``Release`` first when ``with_release``."""

    def document(report: RunReport) -> dict[str, Any]:
        data: dict[str, Any] = {}
        if with_release:
            data["Release"] = report.release.to_json() if report.release else None
        data["Tasks"] = [d.to_json() for d in report.deployments]
        return data

    connection = open_connection(state, connection_options(options, config))
    try:
        run_steps(state, connection, steps, as_json=bool(options["as_json"]), document=document)
    finally:
        connection.close()


@click.group()
def release() -> None:
    """Create, deploy and promote releases (Octopus Server 2022.3.5512 or later)."""


@release.command("create")
@click.option("--project", required=True, help="Project name (or id, or slug).")
@click.option(
    "--version",
    "release_version",
    default="",
    help="Release version (default: the project's rule).",
)
@click.option("--channel", default="", help="Channel (default: the best one for the packages).")
@click.option("--package-version", default="", help="One version for every package step.")
@click.option(
    "--package",
    "packages",
    multiple=True,
    metavar="STEP:VERSION",
    help="Version of one package step (repeatable): StepName:Version, PackageId:Version or "
    "StepName:PackageName:Version.",
)
@click.option("--release-notes", default="", help="Release notes (Markdown).")
@click.option(
    "--release-notes-file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Read the release notes from this UTF-8 file.",
)
@click.option(
    "--ignore-if-exists", is_flag=True, help="Succeed with the existing release of that version."
)
@click.option(
    "--deploy-to",
    "deploy_to",
    multiple=True,
    metavar="ENVIRONMENT",
    help="Then deploy it here (repeatable). Every name, and the lifecycle, is checked before the "
    "release is created.",
)
@deploy_options
@redeploy_option
@wait_options("release create")
@octopus_options
@json_option
@click.pass_context
def create(ctx: click.Context, /, **options: Any) -> None:
    """Create a release, and optionally deploy it (--deploy-to) and wait.

    With --json: {"Release": {Project, Version, Id, Created, Url}, "Tasks": [...]}.
    """
    state = get_state(ctx)
    from octoci.files import read_text_file
    from octoci.octopus.executions import ReleaseRequest, validate_release_request
    from octoci.steps.deploy import Deploy
    from octoci.steps.release import CreateRelease

    notes = str(options["release_notes"])
    notes_file = options["release_notes_file"]
    if notes_file is not None:
        if notes:
            raise InputError("pass --release-notes or --release-notes-file, not both")
        path = notes_file if notes_file.is_absolute() else state.cwd / notes_file
        notes = read_text_file(path, "the release notes file")
    request = ReleaseRequest(
        project=str(options["project"]),
        version=str(options["release_version"]).strip(),
        channel=str(options["channel"]).strip(),
        package_version=str(options["package_version"]).strip(),
        packages=tuple(options["packages"]),
        release_notes=notes,
        ignore_if_exists=bool(options["ignore_if_exists"]),
    )
    config = resolve_settings(state, "release create", options)
    git = git_choice(state, config.settings)
    request = replace(request, git_ref=git.ref, git_commit=git.commit)
    request = replace(request, build_git_ref=git.build_ref, build_git_commit=git.build_commit)
    validate_release_request(request)
    deploy = deploy_request(options, request.project, options["deploy_to"], request.version)
    if not options["deploy_to"] and (deploy.tenants or deploy.tenant_tags or deploy.variables):
        raise InputError("--tenant, --tenant-tag and --variable need --deploy-to")
    steps: list[Step] = [CreateRelease(request, deploy if deploy.environments else None)]
    if deploy.environments:
        wait = wait_request(options, config.settings)
        steps.append(Deploy(deploy, wait, redeploy=bool(options["redeploy"])))
    run_task_steps(state, options, config, steps, with_release=True)


@release.command("deploy")
@click.option("--project", required=True, help="Project name (or id, or slug).")
@click.option("--version", "release_version", required=True, help="The release version to deploy.")
@click.option(
    "--environment",
    "environments",
    multiple=True,
    required=True,
    metavar="NAME",
    help="Environment (repeatable; with tenants, each environment is deployed for each tenant).",
)
@deploy_options
@redeploy_option
@wait_options("release deploy")
@octopus_options
@json_option
@click.pass_context
def deploy(ctx: click.Context, /, **options: Any) -> None:
    """Deploy a release to environments, untenanted or for tenants and tenant tags.

    With --json: {"Tasks": [{ServerTaskId, EnvironmentName, TenantName, DeploymentId, State,
    Url}]}.
    """
    state = get_state(ctx)
    from octoci.steps.deploy import Deploy

    request = deploy_request(
        options, str(options["project"]), options["environments"], str(options["release_version"])
    )
    config = resolve_settings(state, "release deploy", options)
    step = Deploy(
        request, wait_request(options, config.settings), redeploy=bool(options["redeploy"])
    )
    run_task_steps(state, options, config, [step])


@release.command("promote")
@click.option("--project", required=True, help="Project name (or id, or slug).")
@click.option(
    "--from", "source", required=True, metavar="ENVIRONMENT", help="Promote what is deployed here."
)
@click.option(
    "--to",
    "targets",
    multiple=True,
    metavar="ENVIRONMENT",
    help="Deploy it here (repeatable; default: the next environments of its lifecycle).",
)
@click.option(
    "--latest-successful",
    is_flag=True,
    help="Take the newest release deployed successfully to --from (default: the newest deployed).",
)
@deploy_options
@redeploy_option
@wait_options("release promote")
@octopus_options
@json_option
@click.pass_context
def promote(ctx: click.Context, /, **options: Any) -> None:
    """Promote the release in one environment to the next (or to --to).

    With --json: {"Release": {Project, Version, Id, Created, Url}, "Tasks": [...]}.
    """
    state = get_state(ctx)
    from octoci.steps.deploy import Promote

    request = deploy_request(options, str(options["project"]), options["targets"])
    config = resolve_settings(state, "release promote", options)
    step = Promote(
        request,
        source=str(options["source"]),
        latest_successful=bool(options["latest_successful"]),
        wait=wait_request(options, config.settings),
        redeploy=bool(options["redeploy"]),
    )
    run_task_steps(state, options, config, [step], with_release=True)
