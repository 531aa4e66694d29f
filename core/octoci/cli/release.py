"""``octoci release create|deploy|promote``: releases and deployments through the Executions API.

Shared with ``octoci runbook run``: the deployment options (tenants, tags, prompted variables,
guided failure, scheduling) and the waiting options (``--wait``, ``--timeout``, ``--progress``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from octoci.cli.octopus_options import connection_options, octopus_options, open_connection, publish
from octoci.cli.options import json_option, resolve_settings, settings_options
from octoci.cli.state import AppState, get_state
from octoci.errors import InputError

if TYPE_CHECKING:
    from octoci.model import Release
    from octoci.octopus.connection import Connection
    from octoci.octopus.executions import DeployRequest, ServerTask
    from octoci.settings import Settings

__all__ = ["deploy_options", "finish_tasks", "redeploy_option", "release", "wait_options"]

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


def _say(state: AppState, options: dict[str, Any], line: str) -> None:
    # With --json, standard output carries only the JSON document.
    if options.get("as_json"):
        state.stderr.write(f"octoci: {line}\n")
        state.stderr.flush()
    else:
        state.echo(line)


def finish_tasks(
    state: AppState,
    connection: Connection,
    options: dict[str, Any],
    tasks: Sequence[ServerTask],
    *,
    settings: Settings,
    release: Release | None = None,
    extra_json: dict[str, Any] | None = None,
    announce: bool = True,
) -> None:
    """Report queued tasks; with ``--wait``, wait for them (streaming logs with ``--progress``);
    then publish outputs and ``--json``. A failed or timed-out wait still publishes the states,
    then ends with exit code 3 or 4."""
    import json

    from octoci.model import Deployment, RunReport
    from octoci.octopus.errors import TaskFailedError, TaskTimeoutError
    from octoci.octopus.tasks import TaskLog, TaskState, wait_for_tasks

    def label(task: ServerTask) -> str:
        return task.environment + (f"/{task.tenant}" if task.tenant else "")

    for task in tasks if announce else ():
        _say(state, options, task.announcement())
    states: dict[str, TaskState] = {}
    failure: Exception | None = None
    if settings.wait or options.get("progress"):
        by_id = {t.task_id: t for t in tasks}

        def changed(task_state: TaskState) -> None:
            states[task_state.id] = task_state
            where = label(by_id[task_state.id]) if task_state.id in by_id else ""
            waiting = (
                " - waiting for someone in Octopus (guided failure or manual intervention)"
                if task_state.interrupted
                else ""
            )
            _say(
                state,
                options,
                f"{task_state.id}{f' ({where})' if where else ''}: {task_state.state}{waiting}",
            )

        def write_log(line: str) -> None:
            _say(state, options, line)

        logs = (
            [TaskLog(connection, t.task_id, write_log, label(t)) for t in tasks]
            if options.get("progress")
            else []
        )
        try:
            wait_for_tasks(
                connection,
                [t.task_id for t in tasks],
                timeout=settings.timeout,
                poll_interval=settings.poll_interval,
                cancel_on_timeout=settings.cancel_on_timeout,
                on_change=changed,
                logs=logs,
            )
        except (TaskFailedError, TaskTimeoutError) as exc:
            failure = exc
    deployments = tuple(
        Deployment(
            # octoci task wait knows only task ids: the task's description names what it is.
            environment=t.environment
            or (states[t.task_id].description if t.task_id in states else ""),
            tenant=t.tenant,
            task_id=t.task_id,
            url=f"{connection.settings.url}/app#/{connection.space_id() or ''}/tasks/{t.task_id}",
            state=states[t.task_id].state if t.task_id in states else "Queued",
        )
        for t in tasks
    )
    report = RunReport(
        server=state.server.name,
        space=connection.space_id() or "",
        octopus_url=connection.settings.url,
        release=release,
        deployments=deployments,
    )
    extra = {
        "server_task_ids": ",".join(t.task_id for t in tasks),
        "server_tasks": json.dumps(
            [
                {
                    "serverTaskId": t.task_id,
                    "environmentName": t.environment,
                    "tenantName": t.tenant,
                }
                for t in tasks
            ]
        ),
    }
    if options.get("as_json"):
        data: dict[str, Any] = dict(extra_json or {})
        data["Tasks"] = [
            {**t.to_json(), "State": d.state} for t, d in zip(tasks, deployments, strict=True)
        ]
        state.echo_json(data)
    publish(state, report, extra)
    if failure is not None:
        raise failure


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
@click.option("--git-ref", default="", help="Version-controlled projects: the branch or tag.")
@click.option(
    "--git-commit", default="", help="Version-controlled projects: the commit (needs --git-ref)."
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
    from octoci.model import Release
    from octoci.octopus.executions import (
        ReleaseRequest,
        check_deployment_lifecycle,
        create_release,
        deploy_release,
        plan_deployment,
        validate_release_request,
    )

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
        git_ref=str(options["git_ref"]).strip(),
        git_commit=str(options["git_commit"]).strip(),
        release_notes=notes,
        ignore_if_exists=bool(options["ignore_if_exists"]),
    )
    validate_release_request(request)
    config = resolve_settings(state, "release create", options)
    deploy = deploy_request(options, request.project, options["deploy_to"], request.version)
    if not options["deploy_to"] and (deploy.tenants or deploy.tenant_tags or deploy.variables):
        raise InputError("--tenant, --tenant-tag and --variable need --deploy-to")
    connection = open_connection(state, connection_options(options, config))
    try:
        plan = (
            plan_deployment(connection, deploy, need_release=False) if deploy.environments else None
        )
        if plan is not None:
            # A refused environment must leave no release behind: check before creating it.
            check_deployment_lifecycle(connection, plan, deploy, channel=request.channel)
        result = create_release(connection, request, project=plan.project if plan else None)
        _say(
            state,
            options,
            f"release {result.project} {result.version} "
            f"{'created' if result.created else 'already existed'} ({result.id})",
        )
        model = Release(result.project, result.version, result.id, result.url, result.created)
        release_json = {
            "Project": result.project,
            "Version": result.version,
            "Id": result.id,
            "Created": result.created,
            "Url": result.url,
        }
        if plan is None:
            if options["as_json"]:
                state.echo_json({"Release": release_json, "Tasks": []})
            from octoci.model import RunReport

            publish(
                state,
                RunReport(
                    server=state.server.name,
                    space=connection.space_id() or "",
                    octopus_url=connection.settings.url,
                    release=model,
                ),
            )
            return
        from dataclasses import replace

        tasks = deploy_release(
            connection,
            replace(deploy, release_version=result.version),
            plan=plan,
            redeploy=bool(options["redeploy"]),
        )
        finish_tasks(
            state,
            connection,
            options,
            tasks,
            settings=config.settings,
            release=model,
            extra_json={"Release": release_json},
        )
    finally:
        connection.close()


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

    With --json: {"Tasks": [{ServerTaskId, EnvironmentName, TenantName, DeploymentId, State}]}.
    """
    state = get_state(ctx)
    from octoci.octopus.executions import deploy_release

    request = deploy_request(
        options, str(options["project"]), options["environments"], str(options["release_version"])
    )
    config = resolve_settings(state, "release deploy", options)
    connection = open_connection(state, connection_options(options, config))
    try:
        tasks = deploy_release(connection, request, redeploy=bool(options["redeploy"]))
        finish_tasks(state, connection, options, tasks, settings=config.settings)
    finally:
        connection.close()


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

    With --json: {"Release": {Project, Version}, "Tasks": [...]}.
    """
    state = get_state(ctx)
    from octoci.model import Release
    from octoci.octopus.executions import promote_release

    request = deploy_request(options, str(options["project"]), options["targets"])
    config = resolve_settings(state, "release promote", options)
    connection = open_connection(state, connection_options(options, config))
    try:
        version, tasks = promote_release(
            connection,
            request,
            source=str(options["source"]),
            latest_successful=bool(options["latest_successful"]),
            redeploy=bool(options["redeploy"]),
        )
        _say(state, options, f"promoting {request.project} {version} from {options['source']}")
        finish_tasks(
            state,
            connection,
            options,
            tasks,
            settings=config.settings,
            release=Release(request.project, version, created=False),
            extra_json={"Release": {"Project": request.project, "Version": version}},
        )
    finally:
        connection.close()
