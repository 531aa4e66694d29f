"""``octoci publish``: the main job - pack, push packages and build information, create a release,
deploy (and promote) it, wait, and hand outputs and a summary to the build server.

The options are built from the settings table (:class:`octoci.settings.Settings`), which also generates the
configuration reference, so flags, variables, file keys and docs cannot disagree. Only click and
the standard library load here; the pipeline (and ``requests``) loads when the command runs.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import click

from octoci.cli.octopus_options import octopus_options
from octoci.cli.options import (
    capture_options,
    json_option,
    make_capture_options,
    resolve_settings,
    settings_options,
)
from octoci.cli.state import AppState, get_state

if TYPE_CHECKING:
    from octoci.config import ResolvedConfig
    from octoci.model import RunReport
    from octoci.octopus.connection import Connection
    from octoci.octopus.preflight import ServerCheck
    from octoci.progress import Progress
    from octoci.publish.pipeline import PublishPlan
    from octoci.steps.head_start import HeadStart
    from octoci.steps.reporter import Reporter

__all__ = ["publish"]


@click.command()
@settings_options("publish")
@click.option(
    "--dry-run",
    is_flag=True,
    help="Check everything against the server and print the exact requests; change nothing.",
)
@click.option(
    "--emulator",
    is_flag=True,
    help="Run against a temporary embedded Octopus emulator seeded with the project and "
    "environments named (no Octopus server needed).",
)
@click.option(
    "--keep-emulator",
    is_flag=True,
    help="With --emulator: keep it serving after the run, until Ctrl-C or SIGTERM, to look at "
    "the links.",
)
@capture_options
@octopus_options
@json_option
@click.pass_context
def publish(ctx: click.Context, /, **options: Any) -> None:
    """Pack, push packages and build information, create a release, deploy, wait, report.

    Settings come from flags, then OCTOCI_* variables, then octoci.toml (or [tool.octoci] in
    pyproject.toml), then the build server; see docs/reference/configuration.md. Nothing is
    created until every setting, file and name has been checked. Exit codes: 0 ok, 1 Octopus
    refused or failed, 2 bad input, 3 a deployment failed, 4 waiting timed out.
    """
    state = get_state(ctx)
    _run(state, options)


def _run(state: AppState, options: dict[str, Any]) -> None:
    from dataclasses import replace

    from octoci.cli.octopus_options import make_progress
    from octoci.errors import InputError
    from octoci.packaging.reproducible import timestamp_from_env
    from octoci.publish.pipeline import plan_publish
    from octoci.repositories.registry import open_repositories, routing_for

    if options["keep_emulator"] and not options["emulator"]:
        raise InputError("--keep-emulator needs --emulator")
    server = state.server
    emulated = bool(options["emulator"])
    config = resolve_settings(
        state,
        "publish",
        options,
        server_defaults={
            "artifact_paths": tuple(str(p) for p in server.artifact_roots()),
            "poll_interval": 0.25 if emulated else None,
        },
    )
    if emulated and config.sources["octopus_url"] == "flag":
        raise InputError("pass --octopus-url or --emulator, not both")
    try:
        timestamp = timestamp_from_env(state.env)
    except ValueError as exc:
        raise InputError(str(exc)) from None
    capture = make_capture_options(
        options["commit_range"], options["no_commits"], options["strict"], options["max_commits"]
    )
    # Where each package goes, checked (and its secrets masked) before anything is read.
    repositories = open_repositories(
        state.plugin_manager, config, state.env, server=server, redactor=state.redactor
    )
    routing = routing_for(config, repositories)
    plan = plan_publish(config, state.plugin_manager, server, capture, timestamp=timestamp)
    plan = replace(plan, routing=routing)
    progress = make_progress(state)
    # The first package is written while Octopus is checked; it is renamed into place only
    # once every check has passed (octoci.steps.head_start).
    head = None
    if plan.to_pack and not options["dry_run"]:
        from octoci.steps.head_start import HeadStart
        from octoci.steps.pack_push import packing_order

        head = HeadStart.begin(packing_order(plan.to_pack, ())[0], progress)
    try:
        _check_and_execute(state, config, options, plan, emulated, progress, head)
    finally:
        if head is not None:
            head.cancel()  # a no-op once the pack-and-push step took it


def _check_and_execute(
    state: AppState,
    config: ResolvedConfig,
    options: dict[str, Any],
    plan: PublishPlan,
    emulated: bool,
    progress: Progress,
    head: HeadStart | None,
) -> None:
    from octoci.cli.octopus_options import make_reporter
    from octoci.octopus.preflight import check_server
    from octoci.publish.pipeline import execute

    reporter = make_reporter(state, bool(options["as_json"]))
    emulator = None
    if emulated:
        from octoci.publish.emulated import start_publish_emulator

        emulator = start_publish_emulator(config, plan.package_ids, state.plugin_manager)
        config = config.override("octopus_url", emulator.url, "--emulator")
        reporter.say(f"started an Octopus emulator at {emulator.url} for this run")
    try:
        connection = _connect(state, config, options, emulator)
        try:
            check = check_server(connection, plan.needs(check_permissions=emulator is None))
            if check.release_creation is not None:
                _refuse_what_octopus_would_not_get(connection, config, plan, check)
            _announce(reporter, plan, check, connection, options["dry_run"])
            report, failure = execute(
                plan,
                connection,
                reporter,
                dry_run=bool(options["dry_run"]),
                concurrency=config.settings.concurrency,
                delta=config.settings.delta,
                progress=progress,
                timeout=config.settings.timeout,
                poll_interval=config.settings.poll_interval,
                cancel_on_timeout=config.settings.cancel_on_timeout,
                release_creation=check.release_creation,
                release_existed=check.release_exists,
                head_start=head,
            )
            _finish(state, reporter, config, plan, check, report, options, emulator)
        finally:
            connection.close()
    finally:
        if emulator is not None:
            emulator.stop()
    if failure is not None:
        raise failure


def _connect(
    state: AppState, config: ResolvedConfig, options: dict[str, Any], emulator: Any
) -> Connection:
    from octoci.cli.octopus_options import connection_options, open_connection

    if emulator is None:
        # The file may name the server and space; flags and variables already won in config.
        return open_connection(state, connection_options(options, config))
    from octoci.octopus.connection import Connection
    from octoci.octopus.settings import OctopusSettings

    # The emulator's key is a fixed, public test key; the job's real credentials stay unused.
    emulator_settings = OctopusSettings(
        url=emulator.url,
        api_key=emulator.api_key,
        space=config.settings.space,
        user_agent_extra=f"ci/{state.server.name}",
    )
    return Connection(emulator_settings, redactor=state.redactor)


def _refuse_what_octopus_would_not_get(
    connection: Connection, config: ResolvedConfig, plan: PublishPlan, check: ServerCheck
) -> None:
    """With automatic release creation Octopus creates the release and deploys it by its
    lifecycle: a release option, or a deployment option for an environment the lifecycle
    deploys by itself, would never reach it. Refused before anything is pushed (exit code 2)."""
    from octoci.errors import InputError
    from octoci.octopus.executions import find_project
    from octoci.octopus.release_creation import predicted_automatic_environments
    from octoci.settings.requests import given_deploy_options, given_release_options

    creation = check.release_creation
    assert creation is not None
    lost = given_release_options(config.settings)
    where = ""
    deploy_options = given_deploy_options(config.settings, tenants=False)
    if plan.deploy is not None and deploy_options:
        project = find_project(connection, creation.project)
        automatic = predicted_automatic_environments(connection, project, creation.channel_name)
        chosen = [
            e for e in plan.deploy.environments if e.lower() in {a.lower() for a in automatic}
        ]
        if chosen:
            lost += deploy_options
            where = f", and deploys it to {', '.join(chosen)} by its lifecycle"
    if lost:
        raise InputError(
            f"{', '.join(lost)} would not reach Octopus: {creation.project} creates its release "
            f"itself when {creation.package_id} is pushed (automatic release creation){where}; "
            "leave them out, or set them in the project"
        )


def _announce(
    reporter: Reporter,
    plan: PublishPlan,
    check: ServerCheck,
    connection: Connection,
    dry_run: bool,
) -> None:
    ids = ", ".join(plan.package_ids)
    space = f"space {check.space_name or check.space_id}" if check.space_id else "no spaces"
    prefix = "dry run: would publish" if dry_run else "publishing"
    reporter.say(f"{prefix} {ids} {plan.version} to {connection.settings.url} ({space})")
    for note in check.notes:
        reporter.say(note)


def _finish(
    state: AppState,
    reporter: Reporter,
    config: ResolvedConfig,
    plan: PublishPlan,
    check: ServerCheck,
    report: RunReport,
    options: dict[str, Any],
    emulator: Any,
) -> None:
    from octoci.cli.octopus_options import has_results
    from octoci.local_octopus import sigterm_as_interrupt
    from octoci.settings.requests import masked_request_body

    dry_run = report.dry_run
    reporter.document(_json_document(config, plan, report))
    # A dry run that failed part-way would list a half of the requests: the error says it all.
    if dry_run and not options["as_json"] and report.exit_code == 0:
        reporter.say("settings (name = value  [source]):")
        for row in config.describe():
            value = row["Value"]
            shown = ", ".join(value) if isinstance(value, list) else value
            reporter.say(f"  {row['Name']} = {shown}  [{row['Source']}]")
        reporter.say("requests a real run would send (nothing was sent):")
        for payload in report.requests:
            query = "&".join(f"{k}={v}" for k, v in (payload.get("Query") or {}).items())
            reporter.say(f"{payload['Method']} {payload['Path']}{'?' + query if query else ''}")
            body = masked_request_body(payload["Body"])
            state.echo(json.dumps(body, indent=2, ensure_ascii=False))
    # With --json the adapter writes to standard error: the outputs never mix with the document.
    if not dry_run and (report.exit_code == 0 or has_results(report)):
        reporter.hand_over(report)
    if emulator is not None and not dry_run:
        _emulator_links(reporter, emulator, check, report)
        if options["keep_emulator"]:
            # SIGTERM stops it like Ctrl-C does (a CI runner or `kill`; a shell that started us
            # in the background ignores SIGINT for us).
            try:
                with sigterm_as_interrupt():
                    reporter.say(
                        f"the emulator keeps serving at {emulator.url}; press Ctrl-C to stop it"
                    )
                    emulator.serve_forever()
            except KeyboardInterrupt:
                reporter.say("emulator stopped")


def _emulator_links(
    reporter: Reporter, emulator: Any, check: ServerCheck, report: RunReport
) -> None:
    """What happened: the release and deployments as pages of the emulator's web view (the
    links a real Octopus would show), packages and build information as API links."""
    from octoci.octopus.links import api_links

    links = api_links(emulator.url, check.space_id)
    # The emulator's API key is masked like any key; `octoci emulator --help` documents it.
    reporter.say(
        f"what happened, in the emulator's web view at {emulator.url}/app (sign in with its "
        "API key, see 'octoci emulator --help') and its API:"
    )
    if report.release is not None:
        reporter.say(f"  release {report.release.version}: {report.release.url}")
    for deployment in report.deployments:
        reporter.say(f"  deployment to {deployment.label}: {deployment.state}, {deployment.url}")
    for package in report.packages:
        reporter.say(
            f"  package {package.id} {package.version}: "
            f"{links.package(package.id, package.version)}"
        )
    for package_id in report.build_information_pushed:
        reporter.say(f"  build information for {package_id}: {links.build_information(package_id)}")


def _json_document(config: ResolvedConfig, plan: PublishPlan, report: RunReport) -> dict[str, Any]:
    data: dict[str, Any] = {
        "DryRun": report.dry_run,
        "Version": plan.version,
        "Packages": [p.to_json() for p in report.packages],
        "BuildInformation": {
            "PackageIds": list(report.build_information_pushed),
            "Commits": len(plan.info.commits),
            "Sent": plan.info.to_octopus(),
            "Results": [r.to_json() for r in report.build_information_records],
        },
        "Release": report.release.to_json() if report.release is not None else None,
        "Deployments": [d.to_json() for d in report.deployments],
        "Settings": config.describe(),
    }
    if report.dry_run:
        from octoci.settings.requests import masked_request_body

        # Prompted variables may be secrets: their values never reach the output.
        data["Requests"] = [
            {**r, "Body": masked_request_body(r.get("Body"))} for r in report.requests
        ]
    return data
