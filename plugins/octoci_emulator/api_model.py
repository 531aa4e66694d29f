"""Reading the model: environments, projects, project groups, lifecycles, channels, tenants, tag
sets, runbooks, runbook snapshots and deployment processes (list with ``name``/``partialName``/
``ids``/paging, ``all``, get by id)."""

from __future__ import annotations

from collections.abc import Callable

from octoci_emulator.errors import NotFound
from octoci_emulator.resources import public
from octoci_emulator.routes import Request, Response, Router
from octoci_emulator.store import Document

__all__ = ["register"]

#: (path segment, store kind, ItemType)
_COLLECTIONS = (
    ("environments", "environment", "Environment"),
    ("projects", "project", "Project"),
    ("lifecycles", "lifecycle", "Lifecycle"),
    ("channels", "channel", "Channel"),
    ("tenants", "tenant", "Tenant"),
    ("tagsets", "tagset", "TagSet"),
    ("runbooks", "runbook", "Runbook"),
    ("deploymentprocesses", "deploymentprocess", "DeploymentProcess"),
    ("projectgroups", "projectgroup", "ProjectGroup"),
    ("runbookSnapshots", "runbooksnapshot", "RunbookSnapshot"),
)


def _filtered(request: Request, docs: list[Document]) -> list[Document]:
    name = request.arg("name").lower()
    partial = request.arg("partialName").lower()
    ids = {i.strip().lower() for i in request.arg("ids").split(",") if i.strip()}
    project_ids = {
        i.strip().lower()
        for i in (request.arg("projectIds") or request.arg("projectId")).split(",")
        if i.strip()
    }
    if name:
        docs = [d for d in docs if str(d.get("Name", "")).lower() == name]
    if partial:
        docs = [d for d in docs if partial in str(d.get("Name", "")).lower()]
    if ids:
        docs = [d for d in docs if d["Id"].lower() in ids]
    if project_ids:
        docs = [
            d
            for d in docs
            if str(d.get("ProjectId", "")).lower() in project_ids
            or any(p.lower() in project_ids for p in d.get("ProjectEnvironments", {}))
        ]
    return docs


def _lister(segment: str, kind: str, item_type: str) -> Callable[[Request], Response]:
    def handler(request: Request) -> Response:
        docs = _filtered(request, request.app.store.list(kind, request.space_id))
        return Response(body=request.page(docs, item_type, f"/api/{request.space_id}/{segment}"))

    return handler


def _all(kind: str) -> Callable[[Request], Response]:
    def handler(request: Request) -> Response:
        return Response(body=[public(d) for d in request.app.store.list(kind, request.space_id)])

    return handler


def _getter(kind: str, label: str) -> Callable[[Request], Response]:
    def handler(request: Request) -> Response:
        ident = request.params["id"]
        store = request.app.store
        doc = store.get(kind, ident)
        if doc is None and kind == "project":
            # Octopus also finds projects by slug or name here.
            doc = next(
                (
                    p
                    for p in store.list(kind, request.space_id)
                    if ident.lower() in {p["Slug"], p["Name"].lower()}
                ),
                None,
            )
        if doc is None or doc.get("SpaceId") != request.space_id:
            raise NotFound(f"{label} '{ident}' was not found.")
        return Response(body=public(doc))

    return handler


def _children(kind: str, item_type: str, segment: str) -> Callable[[Request], Response]:
    def handler(request: Request) -> Response:
        project_id = request.path_project()["Id"]
        docs = request.app.store.list(
            kind, request.space_id, lambda d: d["ProjectId"].lower() == project_id.lower()
        )
        return Response(
            body=request.page(
                _filtered(request, docs),
                item_type,
                f"/api/{request.space_id}/projects/{project_id}/{segment}",
            )
        )

    return handler


def register(router: Router) -> None:
    """Add read routes for every model collection."""
    for segment, kind, item_type in _COLLECTIONS:
        router.add("GET", f"/{segment}", _lister(segment, kind, item_type))
        router.add("GET", f"/{segment}/all", _all(kind))
        router.add("GET", f"/{segment}/{{id}}", _getter(kind, item_type))
    router.add("GET", "/projects/{id}/channels", _children("channel", "Channel", "channels"))
    router.add("GET", "/projects/{id}/runbooks", _children("runbook", "Runbook", "runbooks"))
    router.add("GET", "/projectgroups/{id}/projects", _group_projects)


def _group_projects(request: Request) -> Response:
    """``projectgroups/{id}/projects``: the group's projects, paged."""
    group = request.path_resource("projectgroup", "ProjectGroup")
    projects = request.app.store.list(
        "project", request.space_id, lambda p: p["ProjectGroupId"] == group["Id"]
    )
    return Response(
        body=request.page(
            projects, "Project", f"/api/{request.space_id}/projectgroups/{group['Id']}/projects"
        )
    )
