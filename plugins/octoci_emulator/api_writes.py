"""The REST API's writes to the model, as Octopus serves them: ``POST`` a collection (201 with
the resource), ``PUT`` an item (200), ``DELETE`` an item (200, no body); ``PUT`` on a project's
deployment process and on a variable set; runbook snapshots; and the reads that go with them
(a project's deployment process, a variable set with its sensitive values withheld).

Every write needs the permission Octopus names for it (an API key without a ``permissions``
list has them all).
"""

from __future__ import annotations

from collections.abc import Callable

from octoci_emulator import model_writes
from octoci_emulator.errors import NotFound
from octoci_emulator.jsonbody import CIDict
from octoci_emulator.model_process import (
    create_runbook_snapshot,
    public_variable_set,
    update_process,
    update_variables,
)
from octoci_emulator.package_files import remove_file, stored_path
from octoci_emulator.resources import public
from octoci_emulator.routes import Request, Response, Router
from octoci_emulator.store import Document

__all__ = ["register"]

#: (collection, permission prefix): ``{prefix}Create``, ``{prefix}Edit``, ``{prefix}Delete``.
_COLLECTIONS = (
    ("projectgroups", "ProjectGroup"),
    ("environments", "Environment"),
    ("lifecycles", "Lifecycle"),
    ("tagsets", "TagSet"),
    ("projects", "Project"),
    ("tenants", "Tenant"),
)
#: Channels are part of a project, runbooks have one permission for every change, as in Octopus.
_FIXED_PERMISSION = {"channels": "ProjectEdit", "runbooks": "RunbookEdit"}


def _space_of(request: Request, collection: str) -> str | None:
    return None if collection == "spaces" else request.space_id


def _creator(collection: str, permission: str) -> Callable[[Request], Response]:
    def handler(request: Request) -> Response:
        request.require(permission)
        doc = model_writes.create(
            request.app.store, collection, _space_of(request, collection), request.json()
        )
        return Response(status=201, body=public(doc))

    return handler


def _modifier(collection: str, permission: str) -> Callable[[Request], Response]:
    def handler(request: Request) -> Response:
        request.require(permission)
        doc = model_writes.modify(
            request.app.store,
            collection,
            _space_of(request, collection),
            request.params["id"],
            request.json(),
        )
        return Response(body=public(doc))

    return handler


def _deleter(collection: str, permission: str) -> Callable[[Request], Response]:
    def handler(request: Request) -> Response:
        request.require(permission)
        store = request.app.store
        space_id = _space_of(request, collection)
        files = []
        if collection == "spaces":
            # Package files go with the space, once its rows are gone (a crash in between
            # leaves orphan files, which start-up reconciliation removes).
            files = [stored_path(store, p) for p in store.list("package", request.params["id"])]
        model_writes.delete(store, collection, space_id, request.params["id"])
        for path in files:
            remove_file(path)
        return Response(status=200, body=b"")

    return handler


def _project_process(request: Request) -> Response:
    project = request.path_project()
    process = request.app.store.get("deploymentprocess", project["DeploymentProcessId"])
    if process is None:
        raise NotFound(f"The deployment process of project '{project['Id']}' doesn't exist.")
    return Response(body=public(process))


def _update_project_process(request: Request) -> Response:
    request.require("ProcessEdit")
    project = request.path_project()
    process = update_process(
        request.app.store, request.space_id, project["DeploymentProcessId"], request.json()
    )
    return Response(body=public(process))


def _update_process(request: Request) -> Response:
    request.require("ProcessEdit")
    process = update_process(
        request.app.store, request.space_id, request.params["id"], request.json()
    )
    return Response(body=public(process))


def _variables(request: Request) -> Response:
    store = request.app.store
    variable_set = store.get("variableset", request.params["id"])
    if variable_set is None or variable_set["SpaceId"] != request.space_id:
        raise NotFound(f"The variable set '{request.params['id']}' doesn't exist.")
    return Response(body=public_variable_set(store, variable_set))


def _update_variables(request: Request) -> Response:
    request.require("VariableEdit")
    store = request.app.store
    updated = update_variables(store, request.space_id, request.params["id"], request.json())
    return Response(body=public_variable_set(store, updated))


