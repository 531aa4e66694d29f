"""``octoci task wait``: wait for server tasks, streaming their logs; the end state decides the
exit code (0 success, 3 failed/canceled/timed out in Octopus, 4 our timeout)."""

from __future__ import annotations

from typing import Any

import click

from octoci.cli.octopus_options import octopus_options
from octoci.cli.options import json_option, resolve_settings
from octoci.cli.release import run_task_steps, wait_options, wait_request
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

    With --json: {"Tasks": [{ServerTaskId, EnvironmentName, State, Url}]}.
    """
    state = get_state(ctx)
    from octoci.steps.wait import Wait

    ids = [i.strip() for value in options["task_ids"] for i in value.split(",") if i.strip()]
    # It always waits: "wait" is not one of its settings, so no variable or file turns it off.
    config = resolve_settings(state, "task wait", options).override("wait", True, "task wait")
    wait_for = wait_request(options, config.settings)
    assert wait_for is not None
    run_task_steps(state, options, config, [Wait(tuple(dict.fromkeys(ids)), wait_for)])


from octoci.cli.task_show import show_task  # noqa: E402  (its own module, only click at import)

task.add_command(show_task)
