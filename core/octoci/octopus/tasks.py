"""Waiting for server tasks: poll, stream the task log, time out (and cancel), map the end state.

Polls ``GET /api/{space}/tasks?ids=...`` (one request for every task, as api-client.ts does).
The access token is renewed by the connection before it expires, so waits longer than a token's
life work (TeamCity's OIDC tokens last about 10 minutes).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from octoci.errors import InputError
from octoci.octopus.connection import Connection
from octoci.octopus.errors import (
    OctopusApiError,
    TaskFailedError,
    TaskTimeoutError,
    UnknownNameError,
)

__all__ = [
    "TaskLog",
    "TaskState",
    "TaskTarget",
    "cancel_task",
    "read_task_states",
    "task_targets",
    "wait_for_tasks",
]

SUCCESS_STATES = frozenset({"Success"})


@dataclass(frozen=True)
class TaskState:
    """A task as last seen."""

    id: str
    state: str
    completed: bool
    succeeded: bool
    description: str = ""
    error: str = ""
    interrupted: bool = False
    """Octopus waits for a person (guided failure, manual intervention)."""
    deployment_id: str = ""
    """The deployment a deployment task runs (its ``Arguments.DeploymentId``)."""
    runbook_run_id: str = ""
    """The runbook run a runbook task runs (its ``Arguments.RunbookRunId``)."""

    @classmethod
    def from_resource(cls, task: dict[str, Any]) -> TaskState:
        """From a ``TaskResource``."""
        arguments = task.get("Arguments")
        if not isinstance(arguments, dict):
            arguments = {}
        return cls(
            id=str(task.get("Id")),
            state=str(task.get("State") or ""),
            completed=bool(task.get("IsCompleted")),
            succeeded=bool(task.get("FinishedSuccessfully")),
            description=str(task.get("Description") or ""),
            error=str(task.get("ErrorMessage") or ""),
            interrupted=bool(task.get("HasPendingInterruptions")),
            deployment_id=str(arguments.get("DeploymentId") or ""),
            runbook_run_id=str(arguments.get("RunbookRunId") or ""),
        )

    def to_json(self) -> dict[str, Any]:
        """The ``--json`` form."""
        return {
            "TaskId": self.id,
            "State": self.state,
            "IsCompleted": self.completed,
            "FinishedSuccessfully": self.succeeded,
            "Description": self.description,
            "ErrorMessage": self.error,
        }


@dataclass
class TaskLog:
    """Streams new log lines of a task's activity tree (``/tasks/{id}/details``)."""

    connection: Connection
    task_id: str
    write: Callable[[str], None]
    label: str = ""
    _seen: dict[str, int] = field(default_factory=dict)

    def poll(self) -> None:
        """Write the lines that appeared since the last poll."""
        details = self.connection.get_json(
            self.connection.space_path(f"/tasks/{self.task_id}/details"),
            what=f"reading the log of {self.task_id}",
            params={"verbose": "false"},
        )
        for activity in details.get("ActivityLogs") or []:
            self._walk(activity)

    def _walk(self, activity: dict[str, Any]) -> None:
        key = str(activity.get("Id"))
        elements = activity.get("LogElements") or []
        for element in elements[self._seen.get(key, 0) :]:
            when = str(element.get("OccurredAt") or "")[11:19]
            category = str(element.get("Category") or "")
            text = str(element.get("MessageText") or "")
            prefix = f"[{self.label}] " if self.label else ""
            for line in text.splitlines() or [""]:
                self.write(f"{prefix}{when} {category:<8} {line}".rstrip())
        self._seen[key] = len(elements)
        for child in activity.get("Children") or []:
            if isinstance(child, dict):
                self._walk(child)


@dataclass(frozen=True)
class TaskTarget:
    """Where a deployment or runbook-run task deploys: read from its deployment or run."""

    environment: str = ""
    tenant: str = ""
    deployment_id: str = ""
    runbook_run_id: str = ""


def read_task_states(connection: Connection, task_ids: Sequence[str]) -> list[TaskState]:
    """The tasks' states in ``task_ids`` order (one request for all, as api-client.ts polls).

    :raises UnknownNameError: a task id is not in the space.
    """
    if not task_ids:
        raise InputError("name at least one task id (ServerTasks-123)")
    found = connection.get_json(
        connection.space_path("/tasks"),
        what="reading task states",
        # An empty ids= would list every task on the server: callers never pass none.
        params={"ids": ",".join(task_ids), "skip": 0, "take": len(task_ids)},
    )
    by_id = {
        str(t.get("Id")).lower(): TaskState.from_resource(t)
        for t in found.get("Items") or []
        if isinstance(t, dict)
    }
    missing = [i for i in task_ids if i.lower() not in by_id]
    if missing:
        raise UnknownNameError(
            f"unknown task id{'s' if len(missing) > 1 else ''} {', '.join(missing)} in space "
            f"{connection.space_name or connection.space_id()}"
        )
    return [by_id[i.lower()] for i in task_ids]


