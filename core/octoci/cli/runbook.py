"""``octoci runbook run``: run a runbook in environments (optionally for tenants) and wait."""

from __future__ import annotations

from typing import Any

import click

from octoci.cli.octopus_options import octopus_options
from octoci.cli.options import json_option, resolve_settings
from octoci.cli.release import git_choice, run_task_steps, wait_options, wait_request
from octoci.cli.state import get_state

__all__ = ["runbook"]


@click.group()
def runbook() -> None:
    """Run runbooks (Octopus Server 2022.3.5512 or later)."""


@runbook.command("run")
@click.option("--runbook", "runbook_name", required=True, help="Runbook name.")
@click.option(
    "--environment",
    "environments",
    multiple=True,
    required=True,
    metavar="NAME",
    help="Environment (repeatable).",
)
@click.option("--snapshot", default="", help="Snapshot name or id (default: the published one).")
@wait_options("runbook run")
@octopus_options
@json_option
@click.pass_context
def run(ctx: click.Context, /, **options: Any) -> None:
    """Run a runbook; with --wait, wait for every run and exit 3 if one fails.

    With --json: {"Tasks": [{ServerTaskId, EnvironmentName, TenantName, RunbookRunId, State,
    Url}]}.
    """
    state = get_state(ctx)
    from octoci.settings.requests import deploy_request
    from octoci.steps.deploy import RunRunbook

    config = resolve_settings(state, "runbook run", options)
    request = deploy_request(config, options["environments"])
    step = RunRunbook(
        request,
        runbook=str(options["runbook_name"]),
        snapshot=str(options["snapshot"]),
        wait=wait_request(options, config.settings),
        git=git_choice(state, config.settings),
    )
    run_task_steps(state, options, config, [step])