def _project_variables(request: Request) -> Response:
    project = request.path_project()
    request.params["id"] = project["VariableSetId"]
    return _variables(request)


def _in_project(request: Request, key: str) -> CIDict:
    """The body with the project the path names (``/projects/{id}/runbooks``) as its ProjectId."""
    project = request.app.store.get("project", request.params[key])
    if project is None or project["SpaceId"] != request.space_id:
        raise NotFound(f"Project '{request.params[key]}' was not found.")
    return CIDict({**request.json().raw(), "ProjectId": project["Id"]})


def _project_runbook(request: Request) -> Document:
    runbook = request.app.store.get("runbook", request.params["id"])
    if runbook is None or runbook["ProjectId"].lower() != request.params["projectId"].lower():
        raise NotFound(f"The Runbook '{request.params['id']}' doesn't exist.")
    return runbook


def _create_project_runbook(request: Request) -> Response:
    request.require("RunbookEdit")
    doc = model_writes.create(
        request.app.store, "runbooks", request.space_id, _in_project(request, "id")
    )
    return Response(status=201, body=public(doc))


def _get_project_runbook(request: Request) -> Response:
    return Response(body=public(_project_runbook(request)))


def _modify_project_runbook(request: Request) -> Response:
    request.require("RunbookEdit")
    runbook = _project_runbook(request)
    doc = model_writes.modify(
        request.app.store,
        "runbooks",
        request.space_id,
        runbook["Id"],
        _in_project(request, "projectId"),
    )
    return Response(body=public(doc))


def _delete_project_runbook(request: Request) -> Response:
    request.require("RunbookEdit")
    runbook = _project_runbook(request)
    model_writes.delete(request.app.store, "runbooks", request.space_id, runbook["Id"])
    return Response(status=200, body=b"")


def _snapshot(request: Request) -> Response:
    request.require("RunbookEdit")
    # The project-scoped route names the project in its path.
    body = _in_project(request, "id") if "id" in request.params else request.json()
    snapshot = create_runbook_snapshot(
        request.app.store, request.space_id, body, publish=request.flag_arg("publish")
    )
    return Response(status=201, body=public(snapshot))


def register(router: Router) -> None:
    """Add the write routes (and the reads of what only they create)."""
    router.add("POST", "/api/spaces", _creator("spaces", "SpaceCreate"), scoped=False)
    router.add("PUT", "/api/spaces/{id}", _modifier("spaces", "SpaceEdit"), scoped=False)
    router.add("DELETE", "/api/spaces/{id}", _deleter("spaces", "SpaceDelete"), scoped=False)
    collections = [(c, f"{p}Create", f"{p}Edit", f"{p}Delete") for c, p in _COLLECTIONS]
    collections += [(c, p, p, p) for c, p in _FIXED_PERMISSION.items()]
    for collection, create, edit, remove in collections:
        router.add("POST", f"/{collection}", _creator(collection, create))
        router.add("PUT", f"/{collection}/{{id}}", _modifier(collection, edit))
        router.add("DELETE", f"/{collection}/{{id}}", _deleter(collection, remove))
    router.add("GET", "/projects/{id}/deploymentprocesses", _project_process)
    router.add("PUT", "/projects/{id}/deploymentprocesses", _update_project_process)
    router.add("PUT", "/deploymentprocesses/{id}", _update_process)
    router.add("GET", "/variables/{id}", _variables)
    router.add("PUT", "/variables/{id}", _update_variables)
    router.add("GET", "/projects/{id}/variables", _project_variables)
    router.add("POST", "/projects/{id}/runbooks", _create_project_runbook)
    router.add("GET", "/projects/{projectId}/runbooks/{id}", _get_project_runbook)
    router.add("PUT", "/projects/{projectId}/runbooks/{id}", _modify_project_runbook)
    router.add("DELETE", "/projects/{projectId}/runbooks/{id}", _delete_project_runbook)
    router.add("POST", "/runbookSnapshots", _snapshot)
    router.add("POST", "/projects/{id}/runbookSnapshots", _snapshot)
