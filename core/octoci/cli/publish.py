"""``octoci publish``: the main job - pack, push packages and build information, create a release,
deploy (and promote) it, wait, and hand outputs and a summary to the build server.

The options are built from the settings table (:class:`octoci.settings.Settings`), which also generates the
configuration reference, so flags, variables, file keys and docs cannot disagree. Only click and
the standard library load here; the pipeline (and ``requests``) loads when the command runs.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TextIO

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
    from octoci.config import PublishConfig
    from octoci.octopus.connection import Connection
    from octoci.publish.pipeline import PublishOutcome, PublishPlan, ServerCheck

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
    from octoci.errors import InputError
    from octoci.packaging.reproducible import timestamp_from_env
    from octoci.publish.pipeline import Reporter, check_server, execute, plan_publish

    if options["keep_emulator"] and not options["emulator"]:
        raise InputError("--keep-emulator needs --emulator")
    server = state.server
    as_json = bool(options["as_json"])
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
    plan = plan_publish(config, state.plugin_manager, server, capture, timestamp=timestamp)

    def say(line: str) -> None:
        # With --json, standard output carries only the JSON document.
        if as_json:
            state.stderr.write(state.redactor(f"octoci: {line}") + "\n")
            state.stderr.flush()
        else:
            state.echo(line)
            # A CI log is a pipe: unflushed lines would appear only when the buffer fills.
            state.stdout.flush()

    emulator = None
    if emulated:
        from octoci.publish.emulated import start_publish_emulator

        emulator = start_publish_emulator(config, plan.package_ids, state.plugin_manager)
        config = config.override("octopus_url", emulator.url, "--emulator")
        say(f"started an Octopus emulator at {emulator.url} for this run")
    try:
        connection = _connect(state, config, options, emulator)
        try:
            check = check_server(connection, plan, permissions=emulator is None)
            _announce(say, plan, check, connection, options["dry_run"])
            outcome = execute(
                plan,
                connection,
                Reporter(server, say, live=_terminal(state)),
                dry_run=bool(options["dry_run"]),
                concurrency=config.settings.concurrency,
                delta=config.settings.delta,
                progress=_progress(state),
                timeout=config.settings.timeout,
                poll_interval=config.settings.poll_interval,
                cancel_on_timeout=config.settings.cancel_on_timeout,
            )
            _finish(state, say, config, plan, check, outcome, connection, options, emulator)
        finally:
            connection.close()
    finally:
        if emulator is not None:
            emulator.stop()


def _connect(
    state: AppState, config: PublishConfig, options: dict[str, Any], emulator: Any
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


def _terminal(state: AppState) -> TextIO | None:
    """Standard error when it is a terminal outside CI: where live displays may redraw."""
    # A CI log is no terminal: a live bar there would become thousands of lines.
    return state.stderr if state.stderr.isatty() and not state.env.get("CI") else None


def _progress(state: AppState) -> Any:
    from octoci.octopus.progress import Progress

    return Progress(state.stderr, live=_terminal(state) is not None, interval=10.0)


def _announce(
    say: Callable[[str], None],
    plan: PublishPlan,
    check: ServerCheck,
    connection: Connection,
    dry_run: bool,
) -> None:
    ids = ", ".join(plan.package_ids)
    space = f"space {check.space_name or check.space_id}" if check.space_id else "no spaces"
    prefix = "dry run: would publish" if dry_run else "publishing"
    say(f"{prefix} {ids} {plan.version} to {connection.settings.url} ({space})")
    for note in check.notes:
        say(note)


def _finish(
    state: AppState,
    say: Callable[[str], None],
    config: PublishConfig,
    plan: PublishPlan,
    check: ServerCheck,
    outcome: PublishOutcome,
    connection: Connection,
    options: dict[str, Any],
    emulator: Any,
) -> None:
    from octoci.cli.octopus_options import publish as hand_to_server
    from octoci.local_octopus import sigterm_as_interrupt

    report = outcome.report(state.server.name, connection, plan.info)
    dry_run = bool(options["dry_run"])
    if options["as_json"]:
        state.echo_json(_json_document(config, plan, outcome, report, dry_run))
    elif dry_run:
        say("settings (name = value  [source]):")
        for row in config.describe():
            value = row["Value"]
            shown = ", ".join(value) if isinstance(value, list) else value
            say(f"  {row['Name']} = {shown}  [{row['Source']}]")
        say("requests a real run would send (nothing was sent):")
        for payload in outcome.payloads:
            query = "&".join(f"{k}={v}" for k, v in (payload.get("Query") or {}).items())
            say(f"{payload['Method']} {payload['Path']}{'?' + query if query else ''}")
            state.echo(json.dumps(payload["Body"], indent=2, ensure_ascii=False))
    # With --json the adapter writes to standard error: the outputs never mix with the document.
    if not dry_run:
        extra = (
            {"server_task_ids": ",".join(t.task_id for t in outcome.tasks)} if outcome.tasks else {}
        )
        hand_to_server(state, report, extra)
    if emulator is not None and not dry_run:
        _emulator_links(say, emulator, check, outcome)
        if options["keep_emulator"]:
            # SIGTERM stops it like Ctrl-C does (a CI runner or `kill`; a shell that started us
            # in the background ignores SIGINT for us).
            try:
                with sigterm_as_interrupt():
                    say(f"the emulator keeps serving at {emulator.url}; press Ctrl-C to stop it")
                    emulator.serve_forever()
            except KeyboardInterrupt:
                say("emulator stopped")
    if outcome.failure is not None:
        raise outcome.failure


def _emulator_links(
    say: Callable[[str], None], emulator: Any, check: ServerCheck, outcome: PublishOutcome
) -> None:
    """What happened, as links into the emulator's API (it serves no web UI)."""
    api = f"{emulator.url}/api/{check.space_id}"
    # The emulator's API key is masked like any key; `octoci emulator --help` documents it.
    say(f"what happened, in the emulator's API at {emulator.url}:")
    for package in outcome.packages:
        say(
            f"  package {package.id} {package.version}: "
            f"{api}/packages/packages-{package.id}.{package.version}"
        )
    for package_id in outcome.build_information:
        say(f"  build information for {package_id}: {api}/build-information?packageId={package_id}")
    if outcome.release is not None:
        say(f"  release {outcome.release.version}: {api}/releases/{outcome.release.id}")
    for task in outcome.tasks:
        state = outcome.states.get(task.task_id, "Queued")
        say(f"  deployment to {task.environment}: {state}, {api}/tasks/{task.task_id}")


def _json_document(
    config: PublishConfig, plan: PublishPlan, outcome: PublishOutcome, report: Any, dry_run: bool
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "DryRun": dry_run,
        "Version": plan.version,
        "Packages": [
            {
                "PackageId": p.id,
                "Version": p.version,
                "Path": p.path.as_posix() if not dry_run else p.path.name,
                "Size": p.size,
                "Pushed": p.pushed,
            }
            for p in outcome.packages
        ],
        "BuildInformation": {
            "PackageIds": outcome.build_information,
            "Commits": len(plan.info.commits),
            "Sent": plan.info.to_octopus(),
        },
        "Release": None
        if outcome.release is None
        else {
            "Project": outcome.release.project,
            "Version": outcome.release.version,
            "Id": outcome.release.id,
            "Created": outcome.release.created,
            "Url": outcome.release.url,
        },
        "Deployments": [
            {
                "Environment": d.environment,
                "Tenant": d.tenant,
                "TaskId": d.task_id,
                "State": d.state,
                "Url": d.url,
            }
            for d in report.deployments
        ],
        "Settings": config.describe(),
    }
    if dry_run:
        data["Requests"] = outcome.payloads
    return data
