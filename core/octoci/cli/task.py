"""``octoci task wait``: wait for server tasks, streaming their logs; the end state decides the
exit code (0 success, 3 failed/canceled/timed out in Octopus, 4 our timeout)."""

from __future__ import annotations

from typing import Any

import click

from octoci.cli.octopus_options import connection_options, octopus_options, open_connection
from octoci.cli.options import json_option, resolve_settings
from octoci.cli.release import finish_tasks, wait_options
from octoci.cli.state import get_state

__all__ = ["task"]


@click.group()
def task() -> None:
    """Work with Octopus server tasks."""


@task.command("wait")
@click.argument("task_ids", nargs=-1, required=True, metavar="TASK_ID...")
@wait_options("task wait")
@octopus_options
@json_option
@click.pass_context
def wait(ctx: click.Context, /, **options: Any) -> None:
    """Wait for tasks (ServerTasks-123, or a comma-separated list such as a previous step's
    server_task_ids output).

    With --json: {"Tasks": [{ServerTaskId, State}]}.
    """
    state = get_state(ctx)
    from octoci.octopus.executions import ServerTask

    ids = [i.strip() for value in options["task_ids"] for i in value.split(",") if i.strip()]
    # It always waits: "wait" is not one of its settings, so no variable or file turns it off.
    config = resolve_settings(state, "task wait", options).override("wait", True, "task wait")
    connection = open_connection(state, connection_options(options, config))
    try:
        finish_tasks(
            state,
            connection,
            options,
            [ServerTask(i) for i in dict.fromkeys(ids)],
            settings=config.settings,
            announce=False,
        )
    finally:
        connection.close()