def task_targets(connection: Connection, tasks: Sequence[TaskState]) -> dict[str, TaskTarget]:
    """By task id: the environment and tenant names of each deployment or runbook-run task,
    from the deployment or run its arguments name (a task of another kind has none)."""
    names: dict[tuple[str, str], str] = {}

    def name_of(collection: str, document_id: str) -> str:
        if not document_id:
            return ""
        key = (collection, document_id)
        if key not in names:
            document = connection.get_json(
                connection.space_path(f"/{collection}/{document_id}"),
                what=f"reading {document_id}",
            )
            names[key] = str(document.get("Name") or "")
        return names[key]

    targets: dict[str, TaskTarget] = {}
    for task in tasks:
        if task.deployment_id:
            path, execution_id = f"/deployments/{task.deployment_id}", task.deployment_id
        elif task.runbook_run_id:
            path, execution_id = f"/runbookRuns/{task.runbook_run_id}", task.runbook_run_id
        else:
            continue
        try:
            execution = connection.get_json(
                connection.space_path(path), what=f"reading {execution_id} of {task.id}"
            )
            environment = name_of("environments", str(execution.get("EnvironmentId") or ""))
            tenant = name_of("tenants", str(execution.get("TenantId") or ""))
        except OctopusApiError as exc:
            # Names are for reading; a key that may wait for the task but not read its
            # deployment (or a deployment since deleted) still gets the task's state.
            if exc.status not in (403, 404):
                raise
            environment = tenant = ""
        targets[task.id] = TaskTarget(
            environment=environment,
            tenant=tenant,
            deployment_id=task.deployment_id,
            runbook_run_id=task.runbook_run_id,
        )
    return targets


def cancel_task(connection: Connection, task_id: str) -> None:
    """Ask Octopus to cancel a task."""
    connection.post_json(
        connection.space_path(f"/tasks/{task_id}/cancel"),
        {},
        what=f"cancelling {task_id}",
        permission="TaskCancel",
        idempotent=True,  # cancelling twice is harmless
    )


#: How long to wait for cancelled tasks to end (an executing task finishes its current step).
CANCEL_SETTLE_SECONDS = 30.0


def _settle_cancelled(
    connection: Connection,
    cancelled: Sequence[TaskState],
    poll_interval: float,
    sleep: Callable[[float], None],
    seen: Callable[[Sequence[TaskState]], None],
) -> str:
    """Read the cancelled tasks again until they have ended (``Canceled``), for at most
    :data:`CANCEL_SETTLE_SECONDS`, so that the states reported are the final ones; the words
    the timeout error ends with."""
    ids = [s.id for s in cancelled]
    deadline = time.monotonic() + CANCEL_SETTLE_SECONDS
    while True:
        states = read_task_states(connection, ids)
        seen(states)
        if all(s.completed for s in states):
            return "; cancelled them"
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            still = ", ".join(f"{s.id} ({s.state})" for s in states if not s.completed)
            return (
                f"; asked Octopus to cancel them, and after {CANCEL_SETTLE_SECONDS:g} s {still} "
                "had not ended yet"
            )
        sleep(min(poll_interval, 1.0, remaining))


def wait_for_tasks(
    connection: Connection,
    task_ids: Sequence[str],
    *,
    timeout: float = 600.0,
    poll_interval: float = 10.0,
    cancel_on_timeout: bool = False,
    on_change: Callable[[TaskState], None] | None = None,
    logs: Sequence[TaskLog] = (),
    sleep: Callable[[float], None] = time.sleep,
    check: bool = True,
) -> list[TaskState]:
    """Wait until every task has completed; return their final states, in ``task_ids`` order.

    :param on_change: told each task's state whenever it changes.
    :param logs: task logs to stream while waiting.
    :param check: raise :class:`TaskFailedError` when a task did not succeed.
    :raises TaskTimeoutError: ``timeout`` seconds passed first (after cancelling the unfinished
        tasks when ``cancel_on_timeout``).
    """
    ids = list(dict.fromkeys(t.strip() for t in task_ids if t.strip()))
    deadline = time.monotonic() + timeout
    last: dict[str, TaskState] = {}

    def seen(states: Sequence[TaskState]) -> None:
        for state in states:
            if on_change is not None and last.get(state.id) != state:
                on_change(state)
            last[state.id] = state

    while True:
        states = read_task_states(connection, ids)
        # The log first: its lines lead up to the state they explain.
        for log in logs:
            # The log is a convenience; the task's state decides the outcome.
            with contextlib.suppress(OctopusApiError):
                log.poll()
        seen(states)
        if all(s.completed for s in states):
            break
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            unfinished = [s for s in states if not s.completed]
            cancelled = ""
            if cancel_on_timeout:
                for state in unfinished:
                    cancel_task(connection, state.id)
                cancelled = _settle_cancelled(connection, unfinished, poll_interval, sleep, seen)
            raise TaskTimeoutError(
                f"timed out after {timeout:g} s waiting for "
                + ", ".join(f"{s.id} ({s.state})" for s in unfinished)
                + (cancelled or "; they keep running (--cancel-on-timeout cancels them)")
            )
        sleep(min(poll_interval, remaining))
    if check:
        failed = [s for s in states if not s.succeeded]
        if failed:
            raise TaskFailedError(
                "; ".join(
                    f"{s.id} {s.description or ''} ended {s.state}".replace("  ", " ")
                    + (f": {s.error}" if s.error else "")
                    for s in failed
                )
            )
    return states
