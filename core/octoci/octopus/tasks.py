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

__all__ = ["TaskLog", "TaskState", "cancel_task", "wait_for_tasks"]

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

    @classmethod
    def from_resource(cls, task: dict[str, Any]) -> TaskState:
        """From a ``TaskResource``."""
        return cls(
            id=str(task.get("Id")),
            state=str(task.get("State") or ""),
            completed=bool(task.get("IsCompleted")),
            succeeded=bool(task.get("FinishedSuccessfully")),
            description=str(task.get("Description") or ""),
            error=str(task.get("ErrorMessage") or ""),
            interrupted=bool(task.get("HasPendingInterruptions")),
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


def cancel_task(connection: Connection, task_id: str) -> None:
    """Ask Octopus to cancel a task."""
    connection.post_json(
        connection.space_path(f"/tasks/{task_id}/cancel"),
        {},
        what=f"cancelling {task_id}",
        permission="TaskCancel",
        idempotent=True,  # cancelling twice is harmless
    )


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
    if not ids:
        raise InputError("name at least one task id (ServerTasks-123)")
    deadline = time.monotonic() + timeout
    last: dict[str, TaskState] = {}
    while True:
        found = connection.get_json(
            connection.space_path("/tasks"),
            what="reading task states",
            # An empty ids= would list every task on the server: ids is never empty here.
            params={"ids": ",".join(ids), "skip": 0, "take": len(ids)},
        )
        by_id = {
            str(t.get("Id")).lower(): TaskState.from_resource(t)
            for t in found.get("Items") or []
            if isinstance(t, dict)
        }
        missing = [i for i in ids if i.lower() not in by_id]
        if missing:
            raise UnknownNameError(
                f"unknown task id{'s' if len(missing) > 1 else ''} {', '.join(missing)} in space "
                f"{connection.space_name or connection.space_id()}"
            )
        states = [by_id[i.lower()] for i in ids]
        # The log first: its lines lead up to the state they explain.
        for log in logs:
            # The log is a convenience; the task's state decides the outcome.
            with contextlib.suppress(OctopusApiError):
                log.poll()
        for state in states:
            if on_change is not None and last.get(state.id) != state:
                on_change(state)
            last[state.id] = state
        if all(s.completed for s in states):
            break
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            unfinished = [s for s in states if not s.completed]
            cancelled = ""
            if cancel_on_timeout:
                for state in unfinished:
                    cancel_task(connection, state.id)
                cancelled = "; cancelled them"
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
