"""``octoci release create|deploy|promote``: releases and deployments through the Executions API.

The release and deployment options (project, channel, tenants, prompted variables, guided
failure, scheduling, steps to skip, targets ...) come from the settings table, as publish's do,
and :mod:`octoci.settings.requests` turns them into the request; shared with ``octoci runbook
run``: the waiting options (``--wait``, ``--timeout``, ``--progress``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
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

if TYPE_CHECKING:
    from octoci.config import ResolvedConfig
    from octoci.model import RunReport
    from octoci.octopus.git_refs import GitChoice
    from octoci.settings import Settings
    from octoci.steps.plan import Step
    from octoci.steps.wait import WaitOptions

__all__ = [
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
    """``--config`` and ``command``'s settings from the settings table (the release and
    deployment options, ``--wait`` and its timeout, polling and cancelling), then
    ``--progress``."""

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
@click.option(
    "--version",
    "--releaseNumber",
    "release_version",
    default="",
    help="Release version (default: the project's rule).",
)
@click.option(
    "--package-version",
    "--default-package-version",
    "--packageVersion",
    "--defaultPackageVersion",
    "package_version",
    default="",
    help="One version for every package step.",
)
@click.option(
    "--package",
    "packages",
    multiple=True,
    metavar="STEP:VERSION",
    help="Version of one package step (repeatable): StepName:Version, PackageId:Version or "
    "StepName:PackageName:Version.",
)
@click.option(
    "--deploy-to",
    "deploy_to",
    multiple=True,
    metavar="ENVIRONMENT",
    help="Then deploy it here (repeatable). Every name, and the lifecycle, is checked before the "
    "release is created.",
)
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
    from octoci.settings.requests import check_no_deploy_options, deploy_request, release_request
    from octoci.steps.deploy import Deploy
    from octoci.steps.release import CreateRelease

    config = resolve_settings(state, "release create", options)
    git = git_choice(state, config.settings)
    request = release_request(
        config,
        version=str(options["release_version"]),
        package_version=str(options["package_version"]).strip(),
        packages=tuple(options["packages"]),
        # The build's ref: the default of a version-controlled project (the settings' win).
        build_git_ref=git.build_ref,
        build_git_commit=git.build_commit,
    )
    if not options["deploy_to"]:
        check_no_deploy_options(config, "--deploy-to")
        run_task_steps(state, options, config, [CreateRelease(request)], with_release=True)
        return
    deploy = deploy_request(config, options["deploy_to"], version=request.version)
    wait = wait_request(options, config.settings)
    steps: list[Step] = [
        CreateRelease(request, deploy),
        Deploy(deploy, wait, redeploy=bool(options["redeploy"])),
    ]
    run_task_steps(state, options, config, steps, with_release=True)


@release.command("deploy")
@click.option(
    "--version",
    "--releaseNumber",
    "release_version",
    required=True,
    help="The release version to deploy.",
)
@click.option(
    "--environment",
    "--env",
    "--deployTo",
    "environments",
    multiple=True,
    required=True,
    metavar="NAME",
    help="Environment (repeatable; with tenants, each environment is deployed for each tenant).",
)
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
    from octoci.settings.requests import deploy_request
    from octoci.steps.deploy import Deploy

    config = resolve_settings(state, "release deploy", options)
    request = deploy_request(
        config, options["environments"], version=str(options["release_version"])
    )
    step = Deploy(
        request, wait_request(options, config.settings), redeploy=bool(options["redeploy"])
    )
    run_task_steps(state, options, config, [step])


@release.command("promote")
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
    from octoci.settings.requests import deploy_request
    from octoci.steps.deploy import Promote

    config = resolve_settings(state, "release promote", options)
    request = deploy_request(config, options["targets"])
    step = Promote(
        request,
        source=str(options["source"]),
        latest_successful=bool(options["latest_successful"]),
        wait=wait_request(options, config.settings),
        redeploy=bool(options["redeploy"]),
    )
    run_task_steps(state, options, config, [step], with_release=True)


# The read commands live in their own module (octoci.cli.release_read), only click at import.
from octoci.cli.release_read import list_releases, show_release  # noqa: E402

release.add_command(list_releases)
release.add_command(show_release)
