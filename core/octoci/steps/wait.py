"""Wait for server tasks: each state change as a line, the task logs with ``--progress``; the end
state decides the exit code (3 failed, 4 timed out).

Between polls a terminal's status line is redrawn every second (the time waited, each task's
state); a CI log, where that line is not shown, gets a heartbeat line when nothing was written
for :data:`HEARTBEAT_SECONDS` (CircleCI ends a step after 10 minutes without output, and a
silent log looks hung)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from octoci.errors import OctociError
from octoci.model import Deployment, RunReport
from octoci.octopus.errors import TaskFailedError, TaskTimeoutError
from octoci.octopus.links import task_url
from octoci.octopus.tasks import (
    TaskLog,
    TaskState,
    TaskTarget,
    read_task_states,
    task_targets,
    wait_for_tasks,
)
from octoci.progress import format_duration
from octoci.steps.plan import StepContext, StepFailed, count

__all__ = ["HEARTBEAT_SECONDS", "Wait", "WaitOptions", "finish_deployments", "wait_for"]

#: A CI log gets a "still waiting" line after this long without output.
HEARTBEAT_SECONDS = 30.0
#: A terminal's status line is redrawn this often while waiting.
REDRAW_SECONDS = 1.0


@dataclass(frozen=True)
class WaitOptions:
    """How to wait: ``--timeout``, ``--poll-interval``, ``--cancel-on-timeout``, ``--progress``."""

    timeout: float = 600.0
    poll_interval: float = 10.0
    cancel_on_timeout: bool = False
    logs: bool = False
    """Stream the task logs while waiting."""


def wait_for(
    context: StepContext, deployments: Sequence[Deployment], options: WaitOptions
) -> tuple[tuple[Deployment, ...], OctociError | None]:
    """Wait until every task has completed: the deployments with their final states, and the
    error (failed or timed out) that ends the run, if any."""
    reporter = context.reporter
    given = {d.task_id: d for d in deployments}
    latest = dict(given)

    started = time.monotonic()
    said = [started]  # when the log last got a line

    def say(line: str) -> None:
        said[0] = time.monotonic()
        reporter.say(line)

    def changed(state: TaskState) -> None:
        known = given.get(state.id, Deployment(task_id=state.id))
        latest[state.id] = known.replace(state=state.state, interrupted=state.interrupted)
        # Named as the deployment was known before (task wait: by its id alone).
        say(known.replace(state=state.state, interrupted=state.interrupted).state_line())

    def pause(seconds: float) -> None:
        # Between polls: a terminal's status line redrawn each second; a CI log's heartbeat.
        end = time.monotonic() + seconds
        while True:
            now = time.monotonic()
            states = ", ".join(f"{_label(d)} {d.state or 'Queued'}" for d in latest.values())
            waited = format_duration(int(now - started))  # whole seconds waited, rounded down
            if reporter.live is not None:
                reporter.status(f"waiting {waited}: {states}")
            elif now - said[0] >= HEARTBEAT_SECONDS:
                say(f"still waiting after {waited}: {states}")
            if now >= end:
                return
            time.sleep(min(REDRAW_SECONDS, HEARTBEAT_SECONDS, end - now))

    logs = (
        [TaskLog(context.connection, d.task_id, say, _label(d)) for d in deployments]
        if options.logs
        else []
    )
    failure: OctociError | None = None
    try:
        wait_for_tasks(
            context.connection,
            [d.task_id for d in deployments],
            timeout=options.timeout,
            poll_interval=options.poll_interval,
            cancel_on_timeout=options.cancel_on_timeout,
            on_change=changed,
            logs=logs,
            sleep=pause,
        )
    except (TaskFailedError, TaskTimeoutError) as exc:
        failure = exc
    finally:
        reporter.clear()
    return tuple(latest[d.task_id] for d in deployments), failure


def _label(deployment: Deployment) -> str:
    return deployment.environment + (f"/{deployment.tenant}" if deployment.tenant else "")


def finish_deployments(
    context: StepContext,
    report: RunReport,
    deployments: Sequence[Deployment],
    wait: WaitOptions | None,
) -> RunReport:
    """Add ``deployments`` to the report; with ``wait``, wait for them first (a failed or
    timed-out wait ends the run, with the states in the report)."""
    failure = None
    if wait is not None:
        deployments, failure = wait_for(context, deployments, wait)
    # A task not waited for (or not seen yet) was last known queued.
    deployments = [d if d.state else d.replace(state="Queued") for d in deployments]
    report = report.replace(deployments=(*report.deployments, *deployments))
    if failure is not None:
        raise StepFailed(report, failure)
    return report


@dataclass(frozen=True)
class Wait:
    """``octoci task wait``: wait for tasks known only by their ids."""

    task_ids: tuple[str, ...]
    options: WaitOptions
    phase: ClassVar[str] = "wait"

    def title(self, report: RunReport) -> str:
        """``Waiting for 2 tasks``."""
        return f"Waiting for {count(len(self.task_ids), 'task')}"

    def run(self, context: StepContext, report: RunReport) -> RunReport:
        """Wait; the tasks join the report as deployments with their final states, named by
        the environment and tenant of the deployment or runbook run each task runs."""
        connection = context.connection
        states = read_task_states(connection, self.task_ids)
        targets = task_targets(connection, states)
        tasks = []
        for task_id, state in zip(self.task_ids, states, strict=True):
            target = targets.get(state.id, TaskTarget())
            tasks.append(
                Deployment(
                    environment=target.environment,
                    tenant=target.tenant,
                    task_id=task_id,
                    url=task_url(connection, task_id),
                    deployment_id=target.deployment_id,
                    runbook_run_id=target.runbook_run_id,
                )
            )
        return finish_deployments(context, report, tasks, self.options)
