"""``octoci task show TASK``: one server task read back from Octopus - its state and times, the
deployment or runbook run it belongs to, and with ``--log`` its log."""

from __future__ import annotations

from typing import Any

import click

from octoci.cli.octopus_options import octopus_options
from octoci.cli.options import json_option, settings_options
from octoci.cli.release_read import reading, write_rows
from octoci.cli.state import get_state

__all__ = ["show_task"]


@click.command("show")
@click.argument("task_id", metavar="TASK_ID")
@click.option("--log", "with_log", is_flag=True, help="Also print the task's log.")
@settings_options("task show")
@octopus_options
@json_option
@click.pass_context
def show_task(ctx: click.Context, /, **options: Any) -> None:
    """Show a task (ServerTasks-123): state, times, and the project, release or runbook,
    environment and tenant it ran for.

    With --json: {TaskId, State, IsCompleted, FinishedSuccessfully, Description, ErrorMessage,
    Name, QueueTime, StartTime, CompletedTime, Duration, Url, DeploymentId, RunbookRunId,
    ProjectName, ReleaseVersion, RunbookName, EnvironmentName, TenantName}, and "Log" (text)
    with --log.
    """
    from octoci.octopus.reads import read_task_log
    from octoci.octopus.reads import show_task as read_task

    state = get_state(ctx)
    with reading(state, "task show", options) as connection:
        task = read_task(connection, str(options["task_id"]))
        log = read_task_log(connection, task.state.id) if options["with_log"] else None
    if options["as_json"]:
        state.echo_json({**task.to_json(), **({"Log": log} if log is not None else {})})
        return
    ran = (
        f"release {task.release}"
        if task.release
        else f"runbook {task.runbook}"
        if task.runbook
        else ""
    )
    rows = [
        ["State", task.state.state + (" (waiting for a person)" if task.state.interrupted else "")],
        ["Description", task.state.description],
        ["Project", task.project],
        ["Ran", ran],
        ["Environment", task.environment],
        ["Tenant", task.tenant],
        ["Queued", task.queued],
        ["Started", task.started],
        ["Completed", task.completed],
        ["Duration", task.duration],
        ["Error", task.state.error],
        ["Url", task.url],
    ]
    state.echo(f"Task {task.state.id}")
    write_rows(state.echo, [r for r in rows if r[1]])
    if log is not None:
        state.echo("Log:")
        for line in log.splitlines():
            state.echo(f"  {line}")
