"""Server tasks: get, list (``?ids=``, the form api-client.ts polls), details, raw log, cancel.

Tasks are reachable without a space (``/api/tasks/{id}``) whatever space they belong to; with a
space in the path they must belong to it.
"""

from __future__ import annotations

from octoci_emulator.errors import NotFound
from octoci_emulator.resources import public
from octoci_emulator.routes import Request, Response, Router
from octoci_emulator.store import Document

__all__ = ["register"]

_ACTIVE = {"Queued", "Executing", "Cancelling"}


def _task(request: Request) -> Document:
    task = request.app.store.get("task", request.params["id"])
    if task is None or (request.explicit_space and task["SpaceId"] != request.space_id):
        raise NotFound(f"Task '{request.params['id']}' was not found.")
    return task


def _get(request: Request) -> Response:
    return Response(body=public(_task(request)))


def _list(request: Request) -> Response:
    tasks = request.app.store.list("task", request.space_id if request.explicit_space else None)
    ids = {i.strip().lower() for i in request.arg("ids").split(",") if i.strip()}
    states = {s.strip().lower() for s in request.arg("states").split(",") if s.strip()}
    if ids:
        tasks = [t for t in tasks if t["Id"].lower() in ids]
    if states:
        tasks = [t for t in tasks if t["State"].lower() in states]
    if request.flag_arg("active") or request.flag_arg("running"):
        tasks = [t for t in tasks if t["State"] in _ACTIVE]
    project = request.arg("project").lower()
    if project:
        tasks = [t for t in tasks if str(t.get("ProjectId") or "").lower() == project]
    name = request.arg("name").lower()
    if name:
        tasks = [t for t in tasks if t["Name"].lower() == name]
    if request.arg("hasPendingInterruptions"):
        waiting = request.flag_arg("hasPendingInterruptions")
        tasks = [t for t in tasks if bool(t["HasPendingInterruptions"]) == waiting]
    tasks.reverse()
    base = f"/api/{request.space_id}/tasks" if request.explicit_space else "/api/tasks"
    return Response(body=request.page(tasks, "Task", base))


def _log_lines(task: Document) -> list[list[str]]:
    return list(task.get("_Log", []))


def _details(request: Request) -> Response:
    task = _task(request)
    lines = _log_lines(task)
    tail = request.int_arg("tail", 0)
    if tail:
        lines = lines[-tail:]
    status = {
        "Queued": "Pending",
        "Executing": "Running",
        "Cancelling": "Running",
        "Success": "Success",
        "Failed": "Failed",
        "Canceled": "Canceled",
        "TimedOut": "Failed",
    }[task["State"]]
    element = {
        "Id": f"ServerTasks-{task['Id']}",
        "Name": task["Description"],
        "Started": task["StartTime"],
        "Ended": task["CompletedTime"],
        "Status": status,
        "Children": [],
        "ShowAtSummaryLevel": True,
        "LogElements": [
            {"Category": category, "OccurredAt": when, "MessageText": text, "Detail": None}
            for when, category, text in lines
        ],
        "ProgressPercentage": 100 if task["IsCompleted"] else 0,
        "ProgressMessage": None,
    }
    return Response(
        body={
            "Task": public(task),
            "Progress": {
                "ProgressPercentage": 100 if task["IsCompleted"] else 0,
                "EstimatedTimeRemaining": None,
            },
            "PhysicalLogSize": sum(len(line[2]) for line in lines),
            "ActivityLogs": [element],
            "Links": {"Self": f"/api/tasks/{task['Id']}/details"},
        }
    )


def _raw(request: Request) -> Response:
    task = _task(request)
    text = "".join(
        f"{when[11:19]}   {category:<8} |   {message}\n"
        for when, category, message in _log_lines(task)
    )
    return Response(body=text, content_type="text/plain; charset=utf-8")


def _cancel(request: Request) -> Response:
    request.require("TaskCancel")
    task = _task(request)
    return Response(body=public(request.app.tasks.cancel(task["Id"])))


def register(router: Router) -> None:
    """Add the task routes (space-scoped, which includes the space-less ``/api/tasks`` form)."""
    router.add("GET", "/tasks", _list)
    router.add("GET", "/tasks/{id}", _get)
    router.add("GET", "/tasks/{id}/details", _details)
    router.add("GET", "/tasks/{id}/raw", _raw)
    router.add("POST", "/tasks/{id}/cancel", _cancel)
