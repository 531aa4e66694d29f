"""Server tasks and their scripted progression: Queued -> Executing -> Success/Failed/TimedOut,
with cancel (Queued -> Canceled, Executing -> Cancelling -> Canceled) and a task log.

A background thread moves tasks on by the clock (:class:`~octoci_emulator.config.TaskTiming`);
with ``hold`` tasks wait in Queued until a test finishes them with :meth:`TaskEngine.finish`.
How a task ends comes from the first matching :class:`~octoci_emulator.config.TaskOutcome`.

A task may wait for a person while Executing (see :mod:`octoci_emulator.interruptions`): at each
manual intervention step of its process, and, with guided failure on, when its outcome is
``Failed``. :meth:`TaskEngine.answer` carries the person's answer out.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from octoci_emulator.config import EmulatorConfig, TaskOutcome
from octoci_emulator.errors import BadRequest, NotFound
from octoci_emulator.execution_options import EXPIRED, timed_out
from octoci_emulator.interruptions import (
    GUIDED_FAILURE,
    MANUAL_INTERVENTION,
    close_pending,
    raise_interruption,
    read_answer,
    record_answer,
)
from octoci_emulator.resources import iso_time
from octoci_emulator.store import Document, Store

__all__ = ["FINAL_STATES", "TaskEngine"]

log = logging.getLogger("octoci.emulator")

FINAL_STATES = frozenset({"Success", "Failed", "Canceled", "TimedOut"})
_TICK_SECONDS = 0.02


class TaskEngine:
    """Creates tasks and drives them; ``on_finished`` runs after a task reaches a final state."""

    def __init__(
        self,
        store: Store,
        config: EmulatorConfig,
        on_finished: Callable[[Document], None],
    ) -> None:
        self._store = store
        self._config = config
        self._on_finished = on_finished
        self._stop = threading.Event()
        # Guards only the set of active task ids; never held while waiting for the store's lock,
        # so request threads (store lock, then this) and the ticker cannot deadlock.
        self._lock = threading.Lock()
        # Unfinished tasks survive a restart: pick them up again.
        self._active = {t["Id"] for t in store.list("task") if t["State"] not in FINAL_STATES}
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the background progression."""
        self._thread = threading.Thread(target=self._run, name="octoci-emulator-tasks", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the background progression."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def create(
        self,
        space_id: str,
        name: str,
        description: str,
        arguments: Mapping[str, Any],
        context: Mapping[str, str],
        *,
        project_id: str | None = None,
        run_at: float | None = None,
        guided_failure: bool = False,
        interventions: Sequence[Mapping[str, str]] = (),
        related: Sequence[str] = (),
    ) -> Document:
        """A new Queued task; ``context`` (project, environment, runbook, tenant names) picks
        its outcome.

        With ``guided_failure`` a failing outcome waits for a person instead of ending the task;
        each of ``interventions`` (``{"Name", "Instructions"}``: the process's manual
        intervention steps for this environment) waits for one before the task goes on.
        ``related`` are the document ids an interruption names (deployment, project ...).
        """
        task_id = self._store.next_id("ServerTasks")
        now = time.time()
        task: Document = {
            "Id": task_id,
            "SpaceId": space_id,
            "Name": name,
            "Description": description,
            "Arguments": dict(arguments),
            "State": "Queued",
            "Completed": "Queued...",
            "QueueTime": iso_time(run_at or now),
            "QueueTimeExpiry": None,
            "StartTime": None,
            "LastUpdatedTime": iso_time(now),
            "CompletedTime": None,
            "Duration": "0 seconds",
            "ErrorMessage": "",
            "HasBeenPickedUpByProcessor": False,
            "IsCompleted": False,
            "FinishedSuccessfully": False,
            "HasPendingInterruptions": False,
            "PendingInterruptionTypes": [],
            "PendingPreconditionTypes": [],
            "HasPendingPreconditions": False,
            "HasWarningsOrErrors": False,
            "CanRerun": False,
            "ServerNode": "emulator",
            "ProjectId": project_id,
            "EstimatedRemainingQueueDurationSeconds": 0,
            "Links": {
                "Self": f"/api/tasks/{task_id}",
                "Web": f"/app#/{space_id}/tasks/{task_id}",
                "Details": f"/api/tasks/{task_id}/details{{?verbose,tail,ranges}}",
                "Raw": f"/api/tasks/{task_id}/raw",
                "Cancel": f"/api/tasks/{task_id}/cancel",
            },
            "_Context": dict(context),
            "_GuidedFailure": guided_failure,
            "_Interventions": [dict(i) for i in interventions],
            "_Passed": 0,
            "_Attempt": 1,
            "_Related": list(related),
            "_Queued": run_at or now,
            "_Log": [[iso_time(now), "Info", f"{description} queued"]],
        }
        self._store.put("task", task)
        with self._lock:
            self._active.add(task_id)
        return task

    def cancel(self, task_id: str) -> Document:
        """Cancel a task (a finished task is left as it is, as Octopus does)."""
        with self._store.transaction():
            task = self._get(task_id)
            if task["State"] == "Queued":
                self._finish(task, "Canceled", "The task was canceled.")
            elif task["State"] == "Executing":
                task["State"] = "Cancelling"
                task["Completed"] = "Cancelling..."
                self._set_waiting(task, False)
                close_pending(self._store, task_id)
                self._log(task, "Warning", "Cancellation requested")
                self._store.put("task", task)
            # Read inside the transaction: the clock thread may end a Cancelling task as soon as
            # the transaction closes, and the answer must be the state this request set.
            return self._get(task_id)

    def finish(self, task_id: str, state: str, error_message: str = "") -> Document:
        """End a task now with ``state`` (tests drive held tasks with this)."""
        if state not in FINAL_STATES:
            raise BadRequest(f"{state!r} is not a final task state")
        finished = None
        with self._store.transaction():
            task = self._get(task_id)
            if task["State"] not in FINAL_STATES:
                if task["StartTime"] is None:
                    self._start(task)
                close_pending(self._store, task_id)
                self._set_waiting(task, False)
                finished = self._finish(task, state, error_message)
        if finished is not None:
            self._after(finished)
        return self._get(task_id)

    def tick(self) -> None:
        """Move every due task one step on."""
        with self._lock:
            active = list(self._active)
        now = time.time()
        timing = self._config.tasks
        for task_id in active:
            finished = None
            with self._store.transaction():
                task = self._store.get("task", task_id)
                if task is None or task["State"] in FINAL_STATES:
                    with self._lock:
                        self._active.discard(task_id)
                    continue
                if timed_out(task, now):
                    # Its NoRunAfter passed before it started (even a held task expires).
                    finished = self._finish(task, "TimedOut", EXPIRED)
                elif task["State"] == "Queued":
                    if timing.hold or now < task["_Queued"] + timing.queued_seconds:
                        continue
                    self._start(task)
                if finished is not None:
                    pass  # it expired: nothing else happens to it
                elif task["State"] == "Cancelling":
                    finished = self._finish(task, "Canceled", "The task was canceled.")
                elif task["HasPendingInterruptions"]:
                    continue  # waiting for a person: nothing moves until the answer
                elif now >= task["_Started"] + timing.executing_seconds:
                    finished = self._run_steps(task)
                else:
                    self._store.put("task", task)
            if finished is not None:
                self._after(finished)

    def answer(self, interruption: Document, values: Mapping[str, object]) -> Document:
        """Carry out a person's answer to ``interruption``; the updated interruption.

        A manual intervention's ``Proceed`` goes on to the next step and ``Abort`` fails the
        task; guided failure's ``Retry`` runs the steps again (with the scripted outcome of the
        next attempt), ``Ignore``/``Exclude`` let the task succeed despite the failure, ``Fail``
        fails it. 400 when the form is wrong, nobody took responsibility, or it was answered.
        """
        finished = None
        with self._store.transaction():
            fresh = self._store.get("interruption", interruption["Id"]) or interruption
            answer = read_answer(fresh, values)
            record_answer(self._store, fresh, answer)
            task = self._get(fresh["TaskId"])
            if task["State"] != "Executing":
                return fresh
            self._set_waiting(task, False)
            note = f" ({answer.notes})" if answer.notes else ""
            self._log(task, "Info", f"{fresh['Title']}: {answer.choice} was chosen{note}")
            kind = fresh["Type"]
            if answer.action == "fail":
                error = (
                    task.get("_Failure")
                    if kind == GUIDED_FAILURE
                    else f"The manual intervention '{fresh['Title']}' was aborted."
                )
                finished = self._finish(task, "Failed", str(error or "The task failed."))
            elif kind == MANUAL_INTERVENTION:
                task["_Passed"] = int(task["_Passed"]) + 1
                self._store.put("task", task)
            elif answer.action == "retry":
                task["_Attempt"] = int(task["_Attempt"]) + 1
                task["_Started"] = time.time()  # the retried steps take their time again
                self._store.put("task", task)
            else:  # Ignore / Exclude: the failure is ignored and the deployment goes on
                finished = self._finish(task, "Success", "")
                finished["HasWarningsOrErrors"] = True
                self._store.put("task", finished)
        if finished is not None:
            self._after(finished)
        return fresh

    def _run_steps(self, task: Document) -> Document | None:
        """Execute the task's remaining steps: pause at a manual intervention, or at a failure
        under guided failure; otherwise finish with the scripted outcome."""
        interventions = task.get("_Interventions", [])
        passed = int(task.get("_Passed", 0))
        if passed < len(interventions):
            step = interventions[passed]
            self._log(task, "Info", f"Waiting for manual intervention: {step['Name']}")
            raise_interruption(
                self._store,
                task,
                MANUAL_INTERVENTION,
                step["Name"],
                instructions=step.get("Instructions", ""),
            )
            self._set_waiting(task, True, MANUAL_INTERVENTION)
            self._store.put("task", task)
            return None
        outcome = self._outcome(task)
        if outcome.state == "Failed" and task.get("_GuidedFailure"):
            error = outcome.error_message or "The step failed."
            task.update(_Failure=error, HasWarningsOrErrors=True)
            self._mark_failure_encountered(task)
            self._log(task, "Error", error)
            self._log(task, "Warning", "Guided failure: waiting for someone to choose what to do")
            raise_interruption(
                self._store, task, GUIDED_FAILURE, f"Failure guidance: {task['Description']}"
            )
            self._set_waiting(task, True, GUIDED_FAILURE)
            self._store.put("task", task)
            return None
        return self._finish(task, outcome.state, outcome.error_message)

    def _mark_failure_encountered(self, task: Document) -> None:
        """The deployment or runbook run of ``task`` says a step failed (``FailureEncountered``),
        as Octopus's does once guided failure has stopped it."""
        arguments = task.get("Arguments", {})
        for kind, key in (("deployment", "DeploymentId"), ("runbookrun", "RunbookRunId")):
            execution = self._store.get(kind, str(arguments.get(key, "")))
            if execution is not None:
                execution["FailureEncountered"] = True
                self._store.put(kind, execution)

    @staticmethod
    def _set_waiting(task: Document, waiting: bool, kind: str = "") -> None:
        """``HasPendingInterruptions`` and ``PendingInterruptionTypes``, which the core (and
        Octopus's clients) read to say the task waits for a person."""
        task["HasPendingInterruptions"] = waiting
        task["PendingInterruptionTypes"] = [kind] if waiting and kind else []
        task["LastUpdatedTime"] = iso_time()

    def _run(self) -> None:
        while not self._stop.wait(_TICK_SECONDS):
            try:
                self.tick()
            except Exception:  # one bad task must not stop every other task
                log.exception("task progression failed")

    def _get(self, task_id: str) -> Document:
        task = self._store.get("task", task_id)
        if task is None:
            raise NotFound(f"Task {task_id} was not found.")
        return task

    def _start(self, task: Document) -> None:
        now = time.time()
        task.update(
            State="Executing",
            Completed="Executing...",
            StartTime=iso_time(now),
            HasBeenPickedUpByProcessor=True,
            LastUpdatedTime=iso_time(now),
            _Started=now,
        )
        self._log(task, "Info", f"{task['Description']} started")

    def _outcome(self, task: Document) -> TaskOutcome:
        context = task.get("_Context", {})
        attempt = int(task.get("_Attempt", 1))
        for outcome in self._config.outcomes:
            if outcome.times and attempt > outcome.times:
                continue
            fields = {
                "project": outcome.project,
                "environment": outcome.environment,
                "runbook": outcome.runbook,
                "tenant": outcome.tenant,
            }
            if all(
                not want or want.lower() == str(context.get(k, "")).lower()
                for k, want in fields.items()
            ):
                return outcome
        return TaskOutcome()

    def _finish(self, task: Document, state: str, error_message: str) -> Document:
        now = time.time()
        started = task.get("_Started", now)
        if state != "Success" and not error_message:
            error_message = f"The task ended in state {state}."
        task.update(
            State=state,
            Completed=iso_time(now) if state == "Success" else f"{state} ({error_message})",
            CompletedTime=iso_time(now),
            LastUpdatedTime=iso_time(now),
            Duration=f"{max(0, round(now - started))} seconds",
            ErrorMessage="" if state == "Success" else error_message,
            IsCompleted=True,
            FinishedSuccessfully=state == "Success",
            HasWarningsOrErrors=state != "Success",
            CanRerun=True,
        )
        if state == "Success":
            self._log(task, "Info", f"{task['Description']} finished successfully")
        else:
            self._log(task, "Error", error_message)
        self._store.put("task", task)
        with self._lock:
            self._active.discard(task["Id"])
        return task

    def _after(self, task: Document) -> None:
        try:
            self._on_finished(task)
        except Exception:
            log.exception("handling the end of %s failed", task["Id"])

    @staticmethod
    def _log(task: Document, category: str, text: str) -> None:
        task.setdefault("_Log", []).append([iso_time(), category, text])
